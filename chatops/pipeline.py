"""From a parsed mention to a case in chat: classify, route, group, draft, record, show.

Everything here is idempotent per mention, because the stream delivers at least once: a
mention already recorded in its case is recognised and only re-shown, never re-added.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError

from adapters import Adapter, PermanentError
from adapters.base import Enriches
from chatops.chat import CaseEvent, ChatBackend, EventKind
from chatops.chat.capabilities import ListsApprovers, ShowsStorms
from chatops.chat.storm import StormRef
from chatops.classify import Classification, classify, sensitivity_reasons
from chatops.config import Config
from chatops.domain import AuditEntry, Case, Change, Mention, State, utcnow
from chatops.drafting import LANGUAGES, Drafter, Intent, follow_up, intent_of
from chatops.flood import FloodGuard, flagged, show_arrival
from chatops.privacy.removal import (
    purge_answer,
    purge_roster,
    purge_stream,
    purged,
    tell_storms,
)
from chatops.publishall import PublishAll
from chatops.routing import route
from chatops.store import Store
from chatops.store.storms import ROSTER_TEXT, Member
from chatops.storm import Closed, StormWatch, Verdict, author_of
from chatops.suggest.runner import SuggestRunner
from chatops.workflow.commands import SYSTEM, Command
from chatops.workflow.service import Workflow
from chatops.workflow.transitions import Args, decide

log = logging.getLogger(__name__)

DRAFT_LANGUAGE_FALLBACK = "en"
SIMILAR_SHOWN = 3
"""Answered cases a new case's card offers at most ("Similar: #1042 …")."""

_ASKED = frozenset(
    {State.AWAITING_APPROVAL, State.APPROVED, State.PUBLISHING, State.PUBLISH_UNKNOWN}
)
"""Once someone asked for approval or a publish is under way, a new comment never rewrites
the draft nor moves its reply target: an approval covers exactly what goes out."""


@dataclass(frozen=True)
class Handled:
    """What one mention came to: its case, and the storm group it joined in the case's
    department (None: not observed: an edit or removal, spam, or a text with nothing to
    group by)."""

    case: Case | None
    storm: Verdict | None = None


