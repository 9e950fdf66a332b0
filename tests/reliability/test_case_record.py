"""A case record leaves out what holds its usual value (chatops/store/codec.py) and reads
every field back exactly: the usual values, each other value (the default included), and the
records written before, in which an absent field meant its default."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chatops import keys
from chatops.domain import AuditEntry, Case, Change, Mention, State
from chatops.store import Store
from chatops.store.codec import case_value, parse, record
from tests.builders import make_case, mention

AT = datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)
REPLIED = AT + timedelta(minutes=12, microseconds=1)
ONE, TWO = mention("m-1", created_at=AT), mention("m-2", "Hallå?", created_at=AT)
CREATED = AuditEntry(at=AT, actor="chatops", action="created", before=None, after=State.NEW)


def usual(**kw: Any) -> Case:
    """A case as the workflow leaves most of them: its mention keys those of its lines, its
    reply for the last of them, its draft by the system, its first response its first reply."""
    fields: dict[str, Any] = {
        "created_at": AT,
        "updated_at": AT + timedelta(seconds=3),
        "opened_at": AT,
        "mention_keys": [ONE.key, TWO.key],
        "reply_to": TWO.key,
        "draft_author": "chatops",
        "first_response_at": REPLIED,
        "published": [
            {"id": "r-1", "url": "u", "mention": TWO.key, "at": REPLIED.isoformat(), "private": ""}
        ],
    }
    fields.update(kw)
    return make_case(State.PUBLISHED, staff="U0AGENT001", **fields)


def compact(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))


def read_back(case: Case, mentions: list[Mention]) -> Case:
    return parse(case.id, case_value(case, mentions, [CREATED])).case


def test_the_usual_values_are_left_out_and_read_back() -> None:
    case = usual()
    line = record(case, [ONE.key, TWO.key])
    data = json.loads(line)
    assert not {"mk", "rt", "da", "fr", "c"} & data.keys()
    assert "pv" not in data["pu"][0]
    assert data["C"] == (AT - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert '"mk":["m-1","m-2"]' in record(case), "named where the lines are not known"
    assert read_back(case, [ONE, TWO]) == case


ONE_REPLY = {"id": "r-1", "url": "u", "mention": ONE.key, "at": REPLIED.isoformat()}


@pytest.mark.parametrize(
    ("fields", "written"),
    [
        ({"mention_keys": [ONE.key]}, "mk"),  # fewer than its lines
        ({"mention_keys": [TWO.key, ONE.key]}, "mk"),  # not their order
        ({"mention_keys": [], "reply_to": None}, "mk"),
        ({"reply_to": None}, "rt"),
        ({"reply_to": ONE.key}, "rt"),
        ({"reply_to": "x:elsewhere"}, "rt"),
        ({"draft_author": None}, "da"),
        ({"draft_author": "U0AGENT001"}, "da"),
        ({"first_response_at": None}, "fr"),
        ({"first_response_at": REPLIED + timedelta(microseconds=1)}, "fr"),
        ({"published": [], "first_response_at": REPLIED}, "fr"),
        ({"published": [{**ONE_REPLY, "private": "1"}]}, "pu"),
        ({"published": [ONE_REPLY]}, "pu"),  # an entry written before `private` existed
        ({"published": [{**ONE_REPLY, "at": "not a time", "private": ""}]}, "fr"),
    ],
)
def test_every_other_value_is_written_and_read_back(fields: dict[str, Any], written: str) -> None:
    case = usual(**fields)
    assert written in json.loads(record(case, [ONE.key, TWO.key]))
    assert read_back(case, [ONE, TWO]) == case


def test_no_mention_lines_and_no_mention_keys_read_back() -> None:
    case = usual(mention_keys=[], reply_to=None, published=[], first_response_at=None)
    assert not {"mk", "rt", "fr"} & json.loads(record(case, [])).keys()
    assert read_back(case, []) == case


def test_a_record_of_the_previous_layout_reads_absent_fields_as_defaults() -> None:
    """Written before (`c`, not `C`): no `mk`, `rt`, `da`, `fr` meant none; a reply without
    `pv` had no `private`."""
    base = (AT - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    head = {"v": 3, "s": "published", "d": "billing", "p": "facebook", "cv": "post-1", "c": base}
    head.update(u=0, pu=[{"i": "r-1", "u": "u", "t": 5}])
    raw = "\n".join([compact(head), "m" + compact({"k": "m-1", "au": ["u-1"], "t": "hej"})])
    case = parse("1042", raw).case
    assert case.mention_keys == [] and case.reply_to is None
    assert case.draft_author is None and case.first_response_at is None
    at = (AT + timedelta(microseconds=5)).isoformat()
    assert case.published == [{"id": "r-1", "url": "u", "at": at}]
    assert parse("1042", raw).mentions().keys() == {"facebook:m-1"}


async def test_the_save_script_leaves_the_keys_out_only_when_they_are_its_lines(
    store: Store,
) -> None:
    case = usual(mention_keys=[ONE.key], reply_to=ONE.key, published=[], first_response_at=None)
    saved = await store.cases.save(case, expected_version=0, audit=CREATED, mention=ONE)
    assert saved is not None
    raw = await store.redis.get(keys.case(case.id))
    assert '"mk"' not in raw.partition("\n")[0]
    assert await store.cases.get(case.id) == saved

    # A write whose keys are not its lines (a mention named but its line not written).
    named = saved.model_copy(update={"mention_keys": [ONE.key, TWO.key]})
    again = await store.cases.save(named, expected_version=1)
    assert again is not None
    head = (await store.redis.get(keys.case(case.id))).partition("\n")[0]
    assert '"mk":["m-1","m-2"]' in head
    assert await store.cases.get(case.id) == again

    joined = again.model_copy(update={"mention_keys": [ONE.key, TWO.key, "x:m-3"]})
    third = mention("m-3", platform="x", created_at=AT)
    third_saved = await store.cases.save(joined, expected_version=2, mention=third)
    assert third_saved is not None
    assert '"mk"' in (await store.redis.get(keys.case(case.id))).partition("\n")[0]
    assert await store.cases.get(case.id) == third_saved


async def test_a_mention_line_added_outside_a_save_keeps_the_case_keys(store: Store) -> None:
    """`put_mention` appends a mention the case does not hold (a repair): the record names its
    keys from then on, so the new line does not become one of them."""
    case = usual(mention_keys=[ONE.key, "x:m-1"], reply_to=ONE.key)
    elsewhere = mention("m-1", "Annan plattform", platform="x", created_at=AT)
    await store.redis.set(keys.case(case.id), case_value(case, [ONE, elsewhere], [CREATED]))
    assert '"mk"' not in (await store.redis.get(keys.case(case.id))).partition("\n")[0]

    edited = ONE.model_copy(update={"text": "Ändrad", "change": Change.EDITED})
    await store.cases.put_mention(case.id, edited)  # in place: still its lines
    assert '"mk"' not in (await store.redis.get(keys.case(case.id))).partition("\n")[0]
    await store.cases.put_mention(case.id, TWO)

    assert await store.cases.get(case.id) == case
    assert list((await store.cases.mentions(case.id)).values()) == [edited, elsewhere, TWO]
    assert await store.audit.entries(case.id) == [CREATED]
