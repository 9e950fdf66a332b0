"""Publish to all (issue 13 item 4): one holding statement, a personal reply to every storm
member still unanswered, each exactly once even when the runner dies in the middle, never one
text more often than the repeated-text limit allows; through signed webhooks, a worker's
pipeline and the sandbox platform's reply API (tests/fakes/sandbox.py)."""

from __future__ import annotations

import asyncio
import io
import json
from collections import Counter
from pathlib import Path
from typing import Any, TypeVar

import pytest
from rich.console import Console

from adapters.base import reply_rate
from chatops.chat import EventKind
from chatops.chat import storm as storm_thread
from chatops.chat.rich import plain
from chatops.chat.storm import StormRef, answering_lines, over_repeat_limit
from chatops.chat.stormread import answering
from chatops.config import Config, load_config_text
from chatops.console.repl import Repl
from chatops.console.storm import StormPrinter
from chatops.domain import State
from chatops.drafting import HOLDING_VARIANTS, Drafter
from chatops.publishall import UNKNOWN, PublishAll
from chatops.store.pace import JITTER_SLOTS
from chatops.store.storms import Statement
from chatops.storm.variants import wordings
from chatops.worker import STALLED_PUBLISH
from chatops.workflow.transitions import Refused, text_digest
from tests.conftest import TEST_CONFIG, System
from tests.fakes import mention_json
from tests.fakes.block_kit import message_violations
from tests.fakes.slack import event_body, interaction_body, slack_headers
from tests.fakes.wait import eventually
from tests.storm.test_thread import CHANNEL as SLACK_CHANNEL
from tests.storm.test_thread import Storm, _text
from tests.storm.test_thread import st as slack_storm  # noqa: F401 (the fixture, by its name)

LINK = "https://status.acme.invalid/incident/42"
SV = "Appen har legat nere i en timme, jag kan inte logga in och betala mina räkningar " + LINK
EN = "The app has been down for an hour and I cannot log in to pay my bills at all " + LINK
NAMES = ["Erik Lund", "maja svensson", "Dr. Olle Berg", "Karin Ek", "Sara Holm", "Nils Dahl"]
STATEMENT = "Appen ligger nere sedan kl. 9 och vi arbetar för fullt med att få igång den igen."
STORM = StormRef("social", "1")
LIMIT = 2
T = TypeVar("T")


@pytest.fixture
def config() -> Config:
    return load_config_text(
        TEST_CONFIG + f"pii: {{repeat_warning_per_day: {LIMIT}}}\n", source="test.yaml"
    )


def publisher(system: System, naps: list[float] | None = None) -> PublishAll:
    """The worker's publish-to-all, waiting for reply slots on the test's clock (each wait
    moves it, and is noted in `naps`)."""
    assert system.rt.pipeline is not None
    everyone = system.rt.pipeline.publish_all

    async def nap(seconds: float) -> None:
        if naps is not None:
            naps.append(seconds)
        system.clock.advance(seconds=seconds)

    everyone.sleep = nap
    return everyone


async def storm(system: System, names: list[str], english: str = "") -> list[str]:
    """Nine people write before the storm opens (threads of their own), then `names` (and
    `english`, in English) as its members; returns the members' case ids."""
    for n in range(9):
        system.clock.advance(seconds=10)
        await system.ingest(mention_json(f"e-{n}", f"early-{n}", SV, author=f"e-{n}"))
    people = [(name, SV) for name in names] + ([(english, EN)] if english else [])
    for n, (name, text) in enumerate(people):
        system.clock.advance(seconds=10)
        await system.ingest(mention_json(f"m-{n}", f"post-{n}", text, author=f"u-{n}", name=name))
    members = [m for m in await system.rt.store.storms.roster("social", "1") if not m.own]
    cases = await system.rt.store.cases.get_many([m.case_id for m in members])
    assert [c.state for c in cases] == [State.STORM] * len(people)
    return [m.case_id for m in members]


