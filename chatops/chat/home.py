"""A home for each person (issue 12): what is theirs to do now, in one place.

Slack's App Home tab, the Teams personal chat with the bot and the console's `home` show the
same model: the cases waiting for their approval (approvers only, never a draft they wrote or
asked for: four eyes), the cases they own, the unclaimed cases of their departments with their
age and when the first answer is due, and today's figures. Every item links to its thread and
carries its main controls, with the action ids of the case message, so the listeners and the
scope check that handle a click on a case handle it here too.

`gather` reads the store through its public methods and the workflow's questions; `home_view`
(pure) decides the sections, words, links and controls each chat marks up; `build_home` does both
for a chat, which says whose channels a person is in and where each case's thread is.
`concerned` says whose Home a change of a case may alter, for a chat that shows Homes again
on a change (Slack's App Home).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Protocol

import redis.asyncio as aioredis

from chatops.chat.actions import Action
from chatops.chat.backend import CaseEvent, CaseView, Department, EventKind
from chatops.chat.present import STATE_WORDS, Entry, age, case_controls
from chatops.chat.rich import Emoji, Faint, Line, Link, Strong, Text, When, aware, clip, joined
from chatops.config import Config
from chatops.domain import OPEN_STATES, Case, State
from chatops.redis_text import maybe_text
from chatops.store import Cases, Indexes, Store
from chatops.workflow.transitions import authors, fingerprint

if TYPE_CHECKING:
    from chatops.workflow.service import Workflow

SHOWN = 20
"""Cases a section of the model holds (each is read with its mentions); the rest are counted."""

MAIN: Mapping[str, frozenset[Action]] = {
    "approvals": frozenset({Action.APPROVE, Action.REJECT}),
    "mine": frozenset({Action.EDIT, Action.PUBLISH, Action.CONFIRM_SENT, Action.CONFIRM_NOT_SENT}),
    "unclaimed": frozenset({Action.CLAIM}),
}
"""The controls an item of each section offers: the case message's own, the main ones."""

SUMMARY_CHARS = 80
"""Characters of the first comment in an item's summary (as the digest shows it)."""


@dataclass(frozen=True)
class Item:
    """One case as a Home lists it."""

    view: CaseView
    summary: str  # who wrote first and the start of what they wrote
    age: timedelta  # since the case (re)opened
    due: datetime | None  # when the first answer is due; None once answered
    overdue: bool


@dataclass(frozen=True)
class Figures:
    """Today's figures of the person's departments (every department for an approver)."""

    new: int  # cases opened since midnight
    answered: int  # cases first answered since midnight
    open: int  # open now
    overdue: int  # open and past their first-answer time now


@dataclass(frozen=True)
class Home:
    """What is the person's to do now; each list holds at most `SHOWN`, its total beside it."""

    person: str
    approver: bool
    departments: tuple[Department, ...]
    approvals: tuple[Item, ...]
    approvals_total: int
    mine: tuple[Item, ...]
    mine_total: int
    unclaimed: tuple[Item, ...]
    unclaimed_total: int
    figures: Figures
    now: datetime
    zone: str = ""  # the IANA zone "today" is counted in, where a reader's own is unknown

    @property
    def case_ids(self) -> list[str]:
        return [i.view.case.id for i in (*self.approvals, *self.mine, *self.unclaimed)]


# -- gathering --------------------------------------------------------------------------------


def first_line(view: CaseView) -> str:
    """The digest's summary of a case: its first author and the start of their comment."""
    if not view.mentions:
        return ""
    first = view.mentions[0]
    return f"{first.author.display}: {' '.join(first.text.split())[:SUMMARY_CHARS]}"


def awaiting_me(case: Case, person: str, approver: bool) -> bool:
    """An approval this person may give: they approve, and did not write or ask for it."""
    return approver and case.state is State.AWAITING_APPROVAL and person not in authors(case)


