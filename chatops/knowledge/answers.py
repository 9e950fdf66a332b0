"""Past answers: every reply the brand published, searchable by how close its case is to a new
one, so that a person starts from what a colleague already wrote ("Similar: #1042").

Redis holds the record (`AnswerLog`): one stream per department, capped by count
(`keys.ANSWERS_KEPT`, the newest) and by age (`retention.cases`), so it survives restarts and
every process reads the same. An entry is a reference (`Reference`): the case, which of its
replies, who published it and a digest of the reply's text. The text, the customer's words,
their name and the language are the case's (`keys.case`, kept exactly as long): when an index
is built or brought up to date, the referenced cases are read in one round trip and each
answer is derived from its case with `answer_of`. So a case that is gone (retention), or whose
reply or message was erased on request or removed on the platform, yields no answer: the
record holds nothing of the customer. Entries an earlier version wrote (the whole answer, as a
JSON array or object) still read, and are forgotten, as they are.

A case holds only its latest draft, so only its latest reply can be derived: once a case is
reopened and its draft changes, the earlier reply's text is gone from the record (its entry
yields nothing at the next start), and when the case is published again its new entry gives
the answer offered. A process that read the earlier reply already stops offering it as soon
as it reads the later one (`AnswerIndex.search` offers a case's latest answer only).

Each process searches an index in memory (`AnswerIndex`), built from the streams at start and
brought up to date from them (`PastAnswers.refresh`: one round trip, and one more for the
cases of new entries) before it is searched: an answer published by any process is found by
every other.

The index is the knowledge base's character n-gram TF-IDF (`chatops.knowledge.index.Vectors`),
over the customer's words and the reply together. New answers are weighted with the fitted
vocabulary at once (`Vectors.extended`); the whole index is fitted again once they are a fair
share of it, in a thread.

Only what may be offered to another customer is recorded: a private reply, or a reply holding
personal data (an order number, an e-mail address: `chatops.classify.pii`), is not. The
customer's words are derived with their personal data masked.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import redis.asyncio as aioredis
from redis.typing import EncodableT, FieldT

from chatops import keys
from chatops.classify.pii import find_pii, redact
from chatops.domain import Case, Change, Mention, utcnow
from chatops.drafting import first_name
from chatops.knowledge.index import Vectors

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

MIN_SIMILARITY = 0.25
"""Cases scoring below this share words, not a question: not offered."""
OTHER_DEPARTMENT = 0.85
"""Weight of an answer given in another department: found, but after an equal one of ours."""
REFIT_SHARE = 0.25
"""The index is fitted again when answers added since the last fit reach this share of it."""
REFIT_MIN = 20
RANKED = 50
"""Matches ranked at most: answers of one case and old ones are skipped among these."""
READ_PAGE = 1000
"""Entries read per stream and round trip."""
QUESTION_CHARS = 1000
"""Of the customer's words, this many are kept: enough to match on."""


@dataclass(frozen=True)
class Answer:
    """One published reply, and what it answered."""

    case_id: str
    text: str
    """The reply as published."""
    question: str
    """The customer's words it answered, personal data masked."""
    language: str | None
    department: str
    by: str
    """Who published it (the approver, when it needed approval)."""
    at: datetime
    approved_by: str | None = None
    customer: str = ""
    """The first name the customer was greeted by ("" when their name is no name)."""
    handle: str = ""
    author: str = ""
    """`platform:author id` of the customer: whose data this is (`PastAnswers.forget`)."""
    id: str = ""
    """The entry's id in its department's stream."""
    reply: int = 0
    """Which of the case's replies this is (its `published` entry, 1 the first); 0 for an
    entry of an earlier version, which holds the answer itself."""

    @classmethod
    def decode(cls, entry_id: str, raw: str | bytes, department: str = "") -> Answer:
        """An entry an earlier version wrote: the whole answer in field `a`."""
        data = fields_of(raw)
        return cls(
            case_id=str(data["c"]),
            text=str(data["t"]),
            question=str(data.get("q", "")),
            language=data.get("l") or None,
            department=str(data.get("d") or department),
            by=str(data.get("b", "")),
            at=datetime.fromtimestamp(float(data["at"]), UTC),
            approved_by=data.get("ab") or None,
            customer=str(data.get("n", "")),
            handle=str(data.get("h", "")),
            author=str(data.get("u", "")),
            id=entry_id,
        )


