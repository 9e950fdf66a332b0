"""How models are written into Redis: compact JSON, shared by every part of the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from pydantic import BaseModel

from chatops.domain import AuditEntry, Mention, State

REPLACE_LINE = """
if redis.call('LINDEX', KEYS[1], ARGV[1]) == ARGV[2] then
  redis.call('LSET', KEYS[1], ARGV[1], ARGV[3])
  return 1
end
return 0
"""
"""Replace item ARGV[1] of list KEYS[1] by ARGV[3] only if it is still ARGV[2] (an erasure or a
removal rewriting a line that a concurrent write may have moved or changed): 1 if replaced."""


def compact(model: BaseModel) -> str:
    """JSON without the fields that hold their defaults: memory per open case is a target."""
    return model.model_dump_json(exclude_defaults=True)


def stored_mention(mention: Mention) -> str:
    """A mention as kept in its case, with its key so an edit can find it in the list."""
    data = json.loads(compact(mention))
    data["key"] = mention.key
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def audit_row(entry: AuditEntry) -> str:
    """An audit entry as a JSON array, `[µs since the epoch, actor, action, before, after]`
    and `detail` when there is one: about half the bytes of the same entry as an object, and
    a closed case holds six or more of them for as long as it is kept."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=UTC)
    micros = (at - _EPOCH) // _MICROSECOND
    row: list[str | int] = [micros, entry.actor, entry.action, entry.before or "", entry.after]
    if entry.detail:
        row.append(entry.detail)
    return json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def read_audit(raw: str | bytes) -> AuditEntry:
    """An audit entry as `audit_row` writes it, or as a JSON object (entries written before)."""
    data = json.loads(raw)
    if not isinstance(data, list):
        return AuditEntry.model_validate(data)
    micros, actor, action, before, after, *detail = data
    return AuditEntry(
        at=_EPOCH + int(micros) * _MICROSECOND,
        actor=actor,
        action=action,
        before=State(before) if before else None,
        after=State(after),
        detail=detail[0] if detail else "",
    )


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
