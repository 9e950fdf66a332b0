"""What a case event says in a thread reply, in the markup of a backend not yet ported.

The sentences are `chatops.chat.wording`'s (the only source of them); this old interface
renders them with a backend's `Style` callbacks until Slack and Teams mark up the rich
spans themselves, and re-exports the word tables they still import from here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chatops.chat import CaseEvent, CaseView, Department
from chatops.chat.rich import (
    Code,
    Emoji,
    Everyone,
    Faint,
    Line,
    Link,
    Person,
    Place,
    Span,
    Strong,
    Text,
    When,
    audience,
    aware,
    clip,
    one_line,
    plain_span,
)
from chatops.chat.wording import (
    DISMISS_WORDS,
    KIND_WORDS,
    author_plain,
    dismiss_words,
    platform_name,
    reason_words,
    shown_flags,
)
from chatops.chat.wording import event_sentence as _said
from chatops.domain import Case, Change, Mention

__all__ = [
    "DISMISS_WORDS",
    "KIND_WORDS",
    "Style",
    "author_label",
    "author_plain",
    "aware",
    "clip",
    "dismiss_words",
    "event_sentence",
    "mention_marks",
    "one_line",
    "platform_name",
    "reason_words",
    "shown_flags",
]


@dataclass(frozen=True)
class Style:
    """How one chat marks up the shared sentences."""

    escape: Callable[[str], str]
    """Short text (names, reasons) shown literally."""
    line: Callable[[str], str]
    """A free-text line from an event (notes, failure details), shown literally."""
    bold: Callable[[str], str]
    emoji: Callable[[str], str]
    """By Slack short name (`inbox_tray`)."""
    person: Callable[[str], str]
    """An actor or notify id: a mention where the chat can, plain text otherwise."""
    author: Callable[[Mention], str]
    """The customer who wrote a mention."""
    quote: Callable[[str], str]
    """Customer or reviewer text as a block quote."""
    link: Callable[[str | None, str], str]
    """A link for http(s) URLs, "" for anything else."""
    place: Callable[[Department], str]
    """Where a rerouted case went."""
    para: str
    """What separates a sentence from the quote under it."""
    no_text: str
    """What to quote for a mention without text ("" when `quote` handles that itself)."""


def event_sentence(view: CaseView, event: CaseEvent, style: Style) -> str:
    """The thread reply for one event, as `chatops.chat.wording` says it, in `style`."""
    sentence = _said(view, event)
    line: Line = sentence.line
    tail: Line = ()
    if sentence.quote is not None and event.notify:
        cut = len(line) - 1 - len(audience(event.notify))  # " → " and the audience
        line, tail = line[:cut], line[cut:]
    text = "".join(_mark(span, style) for span in line)
    if sentence.quote is not None:
        text += f"{style.para}{style.quote(sentence.quote or style.no_text)}"
    return text + "".join(_mark(span, style) for span in tail)


def _mark(span: Span, s: Style) -> str:
    match span:
        case Text(text) | Faint(text) | Code(text):
            return s.escape(text)
        case Strong(text):
            return s.bold(s.escape(text))
        case Emoji(name):
            return s.emoji(name)
        case Person(who):
            return s.person(who)
        case Everyone():
            return s.person("here")
        case Link(url, label):
            return s.link(url, label)
        case Place(channel, name):
            return s.place(Department(id="", name=name, channel=channel))
        case When():
            return s.escape(plain_span(span))
    raise TypeError(f"not a span: {span!r}")


def author_label(m: Mention, *, escape: Callable[[str], str], bold: Callable[[str], str]) -> str:
    """The author as "**Name** (@handle)", in the chat's own markup."""
    a = m.author
    name = bold(escape(clip(one_line(a.name), 100))) if a.name.strip() else ""
    handle = f"@{escape(clip(a.handle, 60))}" if a.handle else ""
    if name and handle:
        return f"{name} ({handle})"
    return name or handle or escape(a.id)


def mention_marks(m: Mention, case: Case, *, answered: bool = True) -> str:
    """Edited, removed on the platform, answered: what staff should notice about a comment."""
    marks = []
    if m.change is Change.EDITED:
        marks.append("_(edited)_")
    if m.change is Change.REMOVED:
        marks.append("_(removed on the platform)_")
    if answered and m.key in case.answered_keys:
        marks.append("✓ answered")
    return " ".join(marks)
