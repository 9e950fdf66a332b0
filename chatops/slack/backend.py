"""The Slack chat backend: every case a message in its department's channel, its thread the
case's history. Writes go through the outbox; clicks come back through Bolt (listeners.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from chatops import outbox as outboxes
from chatops.chat import CaseEvent, CaseView, Department, DigestItem, PingItem
from chatops.chat import storm as storms
from chatops.chat.present import Report, digest, pings
from chatops.chat.scrub import REMOVED_KIND, SCRUB_KIND, SCRUBS, reply_id
from chatops.chat.stormread import summary_now
from chatops.chat.thread import refresh, show_event
from chatops.domain import utcnow
from chatops.slack import direct
from chatops.slack.blocks import (
    FALLBACK_LIMIT,
    case_blocks,
    case_text,
    clip_mrkdwn,
    digest_blocks,
    escape,
    event_text,
    fallback_blocks,
    listing_text,
    moved_blocks,
    permalink,
    ping_batch_blocks,
    ping_blocks,
    report_blocks,
    report_text,
)
from chatops.slack.groups import UserGroups
from chatops.slack.home import HomeRefresher
from chatops.slack.identity import WhoWeAre
from chatops.slack.inbox import SlackInbox
from chatops.slack.limits import LIMITS, blocks_text_length
from chatops.slack.listeners import register
from chatops.slack.outbox import Op, Outbox, Rendered, Sender
from chatops.slack.scope import Scope
from chatops.slack.storm import batch_blocks, batch_text, summary_blocks, summary_text

if TYPE_CHECKING:
    from chatops.runtime import Runtime
    from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)

PERMALINK_CONCURRENCY = 4

_CHANNEL = re.compile(r"[CG][A-Z0-9]{6,}")
"""A Slack channel id (public or private) among the overview's recipients."""

CHAT_NAMES = {"teams": "Microsoft Teams", "console": "console"}
"""How the old message names the chat a case moved to, when it left Slack."""


def _not_token_unused(record: logging.LogRecord) -> bool:
    """Bolt takes SLACK_BOT_TOKEN from the environment on its own, then warns at every start
    that the client we give it wins: true, intended, and nothing for whoever runs chatops."""
    return record.getMessage() != warning_client_prioritized_and_token_skipped()


def bolt_logger() -> logging.Logger:
    logger = logging.getLogger("chatops.slack.bolt")
    logger.addFilter(_not_token_unused)  # once: a filter already there is not added again
    return logger


