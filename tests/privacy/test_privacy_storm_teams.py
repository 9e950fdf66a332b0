"""A storm's batch cards in Teams stop quoting a member whose words are gone (removed by
their author, or erased on request), as Slack's batch messages do: each card is updated in
place through the local Bot Connector."""

from __future__ import annotations

from chatops.chat import storm
from tests.fakes import mention_json
from tests.fakes.slack import ManualClock
from tests.privacy.helpers import forget_anna
from tests.storm.test_thread_teams import COMPLAINT, card_text, flush, ts
from tests.teams.test_teams import SOCIAL, TeamsSystem

__all__ = ["ts"]  # the storm thread's Teams system, used as it is


async def test_teams_batch_cards_listing_a_removed_or_erased_member_are_rewritten(
    ts: tuple[TeamsSystem, ManualClock],
) -> None:
    system, wall = ts
    for n in range(6):
        name = "Anna Berg" if n == 1 else f"Person {n}"
        author = "u-1" if n == 1 else f"u-{n + 10}"
        system.clock.advance(seconds=5)
        text = f"{COMPLAINT} nr {n}xyz"
        await system.ingest(mention_json(f"m-{n}", f"post-{n}", text, author=author, name=name))
    await flush(system, wall, storm.BATCH_EVERY)
    summary = system.connector.posts(SOCIAL)[0]
    [batch] = system.connector.replies(summary)
    assert "Anna Berg" in card_text(batch) and "3xyz" in card_text(batch)

    removed = mention_json("m-3", "post-3", "", author="u-13", name="Person 3", change="removed")
    await system.ingest(removed)
    await forget_anna(system.rt, system.clock)
    await flush(system, wall, storm.BATCH_EVERY)

    [batch] = system.connector.replies(summary)
    assert batch.versions, "updated in place, not posted again"
    listed = card_text(batch)
    assert "Anna Berg" not in listed and "1xyz" not in listed, "the erased member"
    assert "3xyz" not in listed, "the member who removed their post"
    assert "erased on request" in listed and "4xyz" in listed, "the others as they were"
