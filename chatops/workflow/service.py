"""The one service that applies workflow commands: load, decide, compare-and-set, tell chat.

Chat backends call these methods for people's clicks; the pipeline calls them for arrivals.
Publishing happens here because it is where at-most-once is enforced: only the caller whose
compare-and-set moved the case into `publishing` talks to the platform.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from adapters import Adapter, NotSent, OutcomeUnknown, PermanentError, RateLimited
from adapters.base import ChecksDrafts, Published
from chatops.config import Config
from chatops.domain import (
    OPEN_STATES,
    AuditEntry,
    Case,
    Mention,
    NotPublished,
    Reply,
    State,
    utcnow,
)
from chatops.drafting import Drafter, Intent, first_name
from chatops.inflight import InFlight
from chatops.knowledge.answers import Answer, PastAnswers, adapt, answer_of, offered
from chatops.store import Store
from chatops.workflow.calendar import Calendar, calendar
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.events import (
    CaseEvent,
    CaseView,
    Department,
    DraftChange,
    Earlier,
    EventKind,
    Shows,
    SimilarAnswer,
)
from chatops.workflow.policy import Step, first_response_due, next_step
from chatops.workflow.transitions import (
    Args,
    Policy,
    Refused,
    authors,
    decide,
    fingerprint,
    is_covered,
    text_digest,
)

log = logging.getLogger(__name__)

MAX_CAS_ATTEMPTS = 20
REPEAT_LIMIT = "repeat_limit"
"""The code of a storm member's refusal when every wording reached the copy-paste limit."""

_RESOLVE_APPROVERS = frozenset(
    {Command.APPROVE, Command.REJECT, Command.PUBLISH, Command.PRIVATE, Command.STORM_PUBLISH}
)
"""Commands whose decision depends on who the approvers are (publish: an approver may send
what they approved without owning the case)."""

_CHANGES = frozenset(
    {Command.EDIT, Command.REPLY_TO, Command.TEMPLATE, Command.PUBLISH, Command.PRIVATE}
)
"""Commands by which a person can change what a publish would send."""

_EVENT_OF: Mapping[Command, EventKind] = {
    Command.CLAIM: EventKind.CLAIMED,
    Command.TAKE_OVER: EventKind.TAKEN_OVER,
    Command.UNCLAIM: EventKind.UNCLAIMED,
    Command.EDIT: EventKind.DRAFTED,
    Command.APPROVE: EventKind.APPROVED,
    Command.REJECT: EventKind.REJECTED,
    Command.REROUTE: EventKind.REROUTED,
    Command.DISMISS: EventKind.DISMISSED,
    Command.REPLY_TO: EventKind.REPLY_TARGET,
    Command.TEMPLATE: EventKind.TEMPLATE,
    Command.CONFIRM_SENT: EventKind.PUBLISHED,
    Command.CONFIRM_NOT_SENT: EventKind.PUBLISH_FAILED,
    Command.PUBLISH_OK: EventKind.PUBLISHED,
    Command.PUBLISH_FAILED: EventKind.PUBLISH_FAILED,
    Command.PUBLISH_UNKNOWN: EventKind.PUBLISH_UNKNOWN,
    Command.REOPEN: EventKind.REOPENED,
    Command.SNOOZE: EventKind.SNOOZED,
    Command.ESCALATE: EventKind.ESCALATED,
    Command.APPROVAL_PING: EventKind.APPROVAL_WAITING,
    Command.CLOSE: EventKind.CLOSED,
}


_REASONED = frozenset({EventKind.REJECTED, EventKind.PUBLISH_FAILED, EventKind.PUBLISH_UNKNOWN})
"""Events whose command text is someone's words to show: a reviewer's, a platform's."""

_CHANGED: Mapping[Command, DraftChange] = {
    Command.EDIT: DraftChange.TEXT,
    Command.REPLY_TO: DraftChange.REPLY_TARGET,
    Command.TEMPLATE: DraftChange.TEXT,
    Command.PUBLISH: DraftChange.VISIBILITY,
    Command.PRIVATE: DraftChange.VISIBILITY,
}
"""What a command changes in a draft whose approval it withdraws or asks for again."""


@dataclass(frozen=True)
class StormSent:
    """What publishing one storm member came to (`Workflow.publish_storm_member`)."""

    case: Case
    """The member after it: `published`, back in `storm` (not sent), or `publish_unknown`."""
    retry_at: datetime | None = None
    """The platform asked to slow down: nothing more to it before this time."""
    failed: str = ""
    """Why it was not sent (the platform's words), when it was not."""
    not_sent: NotPublished | None = None
    """What kind of "not sent" it was (the platform's retry rule depends on it)."""


