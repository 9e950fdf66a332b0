"""A mention, a case and its view as the layout tests build them: one Facebook comment in
Billing, claimed by `staff` unless new. Each chat's tests pass their own owner id shape."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from chatops.domain import Author, Case, Mention, State

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def mention(ext: str = "m-1", text: str = "Var är min faktura?", **kw: Any) -> Mention:
    fields: dict[str, Any] = dict(
        platform="facebook",
        account="1122334455",
        external_id=ext,
        conversation_id="post-1",
        author=Author(id="u-1", name="Anna Berg", handle="annab", followers=120),
        text=text,
        url=f"https://fb.invalid/post-1#{ext}",
        created_at=NOW,
    )
    fields.update(kw)
    return Mention.model_validate(fields)


def make_case(state: State, *, staff: str, **kw: Any) -> Case:
    fields: dict[str, Any] = dict(
        id="1042",
        state=state,
        department="billing",
        platform="facebook",
        account="1122334455",
        conversation_id="post-1",
        created_at=NOW,
        updated_at=NOW,
        opened_at=NOW,
        language="sv",
        mention_keys=["facebook:m-1"],
        reply_to="facebook:m-1",
        owner=None if state is State.NEW else staff,
        draft="Hej Anna! Vi kollar och återkommer.",
        draft_author=staff,
    )
    fields.update(kw)
    return Case.model_validate(fields)


def published_case(
    case_id: str, text: str, question: str = "Var är min faktura?", *, at: datetime = NOW, **kw: Any
) -> tuple[Case, Mention]:
    """Case `case_id` as the workflow leaves it once `text` went out at `at` (its one reply) to
    the customer who asked `question`, and that message."""
    asked = mention(f"m-{case_id}", question, created_at=at)
    sent = {"id": f"r-{case_id}", "url": "", "mention": asked.key, "at": at.isoformat()}
    fields: dict[str, Any] = dict(
        id=case_id,
        created_at=at,
        updated_at=at,
        opened_at=at,
        draft=text,
        mention_keys=[asked.key],
        reply_to=asked.key,
        answered_keys=[asked.key],
        published=[sent],
    )
    fields.update(kw)
    return make_case(State.PUBLISHED, staff="anna", **fields), asked