def sent_to(system: System) -> Counter[str]:
    return Counter(body["in_reply_to"] for body in system.platform.received)


async def progress(system: System) -> str:
    roster = await system.rt.store.storms.roster("social", "1")
    found = await answering(system.rt.store.publishing, STORM, roster)
    assert found is not None
    return " / ".join(plain(line) for line in answering_lines(found))


async def test_every_member_is_answered_once_by_name_in_their_language(system: System) -> None:
    ids = await storm(system, NAMES, english="Tom Baker")
    everyone = publisher(system)
    with pytest.raises(Refused, match="holding statement first"):
        await everyone.start(STORM, "comms2")
    await everyone.say(STORM, "comms", STATEMENT, "sv")
    assert "Not published yet" in await progress(system)
    with pytest.raises(Refused, match="only approvers"):
        await everyone.start(STORM, "bob")
    with pytest.raises(Refused, match="four eyes"):
        await everyone.start(STORM, "comms")
    await everyone.start(STORM, "comms2")
    with pytest.raises(Refused, match="under way"):
        await everyone.start(STORM, "comms2")
    assert system.platform.received == []  # the click only queues the job

    assert await everyone.run_due() == len(ids)

    assert sent_to(system) == Counter({f"m-{n}": 1 for n in range(len(ids))})
    texts = {body["in_reply_to"]: body["text"] for body in system.platform.received}
    greeted = ["Erik", "Maja", "Olle", "Karin", "Sara", "Nils"]
    for n, first in enumerate(greeted):
        assert texts[f"m-{n}"].startswith(("Hej " + first, "Hejsan " + first, "Hallå " + first))
        assert STATEMENT in texts[f"m-{n}"]
    english = texts[f"m-{len(greeted)}"]
    assert english.startswith(("Hi Tom!", "Hello Tom!", "Hey Tom!"))
    assert "We know about the problem" in english and STATEMENT not in english
    cases = await system.rt.store.cases.get_many(ids)
    assert {c.state for c in cases} == {State.PUBLISHED}
    assert {(c.approved_by, c.draft_author, c.storm) for c in cases} == {
        ("comms2", "comms", "social:1")
    }
    audit = await system.rt.store.audit.entries(ids[0])
    assert [e.action for e in audit][-2:] == ["storm_publish", "publish_ok"]
    # nobody's storm reply opened a thread of its own
    assert not [v for v, e in system.chat.shown if v.case.id in ids]
    assert f"{len(ids)} of {len(ids)} answered · done" in await progress(system)

    assert await everyone.run_due() == 0  # done: nothing is sent again
    await everyone.start(STORM, "comms2")  # a retry walks the storm again
    assert await everyone.run_due() == 0
    assert len(system.platform.received) == len(ids)


