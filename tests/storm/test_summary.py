"""The storm thread's model as data (chatops/chat/storm.py): the summary's figures, a batch's
lines, a storm's digest line; and the console printing them (chatops/console/storm.py)."""

from __future__ import annotations

import io
from datetime import timedelta

import redis.asyncio as aioredis
from rich.console import Console

from chatops.chat import storm
from chatops.chat.backend import Department
from chatops.chat.rich import Everyone, Link, plain
from chatops.console.storm import StormPrinter
from chatops.domain import Case, State
from chatops.store.storms import Member, Storms
from tests.builders import NOW
from tests.conftest import Clock

REF = storm.StormRef("social", "3")


def member(n: int, text: str, **kw: object) -> Member:
    fields: dict[str, object] = {
        "key": f"sandbox:m-{n}",
        "case_id": str(1000 + n),
        "at": (NOW + timedelta(seconds=10 * n)).timestamp(),
        "platform": "sandbox",
        "author": f"Person {n}",
        "followers": 100,
        "language": "en",
        "text": text,
        "author_id": f"sandbox:u-{n}",
    }
    fields.update(kw)
    return Member(**fields)  # type: ignore[arg-type]


DOWN = "The app is down again, I can't pay my bills"
SV = "Appen är nere, jag kan inte betala. Skandal"
MEMBERS = [
    member(1, DOWN, own="earlier"),
    member(2, DOWN.upper() + "!!! @acme"),
    member(3, SV, language="sv", platform="x", author_id="x:u-3"),
    member(4, "Still broken. " + DOWN, followers=48_000, own="sensitive"),
    member(5, DOWN + " https://status.acme.se"),
    member(6, SV, language="sv", platform="x", author_id="x:u-3"),
]


def test_the_summary_counts_what_a_comms_lead_asks_first() -> None:
    now = NOW + timedelta(minutes=1)
    s = storm.summarise(REF, "Social team", MEMBERS, now)
    assert (s.count, s.people) == (6, 5)  # u-3 wrote twice
    assert s.per_minute == 6.0  # six within the first minute
    assert s.platforms == (("Sandbox", 4), ("X", 2))
    assert s.languages == (("en", 4), ("sv", 2))
    # distinct texts: case, links, handles and punctuation make no new text
    assert [n for _, n in s.texts] == [3, 2, 1]
    assert s.texts[0][0] == DOWN
    assert s.reach == 48_000 + 4 * 100  # each author once
    assert s.authors[0] == ("Person 4", 48_000)
    assert dict(s.feelings)["broken"] == 1 and dict(s.feelings)["skandal"] == 2
    assert s.own == (storm.OwnThread("1001", "earlier"), storm.OwnThread("1004", "sensitive"))


def test_the_rate_is_over_the_last_five_minutes() -> None:
    late = member(7, DOWN, at=(NOW + timedelta(minutes=20)).timestamp())
    s = storm.summarise(REF, "Social team", [*MEMBERS, late], NOW + timedelta(minutes=21))
    assert s.per_minute == 1 / 5


def test_the_summary_calls_the_channel_once_and_links_own_threads() -> None:
    s = storm.summarise(REF, "Social team", MEMBERS, NOW)
    head = storm.summary_head(s)
    assert Everyone() in head and "Storm in Social team" in plain(head)
    lines = storm.summary_lines(s, {"1004": "https://chat.invalid/1004"})
    own = lines[-2]
    assert Link("https://chat.invalid/1004", "#1004") in own
    assert "#1001 (before the storm)" in plain(own) and "(needs care)" in plain(own)
    over = storm.summarise(REF, "Social team", MEMBERS, NOW, closed=True)
    assert Everyone() not in storm.summary_head(over)  # the end calls nobody
    assert "is over" in plain(storm.summary_head(over))


def test_a_batch_names_the_members_from_where_the_last_one_stopped() -> None:
    first = storm.batch(REF, MEMBERS, 0, {})
    assert first is not None and (first.first, first.last) == (1, 6)
    assert plain(first.lines[1]).startswith("#1002 Person 2 (Sandbox): THE APP IS DOWN")
    assert "own thread (needs care)" in plain(first.lines[3])
    assert "members 1–6" in first.notification
    later = storm.batch(REF, MEMBERS, 4, {})
    assert later is not None and [plain(li)[:5] for li in later.lines] == ["#1005", "#1006"]
    assert storm.batch(REF, MEMBERS, 6, {}) is None  # nobody new: no message
    many = [member(n, DOWN) for n in range(storm.BATCH_LINES + 5)]
    capped = storm.batch(REF, many, 0, {})
    assert capped is not None and len(capped.lines) == storm.BATCH_LINES


def test_a_storm_is_one_digest_line_with_its_count() -> None:
    cases = [
        Case(
            id=str(1000 + n),
            state=State.STORM,
            department="social",
            platform="sandbox",
            conversation_id=f"post-{n}",
            created_at=NOW,
            updated_at=NOW,
            opened_at=NOW + timedelta(minutes=n),
            storm=REF.id,
        )
        for n in range(300)
    ]
    item = storm.digest_item(REF, cases, NOW + timedelta(hours=6), DOWN)
    assert (item.case_id, item.storm, item.state) == ("social:3", 300, "storm")
    assert item.age == timedelta(hours=6)  # the oldest member's wait
    assert "300 members waiting" in item.summary and DOWN in item.summary


def test_storm_ids_are_told_from_case_ids() -> None:
    assert storm.StormRef.parse("social:3") == REF and REF.id == "social:3"
    assert storm.StormRef.parse("1042") is None
    assert storm.is_storm_id("social:3") and not storm.is_storm_id("1042")


async def test_the_console_prints_the_summary_then_batches(
    redis: aioredis.Redis, clock: Clock
) -> None:
    storms = Storms(redis)
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    departments = [Department("social", "Social team", "#social", "Europe/Stockholm")]
    printer = StormPrinter(console, storms, departments, clock)
    for n in range(3):
        await storms.assign(
            "social",
            ["t"],
            member=f"sandbox:m-{n}",
            author=f"u-{n}",
            now=clock(),
            within=timedelta(minutes=10),
            quiet=timedelta(minutes=30),
            threshold=3,
        )
    await storms.enlist("social", "1", MEMBERS[:3])
    ref = storm.StormRef("social", "1")
    await printer.changed(ref)
    first = out.getvalue()
    assert "[social storm 1] 🌀 @here Storm in Social team: 3 mentions" in first
    assert "#1003 Person 3 (X)" in first  # the first batch at once
    await storms.enlist("social", "1", MEMBERS[3:])
    await printer.changed(ref)
    assert out.getvalue() == first  # the next batch waits BATCH_EVERY
    clock.advance(seconds=storm.BATCH_EVERY)
    await printer.changed(ref)
    later = out.getvalue()[len(first) :]
    assert "3 more (members 4–6)" in later and "#1006" in later
    assert "#1001" not in later
