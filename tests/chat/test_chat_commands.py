"""chat.commands: one meaning of every case action, shared by Slack, Teams and the console."""

from __future__ import annotations

import pytest

from chatops.chat.actions import Action
from chatops.chat.commands import COMMANDS, chosen, run_action
from chatops.domain import State
from chatops.workflow.transitions import Refused
from tests.conftest import System
from tests.fakes import mention_json


def test_every_action_means_a_command() -> None:
    assert set(COMMANDS) == set(Action)


@pytest.mark.parametrize(
    ("value", "result"),
    [("spam", "spam"), ("  1h ", "1h"), ("", None), ("   ", None), (None, None)],
)
def test_a_choice_is_read_once(value: str | None, result: str | None) -> None:
    if result is None:
        with pytest.raises(Refused, match="Choose one"):
            chosen(value, "Choose one")
    else:
        assert chosen(value, "Choose one") == result


@pytest.mark.parametrize(
    ("action", "choice", "refusal"),
    [
        (Action.SNOOZE, "3h", "unknown snooze '3h'"),
        (Action.SNOOZE, None, "unknown snooze ''"),
        (Action.DISMISS, "", "Choose why the case is dismissed."),
        (Action.REROUTE, " ", "Choose the department to move the case to."),
        (Action.REPLY_TO, None, "Choose the comment the draft answers."),
        (Action.REJECT, "", "Say why the draft goes back"),
        (Action.EDIT, "", "The draft is empty."),
    ],
)
async def test_a_missing_or_unknown_choice_is_refused(
    system: System, action: Action, choice: str | None, refusal: str
) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    await run_action(system.wf, Action.CLAIM, "1001", "anna")
    with pytest.raises(Refused, match=refusal):
        await run_action(system.wf, action, "1001", "anna", choice)
    case = await system.case_of("post-1")
    assert (case.state, case.owner, case.snoozed_until) == (State.CLAIMED, "anna", None)


async def test_an_action_on_no_case_is_refused(system: System) -> None:
    with pytest.raises(Refused, match="there is no case #4711"):
        await run_action(system.wf, Action.SNOOZE, "4711", "anna", "1h")


async def test_a_snooze_counts_from_the_department_clock(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Hej, när öppnar ni?"))
    case = await run_action(system.wf, Action.SNOOZE, "1001", "anna", "2h")
    assert case.snoozed_until is not None
    assert (case.snoozed_until - system.clock()).total_seconds() == 2 * 3600


def test_a_snooze_delay_runs_on_the_time_scale_but_tomorrow_stays_tomorrow() -> None:
    """CHATOPS_TIME_SCALE divides a snooze's delay like the SLAs it pauses (the demo's 30
    minutes are 30 s); "tomorrow" is a moment of the calendar, not a delay."""
    from datetime import UTC, datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from chatops.chat.snooze import snooze_until

    now = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
    tz = ZoneInfo("Europe/Stockholm")
    assert snooze_until("30m", now, tz, None, time(9), 60) == now + timedelta(seconds=30)
    assert snooze_until("2h", now, tz, None, time(9)) == now + timedelta(hours=2)
    tomorrow = datetime(2026, 12, 1, 9, 0, tzinfo=tz)
    assert snooze_until("tomorrow", now, tz, None, time(9), 60) == tomorrow
