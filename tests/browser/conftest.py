"""Headless Chromium for the page tests (Debian's /usr/bin/chromium driven by playwright-python).

In CI a missing Chromium or playwright is a failure, not a skip: the issue's "done" is that the pages were
seen in a real browser. Locally, ``FHIR_ELIGIBILITY_SKIP_BROWSER=1`` skips them. Every page is watched for
console errors, uncaught exceptions and any request that is not the page file itself.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM = Path(os.environ.get("FHIR_ELIGIBILITY_CHROMIUM", "/usr/bin/chromium"))
# Flags known to work on the CI machines: no sandbox as root, no GPU, and no background traffic (the network
# is closed and Chromium would otherwise retry Google's hosts at every start).
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _skip_requested() -> bool:
    return os.environ.get("FHIR_ELIGIBILITY_SKIP_BROWSER") == "1"


@pytest.fixture(scope="session")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    """One Chromium for the session, with a fresh profile directory."""
    if _skip_requested():
        pytest.skip("FHIR_ELIGIBILITY_SKIP_BROWSER=1")
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's chromium and chromium-driver (.ci/run does), "
            "or set FHIR_ELIGIBILITY_SKIP_BROWSER=1 to skip the browser tests locally",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed (pip install -e '.[dev]')", pytrace=False)
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=str(CHROMIUM),
            args=FLAGS,
            headless=True,
            viewport={"width": 1100, "height": 900},
            locale="en-GB",
        )
        ctx.set_default_timeout(15_000)
        try:
            yield ctx
        finally:
            ctx.close()


@dataclass
class Watched:
    """A page and everything it complained about or tried to load."""

    page: Page
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def assert_clean(self, page_file: Path) -> None:
        """No console errors, no uncaught exceptions, no failed request and nothing fetched but the file."""
        assert self.console_errors == [], self.console_errors
        assert self.page_errors == [], self.page_errors
        assert self.failed_requests == [], self.failed_requests
        others = [u for u in self.requests if u != page_file.resolve().as_uri() and not u.startswith("data:")]
        assert others == [], f"the page fetched {others}"

    def screenshot(self, name: str, **kw: Any) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / f"{name}.{'jpg' if kw.get('type') == 'jpeg' else 'png'}"
        self.page.screenshot(path=str(target), **kw)
        return target


@pytest.fixture
def watched(browser_context: BrowserContext) -> Iterator[Watched]:
    page = browser_context.new_page()
    w = Watched(page)
    page.on("console", lambda m: w.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: w.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: w.failed_requests.append(f"{r.url}: {r.failure}"))
    page.on("request", lambda r: w.requests.append(r.url))
    try:
        yield w
    finally:
        page.close()


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The real command line, as a coordinator would run it."""
    out = subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert out.returncode == 0, f"fhir-eligibility {' '.join(args)} failed:\n{out.stderr}"
    return out
