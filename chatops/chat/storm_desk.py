"""What a person asks of storms (issue 13 items 4 and 6): which are open, one's summary, and
what a click on a summary's control does, for every chat.

The summary itself is chatops/chat/storm.py's; this is the line a list of open storms gives
each, what is said when there is none or an id names no storm, and `act`: the one decision
behind Slack's buttons, modal and `>>`, and Teams' card verbs and `>>`, so no chat decides a
storm click on its own (the console, where the approver reads the statement as they type,
calls `PublishAll` without a seal).
"""

from __future__ import annotations

from typing import Protocol

from chatops.chat.actions import StormAction
from chatops.chat.rich import Code, Emoji, Line, Strong, Text, When
from chatops.chat.storm import NO_STORM, PUBLISH_QUEUED, STATEMENT_SET, StormRef, Summary
from chatops.workflow.transitions import Refused


class Desk(Protocol):
    """Where storms' statements are kept and published to all (chatops.publishall)."""

    async def say(
        self, ref: StormRef, writer: str, text: str, language: str | None = None
    ) -> None: ...

    async def start(self, ref: StormRef, actor: str, *, seen: str | None = None) -> None: ...


async def act(
    desk: Desk | None,
    action: StormAction,
    ref: StormRef | None,
    user: str,
    *,
    seal: str | None = None,
    text: str = "",
) -> str:
    """Do what a storm control asks and say so; `Refused` with the reason when it may not.

    Publish to all (or Retry failed) publishes only the statement whose `seal` the clicked
    message showed, and only for an approver who did not write it (PublishAll.start); a
    statement saved (`STATEMENT`) replaces the storm's, as `>>` in its thread does."""
    if desk is None:
        raise Refused("this process does not handle storms")
    if ref is None:
        raise Refused(NO_STORM)
    if action is StormAction.PUBLISH_ALL:
        await desk.start(ref, user, seen=seal or "")
        return PUBLISH_QUEUED
    if action in (StormAction.STATEMENT, StormAction.EDIT):
        await desk.say(ref, user, text)
        return STATEMENT_SET
    raise Refused(f"this version of chatops does not know '{action.value}'")


NONE_OPEN = "No storm is open."


def open_line(s: Summary) -> Line:
    """ "🌀 social:3 · Social team: 214 mentions from 209 people · 38.0 a minute · since …"."""
    mentions = f"{s.count:,} mention{'s' if s.count != 1 else ''}"
    people = f"{s.people:,} {'person' if s.people == 1 else 'people'}"
    line: Line = (
        Emoji("cyclone"),
        Text(" "),
        Code(s.storm.id),
        Text(" · "),
        Strong(s.department),
        Text(f": {mentions} from {people} · {s.per_minute:.1f} a minute"),
    )
    if s.since is not None:
        line += (Text(" · since "), When(s.since, s.zone))
    return line


def unknown(storm_id: str) -> str:
    """An id that names no storm (or one whose record has expired)."""
    return f"No storm {storm_id}: type storm for the open ones."
