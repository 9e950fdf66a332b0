"""What a Home reads without scanning (issue 12): open cases by owner, and today's figures as
hourly sets of case ids, both kept by the reindex that keeps the state index, and both
unchanged when a redelivery indexes a case again."""

from __future__ import annotations

from datetime import timedelta

from chatops.domain import State
from chatops.store import Store
from tests.builders import NOW, make_case


async def test_owned_cases_follow_the_owner_and_leave_when_closed(store: Store) -> None:
    ix = store.indexes
    new = make_case(State.NEW, staff="anna")
    claimed = new.model_copy(update={"state": State.CLAIMED, "owner": "anna"})
    await ix.reindex(None, new, None)
    await ix.reindex(new, claimed, None)
    await ix.reindex(None, claimed, None)  # a redelivery
    assert await ix.owned("anna") == ["1042"]
    taken = claimed.model_copy(update={"owner": "bob"})
    await ix.reindex(claimed, taken, None)
    assert await ix.owned("anna") == [] and await ix.owned("bob") == ["1042"]
    closed = taken.model_copy(update={"state": State.CLOSED})
    await ix.reindex(taken, closed, None)
    assert await ix.owned("bob") == []


async def test_figures_count_each_case_once_within_the_day(store: Store) -> None:
    ix = store.indexes
    case = make_case(State.NEW, staff="anna", created_at=NOW - timedelta(hours=2))
    old = make_case(State.NEW, staff="anna", id="7", created_at=NOW - timedelta(days=1, hours=2))
    await ix.reindex(None, case, None)
    await ix.reindex(None, case, None)  # a redelivery counts nothing twice
    await ix.reindex(None, old, None)
    answered = case.model_copy(update={"state": State.PUBLISHED, "first_response_at": NOW})
    await ix.reindex(case, answered, None)
    await ix.reindex(answered, answered, None)
    midnight = NOW.replace(hour=0)
    assert await ix.tallies(["billing"], midnight, NOW) == (1, 1)
    assert await ix.tallies(["social"], midnight, NOW) == (0, 0)
    assert await ix.tallies(["billing"], midnight - timedelta(days=1), NOW) == (2, 1)
