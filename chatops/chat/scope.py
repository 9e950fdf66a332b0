"""From where a case may be acted on, for every chat (issue 9).

A signed request proves it came through the chat, not that the person can see the case. A case
lives in its department's channel: its post there and that post's thread (after a reroute, the
old post too until the case is posted again). A click on a case counts only from there;
approvers may act from anywhere (an approval message, the approval inbox), since approving is
their job across departments. Anyone else is told where the case is handled, and only them.

Each chat reads the channel and thread out of its own payloads; the rule and what the refusal
says are decided here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from chatops.chat.rich import Emoji, Line, Place, Text


@dataclass(frozen=True)
class Home:
    """Where a case lives: its department's channel and name, and its post once posted."""

    channel: str
    name: str
    post: tuple[str, str] | None  # (channel, message id) of the case's post


def at_home(home: Home, channel: str, thread: str | None = None) -> bool:
    """A click belongs to the case from the channel it lives in; a message written in a thread
    (`thread`, such as a draft) only in the thread of the case's current post."""
    if thread is not None:
        return home.post == (channel, thread)
    channels = {home.channel, home.post[0]} if home.post else {home.channel}
    return bool(channel) and channel in channels


async def may_act(
    home: Home,
    channel: str,
    is_approver: Callable[[], Awaitable[bool]],
    thread: str | None = None,
) -> bool:
    """Anyone at the case's home, approvers from anywhere; `is_approver` (which may cost a
    call to the chat) is asked only for someone elsewhere."""
    return at_home(home, channel, thread) or await is_approver()


async def may_act_from_home(
    owner: str | None,
    actor: str,
    is_approver: Callable[[], Awaitable[bool]],
    is_member: Callable[[], Awaitable[bool]],
) -> bool:
    """A click from the person's own Home (issue 12), which names no channel: the case's
    owner, an approver, or a member of the case's department channel (as if they clicked
    there). `is_member` may cost a call to the chat, so it is asked last; a chat that cannot
    tell says no."""
    if not actor:
        return False
    return actor == owner or await is_approver() or await is_member()


def refusal(home: Home) -> Line:
    """Why not, and where instead (of a case or a storm: the wording names neither)."""
    return (
        Emoji("no_entry_sign"),
        Text(" this is handled in "),
        Place(home.channel, home.name),
        Text(": act on it from its message or thread in that channel, or ask an approver"),
    )


STALE: Line = (
    Emoji("no_entry_sign"),
    Text(" this message no longer belongs to that case: use the case's current message"),
)
"""A click on an old post of a case (a store wiped and numbered again reuses its number)."""