_ORDER = ("c", "t", "q", "l", "b", "at", "ab", "n", "h", "u")
"""The named fields of an answer an earlier version wrote as an array, in its order."""


def fields_of(raw: str | bytes) -> dict[str, Any]:
    """An earlier version's answer as named fields: the array it wrote last, or the object it
    wrote before that (with its department `d`)."""
    data = json.loads(raw)
    if isinstance(data, list):
        return dict(zip(_ORDER, data, strict=False))
    if not isinstance(data, dict):
        raise ValueError("an answer is an array or an object")
    return data


def digest(text: str) -> int:
    """A 24-bit digest of a reply's text (Redis keeps it in 4 bytes): whether the case's draft
    is still the reply an entry refers to. A draft changed since matches by chance once in 16
    million."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=3).digest(), signed=True)


@dataclass(frozen=True)
class Reference:
    """A stream entry: what of a published answer cannot be read from its case record. The
    case id, which of its replies (its `published` entry: the mention answered and when), who
    published it (the record keeps only an approver, and not past a reopening), and the
    reply's `digest`. ~48 bytes a closed case (`bench.store`) where the whole answer took ~280."""

    case_id: str
    reply: int
    by: str
    digest: int

    @classmethod
    def of(cls, answer: Answer) -> Reference:
        if answer.reply < 1:
            raise ValueError("an answer is recorded by the reply of its case it is")
        return cls(answer.case_id, answer.reply, answer.by, digest(answer.text))

    def fields(self) -> dict[FieldT, EncodableT]:
        """The entry's fields (Redis keeps the case id, the reply and the digest as integers:
        a few bytes each)."""
        return {"c": self.case_id, "n": self.reply, "b": self.by, "h": self.digest}

    @classmethod
    def read(cls, fields: Mapping[str, str]) -> Reference:
        return cls(str(fields["c"]), int(fields["n"]), str(fields.get("b", "")), int(fields["h"]))


class HeldCase(Protocol):
    """A case as the store reads it (`chatops.store`'s `Stored`): its record and mentions."""

    @property
    def case(self) -> Case: ...

    def mentions(self) -> dict[str, Mention]: ...


ReadCases = Callable[[list[str]], Awaitable[Mapping[str, HeldCase]]]
"""Cases by id, in one round trip, those that exist (`Store.cases.stored`)."""


@dataclass(frozen=True)
class Masking:
    """What deriving an answer needs of the config: the brand (never a customer's name) and
    the personal data to mask in the customer's words."""

    brand: str = ""
    pii_patterns: Sequence[str] = ()
    pii_allow: Sequence[str] = ()


@dataclass(frozen=True)
class Erased:
    """Entry `id` of the erasures' stream: the answers (their entry ids in `department`'s
    stream) that were erased, which every process drops from its index. It names no customer.
    Two departments' streams may hold the same entry id, so the department is named too ("":
    an erasure an earlier version recorded, which applies to the ids in every department)."""

    id: str
    entries: frozenset[str]
    department: str = ""


@dataclass(frozen=True)
class Match:
    answer: Answer
    score: float


def offered(
    text: str, private: bool, pii_patterns: Sequence[str], pii_allow: Sequence[str]
) -> bool:
    """May this reply be offered to other customers? Not a private one, nor one that holds
    personal data (the brand's own contacts in `pii_allow` aside)."""
    return bool(text.strip()) and not private and not find_pii(text, pii_patterns, pii_allow)


def answer_of(
    case: Case,
    mention: Mention,
    by: str,
    reply: int,
    *,
    brand: str = "",
    pii_patterns: Sequence[str] = (),
    pii_allow: Sequence[str] = (),
) -> Answer:
    """The record of `case`'s reply number `reply` (its `published` entry, 1 the first),
    which answered `mention`: its text is the case's draft, which that reply is while the
    case is not edited again."""
    question = mention.text[:QUESTION_CHARS]
    question = redact(question, find_pii(question, pii_patterns, pii_allow))
    return Answer(
        case_id=case.id,
        text=case.draft,
        question=question,
        language=case.language,
        department=case.department,
        by=by,
        at=datetime.fromisoformat(case.published[reply - 1]["at"]),
        approved_by=case.approved_by,
        customer=first_name(mention.author.name, brand=brand),
        handle=mention.author.handle,
        author=f"{mention.platform}:{mention.author.id}",
        reply=reply,
    )