async def test_a_runner_dying_mid_way_sends_nobody_twice_and_the_next_goes_on(
    system: System,
) -> None:
    names = [f"{first} Berg" for first in ("Anna", "Bo", "Cia", "Dan", "Eva", "Fia", "Gun")]
    ids = await storm(system, names)
    first = publisher(system)
    await first.say(STORM, "comms", STATEMENT, "sv")
    await first.start(STORM, "comms2")
    assert await first.run(STORM, most=2) == 2  # stopped after two sends
    assert "2 of 7 answered · under way" in await progress(system)

    # the next runner dies while the platform holds its request: its member is `publishing`
    system.platform.gate = asyncio.Event()
    dying = asyncio.create_task(first.run(STORM))
    await asyncio.wait_for(system.platform.arrived.wait(), 5)
    dying.cancel()
    await asyncio.gather(dying, return_exceptions=True)
    stuck = await system.rt.store.cases.get(ids[2])
    assert stuck is not None and stuck.state is State.PUBLISHING
    system.platform.gate.set()
    system.platform.gate = None

    system.clock.advance(seconds=STALLED_PUBLISH.total_seconds() + 1)  # its hold lapsed too
    second = PublishAll(
        system.wf,
        system.rt.store,
        system.rt.config,
        Drafter(),
        clock=system.clock,
    )
    assert await second.run_due() == 4  # the rest; the one in flight is not touched
    assert "6 of 7 answered · under way" in await progress(system)
    assert await second.run_due() == 0  # not due before its hold: nothing to do meanwhile
    assert await system.wf.recover_stalled(STALLED_PUBLISH) == [ids[2]]
    system.clock.advance(minutes=3)
    assert await second.run_due() == 0  # now counted: a person checks it

    counts = sent_to(system)
    assert max(counts.values()) == 1
    assert set(counts) == {f"m-{n}" for n in range(7)} - ({"m-2"} - set(counts))
    cases = await system.rt.store.cases.get_many(ids)
    assert [c.state for c in cases] == [State.PUBLISHED] * 2 + [State.PUBLISH_UNKNOWN] + [
        State.PUBLISHED
    ] * 4
    job = await second.job(STORM)
    assert job is not None and job.failed == {ids[2]: UNKNOWN}
    assert "6 of 7 answered, 1 failed: retry · done" in await progress(system)


async def test_no_text_goes_out_more_often_than_the_repeat_limit(system: System) -> None:
    # display names that are no names: everyone gets the same greeting, only wordings differ
    crowd = HOLDING_VARIANTS * LIMIT + 3
    ids = await storm(system, ["ADMIN"] * crowd)
    everyone = publisher(system)
    await everyone.say(STORM, "comms", STATEMENT, "sv")
    await everyone.start(STORM, "comms2")
    assert await everyone.run_due() == HOLDING_VARIANTS * LIMIT

    texts = Counter(text_digest(body["text"]) for body in system.platform.received)
    assert len(texts) == HOLDING_VARIANTS and set(texts.values()) == {LIMIT}
    job = await everyone.job(STORM)
    assert job is not None and len(job.failed) == 3
    assert set(job.failed.values()) == {over_repeat_limit(LIMIT)}
    left = await system.rt.store.cases.get_many(list(job.failed))
    assert {c.state for c in left} == {State.STORM} and len(ids) == crowd


async def test_the_repeat_limit_is_counted_per_platform(system: System) -> None:
    ids = await storm(system, ["ADMIN"] * 4)
    roster = [m for m in await system.rt.store.storms.roster("social", "1") if not m.own]
    statement = Statement(STATEMENT, "sv", "comms")
    every = wordings(
        Drafter(), statement, language="sv", author_name="ADMIN", brand="Acme", key=roster[0].key
    )
    today = system.clock().date()
    for text in every:  # every wording went out as often as allowed today, but on X
        for _ in range(LIMIT):
            await system.rt.store.published.add("x", text_digest(text), today)
    everyone = publisher(system)
    await everyone.say(STORM, "comms", STATEMENT, "sv")
    await everyone.start(STORM, "comms2")
    assert await everyone.run_due() == 4  # X's count is not the sandbox's
    for text in every:  # now each reached the limit on the sandbox too
        while await system.rt.store.published.count("sandbox", text_digest(text), today) < LIMIT:
            await system.rt.store.published.add("sandbox", text_digest(text), today)
    for n in range(4, 6):  # two more join the storm
        system.clock.advance(seconds=10)
        await system.ingest(mention_json(f"m-{n}", f"post-{n}", SV, author=f"u-{n}", name="ADMIN"))
    await everyone.start(STORM, "comms2")
    assert await everyone.run_due() == 0
    job = await everyone.job(STORM)
    assert job is not None and set(job.failed.values()) == {over_repeat_limit(LIMIT)}
    assert len(job.failed) == 2 and not set(job.failed) & set(ids)
    for text in every:  # and nothing was counted for what was not sent
        assert await system.rt.store.published.count("sandbox", text_digest(text), today) == LIMIT