async def gather(
    wf: Workflow,
    cases: Cases,
    indexes: Indexes,
    *,
    person: str,
    departments: Sequence[Department],
    every: Sequence[Department],
    approver: bool,
    now: datetime,
    tz: tzinfo,
) -> Home:
    """The Home of `person`, a member of `departments` (the chat decides whose channels they
    are in; none is none shown), among `every` department."""
    mine_ids = await indexes.owned(person)
    approval_ids: list[str] = []
    if approver:
        for dept in every:
            approval_ids += await indexes.case_ids(dept.id, [State.AWAITING_APPROVAL])
    watched = list(every) if approver else list(departments)
    open_ids: list[str] = []
    for dept in watched:
        open_ids += await indexes.case_ids(dept.id, OPEN_STATES)
    members = {d.id for d in departments}
    wanted = sorted({*mine_ids, *approval_ids, *open_ids}, key=int)
    loaded = {c.id: c for c in await cases.get_many(wanted)}

    asked = set(approval_ids)
    approvals = _oldest(
        c for c in loaded.values() if c.id in asked and awaiting_me(c, person, approver)
    )
    waiting = {c.id for c in approvals}
    mine = _oldest(
        c for c in loaded.values() if c.owner == person and c.is_open and c.id not in waiting
    )
    unclaimed = _oldest(
        c
        for c in loaded.values()
        if c.department in members and c.state is State.NEW and not c.owner
    )
    watched_ids = {d.id for d in watched}
    in_watch = [c for c in loaded.values() if c.department in watched_ids and c.is_open]
    overdue = sum(1 for c in in_watch if _past(wf.answer_due(c), now))
    midnight = now.astimezone(tz).replace(hour=0, minute=0, second=0, microsecond=0)
    new, answered = await indexes.tallies(watched_ids, midnight, now)

    async def items(found: list[Case]) -> tuple[Item, ...]:
        out = []
        for case in found[:SHOWN]:
            view = await wf.view(case)
            due = wf.answer_due(case)
            out.append(Item(view, first_line(view), now - case.opened_at, due, _past(due, now)))
        return tuple(out)

    return Home(
        person=person,
        approver=approver,
        departments=tuple(departments),
        approvals=await items(approvals),
        approvals_total=len(approvals),
        mine=await items(mine),
        mine_total=len(mine),
        unclaimed=await items(unclaimed),
        unclaimed_total=len(unclaimed),
        figures=Figures(new, answered, len(in_watch), overdue),
        now=now,
        zone=str(getattr(tz, "key", "") or ""),
    )


def _oldest(found: Iterable[Case]) -> list[Case]:
    return sorted(found, key=lambda c: (c.opened_at, int(c.id)))


def _past(due: datetime | None, now: datetime) -> bool:
    return due is not None and aware(due) < aware(now)


# -- the view every chat marks up ---------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """A list of the Home: its heading, an entry per case held, and how many there are."""

    kind: str  # "approvals", "mine" or "unclaimed": which controls its entries offer
    head: Line
    entries: tuple[Entry, ...]
    total: int  # cases in the section, entries or not
    empty: str  # what it says when there are none

    def more(self, shown: int) -> Line:
        """What stands for the cases a chat did not list: how many, and where they are."""
        return (Faint(f"…and {self.total - shown} more: each is in its department's channel."),)


@dataclass(frozen=True)
class HomeView:
    """The Home as lines and sections (approvals only for approvers); `seen` is the
    fingerprint of the draft each listed case shows, so a send acts only on that draft."""

    title: str
    figures: Line
    sections: tuple[Section, ...]
    seen: Mapping[str, str]


TITLE = "Your cases"
ONLY_YOURS = "your cases are shown only to you: write `my cases` in a personal chat with chatops."
"""What a chat says when someone asks for their Home where others would see it."""


def figures_line(figures: Figures, now: When | None = None) -> Line:
    """Today's figures, and when they were counted (a Home is shown again on a change, not
    as time passes)."""
    overdue: Line = (Text(f"{figures.overdue} overdue"),)
    if figures.overdue:
        overdue = (Emoji("alarm_clock"), Text(" "), Strong(f"{figures.overdue} overdue"))
    return joined(
        [
            (Strong("Today:"), Text(f" {figures.new} new")),
            (Text(f"{figures.answered} answered"),),
            (Text(f"{figures.open} open now"),),
            overdue,
            (Faint("as of "), now) if now is not None else (),
        ]
    )


def home_view(home: Home, links: Mapping[str, str]) -> HomeView:
    """What the Home shows; `links` maps case ids to their thread's URL (a chat's own)."""
    sections: list[Section] = []
    if home.approver:
        head: Line = (
            Emoji("hourglass_flowing_sand"),
            Text(" "),
            Strong("Waiting for your approval"),
        )
        sections.append(
            _section(
                "approvals",
                head,
                home.approvals,
                home.approvals_total,
                links,
                "Nothing waits for your approval.",
            )
        )
    head = (Emoji("raising_hand"), Text(" "), Strong("Your cases"))
    sections.append(
        _section("mine", head, home.mine, home.mine_total, links, "You own no open case.")
    )
    if home.departments:
        names = clip(", ".join(d.name for d in home.departments), 120)
        head, empty = (
            (Emoji("new"), Text(" "), Strong(f"Unclaimed in {names}")),
            "Nothing unclaimed.",
        )
    else:
        head = (Emoji("new"), Text(" "), Strong("Unclaimed"))
        empty = "You are in no department's channel, so no unclaimed cases are listed."
    sections.append(_section("unclaimed", head, home.unclaimed, home.unclaimed_total, links, empty))
    listed = (*home.approvals, *home.mine, *home.unclaimed)
    return HomeView(
        TITLE,
        figures_line(home.figures, When(home.now, home.zone)),
        tuple(sections),
        {i.view.case.id: fingerprint(i.view.case) for i in listed},
    )