def answered(ref: Reference, held: HeldCase | None) -> Mention | None:
    """The message the referenced reply answered, while the case still holds it."""
    if held is None or not 0 < ref.reply <= len(held.case.published):
        return None
    return held.mentions().get(held.case.published[ref.reply - 1].get("mention", ""))


def resolved(
    ref: Reference, held: HeldCase | None, department: str, masking: Masking
) -> Answer | None:
    """The answer an entry refers to, derived from its case as it is now; None when the case
    no longer holds it: the case is gone (retention), its draft is no longer that reply
    (reopened and edited, or erased on request: `digest`), the reply went out privately, or
    the message it answered was removed on the platform or erased."""
    mention = answered(ref, held)
    if held is None or mention is None or mention.erased or mention.change is Change.REMOVED:
        return None
    case = held.case
    if case.published[ref.reply - 1].get("private") or digest(case.draft) != ref.digest:
        return None
    answer = answer_of(
        case,
        mention,
        ref.by,
        ref.reply,
        brand=masking.brand,
        pii_patterns=masking.pii_patterns,
        pii_allow=masking.pii_allow,
    )
    return replace(answer, department=department)


def adapt(answer: Answer, name: str, handle: str = "") -> str:
    """`answer`'s text for another customer: the name (and `@handle`) it greeted replaced by
    the new customer's, or left out when they have no usable one ("Hi Anna, …" -> "Hi, …")."""
    text = answer.text
    if answer.handle:
        text = _replaced(text, f"@{answer.handle}", f"@{handle}" if handle else "")
    if answer.customer:
        text = _replaced(text, answer.customer, name)
    return re.sub(r"[ \t]{2,}", " ", text).strip()


def _replaced(text: str, old: str, new: str) -> str:
    """Every whole-word `old` in `text` as `new`; without one, `old` goes with the space
    before it (or, opening the text, with the comma after it)."""
    word = re.escape(old)
    if new:
        return re.sub(rf"(?<!\w){word}(?!\w)", new, text)
    text = re.sub(rf"^{word}(?!\w)[,!]?\s*", "", text)
    return re.sub(rf"\s+{word}(?!\w)", "", text)


Row = tuple[str, str, Mapping[str, str]]
"""A stream entry as read: its department, its id, its fields."""


