"""Input hygiene: matching form, caps, sane times, JSON depth, names, terminal output.

Pure tables for each piece, then the same attacks from outside: signed webhooks through the
HTTP endpoint, the worker, the escalation scan and the console backend.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from adapters import BadPayload
from adapters._json import MAX_DEPTH, depth, loads
from adapters.base import Cursors, PollResult
from chatops.chat import CaseEvent, CaseView, Department, DigestItem, EventKind, PingItem
from chatops.chat.present import Report, digest, pings
from chatops.chat.rich import Strong, Text
from chatops.classify.normalise import normalise, normalise_mapped
from chatops.console import ConsoleBackend
from chatops.console.render import (
    case_panel,
    cases_table,
    event_line,
    history_table,
    listing,
    terminal_safe,
)
from chatops.domain import AuditEntry, Author, Case, Kind, Mention, Overdue, State
from chatops.hygiene import cap, clean_text, sane_time, sanitise, text_max
from chatops.polling import Poller
from chatops.replay import replay
from escalation.chase import Chase
from tests.conftest import System
from tests.fakes import mention_json, signed

RECEIVED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


# --- matching form ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("law\u200bsuit", "lawsuit"),
        ("law\u200c\u200d\u2060\ufeffsuit", "lawsuit"),
        ("\u202elawsuit\u202c", "lawsuit"),
        ("\u2066GDPR\u2069", "GDPR"),
        ("law\u00adsuit", "lawsuit"),
        ("ＧＤＰＲ", "GDPR"),
        ("𝐥𝐚𝐰𝐬𝐮𝐢𝐭", "lawsuit"),
        ("ﬁle", "file"),
        ("l\u0430wsuit", "lawsuit"),  # Cyrillic а in a Latin word
        ("\u03bfrder", "order"),  # Greek ο in a Latin word
        ("з\u0061каз", "заказ"),  # Latin a in a Russian word
        ("заказ суд", "заказ суд"),  # Russian stays Russian
        ("Ελλάδα", "Ελλάδα"),  # Greek stays Greek
        ("Straße Åsa", "Straße Åsa"),
        ("tab\tand\nnewline", "tab\tand\nnewline"),
        ("nul\x00bell\x07esc\x1b", "nulbellesc"),
        ("e\u0301", "é"),
        ("cafe\u0301", "café"),  # composed, not stripped
        ("l\u0337a\u0337w\u0337s\u0337u\u0337i\u0337t\u0337", "lawsuit"),  # strike-through
        ("G\u0336D\u0336P\u0336R\u0336", "GDPR"),
        ("4\u0336\u035c1\u20dd1", "411"),
        ("и\u0306", "й"),
    ],
)
def test_matching_form(text: str, plain: str) -> None:
    assert normalise(text) == plain
    assert normalise_mapped(text).text == plain


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_matching_form_maps_back_onto_the_original(text: str) -> None:
    norm = normalise_mapped(text)
    assert norm.text == normalise(text)
    previous = 0
    for i in range(len(norm.text)):
        start, end = norm.original_span(i, i + 1)
        assert previous <= start < end <= len(text)
        previous = start


# --- caps, times, control characters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "private", "limit"),
    [
        ("facebook", False, 8_000),
        ("facebook", True, 2_000),
        ("instagram", False, 2_200),
        ("x", False, 25_000),
        ("x", True, 10_000),
        ("viber", True, 7_000),
        ("sandbox", False, 10_000),
        ("somewhere-new", False, 25_000),
    ],
)
def test_each_platform_has_its_own_maximum(platform: str, private: bool, limit: int) -> None:
    assert text_max(platform, private) == limit


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 10, "short"),
        ("exactly10!", 10, "exactly10!"),
        ("a" * 11, 10, "aaaaaaaaaa … [cut: 1 characters more]"),
        ("b" * 1_234_577, 10, "bbbbbbbbbb … [cut: 1,234,567 characters more]"),
        ("abcdefghie\u0301x", 10, "abcdefghi … [cut: 3 characters more]"),  # é stays whole
    ],
)
def test_cap(text: str, limit: int, expected: str) -> None:
    assert cap(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("line\r\nnext\rlast", "line\nnext\nlast"),
        ("a\x00b\x1b[2Jc\x7fd\x9b31me", "abcde"),
        ("title\x1b]0;owned\x07 clip\x1b]52;c;ZXZpbA==\x1b\\ reset\x1bc", "title clip reset"),
        ("keep\ttabs\nand newlines", "keep\ttabs\nand newlines"),
        ("e\u0301", "é"),
        ("law\u200bsuit", "law\u200bsuit"),  # stored as written; checks see through it
    ],
)
def test_clean_text(text: str, expected: str) -> None:
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    ("created", "expected"),
    [
        (datetime(2026, 11, 23, 7, 0, tzinfo=UTC), datetime(2026, 11, 23, 7, 0, tzinfo=UTC)),
        (
            datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=2))),
            datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
        ),
        (datetime(2026, 11, 23, 7, 0), datetime(2026, 11, 23, 7, 0, tzinfo=UTC)),  # naive: UTC
        (datetime(2026, 11, 24, 7, 59, tzinfo=UTC), datetime(2026, 11, 24, 7, 59, tzinfo=UTC)),
        (datetime(2026, 11, 24, 8, 1, tzinfo=UTC), RECEIVED),  # more than a day ahead
        (datetime(3000, 1, 1, tzinfo=UTC), RECEIVED),
        (datetime(1999, 12, 31, 23, 59, tzinfo=UTC), RECEIVED),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-5))), RECEIVED),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))), RECEIVED),  # no UTC for it
        (datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))), RECEIVED),
    ],
)
def test_sane_time(created: datetime, expected: datetime) -> None:
    got = sane_time(created, RECEIVED)
    assert got == expected and got.utcoffset() == timedelta(0)


def mention(**changes: object) -> Mention:
    fields: dict[str, object] = {
        "platform": "sandbox",
        "account": "acme",
        "external_id": "m-1",
        "conversation_id": "post-1",
        "author": Author(id="u-1", name="Anna Berg", handle="annab"),
        "text": "Hej!",
        "created_at": RECEIVED - timedelta(minutes=5),
    }
    return Mention.model_validate({**fields, **changes})


def test_sanitise_keeps_a_clean_mention_as_it_is() -> None:
    m = mention()
    assert sanitise([m], RECEIVED) == [m]
    assert sanitise([m], RECEIVED)[0] is m


def test_sanitise_caps_cleans_and_clamps_in_one_go() -> None:
    dirty = mention(
        text="x" * 10_005 + "\x1b]0;owned\x07",
        created_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=-5))),
        author=Author(id="u-1", name="Anna\u202e greB\x1b[2J", handle="an\x00nab"),
        kind=Kind.COMMENT,
    )
    [clean] = sanitise([dirty], RECEIVED)
    assert clean.text == "x" * 10_000 + " … [cut: 5 characters more]"  # the escape is gone
    assert clean.created_at == RECEIVED
    assert clean.author.name == "Anna greB" and clean.author.handle == "annab"
    assert clean.text.startswith("x" * 10_000)
    dm = mention(platform="facebook", kind=Kind.DM, text="y" * 2_001)
    assert sanitise([dm], RECEIVED)[0].text.endswith("y … [cut: 1 characters more]")


# --- JSON depth ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "levels"),
    [
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{", "b": "\\"[[["}', 1),
        (b'"just a string"', 0),
        (b"[" * MAX_DEPTH + b"]" * MAX_DEPTH, MAX_DEPTH),
    ],
)
def test_depth(body: bytes, levels: int) -> None:
    assert depth(body) == levels
    assert loads(body) == json.loads(body)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1),
        b'{"a":' * 200 + b"1" + b"}" * 200,
        b"[" * 1_000_000,
        b'"' + b"[" * 100_000,  # an unterminated string does not hide the brackets
    ],
)
def test_too_deep_is_a_bad_payload_before_parsing(body: bytes) -> None:
    with pytest.raises(BadPayload, match="too deeply nested"):
        loads(body)


def test_broken_json_stays_a_json_error() -> None:
    with pytest.raises(ValueError):
        loads(b'{"a": ')


# --- terminal ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a\x1b]0;pwned\x07b", "ab"),  # window title
        ("c\x1b]52;c;ZXZpbA==\x1b\\d", "cd"),  # clipboard write
        ("\x1b[2J\x1b[Hclear", "clear"),  # screen clear, cursor home
        ("x\x1bcy", "xy"),  # full reset
        ("\x9b31mred\x9b0m", "red"),  # 8-bit CSI
        ("\x9d0;title\x9cz", "z"),  # 8-bit OSC
        ("u\x1b]0;never ends", "u"),
        ("e\x1bPq#0;2\x1b\\f", "ef"),  # DCS (sixel)
        ("bell\x07\x08\x00", "bell"),
        ("\u202eevil\u202c", "evil"),
        ("ok\nnext\tTab", "ok\nnext\tTab"),
        ("[bold]x[/bold]", "[bold]x[/bold]"),
    ],
)
def test_terminal_safe(text: str, shown: str) -> None:
    assert terminal_safe(text) == shown


# --- from outside ----------------------------------------------------------------------------


async def test_a_zero_width_spliced_keyword_makes_a_sensitive_case(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "I will file a law\u200bsuit over this"))
    case = await system.case_of("post-1")
    assert "keyword:lawsuit" in case.sensitive_reasons
    assert case.needs_approval
    [stored] = (await system.rt.store.cases.mentions(case.id)).values()
    assert stored.text == "I will file a law\u200bsuit over this"  # kept as written


async def test_look_alike_letters_make_a_sensitive_case(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Calling the p\u043elice n\u043ew"))
    case = await system.case_of("post-1")
    assert "keyword:police" in case.sensitive_reasons


async def test_a_megabyte_of_iban_shaped_text_is_processed(system: System) -> None:
    """Fifty comments of 19,000 IBAN-shaped characters in one signed body of about 1 MB: the
    worker gets through them (bench/pii.py prints how long such text takes)."""
    unit = "SE45 5000 0000 0583 9825 7466 DE89 3704 0044 0532 0130 01 4111 1111 "
    text = (unit * (19_000 // len(unit) + 1))[:19_000]
    items = [mention_json(f"m-{i}", f"post-{i}", text, author=f"u-{i}") for i in range(50)]
    raw, headers = signed(items)
    assert 950_000 < len(raw) < 1024 * 1024
    r = await system.client.post("/webhooks/sandbox", data=raw, headers=headers)
    assert r.status == 200, await r.text()
    assert await system.drain() == 50
    case = await system.case_of("post-49")
    assert "iban" in case.pii
    [stored] = (await system.rt.store.cases.mentions(case.id)).values()
    assert stored.text.endswith(" … [cut: 9,000 characters more]")
    assert len(stored.text) < 10_100


async def test_deeply_nested_json_is_a_400_without_a_traceback(system: System) -> None:
    raw, headers = signed(b'{"a":' * 200 + b"1" + b"}" * 200)
    r = await system.client.post("/webhooks/sandbox", data=raw, headers=headers)
    assert r.status == 400
    body = await r.text()
    assert "too deeply nested" in body
    assert "Traceback" not in body and "RecursionError" not in body
    raw, headers = signed(b"[" * 100_000 + b"]" * 100_000)
    r = await system.client.post("/webhooks/sandbox", data=raw, headers=headers)
    assert r.status == 400 and "too deeply nested" in await r.text()


async def test_a_year_one_time_is_clamped_and_the_scan_runs(system: System) -> None:
    before = datetime.now(UTC)
    await system.ingest(
        mention_json(
            "m-1", "post-1", "Hej, när öppnar ni?", created_at="0001-01-01T00:00:00-05:00"
        ),
        mention_json("m-2", "post-2", "Hej igen!", created_at="9999-12-31T23:00:00-05:00"),
    )
    for conversation in ("post-1", "post-2"):
        case = await system.case_of(conversation)
        [stored] = (await system.rt.store.cases.mentions(case.id)).values()
        assert before <= stored.created_at <= datetime.now(UTC)  # the receive time
        assert case.created_at <= system.clock()
    system.clock.advance(hours=2)
    await Chase(
        system.wf, system.chat, system.rt.store.cases, system.rt.store.indexes, clock=system.clock
    ).scan()


async def test_an_insult_as_display_name_gets_a_draft_without_a_name(system: System) -> None:
    await system.ingest(
        mention_json("m-1", "post-1", "Hej, när öppnar ni?", name="Idiots"),
        mention_json("m-2", "post-2", "Hej, när öppnar ni?", name="Anna Berg", author="u-2"),
    )
    insult = await system.case_of("post-1")
    named = await system.case_of("post-2")
    assert "Idiots" not in insult.draft and "idiots" not in insult.draft.casefold()
    assert "Anna" in named.draft
    assert insult.draft.split("!")[0] in ("Hej", "Hello", "Hi", "Hej där")


async def test_console_prints_no_escape_sequences_from_a_comment(system: System) -> None:
    console = Console(record=True, width=120, force_terminal=True)
    system.rt.wf.chat = ConsoleBackend(console)
    text = (
        "Hi\x1b]0;owned\x07 there\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1bc [bold]not bold[/bold] "
        "[link=https://evil.example]x[/link]\x00\x9b31m"
    )
    await system.ingest(mention_json("m-1", "post-1", text, name="Eve\x1b[31m Red"))
    out = console.export_text(styles=False)
    assert "\x1b" not in out and "\x07" not in out and "\x9b" not in out and "\x00" not in out
    assert "Hi there [bold]not bold[/bold] [link=https://evil.example]x[/link]" in out
    assert "Eve Red" in out


EVIL = "Hi\x1b]0;owned\x07 \x1b]52;c;ZXZpbA==\x1b\\[bold]x[/bold]\x1b[2J\x1bc\x9b31m[link=https://e.example]y[/link]"
SHOWN = "Hi [bold]x[/bold][link=https://e.example]y[/link]"


def printed(*renderables: object) -> str:
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    for renderable in renderables:
        console.print(renderable)
    return console.export_text(styles=False)


def test_every_console_layout_prints_outside_text_without_escapes_or_markup() -> None:
    """Straight into the layouts, past `sanitise`: drafts, reasons, digests and history are
    written after ingest and reach the terminal only through the render module."""
    m = mention(text=EVIL, author=Author(id="u", name=EVIL, handle="h"))
    case = Case(
        id="1001",
        department="social",
        platform="sandbox",
        conversation_id="post-1",
        created_at=RECEIVED,
        updated_at=RECEIVED,
        opened_at=RECEIVED,
        owner=EVIL,
        draft=EVIL,
        draft_author=EVIL,
        dismiss_reason=EVIL,
    )
    view = CaseView(case, [m], Department("social", EVIL, "#social"), blocked=EVIL)
    event = CaseEvent(EventKind.CREATED, "chatops", notify=(EVIL,))
    items = [DigestItem("1001", "#1001", timedelta(hours=2), EVIL, "new", EVIL)]
    due = [PingItem("1001", "#1001", Overdue("claim"), EVIL)]
    history = [
        AuditEntry(at=RECEIVED, actor=EVIL, action=EVIL, before=None, after=State.NEW, detail=EVIL)
    ]
    elsewhere = [Department(EVIL, EVIL, EVIL)]
    report = Report(EVIL, ((Strong(EVIL), Text(EVIL)),))
    console = Console(record=True, width=200, force_terminal=True, color_system="truecolor")
    asyncio.run(ConsoleBackend(console).post_report(view.department, report))
    out = console.export_text(styles=False) + printed(
        case_panel(view, RECEIVED, elsewhere),
        event_line(view, event),
        cases_table([case], RECEIVED),
        listing(view.department, digest(view.department, items, {})),
        listing(view.department, pings(view.department, due, {}, (EVIL,))),
        history_table(history),
    )
    for control in ("\x1b", "\x07", "\x9b", "\x00"):
        assert control not in out
    assert out.count("[bold]x[/bold]") >= 8 and out.count("[link=https://e.example]") >= 8
    assert SHOWN in out


# --- every way in: replay and polling sanitise like the webhook -------------------------------

LONG = "Ring mig! " + "z" * 12_000


async def test_replay_sanitises_like_a_webhook(system: System, tmp_path: Path) -> None:
    lines = [
        mention_json("m-1", "post-1", LONG, created_at="0001-01-01T00:00:00-05:00"),
        mention_json("m-2", "post-2", "law\u200bsuit \x1b]0;owned\x07!"),
    ]
    path = tmp_path / "backlog.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    before = datetime.now(UTC)
    report = await replay(system.rt.store.inbound, path, Console(file=io.StringIO()))
    assert (report.accepted, report.errors) == (2, [])
    await system.drain()
    [long] = (await system.rt.store.cases.mentions((await system.case_of("post-1")).id)).values()
    assert long.text.endswith(" … [cut: 2,010 characters more]")
    assert long.created_at >= before
    case = await system.case_of("post-2")
    [short] = (await system.rt.store.cases.mentions(case.id)).values()
    assert short.text == "law\u200bsuit !" and "keyword:lawsuit" in case.sensitive_reasons


class PolledPlatform:
    """A platform read by polling that hands out one long, badly dated post."""

    name = "sandbox"

    async def poll(self, cursors: Cursors, now: datetime) -> PollResult:
        return PollResult([mention(text=LONG, created_at=datetime(3000, 1, 1, tzinfo=UTC))], 60)


async def test_polling_sanitises_like_a_webhook(system: System) -> None:
    poller = Poller(system.rt.store, {"sandbox": PolledPlatform()}, clock=system.clock)  # type: ignore[dict-item]
    await poller.poll_once("sandbox")
    await system.drain()
    [polled] = (await system.rt.store.cases.mentions((await system.case_of("post-1")).id)).values()
    assert polled.text.endswith(" … [cut: 2,010 characters more]")
    assert polled.created_at == system.clock()