async def test_the_last_use_of_a_wording_is_taken_once_however_many_ask_at_once(
    system: System,
) -> None:
    published, today = system.rt.store.published, system.clock().date()
    first, second = "digest-1", "digest-2"
    taken = await asyncio.gather(
        *(published.reserve("sandbox", [first, second], LIMIT, today) for _ in range(5))
    )
    assert sorted(taken, key=lambda t: -1 if t is None else t) == [None, 0, 0, 1, 1]
    assert await published.reserve("x", [first], LIMIT, today) == 0  # another platform's own
    await published.release("sandbox", second, today)  # not sent after all: free again
    assert await published.reserve("sandbox", [first, second], LIMIT, today) == 1
    assert await published.count("sandbox", first, today) == LIMIT


async def test_a_platform_that_asks_to_wait_defers_the_job(system: System) -> None:
    ids = await storm(system, NAMES[:3])
    everyone = publisher(system)
    await everyone.say(STORM, "comms", STATEMENT, "sv")
    await everyone.start(STORM, "comms2")
    system.platform.mode = "rate_limited"  # 429, Retry-After: 30
    assert await everyone.run_due() == 0
    first = await system.rt.store.cases.get(ids[0])
    assert first is not None and first.state is State.STORM  # not sent: it is tried again
    # every worker's replies to that account wait too, not only this job
    assert await system.rt.store.pace.take("sandbox", "acme", 10.0, 10, system.clock()) > 29
    system.platform.mode = "ok"
    system.clock.advance(seconds=29)
    assert await everyone.run_due() == 0  # not before the platform said
    system.clock.advance(seconds=2)
    assert await everyone.run_due() == 3
    assert sent_to(system) == Counter({"m-0": 1, "m-1": 1, "m-2": 1})


async def test_replies_go_at_the_platforms_documented_rate_without_429s(system: System) -> None:
    rate = reply_rate("sandbox")  # 10 a second, 10 at once
    crowd = rate.burst + 6
    ids = await storm(system, [f"Person{n} Berg" for n in range(crowd)])
    naps: list[float] = []
    everyone = publisher(system, naps)
    await everyone.say(STORM, "comms", STATEMENT, "sv")
    await everyone.start(STORM, "comms2")
    started = system.clock()

    assert await everyone.run_due() == crowd  # one pass: short waits are slept, not deferred
    assert sent_to(system) == Counter({f"m-{n}": 1 for n in range(len(ids))})
    # the burst at once (less one kept for jitter), then one every 1/rate seconds: exactly
    # the documented rate
    burst = rate.burst - JITTER_SLOTS
    took = (system.clock() - started).total_seconds()
    assert took == pytest.approx((crowd - burst) / rate.per_second, abs=1e-4)
    assert len(naps) == crowd - burst
    assert all(n == pytest.approx(1 / rate.per_second, abs=1e-5) for n in naps), naps


async def test_an_unavailable_platform_is_tried_again_by_its_rule_then_counted_failed(
    system: System,
) -> None:
    ids = await storm(system, NAMES[:2])
    rate = reply_rate("sandbox")
    everyone = publisher(system)
    await everyone.say(STORM, "comms", STATEMENT, "sv")
    await everyone.start(STORM, "comms2")
    system.platform.mode = "unavailable"  # 503
    # each member: a try, `retries` more after `unavailable_wait` each, then it counts failed
    for _ in range(len(ids) * rate.retries):
        assert await everyone.run_due() == 0
        system.clock.advance(seconds=rate.unavailable_wait - 1)
        assert await everyone.run_due() == 0  # not before its wait
        system.clock.advance(seconds=1)
        job = await everyone.job(STORM)
        assert job is not None and job.running
    assert await everyone.run_due() == 0
    job = await everyone.job(STORM)
    assert job is not None and not job.running and set(job.failed) == set(ids)
    for case_id in ids:  # each tried 1 + retries times, each audited
        actions = [e.action for e in await system.rt.store.audit.entries(case_id)]
        assert actions.count("storm_publish") == 1 + rate.retries
    member = await system.rt.store.cases.get(ids[0])
    assert member is not None and member.state is State.STORM  # not sent: a retry may send it
    system.platform.mode = "ok"
    await everyone.start(STORM, "comms2")  # "Retry failed"
    assert await everyone.run_due() == 2
    assert sent_to(system) == Counter({"m-0": 1, "m-1": 1})