class AnswerLog:
    """The record in Redis: a stream per department, newest last, of references to the cases
    the answers are read from (`cases`, masked with `masking`)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        cases: ReadCases,
        *,
        masking: Masking = Masking(),
        kept: int = keys.ANSWERS_KEPT,
    ) -> None:
        self.redis = redis
        self.cases = cases
        self.masking = masking
        self.kept = kept

    async def add(self, answer: Answer, oldest: datetime) -> str:
        """Append a reference to `answer` (published on its case as reply `answer.reply`);
        entries beyond the newest `kept` or older than `oldest` go."""
        key = keys.answers(answer.department)
        pipe = self.redis.pipeline(transaction=False)
        pipe.xadd(key, Reference.of(answer).fields(), maxlen=self.kept, approximate=True)
        pipe.xtrim(key, minid=f"{int(oldest.timestamp() * 1000)}-0", approximate=True)
        added, _ = await pipe.execute()
        return _text(added)

    async def since(self, last: dict[str, str]) -> list[Answer]:
        """The answers of the entries after `last` (department -> the last entry id read;
        absent: from the start) in every department it names, their cases read in one round
        trip; `last` is moved past them. An entry whose case no longer holds its reply yields
        nothing, and of a case's answers only the latest read is returned."""
        rows: list[Row] = []
        wanted = list(last)
        while wanted:
            pipe = self.redis.pipeline(transaction=False)
            for department in wanted:
                start = f"({last[department]}" if last[department] else "-"
                pipe.xrange(keys.answers(department), start, "+", count=READ_PAGE)
            pages = await pipe.execute()
            more = []
            for department, page in zip(wanted, pages, strict=True):
                for entry_id, fields in page:
                    last[department] = _text(entry_id)
                    rows.append((department, last[department], fields))
                if len(page) == READ_PAGE:
                    more.append(department)
            wanted = more
        return _latest_of_each(await self._read(rows))

    async def _read(self, rows: Sequence[Row]) -> list[Answer]:
        refs = _references(rows)
        held = await self._held(refs)
        found = []
        for department, entry, fields in rows:
            ref = refs.get((department, entry))
            if ref is not None:
                answer = resolved(ref, held.get(ref.case_id), department, self.masking)
                if answer is not None:
                    found.append(replace(answer, id=entry))
                continue
            try:
                found.append(Answer.decode(entry, fields["a"], department))
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("answers: entry %s unreadable (%s)", entry, type(exc).__name__)
        return found

    async def forget(
        self, departments: Iterable[str], author: str, case_id: str | None = None
    ) -> int:
        """Remove every answer to customer `author` (`platform:author id`), or only those on
        case `case_id` (what they wrote there was removed on the platform); how many. Found
        through the message each reply answered: call it before that message's author is
        erased (a removal keeps who wrote it)."""
        removed = 0
        for department in departments:
            rows = await self._rows(department)
            refs = {e: r for e, r in _references(rows).items() if case_id in (None, r.case_id)}
            held = await self._held(refs)
            doomed = []
            for _, entry, fields in rows:
                ref = refs.get((department, entry))
                if ref is not None:
                    mention = answered(ref, held.get(ref.case_id))
                    if mention is not None and f"{mention.platform}:{mention.author.id}" == author:
                        doomed.append(entry)
                elif "a" in fields and _answers(_legacy(fields), author, case_id):
                    doomed.append(entry)
            removed += await self._drop(department, doomed)
        return removed

    async def forget_cases(self, department: str, case_ids: Iterable[str]) -> int:
        """Remove the answers given on `case_ids` (retention deleted those cases); how many."""
        gone = set(case_ids)
        rows = await self._rows(department)
        doomed = [entry for _, entry, fields in rows if _case_of(fields) in gone]
        return await self._drop(department, doomed)

    async def _held(self, refs: Mapping[tuple[str, str], Reference]) -> Mapping[str, HeldCase]:
        """The cases `refs` refer to, in one round trip (none asked for none)."""
        return await self.cases(sorted({r.case_id for r in refs.values()})) if refs else {}

    async def _rows(self, department: str) -> list[Row]:
        found: Any = await self.redis.xrange(keys.answers(department), "-", "+")
        return [(department, _text(entry), fields) for entry, fields in found]

    async def _drop(self, department: str, ids: Sequence[str]) -> int:
        """Delete the department's entries `ids`, and record them for every process's index
        (`forgotten`)."""
        if not ids:
            return 0
        removed = int(await self.redis.xdel(keys.answers(department), *ids))
        await self.redis.xadd(
            keys.ANSWERS_FORGOTTEN,
            {"a": json.dumps(list(ids), separators=(",", ":")), "d": department},
            maxlen=self.kept,
            approximate=True,
        )
        return removed

    async def forgotten(self, after: str) -> list[Erased]:
        """The erasures recorded after entry `after` ("": all of them), oldest first."""
        found: list[Erased] = []
        while True:
            start = f"({after}" if after else "-"
            rows: Any = await self.redis.xrange(keys.ANSWERS_FORGOTTEN, start, "+", count=READ_PAGE)
            for entry_id, fields in rows:
                after = _text(entry_id)
                erased = frozenset(json.loads(fields.get("a") or "[]"))
                found.append(Erased(after, erased, _text(fields.get("d") or "")))
            if len(rows) < READ_PAGE:
                return found


def _references(rows: Iterable[Row]) -> dict[tuple[str, str], Reference]:
    """The references among `rows` by (department, entry id): two departments' streams may
    hold the same entry id. An earlier version's entries, which hold their answer in field
    `a`, are not references."""
    found = {}
    for department, entry, fields in rows:
        if "a" in fields:
            continue
        try:
            found[department, entry] = Reference.read(fields)
        except (KeyError, TypeError, ValueError) as exc:
            log.warning("answers: entry %s unreadable (%s)", entry, type(exc).__name__)
    return found


def _legacy(fields: Mapping[str, str]) -> dict[str, Any]:
    """An earlier version's entry as named fields ({} when unreadable)."""
    try:
        return fields_of(fields["a"])
    except ValueError:
        return {}


def _case_of(fields: Mapping[str, str]) -> str:
    return str(_legacy(fields).get("c") if "a" in fields else fields.get("c", ""))


