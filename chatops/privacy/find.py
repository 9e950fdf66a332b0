"""Everything the store holds of one person: their cases, found through the author and
handle indexes (which list every case an author wrote in), and their mentions in them."""

from __future__ import annotations

from dataclasses import dataclass

from chatops.domain import Mention
from chatops.privacy.subject import Subject
from chatops.store import Store


@dataclass(frozen=True)
class Found:
    """The subject (with every author id found for it) and, per case, its mentions."""

    subject: Subject
    mentions: dict[str, dict[str, Mention]]
    """Case id -> every mention of that case (theirs and others'), for cases they wrote in."""

    def own(self, case_id: str) -> dict[str, Mention]:
        """The subject's mentions in one case, by key."""
        return {k: m for k, m in self.mentions[case_id].items() if self.subject.wrote(m)}

    @property
    def case_ids(self) -> list[str]:
        return sorted(self.mentions, key=int)


SCAN_CHUNK = 500
"""Cases read per round trip by a full scan."""


async def find(store: Store, subject: Subject, *, scan: bool = False) -> Found:
    """The cases `subject` wrote in. A handle leads to the author ids writing as it on the
    subject's platform, and those ids to their cases under any other handle they used. With
    `scan`, every case is read as well (where no index leads: a store written before the
    indexes, an index lost): slow on a large store, and complete."""
    seen: dict[str, dict[str, Mention]] = {}
    asked: set[str] = set()
    todo = [subject.author_id] if subject.author_id else [""]
    while todo:
        author_id = todo.pop()
        asked.add(author_id)
        ids = await store.indexes.every_case_of(
            subject.platform, author_id, subject.handle if author_id == "" else ""
        )
        fresh = [i for i in ids if i not in seen and i.isdigit()]
        for case_id, mentions in (await store.cases.mentions_of(fresh)).items():
            seen[case_id] = mentions
            for m in mentions.values():
                if subject.wrote(m) and m.author.id and m.author.id not in subject.ids:
                    subject = subject.with_ids({m.author.id})
        todo = [i for i in subject.ids if i not in asked]
        if scan and not todo:
            scan = False
            subject = await _scan(store, subject, seen)
            todo = [i for i in subject.ids if i not in asked]
    cases = {cid: ms for cid, ms in seen.items() if any(subject.wrote(m) for m in ms.values())}
    return Found(subject, cases)


async def _scan(store: Store, subject: Subject, seen: dict[str, dict[str, Mention]]) -> Subject:
    """Read every case not `seen` yet, keeping those the subject wrote in (into `seen`)."""
    numbers = [str(n) for n in await store.cases.numbers() if str(n) not in seen]
    for start in range(0, len(numbers), SCAN_CHUNK):
        chunk = await store.cases.mentions_of(numbers[start : start + SCAN_CHUNK])
        for case_id, mentions in chunk.items():
            theirs = [m for m in mentions.values() if subject.wrote(m)]
            if theirs:
                seen[case_id] = mentions
                subject = subject.with_ids({m.author.id for m in theirs if m.author.id})
    return subject
