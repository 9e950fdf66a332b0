"""Export on request (`chatops export`): everything held about one person, as JSON.

`document` is pure: what the person wrote (with dates, platform, links), the cases it is in
(states and dates), the replies sent to them, and the history of those cases as far as it is
about the case's handling, not staff's internal words (drafts, reviewers' reasons and notes
are left out, and so are staff's names: what was done, when). `SCHEMA` names the layout;
it changes when a field's meaning does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chatops.domain import AuditEntry, Case, Mention
from chatops.knowledge.answers import AnswerLog
from chatops.privacy.find import Found, find
from chatops.privacy.subject import Subject
from chatops.store import Store
from chatops.workflow.commands import Command

SCHEMA = "chatops.export/1"
"""The export's layout: `schema`, `subject`, `exported_at`, `mentions`, `cases`, `replies`."""

_SHOWN_DETAIL = frozenset({Command.DISMISS, Command.REROUTE})
"""History actions whose detail is a code (why dismissed, which department): exported. Every
other detail is staff's own wording (a draft, a reviewer's reason, a refusal) or an internal
reference: the fact and its time are exported, the words are not, nor who on staff acted."""


async def export(
    store: Store,
    subject: Subject,
    now: datetime,
    departments: Sequence[str] = (),
    *,
    scan: bool = False,
) -> dict[str, Any]:
    """Everything held about `subject`; the text of public replies to them is read from the
    past answers of `departments` (private replies, and replies holding personal data, are
    not kept there: their text is not held anywhere). `scan`: read every case as well."""
    found = await find(store, subject, scan=scan)
    cases = {c.id: c for c in await store.cases.get_many(found.case_ids)}
    history = await store.audit.entries_of(found.case_ids)
    authors = {f"{subject.platform}:{a}" for a in found.subject.ids}
    kept = await AnswerLog(store.redis, store.cases.stored).since(dict.fromkeys(departments, ""))
    texts = {a.case_id: a.text for a in kept if a.author in authors}
    return document(found, cases, history, now, texts)


def document(
    found: Found,
    cases: Mapping[str, Case],
    history: Mapping[str, list[AuditEntry]],
    now: datetime,
    texts: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The export of what `found` holds, as a JSON-ready dict; `texts`: case id -> the text
    of the last public reply to them there, where it is kept."""
    texts = texts or {}
    subject = found.subject
    mentions: list[dict[str, Any]] = []
    out_cases: list[dict[str, Any]] = []
    replies: list[dict[str, Any]] = []
    for case_id in found.case_ids:
        own = found.own(case_id)
        mentions += [_mention(m, case_id) for m in own.values()]
        case = cases.get(case_id)
        if case is None:
            continue
        out_cases.append(_case(case, history.get(case_id, [])))
        sent = [p for p in case.published if p.get("mention") in own]
        replies += [
            {
                "case": case_id,
                "in_reply_to": p.get("mention", ""),
                "id": p.get("id", ""),
                "url": p.get("url", ""),
                "at": p.get("at", ""),
                "private": bool(p.get("private")),
                "text": texts.get(case_id) if p is sent[-1] and not p.get("private") else None,
            }
            for p in sent
        ]
    return {
        "schema": SCHEMA,
        "subject": {
            "platform": subject.platform,
            "author_ids": sorted(subject.ids),
            "handle": subject.handle or None,
        },
        "exported_at": now.isoformat(),
        "mentions": sorted(mentions, key=lambda m: (m["created_at"], m["key"])),
        "cases": out_cases,
        "replies": replies,
    }


def _mention(m: Mention, case_id: str) -> dict[str, Any]:
    return {
        "key": m.key,
        "case": case_id,
        "platform": m.platform,
        "account": m.account,
        "id": m.external_id,
        "conversation": m.conversation_id,
        "kind": m.kind.value,
        "created_at": m.created_at.isoformat(),
        "author": {
            "id": m.author.id,
            "name": m.author.name or None,
            "handle": m.author.handle or None,
            "followers": m.author.followers,
        },
        "text": m.text,
        "language": m.lang,
        "url": m.url,
        "removed_on_platform": m.change.value == "removed",
    }


def _case(case: Case, history: list[AuditEntry]) -> dict[str, Any]:
    return {
        "case": case.id,
        "number": case.number,
        "platform": case.platform,
        "state": case.state.value,
        "opened_at": case.created_at.isoformat(),
        "updated_at": case.updated_at.isoformat(),
        "first_response_at": (
            case.first_response_at.isoformat() if case.first_response_at else None
        ),
        "language": case.language,
        "personal_data_found": list(case.pii),
        "history": [_event(e) for e in history],
    }


def _event(e: AuditEntry) -> dict[str, Any]:
    shown = e.detail if e.action in _SHOWN_DETAIL else None
    return {
        "at": e.at.isoformat(),
        "action": e.action,
        "state": e.after.value,
        **({"detail": shown} if shown else {}),
    }
