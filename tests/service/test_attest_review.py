"""The served attestation form after the adversarial CDS review: who the response names as its author (B),
which links one submission spends (D), which hook calls are stored (E), a fixed as-of date (H) and a public
base URL written with its default port (G).

The mini trial (tests/fixtures/mini) has one attestable item, ``consent``; patient p1 is 62 with Hb 11.2,
a midgut NET and a normal ALT, so without an answer the card says needs review. The FHIR server is a
recorder on loopback (tests/service/fhir_recorder.py): what the service writes is read back as sent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fhir_eligibility.service.attest import check_origin
from fhir_eligibility.service.config import ServiceConfig
from fhir_eligibility.service.prefetch import RequestError
from tests.service.fhir_recorder import RecordingFhir
from tests.service.support import (
    MINI,
    MINI_PATIENT,
    LiveServer,
    attesting,
    emulate_prefetch,
    hook_body,
    open_config,
    patients_of,
    post,
)
from tests.service.test_attest import outcome, page_data, submit

TRIAL = "NCT00000001"
BEFORE_AS_OF = dt.datetime(2026, 5, 31, 10, 0, tzinfo=dt.UTC)  # the config's as-of date is 2026-06-01


@pytest.fixture
def live(tmp_path: Path, fhir: RecordingFhir) -> Iterator[LiveServer]:
    with attesting(tmp_path, fhir.base, BEFORE_AS_OF) as server:
        yield server


def card_link(live: LiveServer, user_id: str = "Practitioner/example") -> str:
    templates = requests.get(live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"]
    (data,) = patients_of(MINI_PATIENT)
    body = hook_body("p1", emulate_prefetch(templates, data))
    body["context"]["userId"] = user_id
    r = post(live.service_url, body)
    assert r.status_code == 200, r.text
    return str(r.json()["cards"][0]["links"][0]["url"])


def form_of(link: str) -> dict[str, Any]:
    page = requests.get(link, timeout=10)
    assert page.status_code == 200, page.text
    return dict(page_data(page)["submit"]["to"])


def answer(nonce: str, author: str = "Dr Ada", consent: bool = True) -> dict[str, Any]:
    return {"nonce": nonce, "trial": TRIAL, "author": author, "answers": {"consent": consent}}


# ---- B: the author is the hook's user ----------------------------------------------------------------------


def test_the_author_reference_is_the_hook_user_and_typed_text_is_only_a_display(
    live: LiveServer, fhir: RecordingFhir
) -> None:
    """A nurse's card link, a form posted with author "Practitioner/chief-oncologist": the response and its
    Provenance name the nurse (the userId the authenticated EHR sent) and keep the typed text as display."""
    to = form_of(card_link(live, "Practitioner/junior-nurse"))
    r = submit(live, to["url"], answer(to["nonce"], author="Practitioner/chief-oncologist"))
    assert r.status_code == 201, r.text
    (qr,) = fhir.written("QuestionnaireResponse")
    (prov,) = fhir.written("Provenance")
    who = {"reference": "Practitioner/junior-nurse", "display": "Practitioner/chief-oncologist"}
    assert qr["author"] == who
    assert prov["agent"][0]["who"] == who
    # the new page says who typed what, and under which user
    new = requests.get(r.json()["location"], timeout=10).text
    assert "Practitioner/chief-oncologist (Practitioner/junior-nurse)" in new


def test_the_user_id_must_be_a_reference_the_hook_allows(live: LiveServer) -> None:
    """CDS Hooks patient-view: userId is Practitioner/…, PractitionerRole/…, Patient/… or RelatedPerson/…"""
    (data,) = patients_of(MINI_PATIENT)
    for bad in ("x", "Organization/1", "Practitioner/", "Practitioner/a b", "https://ehr/Practitioner/1"):
        body = hook_body("p1", {})
        body["context"]["userId"] = bad
        r = post(live.service_url, body)
        assert r.status_code == 400 and "userId" in r.text, (bad, r.text)
    assert data.patient_id == "p1"


@pytest.mark.parametrize("user", ["Patient/p1", "RelatedPerson/mother"])
def test_a_patient_or_a_relative_attests_nothing(live: LiveServer, fhir: RecordingFhir, user: str) -> None:
    """CDS Hooks allows a patient-facing app's user (Patient/…, RelatedPerson/…); such a user could
    answer "life expectancy as prognosticated by the physician" and make the patient eligible. The
    served form refuses the post (403) and writes nothing; eligibility is attested by study staff."""
    to = form_of(card_link(live, user))
    r = submit(live, to["url"], answer(to["nonce"]))
    assert r.status_code == 403, r.text
    assert fhir.written("QuestionnaireResponse") == [] and fhir.written("Provenance") == []


# ---- D: one submission spends its page, not the hook's links -------------------------------------------------


def test_a_submission_spends_only_its_page_nonce_and_the_card_link_lives_on(live: LiveServer) -> None:
    link = card_link(live)
    first, second = form_of(link), form_of(link)  # the card opened in two tabs
    assert first["nonce"] != second["nonce"]  # a fresh nonce per page
    assert submit(live, first["url"], answer(first["nonce"])).status_code == 201
    assert requests.get(link, timeout=10).status_code == 200  # every link of that hook call still opens
    # a replay of the answered page is refused; the other tab's page is not spent
    assert "used already" in outcome(submit(live, first["url"], answer(first["nonce"], consent=False)), 403)
    assert submit(live, second["url"], answer(second["nonce"], consent=False)).status_code == 201


# ---- E: only calls with a linked card are stored -------------------------------------------------------------


def test_a_hook_call_without_cards_stores_nothing_and_evicts_no_link(tmp_path: Path) -> None:
    config = open_config(tmp_path, report_cache_size=2)
    child = {"resourceType": "Patient", "id": "kid", "birthDate": "2020-01-01", "gender": "male"}
    with LiveServer(config) as live:
        link = card_link(live)
        templates = requests.get(live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"]
        for _ in range(3):  # the mini trial needs age >= 18: ineligible, no card, no link issued
            prefetch = {k: None for k in templates} | {"patient": child}
            r = post(live.service_url, hook_body("kid", prefetch))
            assert r.status_code == 200 and r.json()["cards"] == [], r.text
        assert len(live.app.state.service.reports._items) == 1
        assert requests.get(link, timeout=10).status_code == 200


# ---- H: a fixed as-of date ------------------------------------------------------------------------------------


def test_with_a_fixed_as_of_date_a_later_attestation_is_refused_and_not_written(
    live: LiveServer, fhir: RecordingFhir
) -> None:
    """as_of = 2026-06-01 in the config: an answer given on 2026-06-02 would be written and never count
    (authored after the as-of date), and each retry would write another. Refused: 409, nothing written."""
    live.app.state.service.now = lambda: dt.datetime(2026, 6, 2, 9, 0, tzinfo=dt.UTC).astimezone()
    to = form_of(card_link(live))
    message = outcome(submit(live, to["url"], answer(to["nonce"])), 409)
    assert "fixed date (2026-06-01)" in message and "2026-06-02" in message
    assert fhir.transactions == []
    # the page is not spent: the same page can be sent once the date allows it
    live.app.state.service.now = lambda: BEFORE_AS_OF
    assert submit(live, to["url"], answer(to["nonce"])).status_code == 201


# ---- G: public_base_url with its default port ----------------------------------------------------------------


def test_a_public_base_url_with_its_default_port_is_the_origin_browsers_send(tmp_path: Path) -> None:
    config = ServiceConfig(public_base_url="https://CDS.example.org:443/", insecure_no_auth=True, data_dir=tmp_path)
    assert config.base_url == "https://cds.example.org"
    check_origin({"origin": "https://cds.example.org"}, config.base_url)  # what a browser sends
    check_origin({"origin": "https://cds.example.org"}, "https://cds.example.org:443")
    for other in ("https://cds.example.org:8443", "http://cds.example.org", "https://evil.example", "null"):
        with pytest.raises(RequestError):
            check_origin({"origin": other}, config.base_url)
    odd = ServiceConfig(public_base_url="https://cds.example.org:8443", insecure_no_auth=True, data_dir=tmp_path)
    check_origin({"origin": "https://cds.example.org:8443"}, odd.base_url)


# ---- second review (2026-12-07): authored to the microsecond ----------------------------------------------------


def test_authored_is_written_to_the_microsecond(live: LiveServer, fhir: RecordingFhir) -> None:
    """To the second, a consent given and withdrawn within one second tied (and the random id decided)."""
    when = BEFORE_AS_OF.replace(microsecond=123456)
    live.app.state.service.now = lambda: when
    to = form_of(card_link(live))
    assert submit(live, to["url"], answer(to["nonce"])).status_code == 201
    (qr,) = fhir.written("QuestionnaireResponse")
    (prov,) = fhir.written("Provenance")
    assert dt.datetime.fromisoformat(qr["authored"]) == when
    assert qr["authored"][19:26] == ".123456" and prov["recorded"] == qr["authored"]


# ---- second review: typed text that is no plain text ------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "text", "code_point"),
    [
        ("author", "Dr\u0000Ada", "U+0000"),
        ("author", "Dr Ada\u202e", "U+202E"),  # a right-to-left override: the name reads as other text
        ("author", "Dr\nAda", "U+000A"),  # a name is one line
        ("comment", "seen\u0007", "U+0007"),
        ("comment", "seen \u2066x\u2069", "U+2066"),  # a bidirectional isolate
        # a third review: invisible and separator characters, under the same rule
        ("author", "Dr\u2028Ada", "U+2028"),  # a line separator: a name is one line
        ("author", "Dr\u200bAda", "U+200B"),  # a zero-width space: "Dr\u200bAda" looks like "DrAda"
        ("author", "Dr Ada\ufeff", "U+FEFF"),  # a BOM inside text: invisible
        ("comment", "seen\u00adx", "U+00AD"),  # a soft hyphen: invisible
        # one rule with text read from outside records (plain_text): a text box sends a line feed, not U+2029
        ("comment", "seen\u2029x", "U+2029"),
    ],
)
def test_control_and_bidi_characters_are_refused_and_nothing_is_written(
    live: LiveServer, fhir: RecordingFhir, field: str, text: str, code_point: str
) -> None:
    """FHIR strings hold no code point below 32 but tab, CR and LF; a bidi override shows a name as other text.
    Refused (400, nothing written) rather than stripped: the record would say what the person did not type."""
    to = form_of(card_link(live))
    body = answer(to["nonce"], author=text if field == "author" else "Dr Ada")
    if field == "comment":
        body["comments"] = {"consent": text}
    message = outcome(submit(live, to["url"], body), 400)
    assert code_point in message and "not recorded" in message
    assert fhir.transactions == []
    # the page is not spent: sent again in plain text it is recorded (a comment may hold a line break)
    plain = answer(to["nonce"]) | {"comments": {"consent": "seen by the board\non 2026-05-30"}}
    assert submit(live, to["url"], plain).status_code == 201
    (qr,) = fhir.written("QuestionnaireResponse")
    assert qr["author"]["display"] == "Dr Ada"
    comment = next(i for g in qr["item"] for i in g["item"] if i["linkId"] == "consent-comment")
    assert comment["answer"] == [{"valueString": "seen by the board\non 2026-05-30"}]


# ---- a third review: a page's nonce answers only the trials that page shows ------------------------------------

SECOND = "NCT00000002"


@pytest.fixture
def two_trials(tmp_path: Path, fhir: RecordingFhir) -> Iterator[LiveServer]:
    """The mini trial and a copy of it under another NCT number: one hook call, two cards."""
    bundle = json.loads((MINI / "definitions.json").read_text())
    copy = json.loads(
        json.dumps(bundle).replace("NCT00000001", SECOND).replace('"mini"', '"mini2"').replace("mini-ev", "mini2-ev")
    )
    copy["entry"] = [e for e in copy["entry"] if e["resource"]["resourceType"] != "ValueSet"]  # shared, once
    (tmp_path / "defs").mkdir()
    (tmp_path / "defs" / "a.json").write_text(json.dumps(bundle))
    (tmp_path / "defs" / "b.json").write_text(json.dumps(copy))
    with attesting(tmp_path, fhir.base, BEFORE_AS_OF, definitions=(tmp_path / "defs",)) as server:
        yield server


def test_a_page_of_one_trial_cannot_answer_another_trial_of_the_same_hook_call(
    two_trials: LiveServer, fhir: RecordingFhir
) -> None:
    """The card link of trial 1 shows trial 1 only: its nonce posted for trial 2 (on the same hook call, for
    the same patient) is refused (400, nothing written, the nonce not spent); for trial 1 it is recorded.
    Before, the nonce answered any trial of the hook call."""
    link = card_link(two_trials)
    assert f"trial={TRIAL}" in link
    to = form_of(link)
    other = answer(to["nonce"]) | {"trial": SECOND}
    message = outcome(submit(two_trials, to["url"], other), 400)
    assert SECOND in message and "not on this page" in message
    assert fhir.transactions == []
    assert submit(two_trials, to["url"], answer(to["nonce"])).status_code == 201
    (qr,) = fhir.written("QuestionnaireResponse")
    assert TRIAL in json.dumps(qr["questionnaire"])