class CaseNotFound(Refused):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"there is no case #{case_id}", code="not_found")


class Workflow:
    def __init__(
        self,
        store: Store,
        config: Config,
        adapters: Mapping[str, Adapter],
        chat: Shows,
        *,
        clock: Callable[[], datetime] = utcnow,
        time_scale: float = 1.0,
        approvers: Callable[[], Awaitable[frozenset[str]]] | None = None,
        drafter: Drafter | None = None,
        answers: PastAnswers | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self.adapters = adapters
        self._checkers = {n: a for n, a in adapters.items() if isinstance(a, ChecksDrafts)}
        self.chat = chat
        self.clock = clock
        self.time_scale = time_scale
        self.approvers = approvers
        """Resolves approvers at decision time (a chat backend expanding user groups)."""
        self.drafter = drafter or Drafter()
        """Renders template drafts (shared with the pipeline, which drafts new cases)."""
        self.answers = answers
        """Published answers: each publish is recorded there; "Use this answer" reads them."""
        self.in_flight = InFlight()
        """Publishes under way: a stopping process lets them finish (chatops.processes)."""
        self.policy = Policy(
            approvers=frozenset(config.approval.approvers),
            departments=frozenset(d.id for d in config.departments),
            pii_patterns=tuple(config.pii.patterns),
            pii_allow=tuple(config.pii.allow),
            repeat_limit=config.pii.repeat_warning_per_day,
        )

    # -- commands people give -------------------------------------------------------------

    async def claim(self, case_id: str, actor: str) -> Case:
        return await self.command(case_id, Command.CLAIM, actor)

    async def unclaim(self, case_id: str, actor: str) -> Case:
        return await self.command(case_id, Command.UNCLAIM, actor)

    async def take_over(self, case_id: str, actor: str) -> Case:
        """Become the owner of a case someone else claimed; they are told in the thread."""
        return await self.command(case_id, Command.TAKE_OVER, actor)

    async def edit(self, case_id: str, actor: str, text: str) -> Case:
        return await self.command(case_id, Command.EDIT, actor, Args(text=text))

    async def reject(self, case_id: str, actor: str, reason: str) -> Case:
        return await self.command(case_id, Command.REJECT, actor, Args(text=reason))

    async def reroute(self, case_id: str, actor: str, department: str) -> Case:
        return await self.command(case_id, Command.REROUTE, actor, Args(department=department))

    async def dismiss(self, case_id: str, actor: str, reason: str) -> Case:
        return await self.command(case_id, Command.DISMISS, actor, Args(text=reason))

    async def snooze(self, case_id: str, actor: str, until: datetime) -> Case:
        """No escalation pings for this case before `until`; the case itself stays open."""
        return await self.command(case_id, Command.SNOOZE, actor, Args(until=until))

    async def reply_to(self, case_id: str, actor: str, mention_key: str) -> Case:
        """Answer this mention of the case rather than the newest one; a template draft then
        greets its author (a draft a person wrote is left as it is, and the thread says so)."""
        case = await self.case(case_id)
        mentions = await self.store.cases.mentions(case.id)
        target = mentions.get(mention_key)
        draft = self._template_draft(case, target) if target is not None else ""
        args = Args(text=mention_key, draft=draft)
        return await self.command(case.id, Command.REPLY_TO, actor, args)

    async def use_template(self, case_id: str, actor: str, intent: str) -> Case:
        """Replace the draft with the template `intent` in the customer's language, greeting
        the comment the draft answers; a draft a person wrote is quoted in the thread."""
        case = await self.case(case_id)
        offered = self.drafter.intents(case.language)
        try:
            wanted: Intent | None = Intent(intent.strip())  # a template's or an intent's name
        except ValueError:
            wanted = None
        chosen = wanted if wanted in offered else None
        if chosen is None:
            known = ", ".join(i.value for i in offered)
            raise Refused(f"there is no template '{intent.strip()}' (known: {known})")
        mentions = await self.store.cases.mentions(case.id)
        target = mentions.get(case.reply_to or "") or next(reversed(mentions.values()), None)
        draft = self._template_draft(case, target, chosen)
        args = Args(text=chosen.value, draft=draft)
        return await self.command(case.id, Command.TEMPLATE, actor, args)

    async def use_answer(self, case_id: str, actor: str, source: str) -> Case:
        """Make the answer published on case `source` the draft of `case_id`, greeting this
        customer instead of that one. An answer in another language than the customer's is
        replaced by the closest one in theirs, or refused (the draft stays). `actor` becomes
        the draft's writer, so publishing it is a person's click under the usual rules."""
        case = await self.case(case_id)
        answer = await self._answer(source.strip().lstrip("#"))
        if case.language and answer.language and answer.language != case.language:
            answer = self._in_language(answer, case)
        mentions = await self.store.cases.mentions(case.id)
        target = mentions.get(case.reply_to or "") or next(reversed(mentions.values()), None)
        name = first_name(target.author.name, brand=self.config.brand) if target else ""
        text = adapt(answer, name, target.author.handle if target else "")
        return await self.command(case.id, Command.EDIT, actor, Args(text=text))

    async def _answer(self, source: str) -> Answer:
        """The answer published on case `source`, looked for in Redis too when this process
        has not seen it yet."""
        if self.answers is None:
            raise Refused("past answers are not available in this process")
        answer = self.answers.answer_of(source)
        if answer is None:
            await self.answers.refresh()
            answer = self.answers.answer_of(source)
        if answer is None:
            raise Refused(f"#{source} has no published answer that can be reused")
        return answer

    def _in_language(self, answer: Answer, case: Case) -> Answer:
        """The answer closest to `answer` in the customer's language, or a refusal saying
        that there is none."""
        assert self.answers is not None
        for match in self.answers.similar(
            f"{answer.question}\n{answer.text}", case.department, case.language, k=5
        ):
            if match.answer.language == case.language:
                return match.answer
        raise Refused(
            f"the answer of #{answer.case_id} is in {answer.language} and {case.number} is in "
            f"{case.language}: no similar answer in {case.language} was published, so the "
            "draft stays as it is"
        )

    def _template_draft(
        self, case: Case, target: Mention | None, intent: Intent | None = None
    ) -> str:
        """The template draft of `case` (its intent unless another is given) greeting the
        author of `target`; "" without one."""
        if target is None:
            return ""
        try:
            chosen = intent or Intent(case.intent or Intent.GREETING.value)
        except ValueError:
            chosen = Intent.GREETING
        return self.drafter.for_case(
            case_id=case.id,
            language=case.language,
            intent=chosen,
            author=target.author,
            brand=self.config.brand,
        )

    async def publish(
        self,
        case_id: str,
        actor: str,
        *,
        private: bool = False,
        seen: str | None = None,
        deliver: bool = True,
    ) -> Case:
        """Publish the draft, or ask for approval first when the case is sensitive.

        `seen` is the fingerprint of the draft the person looked at (default: the draft as
        loaded now); a draft that changed under the click is refused, never sent. With
        `deliver=False` only the decision is made: a case returned in `publishing` is this
        caller's to hand to `deliver` (a chat that must answer the click first)."""
        case = await self.case(case_id)
        await self._platform_allows(case, private)
        day = self.clock().date()
        count = await self.store.published.count(case.platform, text_digest(case.draft), day)
        cmd = Command.PRIVATE if private else Command.PUBLISH
        args = Args(repeat_count=count, fingerprint=seen or fingerprint(case))
        after = await self.command(case_id, cmd, actor, args)
        if after.state is State.PUBLISHING and deliver:
            return await self.deliver(after, actor)
        return after

    async def approve(
        self,
        case_id: str,
        actor: str,
        *,
        seen: str | None = None,
        deliver: bool = True,
        text: str | None = None,
    ) -> Case:
        """Approve and publish in one compare-and-set: the approver's click is the publish
        click, and it covers only the draft the approver saw (`seen`, default: as loaded).
        With `text`, the approver edits and approves: their text replaces the draft they saw
        (transitions._approve). With `deliver=False` the case is returned in `publishing`,
        for `deliver`."""
        case = await self.case(case_id)
        edited = text.strip() if text else ""
        sent = case.model_copy(update={"draft": edited}) if edited else case
        await self._platform_allows(sent, case.private)
        args = Args(fingerprint=seen or fingerprint(case), text=edited)
        after = await self.command(case_id, Command.APPROVE, actor, args)
        return await self.deliver(after, actor) if deliver else after

    async def deliver(self, case: Case, actor: str) -> Case:
        """The platform half of `publish`/`approve(..., deliver=False)`: call it exactly once
        with the case that call returned in `publishing` (at-most-once rests on that)."""
        async with self.in_flight:
            return await self._deliver(case, actor)

    async def confirm(self, case_id: str, actor: str, *, sent: bool) -> Case:
        """After `publish_unknown`, a person says whether the reply is on the platform."""
        if sent:
            after = await self.command(case_id, Command.CONFIRM_SENT, actor)
            mentions = await self.store.cases.mentions(after.id)
            key = after.published[-1].get("mention", "") if after.published else ""
            target = mentions.get(key or after.reply_to or "")
            if target is not None:
                await self._remember_answer(after, target, actor)
            return after
        args = Args(not_published=NotPublished.NOT_THERE)
        return await self.command(case_id, Command.CONFIRM_NOT_SENT, actor, args)

    async def command(
        self, case_id: str, cmd: Command, actor: str, args: Args | None = None
    ) -> Case:
        """Apply one command atomically; raise Refused with the reason when it is not allowed."""
        args = args or Args()
        before, after = await self._transition(case_id, cmd, actor, args)
        await self._announce(before, after, cmd, actor, args)
        return after

    # -- publishing -----------------------------------------------------------------------

    def draft_check(
        self, case: Case, mentions: Mapping[str, Mention], private: bool
    ) -> tuple[int | None, int | None, str | None]:
        """(length as the platform counts it, its limit, why it would refuse now)."""
        adapter = self._checkers.get(case.platform)
        if adapter is None or not case.mention_keys:
            return None, None, None
        target = mentions.get(case.reply_to or "") or mentions.get(case.mention_keys[-1])
        if target is None:
            return None, None, None
        reply = Reply(case_id=case.id, in_reply_to=target, text=case.draft, private=private)
        return adapter.length(case.draft), adapter.max_length, adapter.check(reply, self.clock())

    async def _platform_allows(self, case: Case, private: bool) -> None:
        _, _, reason = self.draft_check(case, await self.store.cases.mentions(case.id), private)
        if reason:
            raise Refused(reason, code="platform")

    async def _deliver(self, case: Case, actor: str) -> Case:
        """Talk to the platform exactly once for a case this caller moved into `publishing`,
        and only with what its approval covers when it needs one."""
        if case.needs_approval and not is_covered(case):
            log.error("case %s: publishing a draft its approval does not cover: stopped", case.id)
            args = Args(text="not the approved draft", not_published=NotPublished.NOT_APPROVED)
            return await self.command(case.id, Command.PUBLISH_FAILED, SYSTEM, args)
        try:
            target, published = await self._send(case, case.private)
        except OutcomeUnknown as exc:
            log.warning("case %s: publish outcome unknown: %s", case.id, exc.reason)
            return await self.command(
                case.id, Command.PUBLISH_UNKNOWN, SYSTEM, Args(text=exc.reason)
            )
        except NotSent as exc:
            args = Args(text=exc.reason, not_published=_not_published(exc))
            if isinstance(exc, RateLimited):
                at = self.clock() + timedelta(seconds=exc.retry_after)
                args = replace(args, until=at)
                await self.store.retries.schedule(
                    case.id,
                    at,
                    {"fingerprint": fingerprint(case), "actor": actor, "private": case.private},
                )
            log.warning("case %s: not published: %s", case.id, exc.reason)
            return await self.command(case.id, Command.PUBLISH_FAILED, SYSTEM, args)
        await self.store.published.add(case.platform, text_digest(case.draft), self.clock().date())
        after = await self.command(
            case.id,
            Command.PUBLISH_OK,
            actor,
            Args(published_id=published.id, published_url=published.url),
        )
        await self._remember_answer(after, target, actor)
        return after

    async def _send(self, case: Case, private: bool) -> tuple[Mention, Published]:
        """The one platform call of a publish: the case's draft to the mention it answers.
        Raises what the adapter raises (OutcomeUnknown, NotSent), and PermanentError for a
        platform no longer configured."""
        mentions = await self.store.cases.mentions(case.id)
        target = mentions.get(case.reply_to or "") or mentions[case.mention_keys[-1]]
        adapter = self.adapters.get(case.platform)
        if adapter is None:
            raise PermanentError(f"platform '{case.platform}' is not configured")
        reply = Reply(case_id=case.id, in_reply_to=target, text=case.draft, private=private)
        return target, await adapter.reply(reply)

    async def _remember_answer(self, case: Case, target: Mention, actor: str) -> None:
        """Record `case`'s reply just published (its last) for "Similar", when it may be
        offered to others: not private, no personal data. Never in the way of publishing: it
        is out already."""
        pii = self.config.pii
        if self.answers is None or not offered(case.draft, case.private, pii.patterns, pii.allow):
            return
        answer = answer_of(
            case,
            target,
            actor,
            len(case.published),
            brand=self.config.brand,
            pii_patterns=pii.patterns,
            pii_allow=pii.allow,
        )
        try:
            await self.answers.record(answer)
        except (RedisError, OSError) as exc:
            log.warning(
                "case %s: answer not recorded for Similar (%s)", case.id, type(exc).__name__
            )

    async def publish_storm_member(
        self, case_id: str, actor: str, *, wordings: Sequence[str], writer: str, limit: int
    ) -> StormSent:
        """Send one storm member the first of `wordings` (its wordings of the holding statement
        `writer` wrote) that went out fewer than `limit` times today on the member's platform,
        on approver `actor`'s publish-to-all; refused (`Refused`) unless the member is still
        unanswered in its storm, and with code `repeat_limit` when every wording reached the
        limit. At most once, as every publish: the compare-and-set into `publishing` makes
        this caller the only one to talk to the platform, and a process that dies after it
        leaves the member to `recover_stalled` (`publish_unknown`).

        The wording is counted before it is sent (`PublishedTexts.reserve`), so runners of
        several storms at once never take the last use of one wording twice; it is given back
        only when it was certainly not sent (a crash in between leaves it counted: one use too
        few, never one too many).

        Nothing is shown in chat when it is sent or refused (the storm's summary counts it,
        and a thread per member is what a storm avoids); an unknown outcome is, because a
        person must look at the platform."""
        member = await self.case(case_id)
        if member.state is not State.STORM:
            raise Refused(f"case #{case_id} is not waiting in a storm", code="not_in_storm")
        day = self.clock().date()
        digests = [text_digest(w) for w in wordings]
        chosen = await self.store.published.reserve(member.platform, digests, limit, day)
        if chosen is None:
            raise Refused(f"every wording went out {limit} times today", code=REPEAT_LIMIT)
        text = wordings[chosen]
        try:
            await self._platform_allows(member.model_copy(update={"draft": text}), False)
            args = Args(text=text, writer=writer)
            _, case = await self._transition(case_id, Command.STORM_PUBLISH, actor, args)
        except BaseException:
            await self.store.published.release(member.platform, digests[chosen], day)
            raise
        result = await self._send_storm_member(case, actor)
        if result.case.state is State.STORM:  # certainly not sent: back in its storm
            await self.store.published.release(member.platform, digests[chosen], day)
        return result

    async def _send_storm_member(self, case: Case, actor: str) -> StormSent:
        """The platform half of `publish_storm_member`, for a member now in `publishing`."""
        async with self.in_flight:
            try:
                _, published = await self._send(case, private=False)
            except OutcomeUnknown as exc:
                log.warning("case %s: publish outcome unknown: %s", case.id, exc.reason)
                after = await self.command(
                    case.id, Command.PUBLISH_UNKNOWN, SYSTEM, Args(text=exc.reason)
                )
                return StormSent(after, failed=exc.reason)
            except NotSent as exc:
                log.warning("case %s: not published: %s", case.id, exc.reason)
                retry_at = None
                if isinstance(exc, RateLimited):
                    retry_at = self.clock() + timedelta(seconds=exc.retry_after)
                kind = _not_published(exc)
                failed = Args(text=exc.reason, not_published=kind)
                _, after = await self._transition(case.id, Command.PUBLISH_FAILED, SYSTEM, failed)
                return StormSent(after, retry_at=retry_at, failed=exc.reason, not_sent=kind)
            sent = Args(published_id=published.id, published_url=published.url)
            _, after = await self._transition(case.id, Command.PUBLISH_OK, actor, sent)
            return StormSent(after)

    async def retry_due(self) -> list[str]:
        """Publish what a platform asked us to send later, only if it is exactly what was
        tried (text, target, visibility, account) and, on a sensitive case, still approved."""
        done = []
        for case_id, info in await self.store.retries.take_due(self.clock()):
            case = await self.store.cases.get(case_id)
            if case is None:
                continue
            tried = str(info.get("fingerprint") or "")
            if fingerprint(case) != tried or (case.needs_approval and not is_covered(case)):
                await self._retry_dropped(case)
                continue
            try:
                await self.publish(
                    case_id,
                    str(info.get("actor") or SYSTEM),
                    private=bool(info.get("private")),
                    seen=tried,
                )
            except Refused as refusal:
                log.info("case %s: automatic retry not possible: %s", case_id, refusal.reason)
                await self._retry_dropped(case, refusal.reason)
                continue
            done.append(case_id)
        return done

    async def _retry_dropped(self, case: Case, why: str = "") -> None:
        """Tell the thread; `why` is a refusal's reason, none when the draft changed since."""
        if case.is_open:
            await self.show(case, CaseEvent(EventKind.RETRY_DROPPED, SYSTEM, reason=why))

    async def apply_many(self, commands: list[tuple[Case, Command, str, Args]]) -> list[Case]:
        """Commands on many cases, decided on the given versions and written in one round
        trip each for cases, indexes and mentions (the stale scan). A case changed by someone
        else meanwhile loses its compare-and-set and is simply left for the next look."""
        now = self.clock()
        planned = []
        for case, cmd, actor, args in commands:
            try:
                after = decide(case, cmd, actor, self.policy, _with_now(args, now))
            except Refused:
                continue
            planned.append((case, after, cmd, actor, args))
        stored = await self.store.cases.save_many(
            [
                (a, b.version, self._audit(actor, cmd.value, b.state, a, args.text), None)
                for b, a, cmd, actor, args in planned
            ]
        )
        won = [(p, s) for p, s in zip(planned, stored, strict=True) if s is not None]
        _, mentions = await asyncio.gather(
            self.store.indexes.reindex_many([(p[0], s, self.due(s)) for p, s in won]),
            self.store.cases.mentions_of([s.id for _, s in won]),
        )
        for (before, _, cmd, actor, args), after in won:
            for event in self._events_for(before, after, cmd, actor, args):
                await self._show_view(self._view(after, mentions[after.id]), event)
        return [s for _, s in won]

    async def recover_stalled(self, older_than: timedelta) -> list[str]:
        """Cases left in `publishing` by a process that died mid-call become `publish_unknown`.

        Whether the platform got the reply cannot be known here, so a person checks: never a
        blind retry.
        """
        cutoff = self.clock() - older_than
        stalled: list[str] = []
        for dept in self.config.departments:
            ids = await self.store.indexes.case_ids(dept.id, [State.PUBLISHING])
            for case in await self.store.cases.get_many(ids):
                if case.state is State.PUBLISHING and case.updated_at < cutoff:
                    reason = "the publishing process stopped before the platform answered"
                    try:
                        await self.command(
                            case.id, Command.PUBLISH_UNKNOWN, SYSTEM, Args(text=reason)
                        )
                    except Refused:
                        continue  # it finished meanwhile
                    stalled.append(case.id)
        return stalled

    # -- arrivals (called by the ingest pipeline) -----------------------------------------

    async def record(
        self,
        case_id: str,
        change: Callable[[Case | None], tuple[Case, str] | None],
        *,
        mention: Mention | None,
        actor: str = SYSTEM,
        detail: str = "",
    ) -> tuple[Case | None, Case] | None:
        """Compare-and-set a change computed from the stored case; None when nothing changed.

        `change` is pure and is simply called again on the newer case when someone else
        wrote first; it may raise Refused."""
        for _ in range(MAX_CAS_ATTEMPTS):
            before = await self.store.cases.get(case_id)
            result = change(before)
            if result is None:
                return None
            after, action = result
            entry = self._audit(actor, action, before.state if before else None, after, detail)
            stored = await self.store.cases.save(
                after,
                expected_version=before.version if before else 0,
                audit=entry,
                mention=mention,
            )
            if stored is not None:
                due = self.due(stored)
                await self.store.indexes.reindex(before, stored, due, mention=mention)
                return before, stored
        raise RuntimeError(f"case {case_id}: too much contention, giving up")

    # -- questions the chat front ends and the chase ask -----------------------------------

    async def case(self, case_id: str) -> Case:
        """The case `case_id` names (with or without '#'), or a refusal people can read."""
        case = await self.store.cases.get(case_id.lstrip("#"))
        if case is None:
            raise CaseNotFound(case_id)
        return case

    async def open_cases(self) -> list[Case]:
        """The open cases of every department, by case number."""
        ids: list[str] = []
        for dept in self.config.departments:
            ids += await self.store.indexes.case_ids(dept.id, OPEN_STATES)
        return sorted(await self.store.cases.get_many(ids), key=lambda c: int(c.id))

    def calendar(self, department: str) -> Calendar:
        """The department's time zone, opening hours and morning, with the time now."""
        return calendar(self.config, department, self.clock(), self.time_scale)

    # -- internals ------------------------------------------------------------------------

    async def _transition(
        self, case_id: str, cmd: Command, actor: str, args: Args
    ) -> tuple[Case, Case]:
        case_id = case_id.lstrip("#")
        policy = self.policy
        if self.approvers is not None and cmd in _RESOLVE_APPROVERS:
            policy = replace(policy, approvers=await self.approvers())

        def change(before: Case | None) -> tuple[Case, str]:
            if before is None:
                raise CaseNotFound(case_id)
            after = decide(before, cmd, actor, policy, _with_now(args, self.clock()))
            if cmd is Command.REROUTE:
                after = self._resensitise(after)
            return after, cmd.value

        try:
            result = await self.record(case_id, change, mention=None, actor=actor, detail=args.text)
        except Refused as refusal:
            if refusal.remember:
                await self._remember(case_id, refusal, actor)
            raise
        assert result is not None and result[0] is not None
        return result[0], result[1]

    async def _remember(self, case_id: str, refusal: Refused, actor: str) -> None:
        """Keep a warning on the case so the next identical click goes through."""

        def warn(case: Case | None) -> tuple[Case, str] | None:
            if case is None or refusal.remember in case.warnings:
                return None
            return case.model_copy(
                update={"warnings": [*case.warnings, refusal.remember]}
            ), "warning"

        await self.record(case_id, warn, mention=None, actor=actor, detail=refusal.reason)

    def _resensitise(self, case: Case) -> Case:
        """Department-based approval follows the case to its new department; a request for
        approval that the new department does not need lapses."""
        reasons = [r for r in case.sensitive_reasons if not r.startswith("department:")]
        if case.department in self.config.approval.departments:
            reasons.append(f"department:{case.department}")
        case.sensitive_reasons = reasons
        if case.state is State.AWAITING_APPROVAL and not case.needs_approval:
            case.state = State.DRAFTED
        return case

    def _audit(
        self, actor: str, action: str, before: State | None, after: Case, detail: str
    ) -> AuditEntry:
        return AuditEntry(
            at=self.clock(),
            actor=actor,
            action=action,
            before=before,
            after=after.state,
            detail=detail,
        )

    def due(self, case: Case) -> datetime | None:
        """Next time the chase must look at this case (indexed in the store)."""
        step = next_step(case, self.config, self.time_scale)
        return step.due if step else None

    def answer_due(self, case: Case) -> datetime | None:
        """When the case's first answer is due (None once answered): "overdue" after it."""
        return first_response_due(case, self.config, self.time_scale)

    def next_step(self, case: Case, now: datetime) -> Step | None:
        """The escalation step this case is at next, under this workflow's policy."""
        return next_step(case, self.config, self.time_scale, now)

    def department(self, dept_id: str) -> Department:
        d = self.config.department(dept_id)
        zone = self.config.department_tz(d.id).key
        return Department(id=d.id, name=d.name, channel=d.channel, zone=zone)

    async def view(self, case: Case) -> CaseView:
        stored = await self.store.cases.mentions(case.id)
        if self.answers is not None and any(
            self.answers.answer_of(c) is None for c in case.similar
        ):
            await self.answers.refresh()  # published by another process since
        return self._view(case, stored, await self._earlier(case, stored))

    async def _earlier(self, case: Case, stored: Mapping[str, Mention]) -> Earlier | None:
        """The earlier cases of the customer the draft answers (the first commenter when
        none is chosen), newest named; None when this is their first."""
        first = stored.get(case.mention_keys[0]) if case.mention_keys else None
        customer = stored.get(case.reply_to or "") or first
        if customer is None:
            return None
        author = customer.author
        found = await self.store.indexes.cases_of_author(
            customer.platform, author.id, author.handle
        )
        ids = [i for i in found if i.isdigit() and i != case.id]
        if case.id.isdigit():
            ids = [i for i in ids if int(i) < int(case.id)]
        last = await self.store.cases.get(ids[0]) if ids else None
        if last is None:
            return None
        return Earlier(len(ids), last.id, last.state, last.created_at)

    def _view(
        self, case: Case, stored: Mapping[str, Mention], earlier: Earlier | None = None
    ) -> CaseView:
        mentions = [stored[k] for k in case.mention_keys if k in stored]
        due = first_response_due(case, self.config, self.time_scale)
        if due is not None:
            due = due.astimezone(self.config.department_tz(case.department))
        length, limit, blocked = self.draft_check(case, stored, case.private)
        return CaseView(
            case,
            mentions,
            self.department(case.department),
            due,
            draft_length=length,
            max_length=limit,
            blocked=blocked,
            earlier=earlier,
            templates=tuple(i.value for i in self.drafter.intents(case.language)),
            similar=self._similar(case),
        )

    def _similar(self, case: Case) -> tuple[SimilarAnswer, ...]:
        """The answers of the case's similar cases that this process knows."""
        if self.answers is None:
            return ()
        found = (self.answers.answer_of(c) for c in case.similar)
        return tuple(SimilarAnswer(a.case_id, a.by, a.at, a.text, a.language) for a in found if a)

    async def _announce(
        self, before: Case, after: Case, cmd: Command, actor: str, args: Args
    ) -> None:
        events = self._events_for(before, after, cmd, actor, args)
        if events:
            # A command's line needs no customer history, and a click is answered sooner
            # without looking it up; a reroute shows the whole case anew in its new channel.
            # (Chats render a case's message from `view`, which always has it.)
            if cmd is Command.REROUTE:
                view = await self.view(after)
            else:
                view = self._view(after, await self.store.cases.mentions(after.id))
            for event in events:
                await self._show_view(view, event)

    async def show(self, case: Case, event: CaseEvent) -> None:
        """Hand the change to chat; a chat failure never undoes what is stored."""
        await self._show_view(await self.view(case), event)

    async def _show_view(self, view: CaseView, event: CaseEvent) -> None:
        """Hand the event to chat. A chat failure never undoes what is stored, but the store
        itself failing (chat backends queue in Redis) is raised: the stream then redelivers
        the arrival, which shows the case again, instead of acknowledging a case never shown."""
        try:
            await self.chat.show(view, event)
        except (RedisError, OSError):
            raise
        except Exception:
            log.exception("case %s: chat backend failed to show %s", view.case.id, event.kind)

    def _events_for(
        self, before: Case, after: Case, cmd: Command, actor: str, args: Args
    ) -> list[CaseEvent]:
        """What the thread says about one command; a change to an approved or waiting draft
        says so on a line of its own, addressed to the approvers."""
        events: list[CaseEvent] = []
        if cmd is Command.TEMPLATE:
            events.append(_template_event(before, after, actor))
        if cmd in _CHANGES and before.approved_fingerprint and not after.approved_fingerprint:
            events.append(self._withdrawn(before, actor, cmd))
        if cmd in _CHANGES and after.state is State.AWAITING_APPROVAL:
            if before.state is not State.AWAITING_APPROVAL:
                return [*events, self._approval_requested(after, actor, changed=None)]
            if fingerprint(before) != fingerprint(after):
                changed = _CHANGED.get(cmd, DraftChange.TEXT)
                return [*events, self._approval_requested(after, actor, changed=changed)]
        if events or cmd in (Command.PUBLISH, Command.PRIVATE, Command.STORM_PUBLISH):
            return events  # publishing: the outcome is announced
        if cmd is Command.REPLY_TO:
            return [_reply_target_event(before, after, actor)]
        kind = _EVENT_OF[cmd]
        previous = self.department(before.department) if cmd is Command.REROUTE else None
        notify = (after.owner,) if kind is EventKind.REJECTED and after.owner else args.notify
        previous_owner = before.owner if kind is EventKind.TAKEN_OVER else None
        edited = kind is EventKind.APPROVED and before.draft != after.draft
        if previous_owner:
            notify = (previous_owner,)
        event = CaseEvent(
            kind,
            actor,
            notify=notify,
            previous_department=previous,
            previous_owner=previous_owner,
            changed=DraftChange.TEXT if edited else None,
            reason=args.text if kind in _REASONED else "",
            not_published=args.not_published,
            until=args.until,
            overdue=args.overdue,
        )
        return [event]

    def _approval_requested(
        self, case: Case, actor: str, *, changed: DraftChange | None
    ) -> CaseEvent:
        """Ask the approvers who did not write or request this draft (four eyes)."""
        configured = self.config.approval.approvers
        excluded = authors(case)
        notify = tuple(a for a in configured if a not in excluded)
        return CaseEvent(
            EventKind.APPROVAL_REQUESTED,
            actor,
            notify=notify,
            changed=changed,
            no_other_approver=bool(configured) and not notify,
        )

    def _withdrawn(self, before: Case, actor: str, cmd: Command) -> CaseEvent:
        notify = (before.approved_by,) if before.approved_by else ()
        return CaseEvent(
            EventKind.APPROVAL_WITHDRAWN, actor, notify=notify, changed=_CHANGED.get(cmd)
        )


def _template_event(before: Case, after: Case, actor: str) -> CaseEvent:
    """A template replaced the draft: a draft a person wrote is quoted, so it is not lost."""
    person = before.draft_author not in (None, SYSTEM) and bool(before.draft.strip())
    return CaseEvent(
        EventKind.TEMPLATE,
        actor,
        template=after.intent or "",
        replaced=before.draft if person else "",
        replaced_author=(before.draft_author or "") if person else "",
    )


def _reply_target_event(before: Case, after: Case, actor: str) -> CaseEvent:
    """Which comment the draft now answers, and whether its greeting could follow."""
    key = after.reply_to or ""
    place = after.mention_keys.index(key) + 1 if key in after.mention_keys else None
    kept = after.draft_author != SYSTEM and bool(after.draft.strip())
    return CaseEvent(EventKind.REPLY_TARGET, actor, comment=place, kept_draft=kept)


def _with_now(args: Args, now: datetime) -> Args:
    return replace(args, now=now)


def _not_published(exc: NotSent) -> NotPublished:
    if isinstance(exc, RateLimited):
        return NotPublished.RATE_LIMITED
    if isinstance(exc, PermanentError):
        return NotPublished.REFUSED
    return NotPublished.UNAVAILABLE
