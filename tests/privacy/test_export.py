"""Export on request (issue 15 item 4), and both commands as a user runs them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from chatops import keys
from chatops.privacy import SCHEMA, Subject, export
from tests.cli.test_cli import chatops
from tests.conftest import TEST_CONFIG, System
from tests.fakes import mention_json
from tests.privacy.helpers import everything


def _anna(mid: str, conversation: str, text: str, **kw: Any) -> dict[str, Any]:
    return mention_json(mid, conversation, text, author="u-1", name="Anna Berg", **kw)


async def _history(system: System) -> tuple[str, str]:
    await system.ingest(_anna("m-1", "post-1", "Var är min faktura?"))
    await system.ingest(mention_json("m-2", "post-1", "Jag med", author="u-2", name="Bo Ek"))
    await system.ingest(_anna("m-3", "post-3", "Tack för hjälpen"))
    first, second = (await system.case_of("post-1")).id, (await system.case_of("post-3")).id
    await system.wf.reply_to(first, "agent", "sandbox:m-1")
    await system.wf.edit(first, "agent", "Hej Anna! Fakturan finns under Mina sidor.")
    system.clock.advance(minutes=20)
    await system.wf.publish(first, "agent")
    await system.wf.dismiss(second, "agent", "no_reply_needed")
    return first, second


async def test_export_holds_her_mentions_cases_and_replies_and_no_staff_words(
    system: System,
) -> None:
    first, second = await _history(system)

    subject = Subject.parse("sandbox:u-1", [])
    doc = await export(system.rt.store, subject, system.clock.now, system.rt.config.department_ids)

    assert doc["schema"] == SCHEMA and doc["exported_at"] == system.clock.now.isoformat()
    assert doc["subject"] == {"platform": "sandbox", "author_ids": ["u-1"], "handle": None}
    assert [m["key"] for m in doc["mentions"]] == ["sandbox:m-1", "sandbox:m-3"]
    m1 = doc["mentions"][0]
    assert m1["text"] == "Var är min faktura?" and m1["case"] == first
    assert m1["url"] == "https://sandbox.invalid/post-1#m-1"
    assert m1["created_at"] == "2026-11-23T08:00:00+00:00" and m1["platform"] == "sandbox"
    assert m1["author"]["name"] == "Anna Berg"
    states = {c["case"]: c["state"] for c in doc["cases"]}
    assert states == {first: "published", second: "dismissed"}
    [reply] = doc["replies"]
    assert reply["case"] == first and reply["in_reply_to"] == "sandbox:m-1" and reply["id"]
    assert reply["text"] == "Hej Anna! Fakturan finns under Mina sidor.", "what was sent to her"
    dismissed = next(c for c in doc["cases"] if c["case"] == second)
    assert {"action": "dismiss", "detail": "no_reply_needed"}.items() <= next(
        e for e in dismissed["history"] if e["action"] == "dismiss"
    ).items()
    text = json.dumps(doc, ensure_ascii=False)
    assert "Jag med" not in text and "Bo Ek" not in text, "nobody else's data"
    drafts = json.dumps(doc["cases"], ensure_ascii=False)
    assert "Fakturan finns" not in drafts and "agent" not in text, "no staff words or names"


async def test_export_by_handle_finds_the_same(system: System) -> None:
    await _history(system)
    by_id = await export(system.rt.store, Subject.parse("sandbox:u-1", []), system.clock.now)
    by_handle = await export(system.rt.store, Subject.parse("sandbox:@anna", []), system.clock.now)
    assert by_handle["subject"]["author_ids"] == ["u-1"]
    assert by_handle["mentions"] == by_id["mentions"] and by_handle["cases"] == by_id["cases"]


def _env(tmp_path: Path, system: System) -> dict[str, str]:
    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG)
    return {
        "REDIS_URL": system.redis_url,
        "CHATOPS_CONFIG": str(config),
        "SANDBOX_SECRET": "test-secret",
        "USER": "dpo-on-duty",
    }


async def test_export_and_forget_from_the_command_line(tmp_path: Path, system: System) -> None:
    await _history(system)
    env = _env(tmp_path, system)
    out = tmp_path / "anna.json"

    exported = await asyncio.to_thread(
        chatops, "export", "sandbox:@anna", "--out", str(out), env=env
    )
    assert exported.returncode == 0, exported.stderr
    assert "2 message(s) in 2 case(s)" in exported.stdout
    assert json.loads(out.read_text())["mentions"][0]["text"] == "Var är min faktura?"
    assert out.stat().st_mode & 0o777 == 0o600, "one person's data: readable by its owner only"
    printed = await asyncio.to_thread(chatops, "export", "sandbox:u-1", env=env)
    assert json.loads(printed.stdout)["schema"] == SCHEMA

    erased = await asyncio.to_thread(
        chatops, "forget", "sandbox:u-1", "--reason", "ticket 17", env=env
    )
    assert erased.returncode == 0, erased.stderr
    assert erased.stdout.startswith("erased sandbox:u-1: 2 message(s) in 2 case(s)")
    assert "Anna" not in await everything(system.rt.store.redis)
    [record] = await system.rt.store.redis.lrange(keys.ERASURES, 0, -1)
    assert json.loads(record)["by"] == "dpo-on-duty"

    again = await asyncio.to_thread(chatops, "forget", "sandbox:@anna", "--by", "eva", env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("nothing held about sandbox:@anna (erased 20")
    assert "UTC by dpo-on-duty)" in again.stdout
    empty = await asyncio.to_thread(chatops, "export", "sandbox:u-1", env=env)
    assert json.loads(empty.stdout)["mentions"] == []


def test_a_bad_subject_or_no_redis_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "chatops.yaml"
    config.write_text(TEST_CONFIG)
    env = {"CHATOPS_CONFIG": str(config), "REDIS_URL": "redis://127.0.0.1:1/0"}
    bad = chatops("forget", "anna", env=env)
    assert bad.returncode == 1 and "PLATFORM:AUTHOR_ID" in bad.stderr
    assert bad.stderr.strip().count("\n") == 0
    unknown = chatops("export", "myspace:1", env=env)
    assert unknown.returncode == 1 and "unknown platform 'myspace'" in unknown.stderr
    alone = chatops("forget", "sandbox:u-1", env={"CHATOPS_CONFIG": str(config)})
    assert alone.returncode == 1 and "REDIS_URL" in alone.stderr
