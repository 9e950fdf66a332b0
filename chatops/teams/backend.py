"""The Microsoft Teams chat backend: every case a post in its department's channel, its reply
chain the case's history. Writes go through the outbox; clicks come back to bot.py through
botbuilder's CloudAdapter at `POST /api/messages`."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlencode

from aiohttp import web
from azure.core.exceptions import DeserializationError
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity

from chatops import keys
from chatops.chat import (
    CaseEvent,
    CaseView,
    Department,
    DigestItem,
    PingItem,
    digest,
    present,
)
from chatops.chat import storm as storms
from chatops.chat.drafts import Box, read_box
from chatops.chat.inbox import answered
from chatops.chat.scrub import REMOVED_KIND, SCRUB_KIND, SCRUBS, reply_id
from chatops.chat.stormread import summary_now
from chatops.chat.thread import refresh, show_event
from chatops.domain import Case
from chatops.outbox import BATCH_KIND, SUMMARY
from chatops.redis_text import maybe_text, text_map
from chatops.teams import direct
from chatops.teams.auth import (
    AuthUnavailable,
    UntrustedActivity,
    authentication,
    service_url_allowed,
)
from chatops.teams.bot import ChatopsBot
from chatops.teams.cards import (
    alert,
    case_card,
    event_message,
    listing_card,
    moved_card,
    ping_card,
    refusal_card,
    removed_card,
    report_card,
)
from chatops.teams.clicks import Click
from chatops.teams.direct import Personal, people
from chatops.teams.home import SOURCE as HOME_SOURCE
from chatops.teams.home import TeamsHome
from chatops.teams.inbox import SOURCE as INBOX
from chatops.teams.inbox import TeamsInbox, copy_card
from chatops.teams.markup import fits, plain
from chatops.teams.outbox import (
    Connector,
    ConnectorError,
    Op,
    Outbox,
    Post,
    Rendered,
    Sender,
    card_activity,
)
from chatops.teams.references import References, channel_of
from chatops.teams.storm import batch_card, summary_card

if TYPE_CHECKING:
    from chatops.runtime import Runtime
    from chatops.workflow.service import Workflow

BATCH_FIELD = "batch:"
"""Field of a storm's Teams record: a batch card's activity id -> the roster positions it
lists (`start:end`, 0-based, end excluded)."""

log = logging.getLogger(__name__)

MAX_INLINE_CHART = 16_000
"""Bytes of PNG shown inside the report card: base64 makes it a third larger, and Teams
refuses a message over about 28 KB."""

CLOSE_GRACE_S = 15.0
"""How long closing waits for publishes started by clicks: longer than a platform call may
take, so a stop lets the reply be recorded rather than leave the case for recovery."""


class TeamsBackend:
    def __init__(self, rt: Runtime, *, adapter: CloudAdapter | None = None) -> None:
        self.rt = rt
        self.local_only = rt.settings.teams_auth_off
        """CHATOPS_TEAMS_AUTH=off: nothing is authenticated, so the web binds to 127.0.0.1."""
        self.app_id = "" if self.local_only else rt.settings.microsoft_app_id or ""
        self.auth = authentication(rt.settings) if adapter is None else None
        self.adapter = adapter or CloudAdapter(self.auth)
        self.references = References(
            rt.store.redis, accept=lambda url: service_url_allowed(url, local=self.local_only)
        )
        self.outbox = Outbox(rt.store)
        self.connector = Connector(self.adapter, self.app_id)
        self.personal = Personal(rt.store.redis, self.references, self.connector)
        self.sender = Sender(
            rt.store,
            self.connector,
            self.outbox,
            self.references,
            self.render,
            self.render_moved,
            personal=self.personal,
        )
        self.sender.kinds[BATCH_KIND] = self._send_batch
        self.sender.kinds[REMOVED_KIND] = self._send_removed
        self.sender.kinds[SCRUB_KIND] = self._scrub
        self.inbox = TeamsInbox(self)
        self.bot = ChatopsBot(self)
        self.home = TeamsHome(self)
        self.close_grace = CLOSE_GRACE_S
        self._deliveries: set[asyncio.Task[None]] = set()
        """Publishes started by clicks and run after the invoke was answered."""

    @property
    def workflow(self) -> Workflow:
        return self.rt.wf

    # -- ChatBackend ------------------------------------------------------------------------

    async def show(self, view: CaseView, event: CaseEvent) -> None:
        async def reply() -> Op:
            names = await self.references.names()
            text, mentions = event_message(view, event, names=names)
            card = ping_card(view, event, names=names)
            channel = view.department.channel
            return Op(
                "reply",
                view.case.id,
                channel,
                text=text,
                mentions=mentions,
                card=card,
                event_id=reply_id(event),
            )

        await show_event(
            self.outbox, view, event, reply=reply, moved_away=lambda: self.moved_away(view, event)
        )
        if event.kind in SCRUBS and (post := await self.outbox.post_of(view.case.id)):
            await self.outbox.enqueue(Op(SCRUB_KIND, view.case.id, post.channel))
        await self.ask_approvers(view, event)

    async def ask_approvers(self, view: CaseView, event: CaseEvent) -> None:
        """This chat's copies of the case's approval request (AsksApprovers): sent, updated
        or settled after `event`; the case may live in another chat (MixedChat)."""
        await self.inbox.show(view, event)

    async def case_removed(self, case_id: str, note: str) -> bool:
        """NotesRemoval: the case's card replaced by `note` (where it is travels in the op, as
        the case's record of it is forgotten now)."""
        post = await self.outbox.post_of(case_id)
        if post is None:
            return False
        await self.outbox.enqueue(
            Op(
                REMOVED_KIND,
                case_id,
                post.channel,
                text=note,
                card=removed_card(note),
                conversation=post.conversation,
                activity=post.activity,
            )
        )
        await self.outbox.forget(case_id, post.conversation)
        return True

    async def _send_removed(self, op: Op, target: Any) -> None:
        post = Post(op.channel, op.conversation, op.activity)
        await self.connector.update(target, post, card_activity(op.card or {}, op.text))

    async def moved_away(self, view: CaseView, event: CaseEvent) -> None:
        """A reroute out of the case's channel (to another Teams channel, or to a department
        in another chat): a last reply in the old chain, and its card replaced by a pointer."""
        case, channel = view.case, view.department.channel
        post = await self.outbox.post_of(case.id)
        if post is None or post.channel == channel:
            return
        text, mentions = event_message(view, event, names=await self.references.names())
        old = post.conversation
        await self.outbox.enqueue(
            Op("reply", case.id, post.channel, text=text, mentions=mentions, conversation=old)
        )
        await self.outbox.enqueue(
            Op(
                "moved",
                case.id,
                post.channel,
                text=channel,
                conversation=old,
                activity=post.activity,
            )
        )

    async def post_digest(
        self, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        """One channel post listing the cases, each linked to its post."""
        listing = present.digest(department, items, await self._links(items))
        card = listing_card(listing, "digest", names=await self.references.names())
        case_id = items[0].case_id if items else ""
        await self.outbox.enqueue(
            Op("message", case_id, department.channel, text=listing.notification, card=card)
        )

    async def post_personal_digest(
        self, person: str, department: Department, items: list[DigestItem], now: datetime
    ) -> None:
        """The department's digest in a lead's personal chat with the bot (DigestsPeople):
        each case linked to its post, no buttons (cases are acted on in their channel)."""
        listing = present.digest(department, items, await self._links(items), personal=True)
        card = listing_card(listing, "digest", names=await self.references.names())
        await self.outbox.enqueue(direct.message(person, card, listing.notification))

    async def post_overview(self, to: Sequence[str], report: present.Report) -> None:
        """The overview of every department (PostsOverview): in each Teams channel among `to`
        (19:…), and in the personal chat of each person they name."""
        card = report_card(report, None)
        for channel in dict.fromkeys(t for t in to if t.startswith("19:")):
            await self.outbox.enqueue(Op("message", "", channel, text=report.title, card=card))
        for person in await self.people(to):
            await self.outbox.enqueue(direct.message(person, card, report.title))

    async def refresh(self, view: CaseView) -> None:
        """The case card brought up to date without a reply (a flood's mentions)."""
        await refresh(self.outbox, view)

    async def post_pings(
        self, department: Department, items: list[PingItem], notify: tuple[str, ...]
    ) -> None:
        """One channel post for one scan's escalations: one mention, a line per case."""
        if not items:
            return
        listing = present.pings(department, items, await self._links(items), notify)
        names = await self.references.names()
        card = listing_card(listing, "ping", names=names)
        text = plain(listing.head, names)
        await self.outbox.enqueue(
            Op("message", items[0].case_id, department.channel, text=text, card=card)
        )

    async def post_report(self, department: Department, report: present.Report) -> None:
        """The weekly report card; the chart inside it when it fits a Teams message."""
        image, chart = None, report.chart
        if chart is not None and len(chart) <= MAX_INLINE_CHART:
            image = "data:image/png;base64," + base64.b64encode(chart).decode()
        elif chart is not None:
            log.info("teams: weekly chart (%d bytes) too large for a card; text only", len(chart))
        card = report_card(report, image)
        await self.outbox.enqueue(
            Op("message", "", department.channel, text=report.title, card=card)
        )

    async def people(self, targets: Iterable[str]) -> list[str]:
        """The Teams users among `targets` (MessagesPeople): AAD object ids or Teams user ids
        (Teams has no groups chatops expands); `direct.message` writes to them."""
        return people(targets)

    async def drain(self, within: float) -> None:
        """Deliver what is queued (one-shot commands such as `chatops digest`)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while loop.time() < deadline:
            wait = await self.sender.tick()
            if not await self.sender.pending():
                return
            await asyncio.sleep(min(max(wait, 0.05), 1.0))

    async def close(self) -> None:
        """Publishes under way finish first (bounded by `close_grace`), then authentication's
        threads are closed: each Connector call builds its own client."""
        left = list(self._deliveries)
        if not await self.settle(self.close_grace):
            log.warning(
                "teams: closing with %d publish(es) still under way after %.0f s: cancelled, "
                "their cases will be marked publish_unknown",
                len(self._deliveries),
                self.close_grace,
            )
            for task in left:
                task.cancel()
            await asyncio.gather(*left, return_exceptions=True)
        if self.auth is not None:
            self.auth.close()
            self.auth = None

    # -- publishing after the click ---------------------------------------------------------

    def deliver_later(self, case: Case, actor: str) -> None:
        """Talk to the platform for a case this click moved into `publishing`, after the
        invoke is answered: Teams waits only seconds for that answer, a platform may take
        ten. The outcome reaches the card as the workflow's published/failed event."""
        task = asyncio.create_task(self._deliver(case, actor), name=f"teams-publish-{case.id}")
        self._deliveries.add(task)
        task.add_done_callback(self._deliveries.discard)

    async def _deliver(self, case: Case, actor: str) -> None:
        try:
            await self.workflow.deliver(case, actor)
        except Exception:
            log.exception(
                "case %s: publishing after the click failed; the case stays publishing until "
                "recovery marks it publish_unknown",
                case.id,
            )

    async def settle(self, within: float) -> bool:
        """Wait for the publishes clicks started, at most `within` seconds; True when none
        is left."""
        if self._deliveries:
            await asyncio.wait(list(self._deliveries), timeout=within)
        return all(task.done() for task in self._deliveries)

    # -- rendering (the outbox renders at send time, so a card is never stale) --------------

    async def storm_changed(self, storm: storms.StormRef) -> None:
        """ShowsStorms: the summary card posted once (after the channel's ordinary writes),
        then refreshed in place and its new members listed in its reply chain, throttled."""
        channel = self.workflow.department(storm.department).channel
        if await self.outbox.post_once(storm.id, channel, lane=SUMMARY):
            # Its members from before it opened whose threads still wait (a burst under the
            # channel's rate limit) are the storm's now: unrelated cases go first.
            members = await self.rt.store.storms.roster(storm.department, storm.group)
            earlier = [m.case_id for m in members if m.own == "earlier"]
            await self.outbox.defer(channel, earlier, SUMMARY)
        await self.outbox.mark_storm(storm.id, storms.SUMMARY_EVERY, storms.BATCH_EVERY)

    async def storm_scrubbed(self, storm: storms.StormRef, positions: Sequence[int]) -> None:
        """ScrubsStorms: the batch cards listing those members are rendered again from the
        roster, which no longer quotes them."""
        post = await self.outbox.post_of(storm.id)
        if post is not None and positions:
            text = json.dumps(sorted(positions))
            await self.outbox.enqueue(Op(SCRUB_KIND, storm.id, post.channel, text=text))

    async def _scrub(self, op: Op, target: Any) -> None:
        """A case's quoting replies (the Sender's own scrub), or a storm's batch cards: each
        one listing a member at the op's roster positions is updated in place."""
        storm = storms.StormRef.parse(op.case_id)
        post = await self.outbox.post_of(op.case_id)
        if storm is None or post is None:
            await self.sender.scrub(op, target)
            return
        positions = set(json.loads(op.text or "[]"))
        stored = text_map(await self.rt.store.redis.hgetall(keys.TEAMS.case(op.case_id)))
        members = await self.rt.store.storms.roster(storm.department, storm.group)
        for field, span in stored.items():
            if not field.startswith(BATCH_FIELD):
                continue
            start, end = (int(n) for n in span.split(":"))
            if not positions.intersection(range(start, end)):
                continue
            own = [m.case_id for m in members[start:end] if m.own]
            batch = storms.batch(storm, members, start, await self.links(own), end - start)
            if batch is not None:
                card = card_activity(batch_card(batch), batch.notification)
                reply = Post(post.channel, post.conversation, field.removeprefix(BATCH_FIELD))
                await self.connector.update(target, reply, card)

    async def render_storm(
        self, storm: storms.StormRef, notice: dict[str, Any] | None = None
    ) -> Rendered | None:
        """A storm's summary card as it is now (None once its record expired); `notice` on
        top for the user whose click it answers."""
        department = self.workflow.department(storm.department)
        store = self.rt.store
        found = await summary_now(
            store.storms, store.publishing, storm, department.name, department.zone, self.rt.clock()
        )
        if found is None:
            return None
        summary, members = found
        unsure = maybe_text(await store.redis.hget(keys.TEAMS.case(storm.id), "unsure"))
        if unsure:
            summary = replace(summary, unsure=storms.positions(members, unsure))
        links = await self.links([own.case_id for own in summary.own])
        card = summary_card(summary, links, notice)
        return Rendered(department.channel, card, storms.summary_text(summary))

    async def _send_batch(self, op: Op, target: Any) -> None:
        """A storm's members since the last batch, one card in its summary's reply chain; the
        count listed moves on only once it is sent.

        At most once, and nobody lost: where the batch ends is written before the call
        (`batching`). A crash during the call leaves it, and Teams cannot be asked whether it
        took the card; the retried op then does not post that batch again, but names its
        members on the summary (`unsure`), which is updated in place, never twice."""
        storm = storms.StormRef.parse(op.case_id)
        post = await self.outbox.post_of(op.case_id)
        if storm is None or post is None:
            return
        redis = self.rt.store.redis
        key = keys.TEAMS.case(op.case_id)
        listed_raw, batching_raw = await redis.hmget(key, ["listed", "batching"])
        listed = int(maybe_text(listed_raw) or 0)
        batching = int(maybe_text(batching_raw) or 0)
        if batching > listed:
            await self._unsure(op.case_id, listed, batching)
            listed = batching
        members = await self.rt.store.storms.roster(storm.department, storm.group)
        own = [m.case_id for m in members[listed : listed + storms.BATCH_LINES] if m.own]
        links = await self.links(own)
        limit = storms.BATCH_LINES
        while (batch := storms.batch(storm, members, listed, links, limit)) is not None:
            card = batch_card(batch)
            if limit == 1 or fits(card):
                break
            limit = limit * 3 // 4  # fewer members: the rest open the next batch
        if batch is None:
            return
        activity = card_activity(card, batch.notification)
        await redis.hset(key, "batching", batch.last)
        try:
            posted = await self.connector.reply(target, post.conversation, activity)
        except ConnectorError as exc:
            if 400 <= exc.status < 500:  # answered, and refused: certainly not posted
                await redis.hdel(key, "batching")
            raise
        pipe = redis.pipeline(transaction=True)
        pipe.hset(key, "listed", batch.last)
        if posted:  # which members it lists, for when their words are gone (_scrub)
            pipe.hset(key, f"{BATCH_FIELD}{posted}", f"{listed}:{batch.last}")
        pipe.hdel(key, "batching")
        await pipe.execute()
        if batch.last < len(members):
            await redis.zadd(keys.TEAMS.storm_batches, {op.case_id: 0}, nx=True)

    async def _unsure(self, storm_id: str, start: int, end: int) -> None:
        """Members `start` to `end` (roster positions) were in a batch whose post a crash cut
        short: the summary names them from now on, and batches go on after them."""
        key = keys.TEAMS.case(storm_id)
        before = maybe_text(await self.rt.store.redis.hget(key, "unsure")) or ""
        ranges = ",".join(filter(None, [before, f"{start}:{end}"]))
        pipe = self.rt.store.redis.pipeline(transaction=True)
        pipe.hset(key, mapping={"unsure": ranges, "listed": end})
        pipe.hdel(key, "batching")
        await pipe.execute()
        await self.outbox.mark_dirty(storm_id)
        log.warning(
            "teams: storm %s: a batch cut short by a crash is named on its summary", storm_id
        )

    async def render(self, case_id: str) -> Rendered | None:
        storm = storms.StormRef.parse(case_id)
        if storm is not None:
            return await self.render_storm(storm)
        case = await self.rt.store.cases.get(case_id)
        if case is None:
            return None
        view = await self.workflow.view(case)
        card = await self.case_card(view)
        return Rendered(view.department.channel, card, present.preview(view))

    async def render_moved(self, case_id: str, to_channel: str) -> dict[str, Any]:
        case = await self.rt.store.cases.get(case_id)
        if case is None:
            return refusal_card(f"there is no case #{case_id}")
        to = next(
            (d for d in self.departments() if d.channel == to_channel),
            Department("", "another department", to_channel),
        )
        view = await self.workflow.view(case)
        return moved_card(view, to, names=await self.references.names())

    async def case_card(
        self,
        view: CaseView,
        *,
        notice: str | None = None,
        told: str | None = None,
        box: str | None = None,
    ) -> dict[str, Any]:
        return case_card(
            view,
            now=self.rt.clock(),
            departments=self.departments(),
            names=await self.references.names(),
            approvers_known=bool(self.rt.config.approval.approvers),
            notice=notice,
            told=told,
            box=box,
            links=await self.links(
                [
                    *([view.earlier.case_id] if view.earlier else []),
                    *(s.case_id for s in view.similar),
                ]
            ),
        )

    async def answer_card(
        self,
        case_id: str,
        source: str,
        conversation: str,
        notice: str | None,
        *,
        told: str | None = None,
        click: Click | None = None,
        user: str = "",
    ) -> dict[str, Any]:
        """The card a click is answered with: it replaces the clicked card for the clicking
        user only. A digest stays a digest (brought up to date); anything else becomes the
        case card, with the refusal (or what the click did instead) on top. Text the user
        typed in the draft box and the click did not save stays in the box: no click loses
        it, and a card that was merely out of date shows the new draft."""
        if source == HOME_SOURCE and user:  # the person's Home, brought up to date
            return await self.home.card(user, notice)
        case = await self.rt.store.cases.get(case_id)
        if case is None:
            return refusal_card(notice or f"there is no case #{case_id}")
        if source == "digest":
            return await self._digest_card(channel_of(conversation), case.department, notice)
        view = await self.workflow.view(case)
        if source == INBOX and click is not None:  # a copy of an approval request stays one
            copy = answered(view, click.verb, user, click.value, case.updated_at)
            names = await self.references.names()
            return copy_card(copy, names, notice=notice or told or "")
        box = None
        if click is not None and click.draft is not None:
            if read_box(case, click.draft, click.seen) in (Box.EDITED, Box.CONFLICT, Box.EMPTIED):
                box = click.draft
        return await self.case_card(view, notice=notice, told=told, box=box)

    async def _digest_card(self, channel: str, fallback: str, notice: str | None) -> dict[str, Any]:
        department = next(
            (d for d in self.departments() if d.channel == channel),
            self.workflow.department(fallback),
        )
        store = self.rt.store
        items = await digest.build(
            store.cases,
            store.indexes,
            department.id,
            self.rt.clock(),
            self.workflow.answer_due,
            store.storms,
        )
        listing = present.digest(department, items, await self._links(items))
        card = listing_card(listing, "digest", names=await self.references.names())
        if notice:
            card["body"].insert(0, alert(notice))
        return card

    async def _links(self, items: Sequence[DigestItem | PingItem]) -> dict[str, str]:
        return await self.links([item.case_id for item in items])

    async def links(self, case_ids: Sequence[str]) -> dict[str, str]:
        """Case id -> a deep link to its post, for the cases that have one."""
        links: dict[str, str] = {}
        for case_id in case_ids:
            post = await self.outbox.post_of(case_id)
            if post is not None:
                reference = await self.references.get(post.channel)
                conversation = reference.conversation if reference else None
                tenant = conversation.tenant_id if conversation else None
                links[case_id] = message_link(post, tenant)
        return links

    def departments(self) -> list[Department]:
        """Every department of the config, as a chat addresses it (any chat's, when mixed)."""
        return [self.workflow.department(d.id) for d in self.rt.config.departments]

    # -- process roles ----------------------------------------------------------------------

    def attach(self, app: web.Application) -> None:
        """Every activity Teams sends the bot arrives at one URL, `/api/messages`."""
        app.router.add_post("/api/messages", self._messages)

    async def _messages(self, request: web.Request) -> web.StreamResponse:
        """401 for a missing or bad token (CloudAdapter, PermissionError), 403 for a valid token
        from a channel or host we do not answer to, 400 for what is not an activity."""
        if "application/json" not in request.headers.get("Content-Type", ""):
            return web.json_response({"error": "expected an activity as JSON"}, status=415)
        problem = await _not_an_activity(request)
        if problem is not None:
            return web.json_response({"error": problem}, status=400)
        try:
            response = await self.adapter.process(request, self.bot)
        except UntrustedActivity as refused:
            return web.json_response({"error": str(refused)}, status=403)
        except AuthUnavailable as exc:
            return web.json_response({"error": str(exc)}, status=503)
        return response if response is not None else web.Response(status=201)

    async def run(self, stop: asyncio.Event) -> None:
        await self.sender.run(stop)


async def _not_an_activity(request: web.Request) -> str | None:
    """Why the body is not an activity botbuilder can read, or None (its parser would 500)."""
    try:
        body = await request.json()
        activity = Activity().deserialize(body) if isinstance(body, dict) else None
    except (ValueError, RecursionError, DeserializationError):
        return "the body is not a JSON activity"
    if activity is None or not activity.type:
        return "the body is not an activity (no type)"
    return None


def message_link(post: Post, tenant: str | None) -> str:
    """A deep link that opens the case's post in Teams."""
    query = {"parentMessageId": post.activity, **({"tenantId": tenant} if tenant else {})}
    return (
        f"https://teams.microsoft.com/l/message/{quote(post.channel, safe='')}/{post.activity}"
        f"?{urlencode(query)}"
    )


def create(rt: Runtime) -> TeamsBackend:
    return TeamsBackend(rt)
