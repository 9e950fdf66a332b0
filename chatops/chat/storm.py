"""A storm's thread, decided once for every chat (issue 13 items 2, 3 and 5).

A storm (chatops/storm) is one item in chat, the way on-call tools turn an alert storm into one
incident: a live summary message in the department's channel (how many, how fast, where, in
which languages, what they write, how far it reaches, who has the most followers, how people
feel), updated in place, and a thread that names its members in batches. The summary calls the
channel once (`@here` when it is posted; editing it in place calls nobody again), and the
morning digest lists the storm as one line with its count.

Everything here is pure: figures from the storm's roster (`chatops.store.storms.Member`, what
was known of each member when it joined), lines as rich spans each chat marks up.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chatops.chat.actions import StormAction
from chatops.chat.backend import DigestItem
from chatops.chat.rich import (
    Emoji,
    Everyone,
    Faint,
    Line,
    Link,
    Span,
    Strong,
    Text,
    When,
    clip,
    joined,
    one_line,
    plain,
)
from chatops.chat.wording import platform_name
from chatops.domain import Case, State
from chatops.drafting import feeling_words
from chatops.store.storms import Member

RATE_WINDOW = timedelta(minutes=5)
"""The rate per minute is over this much of the latest time."""
TOP = 3
"""Texts and authors the summary names."""
FEELINGS = 5
"""Feeling words the summary names."""
SUMMARY_TEXT = 120
"""Characters of a top text in the summary."""
BATCH_TEXT = 140
"""Characters of a member's text in a batch line."""
BATCH_LINES = 100
"""Members one batch message names at most; the next batch goes on from there."""
SUMMARY_EVERY = 3.0
"""Seconds between two updates of one storm's summary, however many members join."""
BATCH_EVERY = 15.0
"""Seconds between two batches of one storm: a burst of members is one message, not dozens
(each costs one of the channel's ~1 message a second)."""

OWN_WORDS = {"sensitive": "needs care", "earlier": "before the storm"}
"""Why a member also has a thread of its own, as the summary says it."""


@dataclass(frozen=True)
class StormRef:
    """One storm of one department; `id` names it in chat outboxes and digests."""

    department: str
    group: str

    @property
    def id(self) -> str:
        return f"{self.department}:{self.group}"

    @classmethod
    def parse(cls, storm_id: str) -> StormRef | None:
        """The storm an outbox id names; None for a case id (cases are numbers)."""
        department, sep, group = storm_id.rpartition(":")
        return cls(department, group) if sep and department and group else None


def is_storm_id(case_id: str) -> bool:
    """Outboxes hold cases and storms side by side: a storm's id has a colon, a case's none."""
    return ":" in case_id


@dataclass(frozen=True)
class OwnThread:
    """A member that is also a case thread of its own: linked from the summary."""

    case_id: str
    why: str  # a key of OWN_WORDS


NO_STATEMENT = "write the storm's holding statement first (>> in its thread)"
NOT_APPROVER = "only approvers can publish a storm's holding statement to all"
OWN_STATEMENT = "someone other than the statement's writer must publish it to all (four eyes)"
RUNNING = "publishing to all is under way already"
STATEMENT_CHANGED = (
    "the holding statement changed since this message showed it: read it again, then publish"
)
STATEMENT_SET = "Holding statement saved: an approver publishes it to all."
PUBLISH_QUEUED = (
    "Publishing to all: every member still unanswered gets their reply at the platform's "
    "pace; the summary shows how far it came."
)
NO_STORM = "this button does not name a storm"


def over_repeat_limit(limit: int) -> str:
    """Why a member got no reply: every wording of the statement reached the daily limit."""
    return f"every wording of the statement went out {limit} times today"


@dataclass(frozen=True)
class Answering:
    """A storm's holding statement and its publish-to-all, as the summary shows them."""

    statement: str
    writer: str
    total: int
    """Members publish-to-all is for (those listed only, not those with threads of their own)."""
    answered: int = 0
    failed: int = 0
    by: str = ""
    """Who started publishing it ("": not started)."""
    running: bool = False


