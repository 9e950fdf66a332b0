"""How models are written into Redis, shared by every part of the store.

A case is one string (`keys.case`): its record on the first line, then one line per mention
(`m` + JSON) and per audit entry (`a` + JSON array), in the order they were written. One key
instead of three saves Redis's per-key overhead, and the lines are written lean:

- the record's field names are shortened (`_CASE_NAMES`); a field added to `Case` later is
  written under its own name, with no code here;
- datetimes are integers of microseconds: the case's `created_at` since the epoch, every
  other time of the case (its fields, its mentions', its audit entries') relative to it: a
  few digits each. `created_at` is when the customer wrote the first mention and never
  changes once the case exists;
- mention keys drop their platform when it is the case's (`["x", "123"]` otherwise);
- a mention drops what its case already says (account and conversation when they equal the
  case's);
- the record leaves out what holds its usual value: `mention_keys` when they are the keys of
  the case's mention lines in order (the compare-and-set script checks the lines it writes
  after it, else writes the record that names them), `reply_to` when it is the last of them,
  `draft_author` when it is the system actor, `first_response_at` when it is the first
  reply's time, and a reply's `private` when it is "". A value other than the usual one, the
  default included, is written (`null` for None). Records of this layout name `created_at`
  `C`: in the previous one's (`c`) an absent field meant its default.

The record starts with `{"v":<version>` so the compare-and-set script reads the version with
a pattern instead of decoding JSON. Records written by the previous layout (a JSON `Case`
alone, mentions and audit in two lists) still read: `parse` marks them `legacy`, and the next
write moves them into this layout (cases.py).
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from chatops.domain import AuditEntry, Author, Case, Mention, State

MENTION = "m"
AUDIT = "a"
"""An audit line of this layout (its time relative to the case's `created_at`)."""
LEGACY_AUDIT = "A"
"""An audit line moved from the previous layout's list (absolute time, or a JSON object)."""
VERSION_HEAD = '{"v":'
_KEY_HEAD = '{"k":'

_CASE_NAMES = {
    "state": "s",
    "department": "d",
    "platform": "p",
    "account": "ac",
    "conversation_id": "cv",
    "created_at": "c",
    "updated_at": "u",
    "opened_at": "o",
    "language": "l",
    "intent": "in",
    "flags": "fl",
    "sensitive_reasons": "sr",
    "pii": "pi",
    "spam_signals": "sp",
    "mention_keys": "mk",
    "answered_keys": "ak",
    "reply_to": "rt",
    "owner": "ow",
    "draft": "dr",
    "draft_author": "da",
    "private": "pv",
    "approved_by": "ab",
    "approved_fingerprint": "af",
    "approval_requested_by": "ar",
    "reject_reason": "rr",
    "dismiss_reason": "dm",
    "state_before_publish": "sb",
    "published": "pu",
    "first_response_at": "fr",
    "escalation_tier": "et",
    "approval_requested_at": "aa",
    "approval_pings": "ap",
    "snoozed_until": "su",
    "storm": "st",
    "warnings": "w",
}
"""Stored name of each `Case` field (a new field keeps its own name: no entry needed)."""
_CASE_FIELDS = {short: name for name, short in _CASE_NAMES.items()}
CREATED = "C"
"""`created_at` in a record that leaves out usual values (`_USUAL`); `c` in one before it."""
USUAL_DRAFT_AUTHOR = "chatops"
"""The draft author a record leaves out: the system actor, who writes every first draft."""

_MENTION_NAMES = {
    "account": "ac",
    "conversation_id": "cv",
    "parent_id": "pa",
    "author": "au",
    "text": "t",
    "lang": "l",
    "url": "u",
    "created_at": "c",
    "kind": "ki",
    "change": "ch",
}
_MENTION_FIELDS = {short: name for name, short in _MENTION_NAMES.items()}
_AUTHOR_NAMES = {"id": "i", "name": "n", "handle": "h", "followers": "f"}
_AUTHOR_FIELDS = {short: name for name, short in _AUTHOR_NAMES.items()}

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)

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
    """JSON without the fields that hold their defaults (the inbound stream's entries)."""
    return model.model_dump_json(exclude_defaults=True)


