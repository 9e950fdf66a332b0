"""Erasure on request (`chatops forget`): everything held about one person, gone.

Their mentions keep their place in each case (ids, dates, platform: the figures and the
case's shape) under a stable pseudonym and lose their author's name, handle, link and text;
drafts and history lines that answer or name them are replaced; their index keys, flood
counters, storm roster lines and inbound or dead-letter entries go. Each case's thread is
told through the ordinary case-update path, so Slack, Teams and the console re-render it.
Each case records the erasure in its history, and the store keeps one record per request
(who ran it, when, why, how many items: never whom), so a second run finds nothing and can
say when it was done. An open case stays answerable: its draft becomes a neutral greeting.
"""

from __future__ import annotations

import functools
import json
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime

from chatops import keys
from chatops.chat import CaseEvent, EventKind
from chatops.chat.capabilities import ShowsStorms
from chatops.chat.storm import StormRef
from chatops.config import Config
from chatops.domain import Author, Case, Mention, utcnow
from chatops.drafting import Intent
from chatops.knowledge.answers import PastAnswers
from chatops.privacy.erase import (
    ERASED_TEXT,
    erased_case,
    erased_entry,
    erased_member,
    erased_mention,
    identifiers,
    without_names,
)
from chatops.privacy.find import Found, find
from chatops.privacy.removal import tell_storms
from chatops.privacy.subject import Subject, is_erased, pseudonym
from chatops.redis_text import maybe_text, texts
from chatops.store import Store
from chatops.store.indexes import handle_key
from chatops.workflow.commands import SYSTEM
from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)

ACTION = "erased"
"""The history action of an erasure on request, in each case it touched."""


