"""A later mention in a case: a bare "me too" follows the case's intent, and the press keeps the
press template when the reporter says thanks (no cheerful hello to the press)."""

from __future__ import annotations

import pytest

from chatops.drafting import Intent, follow_up
from tests.conftest import System
from tests.fakes import mention_json


@pytest.mark.parametrize(
    ("intent", "thread", "expected"),
    [
        (Intent.GREETING, "apology", Intent.COMPLAINT),
        (Intent.PRAISE, "press", Intent.PRESS),
        (Intent.GREETING, "press", Intent.PRESS),
        (Intent.COMPLAINT, "press", Intent.COMPLAINT),  # their own complaint is answered as one
        (Intent.PRAISE, "apology", Intent.PRAISE),
        (Intent.QUESTION, None, Intent.QUESTION),
        (Intent.GREETING, "no-longer-a-template", Intent.GREETING),
    ],
)
def test_follow_up(intent: Intent, thread: str | None, expected: Intent) -> None:
    assert follow_up(intent, thread) is expected


async def test_a_reporters_thanks_keeps_the_press_draft(system: System) -> None:
    await system.ingest(
        mention_json("m-1", "post-1", "Journalist at BBC here - who can comment on the recall?")
    )
    first = await system.case_of("post-1")
    assert first.intent == "press"
    await system.ingest(mention_json("m-2", "post-1", "Thanks, great!"))
    after = await system.case_of("post-1")
    assert after.intent == "press" and "press office" in after.draft
    assert "!" not in after.draft
