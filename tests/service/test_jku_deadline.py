"""A slow key-set host on the ``jku`` allow-list costs one bounded fetch, not every caller's minute.

Found by an adversarial review on a loopback host dripping 45 bytes at one a second: with
``jwks_timeout_seconds = 5`` two concurrent hook calls got their 401 after 44 and 88 s (the timeout
bounded each read, not the fetch; the cache's lock was held throughout; a failure was not
remembered, so every call fetched again). The fetch happens before any signature is checked:
anyone who can reach the service could stall it by naming the allowed ``jku``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from fhir_eligibility.service.security import AuthError, JkuCache
from tests.support.drip import Drip, dripping


@pytest.fixture()
def jku() -> Iterator[str]:
    with dripping("/jwks.json") as url:
        yield url


def test_a_dripping_key_host_fails_within_the_timeout_and_is_not_asked_again_at_once(jku: str) -> None:
    cache = JkuCache([jku], timeout=0.5)
    start = time.monotonic()
    with pytest.raises(AuthError, match="unavailable"):
        cache.key(jku, "k1")
    assert time.monotonic() - start < 1.5
    start = time.monotonic()
    with pytest.raises(AuthError, match="unavailable"):
        cache.key(jku, "k1")
    assert time.monotonic() - start < 0.2 and Drip.calls == 1
