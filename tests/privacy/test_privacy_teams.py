"""Erasure and removal as Teams shows them, through the local Bot Framework Connector: the
case's card and the replies quoting what is gone are updated in place."""

from __future__ import annotations

import json

from tests.privacy.helpers import BO_REMOVES, THREAD, forget_anna
from tests.teams.test_teams import BILLING, TeamsSystem, bare, teams_config, ts

__all__ = ["bare", "teams_config", "ts"]  # the Teams system's fixtures, used as they are


async def test_replies_quoting_what_is_gone_are_rewritten(ts: TeamsSystem) -> None:
    for item in THREAD:
        await ts.ingest(item)
    await ts.flush()
    [post] = ts.connector.posts(BILLING)
    quoted = json.dumps([r.activity for r in ts.connector.replies(post)], ensure_ascii=False)
    assert "Storgatan" in quoted and "070-1234567" in quoted

    await ts.ingest(BO_REMOVES)
    await ts.flush()
    await forget_anna(ts.rt, ts.clock)
    await ts.flush()

    [post] = ts.connector.posts(BILLING)
    shown = json.dumps(
        [post.activity, *(r.activity for r in ts.connector.replies(post))], ensure_ascii=False
    )
    for gone in ("Storgatan", "070-1234567", "faktura", "Anna"):
        assert gone not in shown, f"{gone!r} still shown in Teams"
    texts = [r.activity.get("text") for r in ts.connector.replies(post)]
    assert "🗑️ Bo Ek removed this comment on the platform" in texts
    assert "🔒 &#91;erased on request&#93;" in texts
