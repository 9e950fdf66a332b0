"""What each case action does, the same for every chat front end.

Slack's listeners, Teams' bot and the console each read a click or a typed line their own
way (a button value, a card's inputs, words), then all call `run_action`: the mapping from an
action to a workflow command, and the reading of a chosen value (a snooze duration, a
department, a dismiss reason, a reply-to key), live here once. A refusal is the workflow's
`Refused`, which each front end shows to the person who acted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from chatops.chat.actions import Action
from chatops.chat.snooze import snooze_until
from chatops.chat.wording import EMPTY_DRAFT
from chatops.domain import Case
from chatops.workflow.transitions import Refused

if TYPE_CHECKING:
    from chatops.workflow.service import Workflow

Run = Callable[["Workflow", str, str, "str | None", "str | None"], Awaitable[Case]]
"""(workflow, case id, actor, chosen value or typed text, fingerprint of the draft seen)."""


async def case_of(workflow: Workflow, case_id: str) -> Case:
    """The case an action names, or a refusal the person who acted can read."""
    return await workflow.case(case_id)


def chosen(value: str | None, refusal: str) -> str:
    """A menu choice or typed text, refused when nothing was chosen or typed."""
    if value is None or not value.strip():
        raise Refused(refusal)
    return value.strip()


async def snooze(workflow: Workflow, case_id: str, actor: str, choice: str | None) -> Case:
    """Quiet a case's pings until the chosen time (30m, 1h, 2h or tomorrow), counted in the
    case's department's time zone and opening hours."""
    case = await case_of(workflow, case_id)
    calendar = workflow.calendar(case.department)
    try:
        until = snooze_until(
            choice or "",
            calendar.now,
            calendar.tz,
            calendar.hours,
            calendar.morning,
            calendar.time_scale,
        )
    except ValueError as exc:
        raise Refused(str(exc)) from None
    return await workflow.snooze(case.id, actor, until)


def _text(command: Callable[[Workflow, str, str, str], Awaitable[Case]], refusal: str) -> Run:
    """An action that needs a chosen value or a text, refused without one."""

    async def run(
        workflow: Workflow, case_id: str, actor: str, choice: str | None, _seen: str | None
    ) -> Case:
        return await command(workflow, case_id, actor, chosen(choice, refusal))

    return run


COMMANDS: Mapping[Action, Run] = {
    Action.CLAIM: lambda wf, case, actor, _choice, _seen: wf.claim(case, actor),
    Action.UNCLAIM: lambda wf, case, actor, _choice, _seen: wf.unclaim(case, actor),
    Action.TAKE_OVER: lambda wf, case, actor, _choice, _seen: wf.take_over(case, actor),
    Action.EDIT: _text(lambda wf, c, a, text: wf.edit(c, a, text), EMPTY_DRAFT),
    Action.PUBLISH: lambda wf, case, actor, _choice, seen: wf.publish(case, actor, seen=seen),
    Action.PRIVATE: lambda wf, case, actor, _choice, seen: wf.publish(
        case, actor, private=True, seen=seen
    ),
    Action.APPROVE: lambda wf, case, actor, _choice, seen: wf.approve(case, actor, seen=seen),
    Action.EDIT_APPROVE: lambda wf, case, actor, text, seen: wf.approve(
        case, actor, seen=seen, text=chosen(text, EMPTY_DRAFT)
    ),
    Action.REJECT: _text(
        lambda wf, c, a, reason: wf.reject(c, a, reason),
        "Say why the draft goes back, so the owner can fix it.",
    ),
    Action.REROUTE: _text(
        lambda wf, c, a, department: wf.reroute(c, a, department),
        "Choose the department to move the case to.",
    ),
    Action.DISMISS: _text(
        lambda wf, c, a, reason: wf.dismiss(c, a, reason), "Choose why the case is dismissed."
    ),
    Action.SNOOZE: lambda wf, case, actor, choice, _seen: snooze(wf, case, actor, choice),
    Action.REPLY_TO: _text(
        lambda wf, c, a, key: wf.reply_to(c, a, key), "Choose the comment the draft answers."
    ),
    Action.TEMPLATE: _text(
        lambda wf, c, a, intent: wf.use_template(c, a, intent), "Choose a reply template."
    ),
    Action.USE_ANSWER: _text(
        lambda wf, c, a, source: wf.use_answer(c, a, source), "Choose the answer to use."
    ),
    Action.CONFIRM_SENT: lambda wf, case, actor, _choice, _seen: wf.confirm(case, actor, sent=True),
    Action.CONFIRM_NOT_SENT: lambda wf, case, actor, _choice, _seen: wf.confirm(
        case, actor, sent=False
    ),
}
"""Every action -> the workflow command it gives. REPLY_TO takes the mention key: a front end
first turns its own menu value (Slack's short option value, the console's position) into it."""


async def run_action(
    workflow: Workflow,
    action: Action,
    case_id: str,
    actor: str,
    choice: str | None = None,
    seen: str | None = None,
) -> Case:
    """Do what `action` means to case `case_id` for `actor`; raises `Refused` as the workflow
    does, or when an action that needs a choice or a text got none."""
    return await COMMANDS[action](workflow, case_id, actor, choice, seen)
