"""What a mention is about, as keys (chatops/storm/detect.py): near-duplicates share a band,
unrelated texts on the same topic do not, short texts have none, and ties (a keyword subject, a
link, a hashtag) join what wording cannot: the same complaint in Swedish, English and German.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chatops.config import load_config_text
from chatops.storm import brand_names
from chatops.storm.detect import BANDS, Detector, Fingerprint

ROOT = Path(__file__).resolve().parents[2]

COMPLAINT = {
    "en": "The Acme app has been down for an hour, I can't log in to pay my bills",
    "sv": "Appen har legat nere i en timme, jag kan inte logga in och betala mina räkningar",
    "de": "Die Acme App ist seit einer Stunde down, ich kann mich nicht einloggen und bezahlen",
}

VARIANTS = {
    "en": [
        "RT @anna_b: The Acme app has been down for an hour, I can't log in to pay my bills",
        "The Acme app has been down for an hour, I can't log in to pay my bills 😡😡",
        "@acme The Acme app has been down for an hour, I can't log in to pay my bills!!!",
        "the acme app has been down for an hour, i cant log in to pay my bills",
        "The Acme app has been down for over an hour, I can't log in to pay my bills. Fix it!",
        "The Acme app has been down for an hour now, I can't log in to pay my bills",
        "The Acme app has been dwon for an hour, I can't log in to pay my bils",
        "THE ACME APP HAS BEEN DOWN FOR AN HOUR, I CAN'T LOG IN TO PAY MY BILLS",
    ],
    "sv": [
        "Appen har legat nere i en timme, jag kan inte logga in och betala mina räkningar!!",
        "@acme appen har legat nere i en timme, jag kan inte logga in och betala mina rakningar",
        "Appen har legat nere i över en timme, jag kan inte logga in och betala mina räkningar",
        "RT @olle: Appen har legat nere i en timme, kan inte logga in och betala mina räkningar",
    ],
    "de": [
        "Die Acme App ist seit einer Stunde down, ich kann mich nicht einloggen und bezahlen!!",
        "@acme die acme app ist seit einer stunde down, ich kann mich nicht einloggen und bezahlen",
        "Die Acme App ist seit über einer Stunde down, ich kann mich nicht einloggen und bezahlen",
    ],
}

UNRELATED = [
    "Where is my invoice for October? I can't find it on my pages",
    "I want to change the delivery address on my order please",
    "Has anyone else been charged twice for the same order this month?",
    "I have been waiting for an hour on the phone to your customer service",
    "Can I pay my bills with a credit card in the app?",
    "The app keeps crashing when I open my account page",
    "I can't log in to my account since I changed my password",
    "I paid my bill but the app still says it's unpaid",
    "How do I log in to the app with BankID?",
    "Has the app been updated? The login page looks different",
    "Var är min faktura för oktober? Jag hittar den inte",
    "Jag kan inte logga in i appen sedan igår, vad gör jag?",
    "Betala mina räkningar i appen fungerar inte för mig",
    "Jag har väntat i en timme i telefonkön, det är inte okej",
    "Appen kraschar när jag försöker betala",
    "Wo ist meine Rechnung? Ich finde sie nicht im Kundenportal",
    "Ich kann mich seit gestern nicht in der App einloggen",
    "Mein Paket ist seit einer Woche unterwegs, wann kommt es an?",
]

SHORT = [
    "ok",
    "Thanks!",
    "thank you",
    "+1",
    "😡😡😡",
    "🙏",
    "ok ok ok ok ok",
    "@acme ??",
    "same",
    "Me too!!",
]

DETECTOR = Detector(
    keywords=[["driftstörning", "outage", "Störung"], ["inloggning", "login", "Anmeldung"]],
    ignore_tags=["Acme", "acme.se"],
)


def shared(a: Fingerprint, b: Fingerprint) -> set[str]:
    return set(a.bands) & set(b.bands)


@pytest.mark.parametrize("lang", ["en", "sv", "de"])
def test_near_duplicates_of_one_complaint_share_a_band(lang: str) -> None:
    base = DETECTOR.fingerprint(COMPLAINT[lang])
    assert len(base.bands) == BANDS
    for variant in VARIANTS[lang]:
        assert shared(base, DETECTOR.fingerprint(variant)), variant


def test_unrelated_texts_on_the_same_topic_share_no_band() -> None:
    complaints = [*COMPLAINT.values(), *itertools.chain(*VARIANTS.values())]
    for text, other in itertools.product(complaints, UNRELATED):
        assert not shared(DETECTOR.fingerprint(text), DETECTOR.fingerprint(other)), (text, other)
    for a, b in itertools.combinations(UNRELATED, 2):
        assert not shared(DETECTOR.fingerprint(a), DETECTOR.fingerprint(b)), (a, b)


def test_wording_alone_does_not_join_languages() -> None:
    prints = {lang: DETECTOR.fingerprint(text) for lang, text in COMPLAINT.items()}
    for a, b in itertools.combinations(prints.values(), 2):
        assert not shared(a, b)
        assert not set(a.ties) & set(b.ties)


@pytest.mark.parametrize("text", SHORT)
def test_short_texts_have_no_keys(text: str) -> None:
    assert DETECTOR.fingerprint(text) == Fingerprint()


def test_a_short_text_still_ties_by_hashtag_link_or_keyword() -> None:
    assert DETECTOR.fingerprint("#AcmeDown").ties
    assert DETECTOR.fingerprint("😡 https://status.acme.se/incidents/42").ties
    assert DETECTOR.fingerprint("outage??").ties
    assert not DETECTOR.fingerprint("#AcmeDown").bands


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(
            [
                "Driftstörning igen, inget fungerar",
                "Another outage, nothing works today",
                "Schon wieder eine Störung, nichts geht",
                "Störungen überall heute",  # a keyword matches the start of a word
            ],
            id="keyword subject",
        ),
        pytest.param(
            [
                "Vad händer? https://status.acme.se/incidents/42",
                "What is going on? http://www.status.acme.se/incidents/42/",
                "Was ist los? https://status.acme.se/incidents/42?utm_source=x#top",
            ],
            id="link",
        ),
        pytest.param(
            ["Inget fungerar #AcmeDown", "Nothing works #acmedown", "Nichts geht #ACMEDOWN"],
            id="hashtag",
        ),
    ],
)
def test_ties_join_the_same_complaint_across_languages(texts: list[str]) -> None:
    ties = [set(DETECTOR.fingerprint(text).ties) for text in texts]
    assert set.intersection(*ties)


def test_what_ties_nothing() -> None:
    # The brand's own names and bare domains are in countless unrelated mentions.
    assert DETECTOR.fingerprint("Love you #Acme and #acmese, see https://acme.se").ties == ()
    # Different subjects, links or hashtags are different ties.
    one = DETECTOR.fingerprint("outage https://status.acme.se/a #one").ties
    other = DETECTOR.fingerprint("login https://status.acme.se/b #two").ties
    assert len(one) == len(other) == 3 and not set(one) & set(other)


def test_every_process_cuts_the_same_keys() -> None:
    """Workers on other machines must agree: nothing depends on Python's salted hash()."""
    texts = [COMPLAINT["sv"], "#AcmeDown https://status.acme.se/x outage"]
    expected = [list(DETECTOR.fingerprint(t).tokens) for t in texts]
    script = (
        "import json, sys\n"
        "from chatops.storm.detect import Detector\n"
        "d = Detector([['driftstörning', 'outage', 'Störung']], ['Acme'])\n"
        "print(json.dumps([list(d.fingerprint(t).tokens) for t in json.loads(sys.argv[1])]))\n"
    )
    for seed in ("1", "4242"):
        out = subprocess.run(
            [sys.executable, "-c", script, json.dumps(texts)],
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
            capture_output=True,
            check=True,
            text=True,
        )
        assert json.loads(out.stdout) == expected


def test_the_brands_own_names_tie_nothing() -> None:
    config = load_config_text(
        """\
brand: Acme
platforms:
  facebook: {pages: [{id: "1122334455", name: Acme Sverige, token_env: FB_TOKEN}]}
  x: {accounts: [{id: "2244994945", handle: "@AcmeHelp"}]}
departments: [{id: social, channel: C0SOCIAL}]
crisis: {keywords: [outage]}
"""
    )
    assert brand_names(config) == ["Acme", "Acme Sverige", "AcmeHelp"]
    detector = Detector(config.crisis_of("social").keywords, brand_names(config))
    assert detector.fingerprint("#acme #AcmeSverige #acmehelp").ties == ()
    assert detector.fingerprint("#AcmeDown").ties
