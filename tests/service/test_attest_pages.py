"""Answers sent from two pages of one card link (second adversarial review, 2026-12-07): each page
re-evaluates with every response recorded through that hook call's links, not only its own.

The trial is the mini trial (tests/fixtures/mini) with a second attestable item, ``board`` ("Tumour board
agrees"), beside ``consent``. Patient p1 (62, Hb 11.2, a midgut NET, a normal ALT) is needs review with both
items open; "no" to consent makes the trial ineligible whatever else is answered. The FHIR server is the
recorder on loopback (tests/service/fhir_recorder.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.service.fhir_recorder import RecordingFhir
from tests.service.support import MINI, MINI_PATIENT, LiveServer, attesting, emulate_prefetch, hook_body, patients_of
from tests.service.support import post as post_hook
from tests.service.test_attest import page_data, submit

TRIAL = "NCT00000001"
BEFORE_AS_OF = dt.datetime(2026, 5, 31, 10, 0, tzinfo=dt.UTC)  # the config's as-of date is 2026-06-01


def two_items(folder: Path) -> Path:
    """The mini trial with a second manual inclusion, ``board``."""
    bundle = json.loads((MINI / "definitions.json").read_text(encoding="utf-8"))
    ev = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "EvidenceVariable")
    ev["characteristic"].append({"linkId": "board", "description": "Tumour board agrees"})
    path = folder / "definitions.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


@pytest.fixture
def live(tmp_path: Path, fhir: RecordingFhir) -> Iterator[LiveServer]:
    with attesting(tmp_path, fhir.base, BEFORE_AS_OF, definitions=(two_items(tmp_path),)) as server:
        yield server


def card_link(live: LiveServer) -> str:
    templates = requests.get(live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"]
    (data,) = patients_of(MINI_PATIENT)
    r = post_hook(live.service_url, hook_body("p1", emulate_prefetch(templates, data)))
    assert r.status_code == 200, r.text
    return str(r.json()["cards"][0]["links"][0]["url"])


def opened(link: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """A page drawn from ``link``: its verdict, its form's submit target, and its answered items (id -> said)."""
    page = requests.get(link, timeout=10)
    assert page.status_code == 200, page.text
    verdict = re.search(r'data-verdict="([a-z-]+)"', page.text)
    assert verdict is not None
    data = page_data(page)
    (form,) = data["forms"].values()
    answered = {row[0]: row[8] for row in form["items"] if row[4] == "answered"}
    return verdict.group(1), dict(data["submit"]["to"]), answered


def send(live: LiveServer, to: dict[str, Any], answers: dict[str, bool], **extra: Any) -> requests.Response:
    return submit(
        live, to["url"], {"nonce": to["nonce"], "trial": TRIAL, "author": "Dr Ada", "answers": answers} | extra
    )


# ---- two pages of one card link ---------------------------------------------------------------------------


def test_a_second_page_of_a_card_link_keeps_the_refusal_sent_from_the_first(live: LiveServer) -> None:
    """Tab 1 refuses consent, then tab 2 (the same card link, opened before) answers the board item yes. Tab 2's
    new page was evaluated on the hook call's data plus its own answer only: consent open again, "needs
    review" although the consent was refused. Every page now evaluates every response recorded through the
    hook call's links: ineligible, both items answered; and so does the card link opened again, and the page
    tab 1's submission opened."""
    link = card_link(live)
    verdict, first, _answered = opened(link)
    _verdict, second, _answered = opened(link)
    assert verdict == "needs-review"

    r1 = send(live, first, {"consent": False})
    assert r1.status_code == 201, r1.text
    assert opened(r1.json()["location"])[0] == "ineligible"

    r2 = send(live, second, {"board": True})
    assert r2.status_code == 201, r2.text
    verdict, _to, answered = opened(r2.json()["location"])
    assert verdict == "ineligible"
    assert answered == {"consent": False, "board": True}

    for page in (link, r1.json()["location"]):
        verdict, _to, answered = opened(page)
        assert (verdict, answered) == ("ineligible", {"consent": False, "board": True}), page


def test_answers_given_through_the_pages_a_submission_opened_add_up(live: LiveServer) -> None:
    """Consent yes from the card's page, then board yes from the page that submission opened: eligible (the
    control: answers sent through a chain of pages all count, favourable ones included)."""
    _verdict, to, _answered = opened(card_link(live))
    r1 = send(live, to, {"consent": True})
    assert r1.status_code == 201, r1.text
    verdict, to, _answered = opened(r1.json()["location"])
    assert verdict == "needs-review"
    r2 = send(live, to, {"board": True})
    assert r2.status_code == 201, r2.text
    verdict, _to, answered = opened(r2.json()["location"])
    assert (verdict, answered) == ("eligible", {"consent": True, "board": True})
