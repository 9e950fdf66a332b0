"""A storm's batch messages in Slack (issue 13's one thread per storm) stop quoting a member
whose words are gone: removed by their author, or erased on request."""

from __future__ import annotations

from chatops.chat import storm
from tests.fakes import mention_json
from tests.privacy.helpers import forget_anna
from tests.storm.test_thread import VARIANTS, Storm, _text, st

__all__ = ["st"]  # the storm thread's Slack system, used as it is


async def test_batches_listing_a_removed_or_erased_member_are_rewritten(st: Storm) -> None:
    for n in range(6):
        name = "Anna Berg" if n == 1 else f"Person {n}"
        author = "u-1" if n == 1 else f"u-{n + 10}"
        st.clock.advance(seconds=5)
        text = f"{VARIANTS[n % len(VARIANTS)]} #{n} nr {n}xyz"
        await st.ingest(mention_json(f"m-{n}", f"post-{n}", text, author=author, name=name))
    await st.flush(seconds=storm.BATCH_EVERY)
    [batch] = st.batches()
    assert "Anna Berg" in _text(batch) and "3xyz" in _text(batch)

    removed = mention_json("m-3", "post-3", "", author="u-13", name="Person 3", change="removed")
    await st.ingest(removed)
    await forget_anna(st.rt, st.clock)
    await st.flush(seconds=storm.BATCH_EVERY)

    [batch] = st.batches()
    listed = _text(batch)
    assert "Anna Berg" not in listed and "1xyz" not in listed, "the erased member"
    assert "3xyz" not in listed, "the member who removed their post"
    assert "[erased on request]" in listed and "4xyz" in listed, "the others as they were"