def answering_lines(a: Answering) -> tuple[Line, ...]:
    """ "Holding statement (anna): “…”" and "Publish to all (comms): 214 of 300 answered,
    3 failed: retry" once it started."""
    lines: list[Line] = [
        (
            Strong("Holding statement "),
            Text(f"({a.writer}): "),
            Faint(f"“{clip(one_line(a.statement), SUMMARY_TEXT)}”"),
        )
    ]
    if not a.by:
        lines.append((Faint("Not published yet: an approver publishes it to all."),))
        return tuple(lines)
    progress: list[Span] = [
        Strong("Publish to all "),
        Text(f"({a.by}): {a.answered:,} of {a.total:,} answered"),
    ]
    if a.failed:
        progress.append(Text(f", {a.failed:,} failed" + ("" if a.running else ": retry")))
    progress.append(Text(" · under way" if a.running else " · done"))
    lines.append(tuple(progress))
    return tuple(lines)


@dataclass(frozen=True)
class StormButton:
    """A button on the summary (chats mark it up): its label, the storm, and the statement
    its confirmation quotes."""

    action: StormAction
    label: str
    storm: str
    confirm: str
    quote: str

    @property
    def value(self) -> str:
        """The storm and a seal of the statement the button showed: a click publishes that
        statement or nothing (someone may have rewritten it since)."""
        return f"{self.storm}{SEAL_MARK}{statement_seal(self.quote)}"


SEAL_MARK = "|"


def statement_seal(text: str) -> str:
    """Identity of exactly the statement an approver saw."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sealed(value: str) -> tuple[StormRef | None, str]:
    """(storm, seal) from a button's value."""
    storm_id, _, seal = value.partition(SEAL_MARK)
    return StormRef.parse(storm_id), seal


def storm_buttons(storm: StormRef, a: Answering | None) -> tuple[StormButton, ...]:
    """ "Publish to all" once there is a statement and it was not published yet, "Retry
    failed" after a run that left some; nothing while one runs (or after all went out)."""
    if a is None or a.running:
        return ()
    if not a.by:
        label = "Publish to all"
    elif a.failed:
        label = "Retry failed"
    else:
        return ()
    waiting = max(0, a.total - a.answered)
    # The approver approves exactly this: the statement, and the brand's own holding template
    # (templates/) for members who wrote in another language.
    confirm = (
        f"Send a personal version of this statement to {waiting:,} members? Members who wrote "
        "in another language get the holding template of theirs instead."
    )
    return (StormButton(StormAction.PUBLISH_ALL, label, storm.id, confirm, a.statement),)


@dataclass(frozen=True)
class StatementEdit:
    """The summary's control for its holding statement: write it, or edit the current one
    (prefilled), besides `>>` in its thread."""

    storm: StormRef
    label: str
    text: str
    """The current statement ("" before there is one)."""


def statement_edit(storm: StormRef, a: Answering | None) -> StatementEdit:
    if a is None:
        return StatementEdit(storm, "Write statement", "")
    return StatementEdit(storm, "Edit statement", a.statement)


@dataclass(frozen=True)
class Summary:
    """What the summary message shows, computed from the roster."""

    storm: StormRef
    department: str
    """The department's name."""
    zone: str
    count: int
    people: int
    per_minute: float
    platforms: tuple[tuple[str, int], ...]
    languages: tuple[tuple[str, int], ...]
    texts: tuple[tuple[str, int], ...]
    """The most written texts (shortened) and how many wrote each."""
    reach: int
    """Followers of all its authors together (each author once)."""
    authors: tuple[tuple[str, int], ...]
    """The authors with the most followers."""
    feelings: tuple[tuple[str, int], ...]
    own: tuple[OwnThread, ...]
    since: datetime | None
    closed: bool
    answering: Answering | None = None
    """The holding statement and how far publishing it to all came (None: no statement)."""
    unsure: tuple[str, ...] = ()
    """Members (case ids) of batches a crash cut short (a chat that cannot read its own posts
    back, Teams): named here instead of in a batch that might be posted twice."""


_NOISE = re.compile(r"https?://\S+|(?<![\w@])@\w+|#\w+")


def _sameness(text: str) -> str:
    """What makes two texts "the same text" in the top list: no case, links, handles, tags,
    punctuation or spacing differences."""
    words = re.findall(r"\w+", _NOISE.sub(" ", text).casefold())
    return " ".join(words)


def _counted(counter: Counter[str], limit: int | None = None) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:limit])