def _section(
    kind: str,
    head: Line,
    items: Sequence[Item],
    total: int,
    links: Mapping[str, str],
    empty: str,
) -> Section:
    entries = tuple(_entry(kind, item, links) for item in items)
    return Section(kind, (*head, Text(f" ({total})")), entries, total, empty)


def _entry(kind: str, item: Item, links: Mapping[str, str]) -> Entry:
    """Number, department, age, due time (overdue marked), state, and its thread; the
    summary beneath; the section's main controls."""
    c = item.view.case
    parts: list[Line] = [
        (Strong(c.number),),
        (Text(item.view.department.name),),
        (Text(f"waiting {age(item.age)}"),),
    ]
    if item.due is not None:
        due: Line = (Text("due "), When(item.due, item.view.department.zone))
        if item.overdue:
            due += (Text(" "), Strong("(overdue)"))
        parts.append(due)
    if kind != "unclaimed":
        emoji, words = STATE_WORDS[c.state]
        parts.append((Emoji(emoji), Text(f" {words}")))
    url = links.get(c.id)
    if url:
        parts.append((Link(url, "open thread"),))
    controls = tuple(ctl for ctl in case_controls(item.view) if ctl.action in MAIN[kind])
    return Entry(c.id, joined(parts), clip(item.summary, 200), controls)


# -- a chat's Home ------------------------------------------------------------------------------


class Sources(Protocol):
    """What a Home is read from: the process's runtime (chatops.runtime.Runtime)."""

    @property
    def wf(self) -> Workflow: ...

    @property
    def store(self) -> Store: ...

    @property
    def config(self) -> Config: ...

    @property
    def clock(self) -> Callable[[], datetime]: ...


async def build_home(
    rt: Sources,
    person: str,
    *,
    approver: bool,
    chat: str | None = None,
    members: Callable[[str], Awaitable[frozenset[str]]] | None = None,
    links: Callable[[list[str]], Awaitable[Mapping[str, str]]] | None = None,
) -> HomeView:
    """`person`'s Home over the departments shown in `chat` (None: every department). The
    chat says who is in a department's channel (`members`; None: whoever reads works for
    every department shown, as at the console) and where each case's thread is (`links`)."""
    config = rt.config
    every = [
        rt.wf.department(d.id)
        for d in config.departments
        if chat is None or config.chat_of(d.id) == chat
    ]
    mine = every if members is None else [d for d in every if person in await members(d.channel)]
    home = await gather(
        rt.wf,
        rt.store.cases,
        rt.store.indexes,
        person=person,
        departments=mine,
        every=every,
        approver=approver,
        now=rt.clock(),
        tz=config.zone,
    )
    return home_view(home, await links(home.case_ids) if links else {})


MEMBERS_CACHE_S = 300
"""How long a channel's member list is trusted (joins and leaves show after this at most)."""


async def channel_members(
    redis: aioredis.Redis, key: str, fetch: Callable[[], Awaitable[list[str] | None]]
) -> frozenset[str]:
    """Who is in a department's channel, as the chat says (`fetch`), cached under `key` for
    `MEMBERS_CACHE_S`. When the chat does not say (`fetch` gives None), nobody is: a Home then
    lists no unclaimed cases and a click from it on someone else's case is refused (fail
    closed), and that is not cached."""
    cached = maybe_text(await redis.get(key))
    if cached is not None:
        return frozenset(json.loads(cached))
    found = await fetch()
    if found is None:
        return frozenset()
    await redis.set(key, json.dumps(found), ex=MEMBERS_CACHE_S)
    return frozenset(found)


# -- whose Home a change alters -----------------------------------------------------------------

APPROVAL_EVENTS = frozenset(
    {
        EventKind.APPROVAL_REQUESTED,
        EventKind.APPROVED,
        EventKind.REJECTED,
        EventKind.APPROVAL_WITHDRAWN,
        EventKind.REROUTED,
    }
)
"""Events by which a case enters or leaves the approvers' lists."""
UNCLAIMED_EVENTS = frozenset(
    {
        EventKind.CREATED,
        EventKind.CLAIMED,
        EventKind.UNCLAIMED,
        EventKind.REROUTED,
        EventKind.DISMISSED,
        EventKind.REOPENED,
        EventKind.PUBLISHED,
    }
)
"""Events that change a department's unclaimed list or today's figures."""

APPROVERS = "approvers"
"""`concerned`: every approver."""
DEPARTMENT = "dept:"
"""`concerned`: `dept:<id>`, every member of the department's channel."""


def concerned(view: CaseView, event: CaseEvent) -> set[str]:
    """The people (and `dept:<id>`, `approvers`) whose Home a change of the case may alter."""
    case = view.case
    found = {p for p in (case.owner, event.previous_owner, event.actor) if p}
    if case.state is State.AWAITING_APPROVAL or event.kind in APPROVAL_EVENTS:
        found.add(APPROVERS)
    if event.kind in UNCLAIMED_EVENTS:
        found.add(DEPARTMENT + case.department)
        if event.previous_department is not None:
            found.add(DEPARTMENT + event.previous_department.id)
    return found
