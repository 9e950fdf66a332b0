"""What every inbound mention goes through once, right after its adapter parsed it.

Webhooks, polls and replays all call `sanitise`, so nothing downstream meets:

- **text longer than the platform allows**: it is cut at the platform's own maximum and ends with
  a visible note, so staff know the rest exists and every later step (classification, storage,
  chat) handles a bounded text. A body can be a megabyte; no platform comment is.
- **a time no platform can have sent**: before 2000, more than a day ahead of when we received
  it, or with an offset that cannot be converted to UTC (year 1 at -05:00 overflowed the scan):
  such a `created_at` becomes the receive time, which is what SLAs then count from.
- **control characters**: terminal escape sequences and C0/C1 controls other than newline and
  tab are dropped from the text and from the author's name and handle, line ends become `\\n`,
  and text is in NFC. Bidi controls are also dropped from names and handles, where they only
  serve to disguise one.

The text is otherwise kept as the customer wrote it: checks look at their own matching form
(`chatops.classify.normalise`), display and storage keep the original.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from adapters.base import text_max as platform_text_max
from chatops.domain import Author, Kind, Mention

DEFAULT_TEXT_MAX = 25_000
"""For a platform with no module (a replayed backlog of one removed since): the longest any of
them allows."""

NAME_MAX = 200
"""Display names and handles are short on every platform; longer is junk."""

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
MAX_AHEAD = timedelta(days=1)

ESCAPE_SEQUENCES = re.compile(
    r"(?:\x1b\[|\x9b)[\x20-\x3f]*[\x40-\x7e]?"  # CSI: cursor, colours, screen clear
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS…
    r"|\x1b[\x20-\x2f]*[\x30-\x7e]?"  # any other escape sequence (ESC c resets a terminal)
)
"""Terminal escape sequences, 7- and 8-bit, terminated or not: never part of what people write."""
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_NAME_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LINE_ENDS = re.compile("\r\n?|[\u2028\u2029\x85]")


def sanitise(mentions: Iterable[Mention], received_at: datetime) -> list[Mention]:
    """Each mention with its text capped and cleaned and its time within a sane range."""
    return [sanitise_one(m, received_at) for m in mentions]


def sanitise_one(mention: Mention, received_at: datetime) -> Mention:
    update: dict[str, object] = {}
    limit = text_max(mention.platform, mention.kind is Kind.DM)
    text = cap(clean_text(mention.text), limit)
    if text != mention.text:
        update["text"] = text
    created = sane_time(mention.created_at, received_at)
    if created != mention.created_at:
        update["created_at"] = created
    author = _clean_author(mention.author)
    if author is not mention.author:
        update["author"] = author
    return mention.model_copy(update=update) if update else mention


def text_max(platform: str, private: bool) -> int:
    """The platform's own maximum for a customer's text (its module's `TEXT_MAX`)."""
    limit = platform_text_max(platform, private)
    return DEFAULT_TEXT_MAX if limit is None else limit


def clean_text(text: str) -> str:
    """NFC, `\\n` line ends, no escape sequences or control characters but newline and tab."""
    text = _LINE_ENDS.sub("\n", text)
    text = _CONTROLS.sub("", ESCAPE_SEQUENCES.sub("", text))
    return unicodedata.normalize("NFC", text)


def cap(text: str, limit: int) -> str:
    """`text`, or its first `limit` characters and a note saying how much was cut.

    The cut never separates a letter from its accents.
    """
    if len(text) <= limit:
        return text
    end = limit
    while end > 0 and unicodedata.combining(text[end]):
        end -= 1
    return f"{text[:end]} … [cut: {len(text) - end:,} characters more]"


def sane_time(created: datetime, received_at: datetime) -> datetime:
    """`created` in UTC, or `received_at` when it is before 2000, more than a day ahead of it,
    or cannot be expressed in UTC at all."""
    received = _utc(received_at) or datetime.now(UTC)
    when = _utc(created)
    if when is None or when < EARLIEST or when > received + MAX_AHEAD:
        return received
    return when


def _utc(moment: datetime) -> datetime | None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _clean_author(author: Author) -> Author:
    name = _clean_name(author.name)
    handle = _clean_name(author.handle)
    if name == author.name and handle == author.handle:
        return author
    return author.model_copy(update={"name": name, "handle": handle})


def _clean_name(value: str) -> str:
    value = _NAME_CONTROLS.sub("", ESCAPE_SEQUENCES.sub("", unicodedata.normalize("NFC", value)))
    value = " ".join(value.split())
    return value[:NAME_MAX]