def summarise(
    storm: StormRef,
    department: str,
    members: Sequence[Member],
    now: datetime,
    *,
    zone: str = "",
    closed: bool = False,
    answering: Answering | None = None,
) -> Summary:
    """The summary's figures from the storm's members (pure)."""
    cutoff = (now - RATE_WINDOW).timestamp()
    recent = sum(1 for m in members if m.at >= cutoff)
    first_at = min((m.at for m in members), default=None)
    span = RATE_WINDOW.total_seconds()
    if first_at is not None:
        span = min(span, max(60.0, now.timestamp() - first_at))
    texts: dict[str, tuple[str, int, float]] = {}
    followers: dict[str, tuple[str, int]] = {}
    feelings: Counter[str] = Counter()
    for m in members:
        same = _sameness(m.text) or m.text
        shown, n, at = texts.get(same, (m.text, 0, m.at))
        texts[same] = (shown, n + 1, at)
        who = m.author_id or m.author
        followers[who] = (m.author, max(m.followers or 0, followers.get(who, ("", 0))[1]))
        feelings.update(set(feeling_words(m.text)))
    top_texts = sorted(texts.values(), key=lambda t: (-t[1], t[2]))[:TOP]
    by_reach = sorted(followers.values(), key=lambda a: (-a[1], a[0]))
    return Summary(
        storm=storm,
        department=department,
        zone=zone,
        count=len(members),
        people=len(followers),
        per_minute=recent * 60.0 / span,
        platforms=_counted(Counter(platform_name(m.platform) for m in members)),
        languages=_counted(Counter(m.language or "?" for m in members)),
        texts=tuple((clip(one_line(text), SUMMARY_TEXT), n) for text, n, _ in top_texts),
        reach=sum(f for _, f in followers.values()),
        authors=tuple((name, f) for name, f in by_reach[:TOP] if f > 0),
        feelings=_counted(feelings, FEELINGS),
        own=tuple(OwnThread(m.case_id, m.own) for m in members if m.own),
        since=datetime.fromtimestamp(first_at, UTC) if first_at is not None else None,
        closed=closed,
        answering=answering,
    )


def _tally(pairs: Sequence[tuple[str, int]]) -> str:
    return " · ".join(f"{name} {n:,}" for name, n in pairs)


def summary_head(s: Summary) -> Line:
    """The summary's first line: the channel is called once, when it is posted."""
    mentions = f"{s.count:,} mention{'s' if s.count != 1 else ''}"
    people = f"{s.people:,} {'person' if s.people == 1 else 'people'}"
    if s.closed:
        return (
            Emoji("white_check_mark"),
            Text(" "),
            Strong(f"Storm in {s.department} is over: "),
            Text(f"{mentions} from {people}"),
        )
    return (
        Emoji("cyclone"),
        Text(" "),
        Everyone(),
        Text(" "),
        Strong(f"Storm in {s.department}: "),
        Text(f"{mentions} from {people} about the same thing"),
    )


def summary_lines(s: Summary, links: Mapping[str, str]) -> tuple[Line, ...]:
    """The figures, a line each, then the most written texts and the members that have a
    thread of their own (linked where `links`, case id -> thread URL, knows it)."""
    pace: list[Span] = [Text(f"{s.per_minute:.1f} a minute over the last 5 min")]
    if s.since is not None:
        pace += [Text(" · since "), When(s.since, s.zone)]
    lines: list[Line] = [tuple(pace)]
    lines.append((Strong("Platforms: "), Text(_tally(s.platforms))))
    lines.append((Strong("Languages: "), Text(_tally(s.languages))))
    reach: list[Span] = [Strong("Reach: "), Text(f"{s.reach:,} followers")]
    if s.authors:
        top = ", ".join(f"{name} ({f:,})" for name, f in s.authors)
        reach += [Text(" · most followed: "), Text(top)]
    lines.append(tuple(reach))
    if s.feelings:
        words = " · ".join(f"{word} ×{n}" for word, n in s.feelings)
        lines.append((Strong("Words: "), Text(words)))
    if s.texts:
        lines.append((Strong("Most written:"),))
        lines.extend((Text(f"×{n} "), Faint(f"“{text}”")) for text, n in s.texts)
    if s.own:
        lines.append(own_line(s.own, links))
    if s.unsure:
        numbers = ", ".join(f"#{case_id}" for case_id in s.unsure)
        lines.append((Strong("Also members: "), Faint(numbers)))
    if s.answering is not None:
        lines.extend(answering_lines(s.answering))
    lines.append(
        (Faint("Every member is listed in this thread in batches; each is a case of its own."),)
    )
    return tuple(lines)