async def test_a_member_who_writes_again_reopens_as_an_ordinary_case_of_the_storm(
    system: System,
) -> None:
    ids = await storm(system, NAMES[:2])
    everyone = publisher(system)
    await everyone.say(STORM, "comms", STATEMENT, "sv")
    await everyone.start(STORM, "comms2")
    assert await everyone.run_due() == 2
    system.clock.advance(minutes=5)
    again = mention_json("m-9", "post-0", "Det funkar fortfarande inte!", author="u-0")
    await system.ingest(again)
    case = await system.rt.store.cases.get(ids[0])
    assert case is not None
    assert (case.state, case.storm) == (State.NEW, "social:1")
    assert [e.kind for v, e in system.chat.shown if v.case.id == ids[0]] == [EventKind.REOPENED]


def test_wordings_greet_by_name_in_the_members_language() -> None:
    drafter = Drafter()
    statement = Statement(STATEMENT, "sv", "comms")
    swedish = wordings(
        drafter, statement, language="sv", author_name="🌸 Åsa (@asa)", brand="Acme", key="k"
    )
    assert len(swedish) == HOLDING_VARIANTS
    assert all(STATEMENT in w and "Åsa!" in w for w in swedish)
    german = wordings(
        drafter, statement, language="de", author_name="Jürgen", brand="Acme", key="k"
    )
    assert all("Jürgen" in w and "Wir kennen das Problem" in w for w in german)
    nobody = wordings(drafter, statement, language="xx", author_name="", brand="", key="k")
    assert all(STATEMENT in w for w in nobody)  # no template of theirs: the statement


SLACK_FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "slack"
ANNA, COMMS = "U0ANNA0001", "U0COMMS001"


async def slack_send(st: Storm, payload: dict[str, Any], *, interaction: bool) -> None:
    body = interaction_body(payload) if interaction else event_body(payload)
    r = await st.client.post("/slack/events", data=body, headers=slack_headers(body, "secret"))
    assert r.status == 200


async def six_in_a_storm(st: Storm) -> None:
    """Six people write the same complaint (a storm from the third on), all shown."""
    for n in range(6):
        await st.complaint(n)
    await st.flush()


