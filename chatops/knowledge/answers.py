"""Past answers: every reply the brand published, searchable by how close its case is to a new
one, so that a person starts from what a colleague already wrote ("Similar: #1042").

Redis holds the record (`AnswerLog`): one stream per department, capped by count
(`keys.ANSWERS_KEPT`, the newest) and by age (`retention.cases`), so it survives restarts and
every process reads the same. Each process searches an index in memory (`AnswerIndex`), built
from the streams at start and brought up to date from them (`PastAnswers.refresh`, one round
trip) before it is searched: an answer published by any process is found by every other.

The index is the knowledge base's character n-gram TF-IDF (`chatops.knowledge.index.Vectors`),
over the customer's words and the reply together. New answers are weighted with the fitted
vocabulary at once (`Vectors.extended`); the whole index is fitted again once they are a fair
share of it, in a thread.

Only what may be offered to another customer is recorded: a private reply, or a reply holding
personal data (an order number, an e-mail address: `chatops.classify.pii`), is not. The
customer's words are kept with their personal data masked.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import redis.asyncio as aioredis

from chatops import keys
from chatops.classify.pii import find_pii, redact
from chatops.domain import Case, Mention, utcnow
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

    def encode(self) -> str:
        """A JSON array in `_ORDER` without the department (the stream's key names it) and
        without trailing empty values: ~45 bytes less a case kept than the object of named
        fields, which `decode` still reads."""
        at = round(self.at.timestamp(), 3)
        values: list[Any] = [
            self.case_id,
            self.text,
            self.question,
            self.language or "",
            self.by,
            int(at) if at == int(at) else at,
            self.approved_by or "",
            self.customer,
            self.handle,
            self.author,
        ]
        while values and values[-1] == "":
            values.pop()
        return json.dumps(values, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def decode(cls, entry_id: str, raw: str | bytes, department: str = "") -> Answer:
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
"""The named fields of an encoded answer, in the order of its array."""


def fields_of(raw: str | bytes) -> dict[str, Any]:
    """An encoded answer as named fields: the array `Answer.encode` writes, or the object an
    earlier version wrote (with its department `d`)."""
    data = json.loads(raw)
    if isinstance(data, list):
        return dict(zip(_ORDER, data, strict=False))
    if not isinstance(data, dict):
        raise ValueError("an answer is an array or an object")
    return data


@dataclass(frozen=True)
class Erased:
    """Entry `id` of the erasures' stream: the answers (their entry ids) that were erased,
    which every process drops from its index. It names no customer."""

    id: str
    entries: frozenset[str]


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
    at: datetime,
    *,
    brand: str = "",
    pii_patterns: Sequence[str] = (),
    pii_allow: Sequence[str] = (),
) -> Answer:
    """The record of `case`'s published draft, which answered `mention`."""
    question = mention.text[:QUESTION_CHARS]
    question = redact(question, find_pii(question, pii_patterns, pii_allow))
    return Answer(
        case_id=case.id,
        text=case.draft,
        question=question,
        language=case.language,
        department=case.department,
        by=by,
        at=at,
        approved_by=case.approved_by,
        customer=first_name(mention.author.name, brand=brand),
        handle=mention.author.handle,
        author=f"{mention.platform}:{mention.author.id}",
    )


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


class AnswerLog:
    """The record in Redis: a stream per department, newest last."""

    def __init__(self, redis: aioredis.Redis, kept: int = keys.ANSWERS_KEPT) -> None:
        self.redis = redis
        self.kept = kept

    async def add(self, answer: Answer, oldest: datetime) -> str:
        """Append `answer`; entries beyond the newest `kept` or older than `oldest` go."""
        key = keys.answers(answer.department)
        pipe = self.redis.pipeline(transaction=False)
        pipe.xadd(key, {"a": answer.encode()}, maxlen=self.kept, approximate=True)
        pipe.xtrim(key, minid=f"{int(oldest.timestamp() * 1000)}-0", approximate=True)
        added, _ = await pipe.execute()
        return _text(added)

    async def since(self, last: dict[str, str]) -> list[Answer]:
        """Entries after `last` (department -> the last entry id read; absent: from the
        start) in every department it names; `last` is moved past them."""
        found: list[Answer] = []
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
                    raw = fields.get("a")
                    entry = _text(entry_id)
                    last[department] = entry
                    try:
                        found.append(Answer.decode(entry, raw, department))
                    except (KeyError, TypeError, ValueError) as exc:
                        log.warning("answers: entry %s unreadable (%s)", entry, type(exc).__name__)
                if len(page) == READ_PAGE:
                    more.append(department)
            wanted = more
        return found

    async def forget(
        self, departments: Iterable[str], author: str, case_id: str | None = None
    ) -> int:
        """Remove every answer to customer `author` (`platform:author id`), or only those on
        case `case_id` (what they wrote there was removed on the platform); how many."""
        removed = 0
        for department in departments:
            removed += await self._drop(department, lambda data: _answers(data, author, case_id))
        return removed

    async def forget_cases(self, department: str, case_ids: Iterable[str]) -> int:
        """Remove the answers given on `case_ids` (retention deleted those cases); how many."""
        gone = set(case_ids)
        return await self._drop(department, lambda data: str(data.get("c")) in gone)

    async def _drop(self, department: str, doomed: Callable[[dict[str, Any]], bool]) -> int:
        """Delete the department's answers `doomed` picks, and record their entry ids for
        every process's index (`forgotten`)."""
        key = keys.answers(department)
        rows: Any = await self.redis.xrange(key, "-", "+")
        ids = [i for i, fields in rows if doomed(fields_of(fields.get("a") or "{}"))]
        if not ids:
            return 0
        removed = int(await self.redis.xdel(key, *ids))
        await self.redis.xadd(
            keys.ANSWERS_FORGOTTEN,
            {"a": json.dumps([_text(i) for i in ids], separators=(",", ":"))},
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
                found.append(Erased(after, frozenset(json.loads(fields.get("a") or "[]"))))
            if len(rows) < READ_PAGE:
                return found


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
        """The `k` answered cases closest to `text`, best first, one answer each (its best),
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
                self.index = await asyncio.to_thread(AnswerIndex.fit, every)
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
        refresh) of every other; how many records went."""
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
    """Whether an answer is one of those `erasures` erased."""
    gone = frozenset().union(*(e.entries for e in erasures))
    return lambda answer: answer.id in gone


def _answers(data: dict[str, Any], author: str, case_id: str | None) -> bool:
    """Whether an encoded answer was given to `author` (on `case_id`, when one is named)."""
    return data.get("u") == author and case_id in (None, str(data.get("c")))


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
