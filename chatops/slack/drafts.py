"""Which Slack message events write a draft: a thread reply starting with `>>`.

Slack delivers such a reply in several shapes (Events API `message` event): a plain reply, one
also sent to the channel (`subtype: thread_broadcast`), one with files (`subtype: file_share`),
and an edit of an earlier reply (`subtype: message_changed`, the new message in `message`).
All of them mean the same to staff, so they all become a draft; messages by bots (our own
updates included), deletions and edits that do not change the text never do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DRAFT_PREFIX = ">>"
_NEW_MESSAGE = frozenset({None, "thread_broadcast", "file_share"})


@dataclass(frozen=True)
class ThreadDraft:
    """A `>>` reply in a thread: where, by whom, the draft text, and whether files came along."""

    channel: str
    thread_ts: str
    user: str
    text: str
    has_files: bool = False
    edited: bool = False


def thread_draft(event: dict[str, Any]) -> ThreadDraft | None:
    """The draft a `message` event carries, or None when it carries none."""
    subtype = event.get("subtype")
    edited = subtype == "message_changed"
    if edited:
        message = event.get("message")
        previous = event.get("previous_message") or {}
        if not isinstance(message, dict) or message.get("subtype") not in _NEW_MESSAGE:
            return None
        if (message.get("text") or "") == (previous.get("text") or ""):
            return None  # an unfurl, a reply count, a file removed: not a new draft
    elif subtype in _NEW_MESSAGE:
        message = event
    else:
        return None
    thread_ts, ts = message.get("thread_ts"), message.get("ts")
    if message.get("bot_id") or not thread_ts or thread_ts == ts:
        return None
    text = (message.get("text") or "").strip()
    channel = event.get("channel") or message.get("channel")
    if not text.startswith(DRAFT_PREFIX) or not channel:
        return None
    return ThreadDraft(
        channel=str(channel),
        thread_ts=str(thread_ts),
        user=str(message.get("user") or ""),
        text=text[len(DRAFT_PREFIX) :].strip(),
        has_files=bool(message.get("files")),
        edited=edited,
    )


@dataclass(frozen=True)
class PlainReply:
    """A person's new thread reply without `>>`: internal, and maybe unaware of `>>`."""

    channel: str
    thread_ts: str
    user: str


def plain_reply(event: dict[str, Any]) -> PlainReply | None:
    """The plain reply a `message` event carries: a new message by a person in a thread
    that does not start with `>>`; None for anything else (edits, bots, channel messages)."""
    if event.get("subtype") not in _NEW_MESSAGE or event.get("bot_id"):
        return None
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    channel, user = event.get("channel"), event.get("user")
    if not thread_ts or thread_ts == ts or not channel or not user:
        return None
    if (event.get("text") or "").strip().startswith(DRAFT_PREFIX):
        return None
    return PlainReply(str(channel), str(thread_ts), str(user))