def summary_button(summary: dict[str, Any], action: str) -> dict[str, Any] | None:
    found = [
        e
        for b in summary["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == action
    ]
    return found[0] if found else None


async def click_summary(
    st: Storm, user: str, action: str = "storm.publish_all", channel: str = SLACK_CHANNEL
) -> None:
    payload = json.loads((SLACK_FIXTURES / "block_actions_claim.json").read_text())
    summary = st.summary()
    payload["user"]["id"] = user
    payload["channel"]["id"] = payload["container"]["channel_id"] = channel
    payload["container"]["message_ts"] = payload["message"]["ts"] = summary["ts"]
    button = summary_button(summary, action)
    assert button is not None
    payload["actions"] = [{**button, "block_id": "storm", "action_ts": "1763884802.000200"}]
    await slack_send(st, payload, interaction=True)


async def click_publish_all(st: Storm, user: str) -> None:
    await click_summary(st, user)


async def submit_statement(st: Storm, user: str, text: str, view_id: str = "V0FORGED") -> None:
    payload = json.loads((SLACK_FIXTURES / "view_submission_draft.json").read_text())
    payload["user"]["id"] = user
    payload["view"].update(id=view_id, callback_id="storm.statement", private_metadata="social:1")
    payload["view"]["state"]["values"] = {
        "statement": {"text": {"type": "plain_text_input", "value": text}}
    }
    await slack_send(st, payload, interaction=True)


async def test_slack_edit_statement_opens_a_prefilled_modal_that_saves_it(
    slack_storm: Storm,  # noqa: F811 (the fixture imported above)
) -> None:
    st = slack_storm
    await six_in_a_storm(st)
    edit = summary_button(st.summary(), "storm.edit")
    assert edit is not None and edit["text"]["text"] == "Write statement"
    assert summary_button(st.summary(), "storm.publish_all") is None  # nothing to publish yet
    publishing = st.rt.store.publishing
    first = "The app is down since 9:00."
    await publishing.say("social", "1", Statement(first, "en", ANNA), st.clock())

    await click_summary(st, COMMS, "storm.edit")
    [modal] = await eventually(lambda: _async(list(st.slack.views.values())), what="the modal")
    assert modal["callback_id"] == "storm.statement" and modal["private_metadata"] == "social:1"
    [block] = modal["blocks"]
    assert block["block_id"] == "statement" and block["element"]["action_id"] == "text"
    assert block["element"]["initial_value"] == first  # as it is now, not as the summary showed

    better = "The app is down since 9:00; we expect it back by noon."
    await submit_statement(st, COMMS, better, view_id=modal["id"])

    async def saved() -> Statement | None:
        now = await publishing.statement("social", "1")
        return now if now is not None and now.text == better else None

    said = await eventually(saved, what="the statement saved")
    assert said.writer == COMMS
    await st.flush(seconds=storm_thread.SUMMARY_EVERY)
    edit = summary_button(st.summary(), "storm.edit")
    assert edit is not None and edit["text"]["text"] == "Edit statement"
    assert message_violations(st.summary()["blocks"], st.summary()["text"]) == []

    # a modal we never opened, submitted by someone who is no approver: nothing changes
    await submit_statement(st, ANNA, "We promise a refund to everyone!")
    said = await publishing.statement("social", "1")
    assert said is not None and said.text == better
    # and the button from another channel opens nothing
    await click_summary(st, ANNA, "storm.edit", channel="C0ELSEWHERE")
    await eventually(lambda: _async(bool(st.slack.calls_to("chat.postEphemeral"))), what="no")
    assert len(st.slack.views) == 1


async def test_slack_statement_by_chevrons_publish_by_an_approver_progress_in_summary(
    slack_storm: Storm,  # noqa: F811 (the fixture imported above)
) -> None:
    st = slack_storm
    await six_in_a_storm(st)
    members = await st.rt.store.cases.get_many([str(1001 + n) for n in range(6)])
    ids = [c.id for c in members if c.state is State.STORM]
    assert len(ids) == 4
    summary = st.summary()
    assert summary_button(summary, "storm.publish_all") is None

    event = json.loads((SLACK_FIXTURES / "thread_message_event.json").read_text())
    statement = "The app is down since 9:00 and we are working hard to bring it back."
    event["event"].update(
        channel=SLACK_CHANNEL, thread_ts=summary["ts"], user=ANNA, text=">> " + statement
    )
    await slack_send(st, event, interaction=False)
    publishing = st.rt.store.publishing
    said = await eventually(lambda: publishing.statement("social", "1"))
    assert (said.text, said.language, said.writer) == (statement, "en", ANNA)
    # only the writer is told it is saved (after the statement is: wait for it)
    [saved] = await eventually(
        lambda: _async(st.slack.calls_to("chat.postEphemeral")), what="the writer told"
    )
    assert "Holding statement saved" in str(saved) and "no_entry" not in str(saved)

    await st.flush(seconds=storm_thread.SUMMARY_EVERY)
    summary = st.summary()
    assert message_violations(summary["blocks"], summary["text"]) == []
    assert "Holding statement" in _text(summary) and "Not published yet" in _text(summary)
    button = summary_button(summary, "storm.publish_all")
    assert button is not None
    said = json.dumps(button["confirm"], ensure_ascii=False)
    assert statement in said and "holding template" in said, "the approver sees what goes out"
    before = len(st.slack.calls_to("chat.postEphemeral"))
    await click_publish_all(st, ANNA)  # the writer, and no approver: refused
    await eventually(
        lambda: _async(len(st.slack.calls_to("chat.postEphemeral")) > before), what="refusal"
    )
    assert "only approvers" in str(st.slack.calls_to("chat.postEphemeral")[-1])
    assert await publishing.job("social", "1") is None

    # rewritten after the summary showed it: the shown button publishes nothing
    shown = st.summary()
    event["event"].update(text=">> " + statement + " We promise a refund to everyone!")
    await slack_send(st, event, interaction=False)

    async def rewritten() -> bool:
        now = await publishing.statement("social", "1")
        return now is not None and "refund" in now.text

    await eventually(rewritten, what="the rewritten statement")
    assert st.summary() == shown, "the summary still shows the first statement"
    before = len(st.slack.calls_to("chat.postEphemeral"))
    await click_publish_all(st, COMMS)
    await eventually(
        lambda: _async(len(st.slack.calls_to("chat.postEphemeral")) > before), what="refusal"
    )
    assert "changed since this message showed it" in str(
        st.slack.calls_to("chat.postEphemeral")[-1]
    )
    assert await publishing.job("social", "1") is None
    event["event"].update(text=">> " + statement)
    await slack_send(st, event, interaction=False)

    async def restored() -> bool:
        now = await publishing.statement("social", "1")
        return now is not None and now.text == statement

    await eventually(restored, what="the statement as first written")
    await st.flush(seconds=storm_thread.SUMMARY_EVERY)

    await click_publish_all(st, COMMS)
    job = await eventually(lambda: publishing.job("social", "1"))
    assert job.by == COMMS and job.running
    waiting = await st.rt.store.cases.get_many(ids)
    assert {c.state for c in waiting} == {State.STORM}  # the click queues; the worker sends

    pipeline = st.rt.pipeline
    assert pipeline is not None
    assert await pipeline.publish_all.run_due() == 4
    answered = await st.rt.store.cases.get_many(ids)
    assert [(c.state, len(c.published)) for c in answered] == [(State.PUBLISHED, 1)] * 4
    assert all(c.draft.startswith(("Hi ", "Hello ", "Hey ")) for c in answered)
    assert all(statement in c.draft for c in answered)
    await st.flush(seconds=storm_thread.SUMMARY_EVERY)
    summary = st.summary()
    assert "4 of 4 answered · done" in _text(summary)
    assert summary_button(summary, "storm.publish_all") is None  # nothing left to send
    assert message_violations(summary["blocks"], summary["text"]) == []
    assert len(st.roots()) == 3  # no thread per answered member


async def _async(value: T) -> T:
    return value


async def test_the_console_sets_the_statement_and_publishes_it_to_all(system: System) -> None:
    ids = await storm(system, NAMES[:2])
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    printer = StormPrinter(
        console, system.rt.store.storms, [], system.clock, system.rt.store.publishing
    )
    repl = Repl(
        system.wf,
        system.rt.store.audit,
        console,
        "comms",
        clock=system.clock,
        storms=printer,
        publish_all=publisher(system),
    )
    await repl.execute(f"storm social:1 >> {STATEMENT}")
    await repl.execute("storm social:1 publish")
    assert "four eyes" in out.getvalue()
    await repl.execute("as comms2")
    await repl.execute("storm social:1 publish")
    assert "publishing to all" in out.getvalue()
    assert await publisher(system).run_due() == 2
    await repl.execute("storm social:1")
    assert "2 of 2 answered · done" in out.getvalue()
    assert sent_to(system) == Counter({"m-0": 1, "m-1": 1}) and len(ids) == 2