def positions(members: Sequence[Member], ranges: str) -> tuple[str, ...]:
    """The case ids of the members at the roster positions `ranges` names
    (`<from>:<to>,…`, from inclusive, to exclusive, 0-based), each once, in order."""
    found: dict[str, None] = {}
    for part in ranges.split(","):
        start, _, end = part.partition(":")
        if start.isdigit() and end.isdigit():
            found.update(dict.fromkeys(m.case_id for m in members[int(start) : int(end)]))
    return tuple(found)


def own_line(own: Sequence[OwnThread], links: Mapping[str, str]) -> Line:
    """ "In their own threads: #1001 (before the storm) · #1042 (needs care)", linked."""
    parts: list[Line] = []
    for o in own:
        label = f"#{o.case_id}"
        url = links.get(o.case_id)
        number: Span = Link(url, label) if url else Strong(label)
        parts.append((number, Text(f" ({OWN_WORDS.get(o.why, o.why)})")))
    return (Strong("In their own threads: "), *joined(parts))


def summary_text(s: Summary) -> str:
    """The notification (and fallback) text of the summary."""
    return plain(summary_head(s))


@dataclass(frozen=True)
class Batch:
    """One thread message naming the members from `first` (1-based) on."""

    storm: StormRef
    first: int
    head: Line
    lines: tuple[Line, ...]

    @property
    def last(self) -> int:
        return self.first + len(self.lines) - 1

    @property
    def notification(self) -> str:
        return plain(self.head)


def batch(
    storm: StormRef,
    members: Sequence[Member],
    start: int,
    links: Mapping[str, str],
    limit: int = BATCH_LINES,
) -> Batch | None:
    """The next batch: the members from position `start` (0-based) on, at most `limit` (a
    chat whose message cannot hold that many asks for fewer: the rest are the next batch's);
    None when there is nobody new. A member with a thread of its own says so, linked."""
    new = list(members[start : start + max(1, limit)])
    if not new:
        return None
    lines = []
    for m in new:
        url = links.get(m.case_id)
        number: Span = Link(url, f"#{m.case_id}") if url else Strong(f"#{m.case_id}")
        line: list[Span] = [
            number,
            Text(f" {m.author} ({platform_name(m.platform)}): "),
            Faint(clip(one_line(m.text), BATCH_TEXT) or "(no text)"),
        ]
        if m.own:
            line.append(Text(f" · own thread ({OWN_WORDS.get(m.own, m.own)})"))
        lines.append(tuple(line))
    first, last = start + 1, start + len(new)
    head: Line = (
        Emoji("heavy_plus_sign"),
        Text(" "),
        Strong(f"{len(new)} more"),
        Text(f" (members {first:,}–{last:,})" if last > first else f" (member {first:,})"),
    )
    return Batch(storm, first, head, tuple(lines))


def apart(cases: Sequence[Case]) -> tuple[list[Case], dict[str, int]]:
    """The cases a listing names one by one, and how many members wait in each storm (by
    storm id): a list of open cases names a storm once, not its hundreds of members."""
    single: list[Case] = []
    storms: Counter[str] = Counter()
    for case in cases:
        if case.state is State.STORM and case.storm:
            storms[case.storm] += 1
        else:
            single.append(case)
    return single, dict(storms)


def listing_line(storm_id: str, waiting: int) -> Line:
    """A storm in a list of open cases: "🌀 Storm social:3 · 214 members wait in its thread"."""
    who = f"{waiting:,} member{' waits' if waiting == 1 else 's wait'}"
    return (
        Emoji("cyclone"),
        Text(" "),
        Strong(f"Storm {storm_id}"),
        Text(f" · {who} in its thread"),
    )


def digest_item(storm: StormRef, members: Sequence[Case], now: datetime, top: str) -> DigestItem:
    """One digest line for a storm's waiting members, whatever their number (`top`: its most
    written text). The storm's id is the line's link target: chats find its summary there."""
    oldest = min(c.opened_at for c in members)
    count = len(members)
    return DigestItem(
        storm.id,
        "Storm",
        now - oldest,
        None,
        "storm",
        f"{count:,} member{'s' if count != 1 else ''} waiting · “{clip(one_line(top), 80)}”",
        storm=count,
    )
