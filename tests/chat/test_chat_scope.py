"""From where a case may be acted on (chatops.chat.scope): the rule every chat shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from chatops.chat import rich
from chatops.chat.scope import STALE, Home, at_home, may_act, refusal

HOME = Home("C0SOCIAL01", "Social team", ("C0SOCIAL01", "1.2"))
MOVED = Home("C0BILLING1", "Billing", ("C0SOCIAL01", "1.2"))  # rerouted, not yet re-posted


def test_a_click_belongs_to_the_case_from_where_it_lives() -> None:
    assert at_home(HOME, "C0SOCIAL01")
    assert at_home(MOVED, "C0BILLING1") and at_home(MOVED, "C0SOCIAL01")
    assert not at_home(HOME, "C0LEGAL001") and not at_home(HOME, "")
    assert at_home(Home("C0SOCIAL01", "Social team", None), "C0SOCIAL01")


def test_a_message_written_in_a_thread_belongs_only_in_the_current_thread() -> None:
    assert at_home(HOME, "C0SOCIAL01", "1.2")
    assert not at_home(HOME, "C0SOCIAL01", "9.9")
    assert not at_home(Home("C0SOCIAL01", "Social team", None), "C0SOCIAL01", "1.2")


async def test_approvers_act_from_anywhere_and_are_asked_only_when_needed() -> None:
    asked: list[bool] = []

    def approver(answer: bool) -> Callable[[], Awaitable[bool]]:
        async def ask() -> bool:
            asked.append(answer)
            return answer

        return ask

    assert await may_act(HOME, "C0SOCIAL01", approver(False)) and asked == []
    assert await may_act(HOME, "D0COMMS001", approver(True))
    assert not await may_act(HOME, "D0ANNA0001", approver(False))
    assert not await may_act(HOME, "C0SOCIAL01", approver(False), "9.9")
    assert asked == [True, False, False]


def test_the_refusal_says_where_the_case_is_handled() -> None:
    said = refusal(HOME)
    assert rich.Place("C0SOCIAL01", "Social team") in said
    assert "handled in Social team" in rich.plain(said) and "channel" in rich.plain(said)
    assert "no longer belongs to that case" in rich.plain(STALE)
