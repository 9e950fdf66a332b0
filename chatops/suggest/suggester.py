"""The edge of a suggestion: read the case, retrieve, ask the model, judge, then replace the
template draft by compare-and-set, only while nobody has touched it.

What a person does always wins: a request names the exact draft it may replace (`Wanted`), and
the swap is a compare-and-set on the case that re-checks that the draft is still that template
text. A suggestion that fails (the model, or a guardrail) leaves the template draft and says so
in one line; a request whose draft changed meanwhile ends without a word. Nothing here
publishes: the suggestion is a draft like any other, and every rule a draft meets before it
goes out (personal data, sensitivity, approvals, repeated text) applies to it unchanged.

Logs name case ids and exception classes only, never the customer's or the model's words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from adapters.base import display_name
from chatops.config import Config
from chatops.domain import AuditEntry, Case, Mention, State, Suggested, draft_digest, utcnow
from chatops.drafting import LANGUAGES, first_name
from chatops.knowledge import Knowledge
from chatops.knowledge.answers import PastAnswers, adapt
from chatops.store import Store
from chatops.suggest import guardrails, prompt
from chatops.suggest.llm import ChatModel, ModelFailed
from chatops.suggest.queue import Wanted
from chatops.workflow.commands import SYSTEM
from chatops.workflow.events import CaseEvent, EventKind
from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)

PASSAGES = 3
"""Knowledge passages retrieved for the prompt (recall@3 is what bench/drafting.py measures)."""
PAST_ANSWERS = 2

SUGGESTABLE = frozenset({State.NEW, State.CLAIMED, State.DRAFTED})
"""States in which a suggestion may replace the draft: before anyone asked for approval or
publishing, when what an approver saw must stay exactly what goes out."""


def wants(case: Case | None, wanted: Wanted) -> bool:
    """Whether `case` still has the template draft the suggestion was asked for."""
    return (
        case is not None
        and case.state in SUGGESTABLE
        and case.draft_author == SYSTEM
        and draft_digest(case.draft) == wanted.digest
    )


def worth_asking(case: Case) -> bool:
    """A case a model should draft for: an open one with a template draft, in a known language
    (its reply's language cannot be checked otherwise), not spam (no draft is wanted)."""
    return (
        case.state in SUGGESTABLE
        and case.draft_author == SYSTEM
        and bool(case.draft.strip())
        and case.language is not None
        and "possible_spam" not in case.flags
    )


@dataclass(frozen=True)
class Outcome:
    """What one request came to: `applied`, or `failed` with its reason, or neither (stale)."""

    applied: bool = False
    failed: str = ""


STALE = Outcome()


class Suggester:
    def __init__(
        self,
        model: ChatModel,
        workflow: Workflow,
        store: Store,
        config: Config,
        knowledge: Knowledge,
        *,
        past: PastAnswers | None = None,
        languages: Sequence[str] = LANGUAGES,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.model = model
        self.workflow = workflow
        self.store = store
        self.config = config
        self.knowledge = knowledge
        self.past = past
        self.languages = tuple(languages)
        self.clock = clock

    async def suggest(self, wanted: Wanted) -> Outcome:
        """Handle one request: the draft replaced, a failure said, or nothing (stale)."""
        case = await self.store.cases.get(wanted.case_id)
        if case is None or not wants(case, wanted):
            return STALE
        mentions = await self.store.cases.mentions(case.id)
        target = _target(case, mentions)
        if target is None:
            return STALE
        request = await self.request(case, mentions, target)
        try:
            completion = await self.model.complete(prompt.messages(request))
        except ModelFailed as exc:
            log.info("case %s: no model suggestion: %s", case.id, type(exc).__name__)
            return await self._failed(wanted, exc.reason)
        text = clean(completion.text)
        length, limit = self._length(case, mentions, text)
        verdict = guardrails.check(
            text,
            language=case.language,
            languages=self.languages,
            customer_texts=[m.text for m in mentions.values() if m.author.id == target.author.id],
            length=length,
            max_length=limit,
            allowed_domains=self.config.drafting.allowed_domains,
            pii_patterns=self.config.pii.patterns,
            pii_allow=self.config.pii.allow,
        )
        if not verdict.ok:
            log.info("case %s: model suggestion failed a guardrail: %s", case.id, verdict.code)
            return await self._failed(wanted, verdict.problem)
        sources = [s.title for s in (*request.passages, *request.past_answers)]
        suggested = Suggested(by=completion.model, sources=sources, digest=draft_digest(text))
        return await self._apply(wanted, text, suggested, verdict.approval)

    async def request(
        self, case: Case, mentions: Mapping[str, Mention], target: Mention
    ) -> prompt.Request:
        """What the model is given for `case`, answering `target`."""
        keys = case.mention_keys[: case.mention_keys.index(target.key) + 1]
        turns = [
            prompt.Turn(first_name(m.author.name or m.author.handle) or "Customer", m.text)
            for k in keys
            if (m := mentions.get(k)) is not None
        ]
        hits = self.knowledge.index.search(
            target.text, department=case.department, language=case.language, k=PASSAGES
        )
        passages = [
            prompt.Source(h.passage.heading or h.passage.file, h.passage.text) for h in hits
        ]
        past: list[prompt.Source] = []
        if self.past is not None:
            await self.past.refresh()  # what other processes published meanwhile
            found = self.past.similar(
                target.text, case.department, case.language, PAST_ANSWERS, exclude=[case.id]
            )
            # Without the name and handle it greeted: another customer's name must never
            # reach this customer's draft by way of the model.
            past = [prompt.Source(f"#{m.answer.case_id}", adapt(m.answer, "")) for m in found]
        checker = self.workflow.draft_check(case, mentions, case.private)
        return prompt.Request(
            brand=self.config.brand,
            language=case.language,
            customer=first_name(
                target.author.name or target.author.handle, brand=self.config.brand
            ),
            conversation=turns,
            platform=display_name(case.platform),
            platform_id=case.platform,
            max_length=checker[1],
            private=case.private or target.kind.value == "dm",
            tone=self.config.drafting.tone_of(case.department),
            passages=passages,
            past_answers=past,
            allowed_domains=self.config.drafting.allowed_domains,
        )

    def _length(
        self, case: Case, mentions: Mapping[str, Mention], text: str
    ) -> tuple[int, int | None]:
        """`text`'s length as the platform counts it, and its limit for this reply."""
        length, limit, _ = self.workflow.draft_check(
            case.model_copy(update={"draft": text}), mentions, case.private
        )
        return (len(text) if length is None else length), limit

    async def _apply(
        self, wanted: Wanted, text: str, suggested: Suggested, approval: Sequence[str]
    ) -> Outcome:
        """The compare-and-set: the suggestion replaces the draft only if it is still the
        template text it was asked for; a promise of money adds its approval reason."""
        now = self.clock()

        def change(before: Case | None) -> tuple[Case, str] | None:
            if before is None or not wants(before, wanted):
                return None
            reasons = [*before.sensitive_reasons]
            reasons += [r for r in approval if r not in reasons]
            after = before.model_copy(
                update={
                    "draft": text,
                    "suggested": suggested,
                    "sensitive_reasons": reasons,
                    "updated_at": now,
                }
            )
            return after, "suggested"

        result = await self.workflow.record(
            wanted.case_id, change, mention=None, actor=SYSTEM, detail=suggested.by
        )
        if result is None:
            return STALE
        await self.workflow.show(result[1], CaseEvent(EventKind.SUGGESTED, SYSTEM))
        return Outcome(applied=True)

    async def _failed(self, wanted: Wanted, reason: str) -> Outcome:
        """Say so in the case's history and thread, if the template draft is still there to
        be kept (the case itself is not changed)."""
        case = await self.store.cases.get(wanted.case_id)
        if case is None or not wants(case, wanted):
            return STALE
        entry = AuditEntry(
            at=self.clock(),
            actor=SYSTEM,
            action="suggestion_failed",
            before=case.state,
            after=case.state,
            detail=reason,
        )
        await self.store.audit.append(case.id, entry)
        await self.workflow.show(
            case, CaseEvent(EventKind.SUGGESTION_FAILED, SYSTEM, reason=reason)
        )
        return Outcome(failed=reason)


def _target(case: Case, mentions: Mapping[str, Mention]) -> Mention | None:
    """The mention the draft answers (the newest when none is chosen)."""
    if case.reply_to and case.reply_to in mentions:
        return mentions[case.reply_to]
    found = [mentions[k] for k in case.mention_keys if k in mentions]
    return found[-1] if found else None


def clean(text: str) -> str:
    """The reply as a draft holds it: surrounding quotes a model adds taken off, spacing
    within lines collapsed, at most one blank line between paragraphs."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”«»":
        text = text[1:-1].strip()
    paragraphs = [" ".join(p.split()) for p in text.replace("\r", "").split("\n\n")]
    return "\n\n".join(p for p in paragraphs if p)