class Pipeline:
    def __init__(
        self,
        workflow: Workflow,
        store: Store,
        config: Config,
        adapters: Mapping[str, Adapter],
        chat: ChatBackend,
        drafter: Drafter,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.workflow = workflow
        self.store = store
        self.config = config
        self.adapters = adapters
        self.chat = chat
        self.drafter = drafter
        self.clock = clock
        self.flood = FloodGuard(store.redis, config.flood)
        self.storms = StormWatch(store.storms, config)
        self.publish_all = PublishAll(
            workflow,
            store,
            config,
            drafter,
            clock=clock,
            changed=chat.storm_changed if isinstance(chat, ShowsStorms) else None,
            approvers=chat.approvers if isinstance(chat, ListsApprovers) else None,
        )
        """Storms' holding statements and publish-to-all (issue 13 item 4)."""
        self.suggestions: SuggestRunner | None = None
        """Model suggestions to ask for when a case gets a new template draft (runtime)."""
        langs = {lang for d in self.config.departments for lang in d.languages}
        self.languages: tuple[str, ...] = tuple(sorted(langs)) or LANGUAGES

    async def handle(self, mention: Mention) -> Case | None:
        """Record one mention; returns its case (None when there was nothing to record)."""
        return (await self.process(mention)).case

    async def process(self, mention: Mention) -> Handled:
        """Record one mention; returns its case and the storm group it joined."""
        adapter = self.adapters.get(mention.platform)
        if isinstance(adapter, Enriches) and mention.change is not Change.REMOVED:
            mention = await self._enriched(adapter, mention)
        if mention.change is Change.REMOVED:
            # Marked before looking for its case: a worker recording the mention right now
            # looks for the mark after recording it (_arrived), so one of the two sees the other.
            ttl = int(self.config.retention.dedupe.total_seconds())
            await self.store.indexes.mark_gone(mention.key, ttl)
        if mention.change is not Change.ADD:
            case_id = await self.store.indexes.case_for_mention(mention.key)
            if case_id is not None:
                return Handled(await self._changed(case_id, mention))
            if mention.change is Change.REMOVED:
                log.info("removal of %s before its mention: it will not be recorded", mention.key)
                return Handled(None)
        elif await self.store.indexes.is_gone(mention.key):
            log.info(
                "%s was removed by its author before it was recorded: not recorded", mention.key
            )
            return Handled(None)
        handled = await self._arrived(mention)
        case = handled.case
        if (
            case
            and mention.key in case.mention_keys
            and await self.store.indexes.is_gone(mention.key)
        ):
            gone = mention.model_copy(update={"change": Change.REMOVED, "text": ""})
            return Handled(await self._changed(case.id, gone), handled.storm)
        return handled

    async def _enriched(self, adapter: Enriches, mention: Mention) -> Mention:
        """Fetch what the webhook left out. A permanent failure (deleted, no token) still
        records the mention, marked; a passing one raises so the stream redelivers it."""
        try:
            return await adapter.enrich(mention)
        except PermanentError as exc:
            log.warning("%s: cannot fetch details: %s", mention.key, exc.reason)
            note = f"[details not available: {exc.reason}]"
            return mention.model_copy(update={"text": (mention.text + " " + note).strip()})

    def classify(self, mention: Mention) -> Classification:
        a = self.config.approval
        return classify(
            mention.text,
            lang_hint=mention.lang,
            allowed_languages=self.languages,
            author_followers=mention.author.followers,
            author_handle=mention.author.handle,
            sensitive_keywords=a.sensitive_keywords,
            min_followers=a.min_followers,
            pii_patterns=self.config.pii.patterns,
            pii_allow=self.config.pii.allow,
        )

    def route(self, mention: Mention, language: str | None) -> str:
        r = self.config.routing
        return route(
            r.rules,
            r.default,
            text=mention.text,
            language=language,
            platform=mention.platform,
            account=mention.account,
            kind=mention.kind.value,
        )

    def intent_for(self, mention: Mention, cls: Classification, thread: str | None) -> Intent:
        """What the draft should do (`drafting.intent_of`: spam gets none, sensitive keywords
        an apology), after the case's earlier intent `thread` (`drafting.follow_up`)."""
        return follow_up(intent_of(mention.text, cls), thread)

    def draft_for(self, mention: Mention, intent: Intent, language: str | None, n: str) -> str:
        return self.drafter.for_case(
            case_id=n,
            language=language or DRAFT_LANGUAGE_FALLBACK,
            intent=intent,
            author=mention.author,
            brand=self.config.brand,
        )

    async def _arrived(self, mention: Mention) -> Handled:
        cls = self.classify(mention)
        now = self.clock()
        flood = await self.flood.check(mention, spam=cls.spam, now=now)
        created = False
        case_id = flood.case_id
        if case_id is None:
            case_id, created = await self.store.cases.resolve_id(mention.conversation_key)
        # Observed before the case is recorded: a new case of an open storm is created as its
        # member, listed in the storm thread instead of posted as a thread of its own.
        verdict = await self._observe(case_id, mention, cls, now, new=created)
        storm = _storm_id(verdict)
        similar = await self._similar(case_id, mention, cls) if created else []

        def change(before: Case | None) -> tuple[Case, str] | None:
            if before is None:
                case = self._new_case(case_id, mention, cls, now, storm, similar)
                action = "created"
            elif mention.key in before.mention_keys or _is_our_reply(before, mention):
                return None
            else:
                case, action = self._joined(before, mention, cls, now), "mention"
            return flagged(case, flood.decision), action

        result = await self.workflow.record(case_id, change, mention=mention)
        if result is None:
            case = await self.store.cases.get(case_id)
            assert case is not None
            await self.store.indexes.reindex(None, case, self.workflow.due(case), mention=mention)
            if mention.key not in case.mention_keys:
                return Handled(case)  # our own reply, echoed by the platform
            if mention.key == case.mention_keys[0] and case.state is not State.STORM:
                # A redelivery: the process that saved the case may have died before chat was
                # told. Showing the creation again queues the case message if it is missing
                # (chat backends post a case message once), and changes nothing otherwise.
                await self.workflow.show(case, self._arrival_event(None, case, mention))
            log.debug("duplicate delivery of %s: recorded already", mention.key)
            await self._enlist(None, case, mention, cls, verdict, now)
            return Handled(case, verdict)
        before, after = result
        if before is None or flood.case_id is not None:
            await self.flood.recorded(mention, after)
        if after.state is not State.STORM:  # a storm member has no message of its own
            event = self._arrival_event(before, after, mention)
            await show_arrival(
                self.workflow, self.chat, after, event, mention, flood.decision, self.config.flood
            )
            if self.suggestions is not None and (before is None or before.draft != after.draft):
                await self.suggestions.request(after)  # in the background: shown already
        await self._enlist(before, after, mention, cls, verdict, now)
        return Handled(after, verdict)

    async def _observe(
        self, case_id: str, mention: Mention, cls: Classification, now: datetime, *, new: bool
    ) -> Verdict | None:
        """Storm detection in the department the case is (or will be) in (`new`: its number
        was just given, so no case is stored yet and it goes where routing says). Spam is no
        storm to answer, so it is not counted; a redelivery counts once (the store knows its
        members)."""
        if cls.spam:
            return None
        existing = None if new else await self.store.cases.get(case_id)
        department = (
            existing.department if existing is not None else self.route(mention, cls.language)
        )
        return await self.storms.observe(department, mention, now)

    async def _enlist(
        self,
        before: Case | None,
        case: Case,
        mention: Mention,
        cls: Classification,
        verdict: Verdict | None,
        now: datetime,
    ) -> None:
        """A storm's mention joins its roster (what its thread lists); when it opened the
        storm, the members before it (each in a thread of its own) join first. Then the chat
        is told, to post or update the storm's summary and list the new members."""
        if verdict is None or not verdict.storm:
            return
        storms = self.store.storms
        members = []
        if verdict.opened:
            members = await self._earlier(verdict, exclude=mention.key)
        if case.state is State.STORM:
            own = ""
        elif before is None:
            own = "sensitive"
        else:
            own = "conversation"
        members.append(_member(mention, case.id, now, cls.language or case.language, own))
        added = await storms.enlist(verdict.department, verdict.group, members)
        if (added or verdict.opened or before is None) and isinstance(self.chat, ShowsStorms):
            try:
                await self.chat.storm_changed(StormRef(verdict.department, verdict.group))
            except Exception:
                log.exception(
                    "storm %s:%s: chat failed to show it", verdict.department, verdict.group
                )

    async def storm_closed(self, closed: Closed) -> None:
        """A storm went quiet: its summary says so (the chat reads the closed record)."""
        if isinstance(self.chat, ShowsStorms):
            try:
                await self.chat.storm_changed(StormRef(closed.department, closed.group))
            except Exception:
                log.exception(
                    "storm %s:%s: chat failed to show it", closed.department, closed.group
                )

    async def _earlier(self, verdict: Verdict, *, exclude: str) -> list[Member]:
        """The members of a storm from before it opened, as its roster lists them: each is
        an ordinary case with a thread of its own."""
        found = []
        for key, joined in await self.store.storms.joined(verdict.department, verdict.group):
            if key == exclude:
                continue
            case_id = await self.store.indexes.case_for_mention(key)
            if case_id is None:
                continue
            stored = (await self.store.cases.mentions(case_id)).get(key)
            if stored is None:
                continue
            case = await self.store.cases.get(case_id)
            language = stored.lang or (case.language if case is not None else None)
            found.append(_member(stored, case_id, joined, language, "earlier"))
        return found

    async def _similar(self, case_id: str, mention: Mention, cls: Classification) -> list[str]:
        """The answered cases most like a new one, best first (none for spam): what the card
        offers to start from. One round trip to learn what other processes published."""
        answers = self.workflow.answers
        if answers is None or cls.spam or not mention.text.strip():
            return []
        try:
            await answers.refresh()
        except (RedisError, OSError) as exc:  # an aid, never in the way of a case: none offered
            log.warning("case %s: no similar answers (%s)", case_id, type(exc).__name__)
            return []
        department = self.route(mention, cls.language)
        found = answers.similar(
            mention.text, department, cls.language, SIMILAR_SHOWN, exclude=[case_id]
        )
        return [match.answer.case_id for match in found]

    def _new_case(
        self,
        case_id: str,
        m: Mention,
        cls: Classification,
        now: datetime,
        storm: str | None,
        similar: list[str] | None = None,
    ) -> Case:
        department = self.route(m, cls.language)
        written = min(m.created_at, now)
        case = Case(
            id=case_id,
            department=department,
            platform=m.platform,
            account=m.account,
            conversation_id=m.conversation_id,
            created_at=written,
            updated_at=now,
            opened_at=written,
            language=cls.language,
            mention_keys=[m.key],
            reply_to=m.key,
            intent=(intent := self.intent_for(m, cls, None)).value,
            draft=self.draft_for(m, intent, cls.language, case_id),
            draft_author=SYSTEM,
            storm=storm,
            similar=tuple(similar or ()),
        )
        case = self._merge_flags(case, m, cls)
        if storm is not None and not stands_out(case):
            case.state = State.STORM
        return case

    def _joined(self, before: Case, m: Mention, cls: Classification, now: datetime) -> Case:
        case = before.model_copy(deep=True)
        if case.state in (State.PUBLISHED, State.CLOSED, State.DISMISSED) and not (
            case.state is State.DISMISSED and case.dismiss_reason == "spam" and cls.spam
        ):
            written = min(m.created_at, now)
            case = decide(case, Command.REOPEN, SYSTEM, self.workflow.policy, Args(now=written))
        case.mention_keys.append(m.key)
        case.updated_at = now
        if case.state in _ASKED:
            return self._merge_flags(case, m, cls)  # only shown: what comms see stays put
        case.reply_to = m.key
        if case.draft_author == SYSTEM:
            intent = self.intent_for(m, cls, case.intent)
            case.draft = self.draft_for(m, intent, case.language or cls.language, case.id)
        case = self._merge_flags(case, m, cls)
        if case.state is State.STORM and stands_out(case):
            # A storm member who wrote what needs care: a case of its own, posted now.
            case = decide(case, Command.SPLIT, SYSTEM, self.workflow.policy, Args(now=now))
        return case

    def _merge_flags(self, case: Case, m: Mention, cls: Classification) -> Case:
        a = self.config.approval
        reasons = list(case.sensitive_reasons)
        extra = sensitivity_reasons(
            m.text,
            keywords=a.sensitive_keywords,
            author_followers=m.author.followers,
            min_followers=a.min_followers,
            department=case.department,
            approval_departments=a.departments,
        )
        for r in [*cls.sensitive_reasons, *extra]:
            if r not in reasons:
                reasons.append(r)
        case.sensitive_reasons = reasons
        # "sensitive" is derived from the reasons when shown (chatops.chat.wording.shown_flags)
        case.flags = _union(case.flags, [f for f in cls.flags if f != "sensitive"])
        case.pii = _union(case.pii, list(cls.pii))
        case.spam_signals = _union(case.spam_signals, list(cls.spam_signals))
        return case

    def _arrival_event(self, before: Case | None, after: Case, m: Mention) -> CaseEvent:
        if before is None or before.state is State.STORM:
            return CaseEvent(EventKind.CREATED, SYSTEM, m)
        if before.state is not after.state and after.state in (State.NEW, State.CLAIMED):
            return CaseEvent(EventKind.REOPENED, SYSTEM, m)
        return CaseEvent(EventKind.MENTION, SYSTEM, m)

    async def _changed(self, case_id: str, mention: Mention) -> Case | None:
        """An edit or removal on the platform: update the stored mention, tell the thread. A
        removal purges the text (chatops/privacy/removal.py): the history keeps the fact."""
        stored = (await self.store.cases.mentions(case_id)).get(mention.key)
        removed = mention.change is Change.REMOVED
        update = purged(stored, mention) if removed else mention
        await self.store.cases.put_mention(case_id, update)
        case = await self.store.cases.get(case_id)
        if case is None:
            return None
        if removed:
            changed = await purge_roster(self.store.storms, case.department, update)
            await purge_stream(self.store.inbound, update)
            await purge_answer(self.workflow.answers, case, update)
            await tell_storms(self.chat, case.department, changed)
        now = self.clock()
        await self.store.audit.append(
            case_id,
            AuditEntry(
                at=now,
                actor=SYSTEM,
                action="mention_removed" if removed else "mention_edited",
                before=case.state,
                after=case.state,
                detail=mention.key,
            ),
        )
        kind = EventKind.MENTION_REMOVED if removed else EventKind.MENTION_EDITED
        event = CaseEvent(kind, SYSTEM, update)
        await self.workflow.show(case, event)
        return case


def stands_out(case: Case) -> bool:
    """A storm member that is posted as its own case at once: high reach, a sensitive
    keyword, a journalist, personal data. A department whose every reply needs approval
    makes no member stand out by itself: that would be every member."""
    reasons = [r for r in case.sensitive_reasons if not r.startswith("department:")]
    return bool(reasons or case.pii)


def _storm_id(verdict: Verdict | None) -> str | None:
    if verdict is None or not verdict.storm:
        return None
    return StormRef(verdict.department, verdict.group).id


def _member(mention: Mention, case_id: str, at: datetime, language: str | None, own: str) -> Member:
    return Member(
        key=mention.key,
        case_id=case_id,
        at=at.timestamp(),
        platform=mention.platform,
        author=mention.author.display,
        followers=mention.author.followers,
        language=language,
        text=mention.text[:ROSTER_TEXT],
        own=own,
        author_id=author_of(mention),
    )


def _is_our_reply(case: Case, mention: Mention) -> bool:
    """A platform echoing a reply we published (some leave out who wrote it)."""
    return any(p.get("id") == mention.external_id for p in case.published)


def _union(a: list[str], b: list[str]) -> list[str]:
    return a + [x for x in b if x not in a]