def _dumps(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def micros(at: datetime) -> int:
    """Microseconds since the epoch (a naive datetime is taken as UTC)."""
    return (_aware(at) - _EPOCH) // _MICROSECOND


def from_micros(value: int) -> datetime:
    return _EPOCH + int(value) * _MICROSECOND


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _datetime_fields(model: type[BaseModel]) -> frozenset[str]:
    """Fields typed `datetime` or `datetime | None`: found, not listed, so new ones count."""
    found = set()
    for name, info in model.model_fields.items():
        ann = info.annotation
        args = typing.get_args(ann) if isinstance(ann, types.UnionType) else (ann,)
        if datetime in args:
            found.add(name)
    return frozenset(found)


_CASE_TIMES = _datetime_fields(Case)


# -- the case record -----------------------------------------------------------------------


_KEY_LISTS = ("mention_keys",)
_KEY_REFS = ("answered_keys",)
_PUBLISHED_NAMES = {"id": "i", "url": "u", "mention": "m", "at": "t", "private": "pv"}
_PUBLISHED_FIELDS = {short: name for name, short in _PUBLISHED_NAMES.items()}


def _key_out(key: str, platform: str) -> str | list[str]:
    """A mention key without its platform when that is the case's."""
    head, _, rest = key.partition(":")
    return rest if head == platform else [head, rest]


def _key_in(value: str | list[str], platform: str) -> str:
    return f"{platform}:{value}" if isinstance(value, str) else ":".join(value)


def _ref_out(key: str, case: Case) -> int | str | list[str]:
    """A mention key the case holds as its place in `mention_keys`; others as `_key_out`."""
    if key in case.mention_keys:
        return case.mention_keys.index(key)
    return _key_out(key, case.platform)


def _ref_in(value: int | str | list[str], mention_keys: list[str], platform: str) -> str:
    return mention_keys[value] if isinstance(value, int) else _key_in(value, platform)


def record(case: Case, held: list[str] | None = None) -> str:
    """The first line of a case's value: `{"v":<version>,…}`, defaults and usual values left
    out. `held`: the keys of the mention lines the value holds, in order, when the writer
    knows them (the record leaves `mention_keys` out when they are the same)."""
    data = case.model_dump(mode="json", exclude_defaults=True, exclude={"id", "version"})
    base = micros(case.created_at)
    for name in _CASE_TIMES & data.keys():
        at: datetime = getattr(case, name)
        data[name] = base if name == "created_at" else micros(at) - base
    if case.opened_at == case.created_at:
        del data["opened_at"]
    for name in _KEY_LISTS:
        if name in data:
            data[name] = [_key_out(k, case.platform) for k in data[name]]
    for name in _KEY_REFS:
        if name in data:
            data[name] = [_ref_out(k, case) for k in data[name]]
    if case.reply_to is not None:
        data["reply_to"] = _ref_out(case.reply_to, case)
    if "published" in data:
        data["published"] = [_published_out(p, case, base) for p in case.published]
    _leave_usual(data, case, held)
    out: dict[str, Any] = {"v": case.version}
    out.update((_CASE_NAMES.get(k, k), v) for k, v in data.items())
    out[CREATED] = out.pop(_CASE_NAMES["created_at"])
    return _dumps(out)


def _leave_usual(data: dict[str, Any], case: Case, held: list[str] | None) -> None:
    """Leave out of `data` the fields that hold the value a reader derives when they are
    absent (`_usual`); write the others, their defaults too (`null` for None)."""
    for name, usual in _usual(case, held).items():
        if usual:
            data.pop(name, None)
        elif name == "mention_keys":
            data[name] = [_key_out(k, case.platform) for k in case.mention_keys]
        elif name == "reply_to":
            data[name] = None if case.reply_to is None else _ref_out(case.reply_to, case)
        elif name == "first_response_at":
            at = case.first_response_at
            data[name] = None if at is None else micros(at) - micros(case.created_at)
        else:
            data[name] = getattr(case, name)


def _usual(case: Case, held: list[str] | None) -> dict[str, bool]:
    """For each field a record may leave out: whether it holds what a reader derives."""
    last = case.mention_keys[-1] if case.mention_keys else None
    first = _first_reply_at(case.published)
    at = case.first_response_at
    return {
        "mention_keys": held == case.mention_keys,
        "reply_to": case.reply_to == last,
        "draft_author": case.draft_author == USUAL_DRAFT_AUTHOR,
        "first_response_at": _maybe_micros(at) == _maybe_micros(first),
    }


def _maybe_micros(at: datetime | None) -> int | None:
    return None if at is None else micros(at)


def _first_reply_at(published: list[dict[str, str]]) -> datetime | None:
    """When the first reply went out, as a record without `first_response_at` reads it."""
    if not published or "at" not in published[0]:
        return None
    try:
        return from_micros(micros(datetime.fromisoformat(published[0]["at"])))
    except ValueError:
        return None


def _published_out(entry: dict[str, str], case: Case, base: int) -> dict[str, Any]:
    """A reply as the record keeps it: short names, its mention by place, its time relative to
    the case; `private` left out when "" (the usual: public), `null` when the entry has none."""
    out: dict[str, Any] = {} if "private" in entry else {_PUBLISHED_NAMES["private"]: None}
    for name, value in entry.items():
        if name == "private" and value == "":
            continue
        kept: Any = value
        if name == "mention":
            kept = _ref_out(value, case)
        elif name == "at" and _iso_round_trips(value):
            kept = micros(datetime.fromisoformat(value)) - base
        out[_PUBLISHED_NAMES.get(name, name)] = kept
    return out


def _published_in(
    entry: dict[str, Any], mention_keys: list[str], platform: str, base: int, usual: bool
) -> dict[str, str]:
    out: dict[str, str] = {}
    for short, value in entry.items():
        name = _PUBLISHED_FIELDS.get(short, short)
        if name == "private" and value is None:
            continue
        if name == "mention":
            value = _ref_in(value, mention_keys, platform)
        elif name == "at" and isinstance(value, int):
            value = from_micros(base + value).isoformat()
        out[name] = value
    if usual and _PUBLISHED_NAMES["private"] not in entry:
        out["private"] = ""
    return out


def _iso_round_trips(value: str) -> bool:
    """`value` is what `from_micros(…).isoformat()` gives back: safe to keep as a number."""
    try:
        return from_micros(micros(datetime.fromisoformat(value))).isoformat() == value
    except ValueError:
        return False


def read_record(case_id: str, line: str, mention_lines: list[str] | None = None) -> Case:
    """A record as `record` writes it, or a whole `Case` as JSON (the previous layout).
    `mention_lines`: the case's mention lines (without their `m`), whose keys are its
    `mention_keys` when the record leaves them out."""
    data = json.loads(line)
    if not line.startswith(VERSION_HEAD):
        return Case.model_validate(data)
    out: dict[str, Any] = {"id": case_id, "version": data.pop("v")}
    usual = CREATED in data
    if usual:
        data[_CASE_NAMES["created_at"]] = data.pop(CREATED)
    out.update((_CASE_FIELDS.get(k, k), v) for k, v in data.items())
    base = int(out["created_at"])
    out.setdefault("opened_at", 0)
    for name in _CASE_TIMES & out.keys():
        if isinstance(out[name], int):
            out[name] = from_micros(out[name] if name == "created_at" else base + out[name])
    platform = out["platform"]
    for name in _KEY_LISTS:
        if name in out:
            out[name] = [_key_in(k, platform) for k in out[name]]
    if usual and "mention_keys" not in out:
        out["mention_keys"] = [line_key(m, platform) for m in mention_lines or []]
    held = out.get("mention_keys", [])
    for name in _KEY_REFS:
        if name in out:
            out[name] = [_ref_in(k, held, platform) for k in out[name]]
    if out.get("reply_to") is not None:
        out["reply_to"] = _ref_in(out["reply_to"], held, platform)
    if "published" in out:
        out["published"] = [_published_in(p, held, platform, base, usual) for p in out["published"]]
    if usual:
        out.setdefault("reply_to", held[-1] if held else None)
        out.setdefault("draft_author", USUAL_DRAFT_AUTHOR)
        out.setdefault("first_response_at", _first_reply_at(out.get("published", [])))
    return Case.model_validate(out)


# -- mentions ------------------------------------------------------------------------------


def mention_line(mention: Mention, case: Case) -> str:
    """A mention as kept in its case: `{"k":<key>,…}`, without what the case already says."""
    data = mention.model_dump(
        mode="json", exclude_defaults=True, exclude={"platform", "external_id", "account"}
    )
    offset = micros(mention.created_at) - micros(case.created_at)
    if offset:
        data["created_at"] = offset
    else:
        del data["created_at"]
    if mention.account != case.account:
        data["account"] = mention.account
    if mention.conversation_id == case.conversation_id:
        del data["conversation_id"]
    data["author"] = _author_out(data.get("author", {}))
    out: dict[str, Any] = {"k": _key_out(mention.key, case.platform)}
    out.update((_MENTION_NAMES.get(k, k), v) for k, v in data.items())
    return _dumps(out)


_AUTHOR_ORDER = ("id", "name", "handle", "followers")
_AUTHOR_DEFAULTS: tuple[Any, ...] = ("", "", "", None)


def _author_out(author: dict[str, Any]) -> list[Any] | dict[str, Any]:
    """`[id, name, handle, followers]` without trailing defaults; an author with a field
    added later is written as an object of short names."""
    if not author.keys() <= set(_AUTHOR_ORDER):
        return {_AUTHOR_NAMES.get(k, k): v for k, v in author.items()}
    row = [author.get(k, d) for k, d in zip(_AUTHOR_ORDER, _AUTHOR_DEFAULTS, strict=True)]
    while len(row) > 1 and row[-1] == _AUTHOR_DEFAULTS[len(row) - 1]:
        row.pop()
    return row


def _author_in(value: list[Any] | dict[str, Any]) -> Author:
    if isinstance(value, list):
        return Author.model_validate(dict(zip(_AUTHOR_ORDER, value, strict=False)))
    return Author.model_validate({_AUTHOR_FIELDS.get(k, k): v for k, v in value.items()})


def mention_head(mention: Mention, case: Case) -> str:
    """How `mention_line` begins, up to its key: what finds the line to replace."""
    return key_head(mention.key, case.platform)


def read_mention(line: str, case: Case) -> Mention:
    """A mention as `mention_line` writes it, or a whole `Mention` with its `key` (before)."""
    data = json.loads(line)
    if "k" not in data:
        data.pop("key", None)
        return Mention.model_validate(data)
    platform, _, external_id = _key_in(data.pop("k"), case.platform).partition(":")
    out: dict[str, Any] = {
        "platform": platform,
        "external_id": external_id,
        "account": case.account,
        "conversation_id": case.conversation_id,
    }
    out.update((_MENTION_FIELDS.get(k, k), v) for k, v in data.items())
    out["author"] = _author_in(out.get("author", {}))
    out["created_at"] = from_micros(micros(case.created_at) + out.get("created_at", 0))
    return Mention.model_validate(out)


_DECODER = json.JSONDecoder()


def line_key(line: str, platform: str) -> str:
    """The key of a stored mention line: of this layout decoding only its head (`{"k":<key>`),
    of the previous one its `key`."""
    if line.startswith(_KEY_HEAD):
        value, _ = _DECODER.raw_decode(line, len(_KEY_HEAD))
        return _key_in(value, platform)
    return str(json.loads(line)["key"])


def key_head(key: str, platform: str) -> str:
    """How the line of the mention `key` begins in a case on `platform` (`mention_head`)."""
    return _KEY_HEAD + _dumps(_key_out(key, platform))


# -- audit ---------------------------------------------------------------------------------


def audit_row(entry: AuditEntry, base: int = 0) -> str:
    """An audit entry as a JSON array, `[µs, actor, action, before, after]` and `detail` when
    there is one; µs since `base` (the case's `created_at` in µs; 0: since the epoch, as the
    previous layout's lists kept them). About a third of the bytes of the entry as an object,
    and a closed case holds six or more of them for as long as it is kept."""
    row: list[str | int] = [
        micros(entry.at) - base,
        entry.actor,
        entry.action,
        entry.before or "",
        entry.after,
    ]
    if entry.detail:
        row.append(entry.detail)
    return _dumps(row)


def read_audit(raw: str | bytes, base: int = 0) -> AuditEntry:
    """An audit entry as `audit_row` writes it, or as a JSON object (entries written before)."""
    data = json.loads(raw)
    if not isinstance(data, list):
        return AuditEntry.model_validate(data)
    at, actor, action, before, after, *detail = data
    return AuditEntry(
        at=from_micros(base + at),
        actor=actor,
        action=action,
        before=State(before) if before else None,
        after=State(after),
        detail=detail[0] if detail else "",
    )


# -- a whole case value --------------------------------------------------------------------


@dataclass
class Stored:
    """A case's value split into its parts (lines still encoded: most readers need one part)."""

    case: Case
    mention_lines: list[str] = field(default_factory=list)
    audit_lines: list[str] = field(default_factory=list)
    """With their first character: `AUDIT` or `LEGACY_AUDIT`."""
    legacy: bool = False
    """Written by the previous layout: its mentions and audit are still in their own lists."""

    def mentions(self) -> dict[str, Mention]:
        found = (read_mention(line, self.case) for line in self.mention_lines)
        return {m.key: m for m in found}

    def audit(self) -> list[AuditEntry]:
        base = micros(self.case.created_at)
        return [
            read_audit(line[1:], base if line.startswith(AUDIT) else 0) for line in self.audit_lines
        ]


def parse(case_id: str, raw: str) -> Stored:
    head, _, rest = raw.partition("\n")
    mention_lines: list[str] = []
    audit_lines: list[str] = []
    for line in rest.split("\n") if rest else ():
        if line.startswith(MENTION):
            mention_lines.append(line[1:])
        elif line.startswith((AUDIT, LEGACY_AUDIT)):
            audit_lines.append(line)
    case = read_record(case_id, head, mention_lines)
    return Stored(case, mention_lines, audit_lines, legacy=not head.startswith(VERSION_HEAD))


def rewrite_audit_lines(
    stored: Stored, raw: str, change: Callable[[AuditEntry], AuditEntry | None]
) -> tuple[str, int]:
    """`raw` (the value `stored` was parsed from) with the audit entries `change` rewrites,
    and how many it rewrote."""
    base = micros(stored.case.created_at)
    entries = dict(zip(stored.audit_lines, stored.audit(), strict=True))
    lines, done = [], 0
    for line in raw.split("\n"):
        new = change(entries[line]) if line in entries else None
        if new is not None:
            line, done = AUDIT + audit_row(new, base), done + 1
        lines.append(line)
    return "\n".join(lines), done


def case_value(case: Case, mentions: list[Mention], audit: list[AuditEntry]) -> str:
    """A whole case value at once (benchmarks and tests lay out stores with it)."""
    base = micros(case.created_at)
    lines = [record(case, [m.key for m in mentions])]
    lines += [MENTION + mention_line(m, case) for m in mentions]
    lines += [AUDIT + audit_row(a, base) for a in audit]
    return "\n".join(lines)
