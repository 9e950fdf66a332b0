"""Spam gets no draft: its case says "Looks like spam — Dismiss?" and a person dismisses it."""

from __future__ import annotations

from rich.console import Console

from chatops.chat import CaseView, Department
from chatops.chat.present import case_card
from chatops.chat.rich import plain
from chatops.console import ConsoleBackend
from chatops.domain import State
from chatops.workflow.commands import SYSTEM
from tests import builders
from tests.builders import NOW, mention
from tests.conftest import System
from tests.fakes import mention_json

SOCIAL = Department("social", "Social team", "C0SOCIAL")
HINT = "Looks like spam — Dismiss?"


def card_warning(state: State, intent: str, draft: str = "") -> str:
    case = builders.make_case(
        state, staff="U0ANNA0001", intent=intent, draft=draft, draft_author=SYSTEM
    )
    card = case_card(CaseView(case, [mention()], SOCIAL), now=NOW)
    return plain(card.warning) if card.warning else ""


def test_the_card_suggests_dismissing_an_open_spam_case_without_a_draft() -> None:
    assert HINT in card_warning(State.NEW, "spam")
    assert card_warning(State.NEW, "greeting") == ""
    assert card_warning(State.DISMISSED, "spam") == ""  # done with
    assert card_warning(State.CLAIMED, "spam", draft="Hi! Not spam after all.") == ""


async def test_a_spam_mention_becomes_a_case_with_no_draft_and_the_hint(system: System) -> None:
    console = Console(record=True, width=120)
    system.rt.wf.chat = ConsoleBackend(console)
    await system.ingest(
        mention_json(
            "m-1",
            "post-1",
            "Congratulations, you have won a FREE iPhone! Claim your prize at www.prize.win/x",
            name="Crypto King",
        ),
        mention_json(
            "m-2", "post-2", "Var är mitt paket? Beställde för en vecka sen", author="u-2"
        ),
    )
    spam = await system.case_of("post-1")
    assert (spam.intent, spam.draft) == ("spam", "")
    customer = await system.case_of("post-2")
    assert customer.intent != "spam" and customer.draft
    text = console.export_text()
    assert text.count(HINT) == 1
    after = await system.wf.dismiss(spam.id, "anna", "spam")
    assert after.state is State.DISMISSED
