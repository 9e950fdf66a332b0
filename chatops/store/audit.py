"""Each case's history: what was done, by whom, when (read by stats and the weekly report).

A change of the case itself appends its entry in the same atomic write (cases.py); this part
appends what changes no case (edits and removals on the platform) and reads the history;
an erasure on request rewrites the entries that quote the person erased.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chatops.domain import AuditEntry
from chatops.store.cases import Cases


class Audit:
    """A view over `Cases`: the entries live in the case's own value (codec.py)."""

    def __init__(self, cases: Cases) -> None:
        self.cases = cases

    async def append(self, case_id: str, entry: AuditEntry) -> None:
        await self.cases.append_audit(case_id, entry)

    async def entries(self, case_id: str) -> list[AuditEntry]:
        return (await self.cases.audit_of([case_id]))[case_id]

    async def entries_of(self, case_ids: Sequence[str]) -> dict[str, list[AuditEntry]]:
        """The histories of many cases in one round trip."""
        return await self.cases.audit_of(case_ids)

    async def rewrite(self, case_id: str, change: Callable[[AuditEntry], AuditEntry | None]) -> int:
        """Rewrite the entries `change` returns a new one for (None: kept as it is): the one
        exception to append-only, for an erasure on request (chatops/privacy). Returns how
        many were rewritten."""
        return await self.cases.rewrite_audit(case_id, change)