def _latest_of_each(answers: Sequence[Answer]) -> list[Answer]:
    """`answers` without those of a case that a later one of the same case follows (by
    time, then by order): the answer offered for a case is its latest reply."""
    chosen: dict[str, int] = {}
    for n, answer in enumerate(answers):
        before = chosen.get(answer.case_id)
        if before is None or answers[before].at <= answer.at:
            chosen[answer.case_id] = n
    kept = set(chosen.values())
    return [a for n, a in enumerate(answers) if n in kept]


@dataclass(frozen=True)
class AnswerIndex:
    """The answers a process knows and their vectors; immutable, replaced whole."""

    answers: tuple[Answer, ...] = ()
    vectors: Vectors | None = None
    fitted: int = 0
    """How many of `answers` the vectorizer was fitted on (the rest were added to it)."""
    _departments: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    _latest: dict[str, Answer] = field(default_factory=dict, repr=False, compare=False)

    def latest(self, case_id: str) -> Answer | None:
        """The latest answer published on case `case_id` (a card asks for it at every
        rendering: looked up, not searched for)."""
        if not self._latest and self.answers:
            self._latest.update((a.case_id, a) for a in self.answers)
        return self._latest.get(case_id)

    @classmethod
    def fit(cls, answers: Sequence[Answer]) -> AnswerIndex:
        if not answers:
            return cls()
        vectors = Vectors.fit(
            [_searched(a) for a in answers],
            [a.department for a in answers],
            [a.language for a in answers],
        )
        return cls(tuple(answers), vectors, len(answers))

    def refits(self, new: int) -> bool:
        """Whether adding `new` answers fits the index again (seconds for thousands)."""
        added = len(self.answers) + new - self.fitted
        return self.vectors is None or added >= max(REFIT_MIN, self.fitted * REFIT_SHARE)

    def extended(self, new: Sequence[Answer]) -> AnswerIndex:
        """This index with `new` added to it, fitted again when they make it drift."""
        answers = (*self.answers, *new)
        if self.refits(len(new)) or self.vectors is None:
            return AnswerIndex.fit(answers)
        vectors = self.vectors.extended(
            [_searched(a) for a in new], [a.department for a in new], [a.language for a in new]
        )
        return AnswerIndex(answers, vectors, self.fitted)

    def department_weights(self, department: str) -> NDArray[Any]:
        """1 for the department's own answers, OTHER_DEPARTMENT for the others'."""
        import numpy as np

        found = self._departments.get(department)
        if found is None:
            assert self.vectors is not None
            found = np.where(self.vectors.scope(department), 1.0, OTHER_DEPARTMENT)
            self._departments[department] = found
        return found

    def search(
        self,
        text: str,
        department: str | None,
        language: str | None,
        k: int,
        *,
        exclude: Sequence[str] = (),
        since: datetime | None = None,
        minimum: float = MIN_SIMILARITY,
    ) -> list[Match]:
        """The `k` answered cases closest to `text`, best first, one answer each (its latest),
        scoring at least `minimum` once weighted: an answer in `language` and `department`
        ahead of an equally close one elsewhere. Cases in `exclude` and answers given before
        `since` are left out."""
        if self.vectors is None or k <= 0 or not text.strip():
            return []
        scores = self.vectors.scores(text)
        if scores is None:
            return []
        import numpy as np

        if language:
            scores = scores * self.vectors.weights(language)
        if department:
            scores = scores * self.department_weights(department)
        candidates = np.flatnonzero(scores >= minimum)
        enough = RANKED + len(exclude)
        if candidates.size > enough:  # the best ones first; more only when those are too old
            candidates = candidates[np.argpartition(-scores[candidates], enough - 1)[:enough]]
        ranked = sorted(candidates.tolist(), key=lambda i: (-scores[i], -i))
        found: list[Match] = []
        seen = set(exclude)
        for i in ranked:
            answer = self.answers[i]
            if answer.case_id in seen or (since is not None and answer.at < since):
                continue
            if self.latest(answer.case_id) is not answer:  # a later reply of its case replaced it
                continue
            seen.add(answer.case_id)
            found.append(Match(answer, float(scores[i])))
            if len(found) == k:
                break
        return found


def _searched(answer: Answer) -> str:
    return f"{answer.question}\n{answer.text}"