@dataclass(frozen=True)
class Erasure:
    """What one erasure on request did, in figures (no personal data: it is recorded)."""

    at: str
    by: str
    reason: str
    platform: str
    subjects: list[str]
    """Pseudonyms of the ids (and of the handle) erased: a later request can be told it was
    done, and nobody can read whom from it without the store's salt."""
    cases: int = 0
    mentions: int = 0
    drafts: int = 0
    history: int = 0
    storm_lines: int = 0
    answers: int = 0
    """Published answers to them kept for "Similar"."""
    indexes: int = 0
    stream_entries: int = 0
    waiting: int = 0
    """Entries of theirs no worker has processed yet: kept; run again once they are cases."""
    case_ids: list[str] = field(default_factory=list)

    @property
    def items(self) -> int:
        return self.mentions + self.drafts + self.history + self.storm_lines + self.stream_entries

    def dumps(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


class Forgetter:
    """Erases one person from the store and their cases' threads."""

    def __init__(
        self,
        workflow: Workflow,
        store: Store,
        config: Config,
        chat: object,
        *,
        answers: PastAnswers | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.wf = workflow
        self.answers = answers
        """Published answers offered as "Similar" (chatops/knowledge/answers.py): the ones
        given to the person go too."""
        self.store = store
        self.departments = config.department_ids
        self.brand = config.brand
        self.chat = chat
        self.clock = clock

    async def salt(self) -> str:
        """The store's random pseudonym key, made once (whoever sets it first wins)."""
        await self.store.redis.set(keys.ERASURE_SALT, secrets.token_hex(16), nx=True)
        return maybe_text(await self.store.redis.get(keys.ERASURE_SALT)) or ""

    async def earlier(self, subject: Subject) -> list[Erasure]:
        """Earlier erasures that named this subject (by id, or by handle)."""
        salt = await self.salt()
        mine = _aliases(salt, subject)
        rows = texts(await self.store.redis.lrange(keys.ERASURES, 0, -1))
        found = [Erasure(**json.loads(r)) for r in rows]
        return [e for e in found if mine & set(e.subjects) and e.items]

    async def forget(
        self, subject: Subject, *, by: str, reason: str, scan: bool = False
    ) -> Erasure:
        """Erase `subject` (`scan`: read every case too, not only where their indexes lead)."""
        salt = await self.salt()
        found = await find(self.store, subject, scan=scan)
        subject = found.subject
        aliases = {a: _alias(salt, subject, a) for a in subject.ids}
        counts = {"mentions": 0, "drafts": 0, "history": 0, "storm_lines": 0, "answers": 0}
        touched: list[Case] = []
        handles: dict[str, list[str]] = {}
        if self.answers is not None:  # first: found through their messages, erased below
            for author_id in subject.ids:
                counts["answers"] += await self.answers.forget(f"{subject.platform}:{author_id}")
        for case_id in found.case_ids:
            case = await self._erase_case(found, case_id, aliases, counts, by)
            if case is None:
                continue
            touched.append(case)
            for handle in _handles_gone(found, case_id):
                handles.setdefault(handle, []).append(case_id)
        storms = await self._erase_storms(subject, aliases)
        counts["storm_lines"] = sum(len(p) for p in storms.values())
        indexes = await self.store.indexes.unindex_author(subject.platform, subject.ids, handles)
        indexes += await self._forget_flood(subject)
        deleted, waiting = await self.store.inbound.erase(_names(subject))
        theirs = [m for cid in found.case_ids for m in found.own(cid).values()]
        named = identifiers(theirs) | subject.ids | ({subject.handle} - {""})
        record = Erasure(
            at=self.clock().isoformat(),
            by=by,
            reason=without_names(reason, named),
            platform=subject.platform,
            subjects=sorted(_aliases(salt, subject) | _handle_aliases(salt, found)),
            cases=len(touched),
            indexes=indexes,
            stream_entries=deleted,
            waiting=waiting,
            case_ids=[c.id for c in touched],
            **counts,
        )
        await self.store.redis.rpush(keys.ERASURES, record.dumps())
        for case in touched:
            await self._show(case)
        for (department, group), positions in storms.items():
            await tell_storms(self.chat, department, {group: positions})
        log.info("erasure on request by %s: %d case(s), %d item(s)", by, record.cases, record.items)
        return record

    async def _erase_case(
        self,
        found: Found,
        case_id: str,
        aliases: dict[str, str],
        counts: dict[str, int],
        by: str,
    ) -> Case | None:
        own = found.own(case_id)
        if not own:
            return None
        words = identifiers(own.values())
        alias = _alias_of(next(iter(own.values())), aliases)
        drafts = 0

        def change(before: Case | None) -> tuple[Case, str] | None:
            nonlocal drafts
            if before is None:
                return None
            greeting = self.wf.drafter.for_case(
                case_id=before.id,
                language=before.language,
                intent=Intent.GREETING,
                author=Author(id=alias),
                brand=self.brand,
            )
            after = erased_case(before, frozenset(own), words, greeting)
            drafts = int(after.draft != before.draft)
            return after, ACTION

        # The case first, its mentions last: a run stopped in between finds their mentions
        # again the next time and finishes (once they are erased, nothing leads here).
        detail = f"{len(own)} message(s) of one customer erased on request"
        result = await self.wf.record(case_id, change, mention=None, actor=by, detail=detail)
        counts["drafts"] += drafts
        counts["history"] += await self.store.audit.rewrite(
            case_id, lambda e: erased_entry(e, words)
        )
        for m in own.values():
            await self.store.cases.put_mention(case_id, erased_mention(m, _alias_of(m, aliases)))
        counts["mentions"] += len(own)
        return None if result is None else result[1]

    async def _erase_storms(
        self, subject: Subject, aliases: dict[str, str]
    ) -> dict[tuple[str, str], list[int]]:
        """Their storm records in every department: counted on under their pseudonym (a
        storm's figures stay), their roster lines no longer naming or quoting them. Returns
        the roster positions changed, by (department, group)."""
        done: dict[tuple[str, str], list[int]] = {}
        p = subject.platform
        for author_id, alias in aliases.items():
            for department in self.departments:
                for group in await self.store.storms.groups_of(department, f"{p}:{author_id}"):
                    positions = await self.store.storms.rewrite_author(
                        department,
                        group,
                        f"{p}:{author_id}",
                        f"{p}:{alias}",
                        functools.partial(erased_member, alias=alias, platform=p),
                    )
                    if positions:
                        done.setdefault((department, group), []).extend(positions)
        return done

    async def _forget_flood(self, subject: Subject) -> int:
        doomed = []
        for author_id in subject.ids:
            who = f"{subject.platform}:{author_id}"
            doomed += [keys.flood_author(who), keys.flood_case(who)]
        return int(await self.store.redis.delete(*doomed)) if doomed else 0

    async def _show(self, case: Case) -> None:
        """The thread re-rendered through the ordinary update path (a line saying that
        something was erased, never whose); a storm member's storm thread re-read."""
        await self.wf.show(case, CaseEvent(EventKind.ERASED, SYSTEM))
        ref = StormRef.parse(case.storm) if case.storm else None
        if ref is not None and isinstance(self.chat, ShowsStorms):
            await self.chat.storm_changed(ref)


def _alias(salt: str, subject: Subject, author_id: str) -> str:
    """The pseudonym of one author id of the subject ("" names the handle itself)."""
    return pseudonym(salt, subject.platform, author_id or f"@{subject.handle}")


def _aliases(salt: str, subject: Subject) -> set[str]:
    found = {_alias(salt, subject, a) for a in subject.ids}
    return found | {_alias(salt, subject, "")} if subject.handle else found


def _handle_aliases(salt: str, found: Found) -> set[str]:
    """The pseudonyms of every handle the person wrote as: a later request by handle is
    recognised as done, even when this one named them by id."""
    handles = {
        handle_key(m.author.handle)
        for case_id in found.case_ids
        for m in found.own(case_id).values()
    }
    return {pseudonym(salt, found.subject.platform, f"@{h}") for h in handles if h}


def _alias_of(mention: Mention, aliases: dict[str, str]) -> str:
    return aliases.get(mention.author.id) or next(iter(aliases.values()), "erased-")


def _handles_gone(found: Found, case_id: str) -> set[str]:
    """The subject's handles that no other mention of the case carries any more."""
    mentions = found.mentions[case_id]
    theirs = {handle_key(m.author.handle) for m in mentions.values() if found.subject.wrote(m)}
    others = {
        handle_key(m.author.handle)
        for m in mentions.values()
        if not found.subject.wrote(m) and not is_erased(m)
    }
    return {h for h in theirs - others if h}


def _names(subject: Subject) -> Callable[[Mention | None, dict[str, str]], bool]:
    """Whether a stream entry holds the subject: a mention of theirs, or a raw webhook item
    (a dead letter) quoting one of their ids or their handle."""
    quoted = [json.dumps(i) for i in subject.ids]
    if subject.handle:
        quoted.append(json.dumps(subject.handle))

    def names(mention: Mention | None, fields: dict[str, str]) -> bool:
        if mention is not None:
            return subject.wrote(mention)
        raw = fields.get("item") or fields.get("m") or ""
        return fields.get("platform", subject.platform) == subject.platform and any(
            q in raw for q in quoted
        )

    return names


__all__ = ["ERASED_TEXT", "Erasure", "Forgetter"]
