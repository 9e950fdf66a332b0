"""Each person's Home in Teams (issue 12): `chatops.chat.home` as an Adaptive Card, which the
personal chat with the bot answers `my cases` (and `cases`) with, and every click on it with
again, brought up to date.

Its buttons are the case card's `Action.Execute` verbs with `source: home` and the fingerprint
of the draft shown (`seen`), so the bot runs them as it runs a case card's. Edit and Send back
need a text box each, and a card holding many of them would repeat input ids (which Teams
mobile does not render): those are on the case's own card, one "open thread" away.

Whose Home lists a department's unclaimed cases is Teams' answer: the roster of the team of the
department's channel (the Bot Connector's paged members), cached briefly; when Teams does not
answer, nobody is a member (fail closed).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chatops import keys
from chatops.chat.actions import Action
from chatops.chat.home import HomeView, build_home, channel_members
from chatops.chat.present import Button, Control, Entry
from chatops.teams.cards import alert
from chatops.teams.clicks import SEEN
from chatops.teams.markup import (
    People,
    action_set,
    button,
    card,
    escape,
    fits,
    option_buttons,
    show_card,
    text_block,
)

if TYPE_CHECKING:
    from chatops.teams.backend import TeamsBackend

log = logging.getLogger(__name__)

SOURCE = "home"
"""`data.source` of the Home's buttons: a click on it is answered with the Home."""
CARD_ONLY = frozenset({Action.EDIT, Action.REJECT})
"""Controls that need a text box: offered on the case's own card, not on the Home."""
COMMANDS = frozenset({"my cases", "/my cases", "home", "my"})
"""What a person writes to the bot for their Home (in a personal chat, `cases` too)."""


# -- markup -----------------------------------------------------------------------------------


def home_card(
    home: HomeView, *, names: Mapping[str, str] | None = None, notice: str | None = None
) -> dict[str, Any]:
    """The Home as one card: title, today's figures, then each section's heading and its
    cases (line, summary, buttons), as many as fit Teams' message size; the rest counted."""
    most = max((len(s.entries) for s in home.sections), default=0)
    out: dict[str, Any] = {}
    for shown in sorted({most, 10, 5, 2, 0}, reverse=True):
        if shown > most:
            continue
        out = _card(home, People(names), shown, notice)
        if fits(out):
            break
    return out


def _card(home: HomeView, people: People, per: int, notice: str | None) -> dict[str, Any]:
    body: list[dict[str, Any]] = []
    if notice:
        body.append(alert(notice))
    body += [
        text_block(escape(home.title), size="Large", weight="Bolder"),
        text_block(people.line(home.figures), isSubtle=True, spacing="None"),
    ]
    for part in home.sections:
        items = [text_block(people.line(part.head), size="Medium", weight="Bolder")]
        if not part.entries:
            items.append(text_block(escape(part.empty), isSubtle=True))
        for entry in part.entries[:per]:
            items += _entry(entry, people, home.seen.get(entry.case_id, ""))
        shown = min(per, len(part.entries))
        if shown < part.total:
            items.append(text_block(people.line(part.more(shown)), isSubtle=True))
        body.append({"type": "Container", "separator": True, "items": items})
    return card(body, [], pairs=people.pairs)


def _entry(entry: Entry, people: People, seen: str) -> list[dict[str, Any]]:
    out = [text_block(people.line(entry.line), spacing="Medium")]
    if entry.detail:
        out.append(text_block(escape(entry.detail), isSubtle=True, spacing="None"))
    actions = [_control(c, seen) for c in entry.controls if c.action not in CARD_ONLY]
    if actions:
        out.append(action_set(actions))
    return out


def _control(control: Control, seen: str) -> dict[str, Any]:
    data = {"source": SOURCE, SEEN: seen}
    if isinstance(control, Button):
        return button(control, **data)
    return show_card(control.label, [], option_buttons(control, **data))


# -- gathering --------------------------------------------------------------------------------


class TeamsHome:
    """Builds a person's Home for the Teams backend."""

    def __init__(self, backend: TeamsBackend) -> None:
        self.backend = backend

    async def card(self, user: str, notice: str | None = None) -> dict[str, Any]:
        view = await self.build(user)
        return home_card(view, names=await self.backend.references.names(), notice=notice)

    async def build(self, user: str) -> HomeView:
        return await build_home(
            self.backend.rt,
            user,
            approver=user in self.backend.rt.config.approval.approvers,
            chat="teams",
            members=self.members,
            links=self.backend.links,
        )

    async def members(self, channel: str) -> frozenset[str]:
        """The AAD object ids of the team of `channel`, cached briefly."""

        async def fetch() -> list[str] | None:
            reference = await self.backend.references.get(channel)
            if reference is None:
                return None
            try:
                return await self.backend.connector.members(reference, channel)
            except Exception as exc:  # any refusal or outage: nobody, never everybody
                log.warning("teams: members of %s unknown: %s", channel, type(exc).__name__)
                return None

        return await channel_members(
            self.backend.rt.store.redis, keys.teams_members(channel), fetch
        )
