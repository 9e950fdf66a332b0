"""The flood guard (issue 9 item 12): a burst from one source is one case, one ping, no @here.

The decision is a table of counts; the end-to-end tests send signed webhooks through the web
app and a worker, with an injected clock, as a flood arrives.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from chatops.chat import EventKind
from chatops.config.models import Flood
from chatops.domain import Author, Mention
from chatops.flood import CALM, Decision, FloodGuard, decide
from escalation.chase import Chase
from tests.conftest import Clock, System
from tests.fakes import RecordingChat, mention_json, said

LIMITS = Flood()  # window 10 min, 3 per author (1 when spam), 5 per conversation
SPAM = "FREE bitcoin airdrop!!! bit.ly/x{n} https://y.invalid/{n} claim now"


@pytest.mark.parametrize(
    ("author", "conv", "spam", "author_case", "conv_case", "expected"),
    [
        (1, 1, False, None, None, CALM),
        (3, 1, False, "1001", None, CALM),  # at the limit: still a case of its own
        (4, 1, False, "1003", None, Decision(join_author=True, announce="author", limit=3)),
        (5, 1, False, "1003", None, Decision(join_author=True, quiet=True)),
        (5, 1, False, None, None, CALM),  # no open case of the author to join
        (5, 2, False, "1003", "1002", CALM),  # its conversation has its own case
        (5, 2, False, "1003", "1003", Decision(join_author=True, quiet=True)),
        (2, 1, True, "1001", None, Decision(join_author=True, announce="author", limit=1)),
        (25, 1, True, "1001", None, Decision(join_author=True, quiet=True)),
        (1, 5, False, None, "1001", CALM),
        (1, 6, False, None, "1001", Decision(announce="conversation", limit=5)),
        (1, 9, False, None, "1001", Decision(quiet=True)),
    ],
)
def test_the_guard_decides_from_the_counts(
    author: int,
    conv: int,
    spam: bool,
    author_case: str | None,
    conv_case: str | None,
    expected: Decision,
) -> None:
    got = decide(
        author_count=author,
        conversation_count=conv,
        limits=LIMITS,
        spam=spam,
        author_case=author_case,
        conversation_case=conv_case,
    )
    assert got == expected


def pinged(chat: RecordingChat) -> list[tuple[str, ...]]:
    """Everyone ever called: batched escalations and per-case pings."""
    calls = [notify for _, _, notify in chat.pings]
    return calls + [e.notify for _, e in chat.shown if e.notify]


def thread(chat: RecordingChat, case_id: str) -> list[tuple[EventKind, str]]:
    return [(e.kind, said(v, e)) for v, e in chat.shown if v.case.id == case_id]


async def test_25_spam_mentions_from_one_author_in_45_s_are_one_case_and_no_here(
    system: System,
) -> None:
    start = system.clock.now
    chase = Chase(
        system.wf, system.chat, system.rt.store.cases, system.rt.store.indexes, clock=system.clock
    )
    for n in range(25):
        system.clock.now = start + timedelta(seconds=45 * n / 24)
        when = system.clock.now.isoformat()
        await system.ingest(
            mention_json(f"m-{n}", f"post-{n}", SPAM.format(n=n), author="u-spam", created_at=when)
        )
        await chase.scan()
    cases = {v.case.id for v, _ in system.chat.shown}
    assert cases == {"1001"}
    case = await system.case_of("post-0")
    assert len(case.mention_keys) == 25 and "flood" in case.flags and case.spam_signals
    assert (await system.case_of("post-24")).id == "1001"  # its conversation maps there
    lines = thread(system.chat, "1001")
    assert [k for k, _ in lines] == [EventKind.CREATED, EventKind.FLOOD]
    assert "join this case" in lines[1][1]
    assert len(system.chat.refreshed) == 23  # the rest only update the case message
    chase = Chase(
        system.wf, system.chat, system.rt.store.cases, system.rt.store.indexes, clock=system.clock
    )
    for minutes in (15, 60):  # the claim tier (the channel), then first response (the lead)
        system.clock.now = start + timedelta(minutes=minutes, seconds=45)
        await chase.scan()
    assert pinged(system.chat) == [("lead",)]  # one ping, and never the whole channel


async def test_an_authors_burst_joins_their_case_and_stays_found(system: System) -> None:
    for n in range(6):
        system.clock.advance(seconds=30)
        await system.ingest(mention_json(f"m-{n}", f"post-{n}", f"Fråga {n}: var är paketet?"))
    ids = [(await system.case_of(f"post-{n}")).id for n in range(6)]
    assert ids == ["1001", "1002", "1003", "1003", "1003", "1003"]
    case = await system.case_of("post-2")
    assert len(case.mention_keys) == 4 and "flood" in case.flags
    # someone else answering in a joined conversation is found in the same case
    await system.ingest(mention_json("m-x", "post-4", "Samma här!", author="u-2", name="Olle"))
    assert "sandbox:m-x" in (await system.case_of("post-2")).mention_keys
    # an edit of a joined mention is found there too
    await system.ingest(mention_json("m-5", "post-5", "Fråga 5, ändrad", change="edited"))
    assert EventKind.MENTION_EDITED in system.chat.kinds("1003")
    # after the window a new case again
    system.clock.advance(minutes=11)
    await system.ingest(mention_json("m-9", "post-9", "En ny fråga"))
    assert (await system.case_of("post-9")).id == "1004"


async def test_a_busy_conversation_is_counted_not_posted_line_by_line(system: System) -> None:
    for n in range(9):
        system.clock.advance(seconds=20)
        await system.ingest(
            mention_json(f"m-{n}", "post-1", f"Jag med, nummer {n}!", author=f"u-{n}", name="Ann X")
        )
    case = await system.case_of("post-1")
    assert len(case.mention_keys) == 9
    kinds = [k for k, _ in thread(system.chat, case.id)]
    assert kinds == [EventKind.CREATED, *[EventKind.MENTION] * 4, EventKind.FLOOD]
    assert len(system.chat.refreshed) == 3


async def test_a_redelivery_counts_once_and_strangers_are_never_merged(system: System) -> None:
    guard = FloodGuard(system.rt.store.redis, LIMITS)
    now = Clock().now

    def mention(n: int, author: str) -> Mention:
        return Mention(
            platform="sandbox",
            external_id=f"m-{n}",
            conversation_id=f"post-{n}",
            author=Author(id=author),
            created_at=now,
        )

    for _ in range(5):
        out = await guard.check(mention(1, "u-1"), spam=False, now=now)
    assert out.decision == CALM
    for n in range(10):
        out = await guard.check(mention(n, ""), spam=True, now=now)
        assert out.decision == CALM and out.case_id is None


def test_flood_keys_are_checked_like_every_config_key() -> None:
    from chatops.config import load_config_text
    from chatops.config.loader import ConfigError
    from tests.conftest import TEST_CONFIG

    config = load_config_text(TEST_CONFIG + "flood: {per_author: 5, window: 5m}\n")
    assert config.flood.per_author == 5 and config.flood.window == timedelta(minutes=5)
    assert config.flood.per_conversation == 5  # the default
    with pytest.raises(ConfigError) as err:
        load_config_text(TEST_CONFIG + "flood: {per_author: 0, windw: 5m}\n", source="t.yaml")
    assert "flood.per_author: must be at least 1" in str(err.value)
    assert "did you mean 'window'" in str(err.value)