class PastAnswers:
    """This process's view of the published answers of `departments`; `refresh` brings it up
    to date with Redis (what any process published), `similar` searches it."""

    def __init__(
        self,
        log_: AnswerLog,
        departments: Iterable[str],
        *,
        keep: timedelta = timedelta(days=180),
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.log = log_
        self.keep = keep
        self.clock = clock
        self.index = AnswerIndex()
        self._last: dict[str, str] = dict.fromkeys(departments, "")
        self._erased = ""
        """The last erasure read (`AnswerLog.forgotten`)."""
        self._lock = asyncio.Lock()

    async def refresh(self) -> int:
        """Read what was published since the last look (everything, the first time) into the
        index; how many answers came in. A fit (of many answers, or when the ones added since
        the last make it drift) runs in a thread: the process keeps answering meanwhile."""
        async with self._lock:
            new = await self.log.since(self._last)
            erased = await self.log.forgotten(self._erased)
            gone = _erased(erased)
            if erased:
                self._erased = erased[-1].id
                new = [a for a in new if not gone(a)]
            if not new and not erased:
                return 0
            oldest = self.clock() - self.keep
            kept = [a for a in self.index.answers if a.at >= oldest and not gone(a)]
            every = _newest([*kept, *new], self.log.kept)
            if len(every) < len(self.index.answers) + len(new):  # some go: fit what stays
                self.index = await asyncio.to_thread(AnswerIndex.fit, _latest_of_each(every))
                return len(new)
            if not new:
                return 0
            if len(new) >= REFIT_MIN or self.index.refits(len(new)):
                self.index = await asyncio.to_thread(self.index.extended, new)
            else:
                self.index = self.index.extended(new)
            return len(new)

    async def record(self, answer: Answer) -> None:
        """Append a published answer to its department's record (and so to every process's
        index at its next refresh, this one's at once)."""
        self._last.setdefault(answer.department, "")
        await self.log.add(answer, self.clock() - self.keep)
        await self.refresh()

    def similar(
        self,
        text: str,
        department: str | None = None,
        language: str | None = None,
        k: int = 3,
        *,
        exclude: Sequence[str] = (),
    ) -> list[Match]:
        """The answered cases closest to `text` in what this process knows now (call
        `refresh` first to include what other processes published): best first, at most
        `k`, the department's and the language's ahead of others."""
        since = self.clock() - self.keep
        return self.index.search(text, department, language, k, exclude=exclude, since=since)

    def answer_of(self, case_id: str) -> Answer | None:
        """The latest answer published on case `case_id`, if it is known here."""
        return self.index.latest(case_id)

    async def forget(self, author: str, case_id: str | None = None) -> int:
        """Erase every answer to customer `author` (`platform:author id`), or only those on
        case `case_id`, from Redis and from the index of this process and (at their next
        refresh) of every other; how many records went. Before their messages are erased
        (`AnswerLog.forget`); an answer whose case no longer holds them yields nothing anyway."""
        removed = await self.log.forget(list(self._last), author, case_id)
        await self.refresh()
        return removed


def _newest(answers: list[Answer], kept: int) -> list[Answer]:
    """`answers` as Redis keeps them, the newest `kept` of each department, once some
    department holds a quarter more (a long-running process would otherwise hold more than a
    restarted one; pruning at every answer would refit at every answer)."""
    counts: dict[str, int] = {}
    for answer in answers:
        counts[answer.department] = counts.get(answer.department, 0) + 1
    if all(n <= kept * (1 + REFIT_SHARE) for n in counts.values()):
        return answers
    left = {d: max(0, n - kept) for d, n in counts.items()}  # the oldest to leave out
    out = []
    for answer in answers:  # oldest first
        if left[answer.department]:
            left[answer.department] -= 1
        else:
            out.append(answer)
    return out


def _erased(erasures: Sequence[Erased]) -> Callable[[Answer], bool]:
    """Whether an answer is one of those `erasures` erased (in its own department's stream)."""
    gone = frozenset((e.department, entry) for e in erasures for entry in e.entries)
    return lambda answer: (answer.department, answer.id) in gone or ("", answer.id) in gone


def _answers(data: dict[str, Any], author: str, case_id: str | None) -> bool:
    """Whether an encoded answer was given to `author` (on `case_id`, when one is named)."""
    return data.get("u") == author and case_id in (None, str(data.get("c")))


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