class SlackBackend:
    def __init__(self, rt: Runtime, *, client: AsyncWebClient | None = None) -> None:
        s = rt.settings
        self.rt = rt
        self.client = client or pooled(
            AsyncWebClient(token=s.slack_bot_token, base_url=s.slack_api_url)
        )
        self.outbox = Outbox(rt.store)
        self.sender = Sender(
            rt.store, self.client, self.outbox, self.render, self.render_moved, metrics=rt.metrics
        )
        self.groups = UserGroups(self.client, rt.store.redis)
        self.identity = WhoWeAre(self.client, rt.store.redis, self.client.token or "")
        self.bolt = AsyncApp(
            # Bolt's own client only seeds each request's client, whose token `authorize`
            # sets (Bolt reads SLACK_BOT_TOKEN itself, and says it ignores it: bolt_logger).
            client=AsyncWebClient(base_url=self.client.base_url, timeout=self.client.timeout),
            authorize=self.identity.bolt_authorize(),
            signing_secret=s.slack_signing_secret or "",
            request_verification_enabled=not s.socket_mode,
            logger=bolt_logger(),
        )
        self.sender.render_batch = self.render_batch
        self.sender.render_range = self.render_range
        self._storm_links: dict[str, str] = {}
        self.homes = HomeRefresher(self)
        self.inbox = SlackInbox(self)
        self.bolt.middleware(Scope(self))
        register(self.bolt, self)
        self._socket: Any = None

    @property
    def workflow(self) -> Workflow:
        return self.rt.wf

    # -- ChatBackend ------------------------------------------------------------------------

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        async def reply() -> Op:
            text = event_text(view, event, user_groups=frozenset())
            channel = view.department.channel
            blocks = ping_blocks(view, event)
            return Op(
                "reply", view.case.id, channel, text=text, blocks=blocks, event_id=reply_id(event)
            )

        await show_event(
            self.outbox, view, event, reply=reply, moved_away=lambda: self.moved_away(view, event)
        )
        if event.kind in SCRUBS and (thread := await self.outbox.thread_of(view.case.id)):
            await self.outbox.enqueue(Op(SCRUB_KIND, view.case.id, thread.channel))
        await self.homes.mark(view, event)
        await self.ask_approvers(view, event)

    async def case_removed(self, case_id: str, note: str) -> bool:
        """NotesRemoval: the message rewritten to `note` (its location travels in the op, as
        the case's record of it is forgotten now)."""
        where = await self.outbox.where(case_id)
        if where is None:
            return False
        await self.outbox.enqueue(Op(REMOVED_KIND, case_id, where.channel, text=note, ts=where.ts))
        await self.outbox.forget(case_id, f"{where.channel}:{where.ts}")
        return True

    async def ask_approvers(self, view: CaseView, event: CaseEvent) -> None:
        """This chat's copies of the case's approval request (AsksApprovers): sent, updated
        or settled after `event`; the case may live in another chat (MixedChat)."""
        await self.inbox.show(view, event)

    async def moved_away(self, view: CaseView, event: CaseEvent) -> None:
        """A reroute out of the case's channel (to another Slack channel, or to a department
        in another chat): a last line in the old thread, and its message rewritten as moved."""
        case, channel = view.case, view.department.channel
        thread = await self.outbox.thread_of(case.id)
        if thread is not None and thread[0] != channel:
            text = event_text(view, event, user_groups=frozenset())
            await self.outbox.enqueue(Op("reply", case.id, thread[0], text=text, ts=thread[1]))
            await self.outbox.enqueue(Op("moved", case.id, thread[0], text=channel, ts=thread[1]))

    async def storm_changed(self, storm: storms.StormRef) -> None:
        """ShowsStorms: the summary posted once (after the channel's ordinary writes), then
        updated in place and its new members listed, both throttled (outbox.mark_storm)."""
        channel = self.workflow.department(storm.department).channel
        if await self.outbox.post_once(storm.id, channel, lane=outboxes.SUMMARY):
            # Its members from before it opened whose threads still wait (a burst under the
            # channel's rate limit) are the storm's now: unrelated cases go first.
            members = await self.rt.store.storms.roster(storm.department, storm.group)
            earlier = [m.case_id for m in members if m.own == "earlier"]
            await self.outbox.defer(channel, earlier, outboxes.SUMMARY)
        await self.outbox.mark_storm(storm.id, storms.SUMMARY_EVERY, storms.BATCH_EVERY)

    async def refresh(self, view: CaseView) -> None:
        """The case message brought up to date without a thread line (a flood's mentions)."""
        await refresh(self.outbox, view)

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        """One channel message, links to each thread from chat.getPermalink."""
        listing = digest(department, items, await self._permalinks([i.case_id for i in items]))
        await self.outbox.enqueue(
            Op(
                "message",
                items[0].case_id,
                department.channel,
                text=listing_text(listing),
                blocks=digest_blocks(listing),
            )
        )

    async def post_personal_digest(
        self, person: str, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        """The department's digest in a lead's DM (DigestsPeople): each case linked to its
        thread, no buttons (cases are acted on in their channel)."""
        links = await self._permalinks([i.case_id for i in items])
        listing = digest(department, items, links, personal=True)
        await self.outbox.enqueue(
            direct.message(person, listing_text(listing), digest_blocks(listing))
        )

    async def post_overview(self, to: Sequence[str], report: Report) -> None:
        """The overview of every department (PostsOverview): in each Slack channel among `to`,
        and in the DM of each person they name (user groups expanded)."""
        text = clip_mrkdwn(report_text(report), LIMITS.message_text_advised)
        blocks = report_blocks(report)
        for channel in dict.fromkeys(t for t in to if _CHANNEL.fullmatch(t)):
            await self.outbox.enqueue(Op("message", "", channel, text=text, blocks=blocks))
        for person in await self.people(to):
            await self.outbox.enqueue(direct.message(person, text, blocks))

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        """One channel message for one scan's escalations: one mention, a line per case."""
        if not items:
            return
        listed = LIMITS.message_blocks  # the layout lists no more (one block a case)
        links = await self._permalinks([item.case_id for item in items[:listed]])
        listing = pings(department, items, links, notify)
        await self.outbox.enqueue(
            Op(
                "message",
                items[0].case_id,
                department.channel,
                text=listing_text(listing),
                blocks=ping_batch_blocks(listing),
            )
        )

    async def _permalinks(self, case_ids: list[str]) -> dict[str, str]:
        """Case id -> the link of its thread (chat.getPermalink), for the cases posted so far;
        a few calls at a time, so a scan with many due cases is not one long queue of them."""
        gate = asyncio.Semaphore(PERMALINK_CONCURRENCY)

        async def one(case_id: str) -> tuple[str, str | None]:
            thread = await self.outbox.thread_of(case_id)
            if thread is None:
                return case_id, None
            async with gate:
                try:
                    result = await self.client.chat_getPermalink(
                        channel=thread[0], message_ts=thread[1]
                    )
                except SlackApiError as exc:
                    error = exc.response.get("error")
                    log.warning("slack: no permalink for case %s: %s", case_id, error)
                    return case_id, None
            return case_id, str(result["permalink"])

        found = await asyncio.gather(*(one(case_id) for case_id in case_ids))
        return {case_id: link for case_id, link in found if link}

    async def post_report(self, department: Department, report: Report) -> None:
        """The weekly report: the chart as a file with the report as its comment."""
        if report.chart is None:
            await self.outbox.enqueue(
                Op(
                    "message",
                    "",
                    department.channel,
                    text=clip_mrkdwn(escape(report.title), FALLBACK_LIMIT),
                    blocks=report_blocks(report),
                )
            )
            return
        await self.client.files_upload_v2(
            channel=department.channel,
            content=report.chart,
            filename="chatops-weekly.png",
            title="Weekly response report",
            initial_comment=report_text(report),
        )

    async def drain(self, within: float) -> None:
        """Deliver what is queued (one-shot commands such as `chatops digest`)."""
        deadline = asyncio.get_running_loop().time() + within
        while asyncio.get_running_loop().time() < deadline:
            wait = await self.sender.tick()
            if not await self.sender.pending():
                return
            await asyncio.sleep(min(max(wait, 0.05), 1.0))

    async def close(self) -> None:
        await self.identity.close()
        if self._socket is not None:
            await self._socket.close_async()
        session = getattr(self.client, "session", None)
        if session is not None and not session.closed:
            await session.close()

    # -- rendering for the outbox (always the latest state) ---------------------------------

    async def render(self, case_id: str) -> Rendered | None:
        storm = storms.StormRef.parse(case_id)
        if storm is not None:
            return await self.render_storm(storm)
        case = await self.rt.store.cases.get(case_id)
        if case is None:
            return None
        view, now = await self.workflow.view(case), utcnow()
        links = await self._card_links(view)
        blocks = case_blocks(view, now=now, departments=self._departments(), links=links)
        fallback = fallback_blocks(view, now=now)
        return Rendered(view.department.channel, case_text(view), blocks, fallback)

    async def render_storm(self, storm: storms.StormRef) -> Rendered | None:
        """A storm's summary as it is now (None once its record expired)."""
        department = self.workflow.department(storm.department)
        store = self.rt.store
        found = await summary_now(
            store.storms, store.publishing, storm, department.name, department.zone, self.rt.clock()
        )
        if found is None:
            return None
        summary = found[0]
        links = await self._links_of([own.case_id for own in summary.own])
        blocks = summary_blocks(summary, links)
        text = summary_text(summary)
        return Rendered(
            department.channel,
            text,
            blocks,
            [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        )

    async def render_batch(
        self, storm_id: str, start: int
    ) -> tuple[str, list[dict[str, Any]], int] | None:
        """The storm's next batch from roster position `start`: (text, blocks, members listed
        after it), None when nobody is new."""
        storm = storms.StormRef.parse(storm_id)
        if storm is None:
            return None
        members = await self.rt.store.storms.roster(storm.department, storm.group)
        own = [m.case_id for m in members[start : start + storms.BATCH_LINES] if m.own]
        links = await self._links_of(own)
        limit = storms.BATCH_LINES
        while (batch := storms.batch(storm, members, start, links, limit)) is not None:
            blocks = batch_blocks(batch)
            if limit == 1 or blocks_text_length(blocks) <= LIMITS.blocks_text_budget - 500:
                return batch_text(batch), blocks, batch.last
            limit = limit * 3 // 4  # fewer members: the rest open the next batch
        return None

    async def render_range(
        self, storm_id: str, start: int, end: int
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """A batch already posted (the members at roster positions [start, end)), as the
        roster reads now: what a scrub rewrites it to."""
        storm = storms.StormRef.parse(storm_id)
        if storm is None or end <= start:
            return None
        members = await self.rt.store.storms.roster(storm.department, storm.group)
        links = await self._links_of([m.case_id for m in members[start:end] if m.own])
        batch = storms.batch(storm, members, start, links, end - start)
        return None if batch is None else (batch_text(batch), batch_blocks(batch))

    async def storm_scrubbed(self, storm: storms.StormRef, positions: Sequence[int]) -> None:
        """ScrubsStorms: the storm's batch messages listing those members rewritten."""
        thread = await self.outbox.thread_of(storm.id)
        if thread is not None and positions:
            await self.outbox.enqueue(
                Op(SCRUB_KIND, storm.id, thread.channel, text=json.dumps(sorted(positions)))
            )

    async def _links_of(self, case_ids: list[str]) -> dict[str, str]:
        """Thread links of a storm's members with threads of their own, asked once each."""
        missing = [c for c in dict.fromkeys(case_ids) if c not in self._storm_links]
        if missing:
            self._storm_links.update(await self._permalinks(missing))
        return {c: self._storm_links[c] for c in case_ids if c in self._storm_links}

    async def render_moved(self, case_id: str, to_channel: str) -> list[dict[str, Any]]:
        """The old message of a case now in another department (`to_channel` is its channel)."""
        case = await self.rt.store.cases.get(case_id)
        assert case is not None
        view = await self.workflow.view(case)
        to = view.department
        chat = self.rt.config.chat_of(to.id)
        if chat != "slack":  # a department in another chat: named, its channel means nothing here
            to = Department(to.id, f"{to.name} ({CHAT_NAMES.get(chat, chat)})", "")
        return moved_blocks(view, to)

    async def _card_links(self, view: CaseView) -> dict[str, str]:
        """The thread links of the cases a card names (the customer's last earlier case, the
        similar answered ones), when they were posted in Slack and our workspace's URL is
        known (no API call: the card is rendered often)."""
        named = [view.earlier.case_id] if view.earlier is not None else []
        named += [s.case_id for s in view.similar]
        identity = await self.identity.identity() if named else None
        if identity is None:
            return {}
        links = {}
        for case_id in named:
            thread = await self.outbox.thread_of(case_id)
            url = permalink(identity.url, thread[0], thread[1]) if thread else None
            if url:
                links[case_id] = url
        return links

    def _departments(self) -> list[Any]:
        return [self.workflow.department(d.id) for d in self.rt.config.departments]

    async def team_id(self) -> str | None:
        """Our workspace (identity.py): known from `auth.test`, or cached from an earlier
        answer while Slack does not answer. None: requests are refused, never let through."""
        return await self.identity.team_id()

    async def approvers(self) -> frozenset[str]:
        """Approvers with user groups expanded (usergroups.users.list, cached)."""
        return await self.groups.expand(self.rt.config.approval.approvers)

    async def people(self, targets: Iterable[str]) -> list[str]:
        """The Slack users `targets` name, user groups expanded (MessagesPeople);
        `direct.message` writes to them."""
        return await direct.people(self.groups, targets)

    # -- process roles ----------------------------------------------------------------------

    def attach(self, app: web.Application) -> None:
        """Events, interactivity and slash commands: one Request URL, `/slack/events`."""
        if self.rt.settings.socket_mode:
            return
        app.router.add_post("/slack/events", self._handle)
        app.on_startup.append(self._learn_team)

    async def _learn_team(self, app: web.Application) -> None:
        """Ask for our workspace when the web server starts, not on the first click."""
        await self.team_id()

    async def _handle(self, request: web.Request) -> web.Response:
        return await to_aiohttp_response(
            await self.bolt.async_dispatch(await to_bolt_request(request))
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Send the outbox (and hold the Socket Mode connection when configured)."""
        if self.rt.settings.socket_mode:
            from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

            await self.team_id()
            self._socket = AsyncSocketModeHandler(self.bolt, self.rt.settings.slack_app_token)
            await self._socket.connect_async()
            log.info("slack: connected in Socket Mode")
        await asyncio.gather(self.sender.run(stop), self.homes.run(stop))


def pooled(client: AsyncWebClient) -> AsyncWebClient:
    """`client` with one connection pool for all its calls (closed by `SlackBackend.close`).

    Without a session of its own slack_sdk opens a new one, and a new connection, for every
    call: milliseconds on the path of every case message to its thread (DESIGN §8)."""
    client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))
    return client


def create(rt: Runtime) -> SlackBackend:
    return SlackBackend(rt)
