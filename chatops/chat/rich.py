"""Chat-neutral rich text: what a line says, as data, for every chat to mark up.

A `Line` is a tuple of spans. The chat-neutral layer (`wording`, `present`) decides the words,
who is named and what is linked; Slack, Teams and the console only turn each span into their
markup (`*bold*` or `**bold**`, `<@U1>` or `<at>`, `:memo:` or 📝) and escape literal text their
own way. No span ever carries markup, so customers' text can never become any.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Text:
    """Literal text, shown as written (each chat escapes it)."""

    text: str


@dataclass(frozen=True, slots=True)
class Strong:
    """Literal text, emphasised."""

    text: str


@dataclass(frozen=True, slots=True)
class Faint:
    """Literal text, de-emphasised: "(edited)", "unclaimed", "…and 3 more"."""

    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """A command or setting name: `/chatops`, `approval.approvers`."""

    text: str


@dataclass(frozen=True, slots=True)
class Emoji:
    """By Slack short name (`inbox_tray`); `EMOJI` holds the Unicode for the other chats."""

    name: str


@dataclass(frozen=True, slots=True)
class Person:
    """An actor or a person to notify, by the chat's own id (or a plain name from the console).

    `notify=False` names someone without calling them (a draft's author, its approver) where the
    chat can tell the two apart."""

    id: str
    notify: bool = True


@dataclass(frozen=True, slots=True)
class Everyone:
    """The audience "the department": everyone in its channel (`@here`, `@channel`)."""


@dataclass(frozen=True, slots=True)
class Link:
    """A link; each chat shows only http(s) URLs and drops anything else."""

    url: str
    label: str


@dataclass(frozen=True, slots=True)
class When:
    """A moment. Slack's date tokens and Teams cards' DATE/TIME show it in each reader's own
    time zone; where the reader's zone is unknown (the console, plain text, a notification,
    a Slack fallback, a Teams text message) it is shown in `zone`: the department's."""

    at: datetime
    zone: str = ""
    """IANA name, e.g. `Europe/Stockholm` (`Department.zone`); "" shows `at` in its own zone."""

    @property
    def local(self) -> datetime:
        """`at` in `zone`, as shown where the reader's own zone is unknown."""
        at = aware(self.at)
        return at.astimezone(ZoneInfo(self.zone)) if self.zone else at


@dataclass(frozen=True, slots=True)
class Place:
    """A department's channel, named: where a case went."""

    channel: str
    name: str


Span = Text | Strong | Faint | Code | Emoji | Person | Everyone | Link | When | Place
Line = tuple[Span, ...]

EVERYONE = ("here", "channel")
"""How configuration and escalation tiers name the audience "the department"."""


def audience(ids: Iterable[str]) -> Line:
    """People and groups to notify, "here"/"channel" as `Everyone`, separated by spaces."""
    spans: list[Span] = []
    for who in ids:
        if spans:
            spans.append(Text(" "))
        spans.append(Everyone() if who in EVERYONE else Person(who))
    return tuple(spans)


def joined(parts: Iterable[Line], sep: str = " · ") -> Line:
    """The non-empty `parts` with `sep` between them."""
    out: list[Span] = []
    for part in parts:
        if not part:
            continue
        if out:
            out.append(Text(sep))
        out.extend(part)
    return tuple(out)


def render(line: Line, mark: Callable[[Span], str]) -> str:
    """`line` as one chat's markup, `mark` turning each span into a string (a `Markup`)."""
    return "".join(mark(span) for span in line)


@dataclass(frozen=True)
class Markup:
    """How one chat writes each kind of span: a table, so that every chat walks a line the same
    way and differs only in its entries."""

    escape: Callable[[str], str]
    """Literal text shown as written."""
    strong: str
    """The mark around emphasised words: `*`, `**` ("" for none)."""
    faint: str
    code: str
    emoji: Callable[[str], str]
    person: Callable[[Person], str]
    everyone: str
    link: Callable[[str, str], str]
    """(url, label): "" for anything but http(s)."""
    when: Callable[[datetime], str]
    """The moment, already in the zone to show it in when the chat cannot localise it."""
    place: Callable[[str, str], str]
    """(channel, name)."""

    def __call__(self, span: Span) -> str:
        match span:
            case Text(text):
                return self.escape(text)
            case Strong(text):
                return around(text, self.strong, self.escape)
            case Faint(text):
                return around(text, self.faint, self.escape)
            case Code(text):
                return around(text, self.code, self.escape)
            case Emoji(name):
                return self.emoji(name)
            case Person():
                return self.person(span)
            case Everyone():
                return self.everyone
            case Link(url, label):
                return self.link(url, label)
            case When():
                return self.when(span.local)
            case Place(channel, name):
                return self.place(channel, name)
        raise TypeError(f"not a span: {span!r}")


def _unicode(name: str) -> str:
    return EMOJI.get(name, "")


def when_text(at: datetime) -> str:
    """A moment as text, in its own zone: `2026-11-23 10:30 CET`."""
    at = aware(at)
    return f"{at:%Y-%m-%d %H:%M} {at.tzname() or 'UTC'}"


PLAIN = Markup(
    escape=str,
    strong="",
    faint="",
    code="",
    emoji=_unicode,
    person=lambda person: person.id,
    everyone="@here",
    link=lambda url, label: label,
    when=when_text,
    place=lambda channel, name: name,
)
"""Plain text, for notification lines, previews and terminals."""


def plain_span(span: Span) -> str:
    return PLAIN(span)


def plain(line: Line) -> str:
    return render(line, PLAIN)


def around(text: str, mark: str, escape: Callable[[str], str]) -> str:
    """`text` escaped between two `mark`s (`*`, `**`, `_`) with its outer spaces outside them:
    Slack's mrkdwn and Markdown ignore a mark next to a space."""
    words = text.strip()
    if not words or not mark:
        return escape(text)
    start = text.index(words)
    return f"{text[:start]}{mark}{escape(words)}{mark}{text[start + len(words) :]}"


def clip(text: str, limit: int) -> str:
    """Raw text cut to `limit` characters, marked with … so nobody trusts it whole; clip
    before escaping, never after."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def one_line(text: str) -> str:
    return " ".join(text.split())


def aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


EMOJI = {
    "alarm_clock": "⏰",
    "arrows_counterclockwise": "🔄",
    "ballot_box_with_check": "☑️",
    "bulb": "💡",
    "card_index_dividers": "🗂️",
    "dart": "🎯",
    "cyclone": "🌀",
    "eyes": "👀",
    "grey_exclamation": "❕",
    "heavy_plus_sign": "➕",
    "hourglass": "⏳",
    "hourglass_flowing_sand": "⏳",
    "inbox_tray": "📥",
    "information_source": "ℹ️",
    "leftwards_arrow_with_hook": "↩️",
    "lock": "🔒",
    "loudspeaker": "📢",
    "memo": "📝",
    "new": "🆕",
    "no_entry": "⛔",
    "no_entry_sign": "🚫",
    "outbox_tray": "📤",
    "page_facing_up": "📄",
    "pencil2": "✏️",
    "raising_hand": "🙋",
    "robot_face": "🤖",
    "rotating_light": "🚨",
    "speech_balloon": "🗨️",
    "triangular_flag_on_post": "🚩",
    "twisted_rightwards_arrows": "🔀",
    "warning": "⚠️",
    "wastebasket": "🗑️",
    "wave": "👋",
    "white_check_mark": "✅",
    "x": "❌",
    "zzz": "💤",
}
"""Unicode for every emoji name the chat-neutral layer uses (a test checks none is missing)."""
