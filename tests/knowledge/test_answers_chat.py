"""'Similar: #1001, answered by …' with "Use this answer", as people see and click it: through
the local Slack and Teams servers and at the console."""

from __future__ import annotations

import io
import re
from typing import Any

from rich.console import Console

from chatops import keys
from chatops.chat.actions import Action
from chatops.console.repl import Repl
from chatops.domain import State
from tests.conftest import System
from tests.fakes import mention_json
from tests.fakes.block_kit import message_violations
from tests.fakes.wait import eventually
from tests.knowledge.test_answers import ANSWER, INVOICE, INVOICE_AGAIN, answered
from tests.slack.test_slack import (
    ANNA,
    BOB,
    SlackSystem,
    _async,
    _edit,
    _state,
    slack_config,
    ss,
)
from tests.teams.test_teams import (
    ANNA as TEAMS_ANNA,
)
from tests.teams.test_teams import (
    BOB as TEAMS_BOB,
)
from tests.teams.test_teams import (
    TeamsSystem,
    actions_of,
    bare,
    notice,
    teams_config,
    text_of,
    ts,
)

__all__ = ["bare", "slack_config", "ss", "teams_config", "ts"]

ADAPTED = "Hej Björn! Fakturan för november hittar du under Mina sidor › Fakturor."


# -- Slack ------------------------------------------------------------------------------------


async def _published_in_slack(ss: SlackSystem) -> None:
    """Case 1001 in Billing, answered through Slack: claimed, drafted in the modal, published."""
    await ss.ingest(mention_json("m-1", "post-1", INVOICE))
    await ss.flush()
    await ss.click(Action.CLAIM, "1001", ANNA)
    await _edit(ss, ANNA, ANSWER)
    await ss.click(Action.PUBLISH, "1001", ANNA)
    await eventually(lambda: _state(ss, State.PUBLISHED))
    await eventually(lambda: _recorded(ss))  # after the reply went out, in the click's task


async def _recorded(ss: SlackSystem) -> int:
    """How many answers Billing has recorded for "Similar"."""
    return int(await ss.rt.store.redis.xlen(keys.answers("billing")))


def _similar_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in message.get("blocks", []) if "-similar-" in str(b.get("block_id", ""))]


async def test_slack_shows_similar_cases_and_use_this_answer_sets_the_draft(
    ss: SlackSystem,
) -> None:
    await _published_in_slack(ss)
    ss.clock.advance(days=3)
    await ss.ingest(mention_json("m-2", "post-2", INVOICE_AGAIN, name="Björn Ek", author="u-2"))
    await ss.flush()
    [message] = [m for m in ss.slack.messages("C0BILLING1") if _similar_blocks(m)]
    assert message_violations(message["blocks"], message.get("text")) == []
    [block] = _similar_blocks(message)
    text = block["text"]["text"]
    # its thread linked, the moment in each reader's own time zone (Slack renders with the
    # wall clock, so how many days ago depends on today)
    said = rf"Similar: <https://[^|]+\|#1001>, answered by <@{ANNA}> \d+ days ago \(<!date\^"
    assert re.search(said, text), text
    assert ANSWER.split("!")[1].strip() in text
    button = block["accessory"]
    assert (button["action_id"], button["value"]) == ("case.use_answer", "1002:1001")
    assert block["block_id"].startswith("case-1002-")

    await ss.click(
        Action.USE_ANSWER, "1002", BOB, value=button["value"], block_id=block["block_id"]
    )

    async def used() -> Any:
        case = await ss.case("1002")
        return case if case.draft == ADAPTED else None

    case = await eventually(used)
    assert (case.draft_author, case.owner, case.state) == (BOB, BOB, State.DRAFTED)
    assert len(ss.platform.received) == 1  # nothing sent by the click


async def test_slack_tells_only_the_clicker_why_an_answer_cannot_be_used(ss: SlackSystem) -> None:
    await _published_in_slack(ss)
    await ss.ingest(
        mention_json("m-2", "post-2", "Where is my invoice for November?", lang="en", author="u-2")
    )
    await ss.flush()
    before = await ss.case("1002")
    await ss.click(Action.USE_ANSWER, "1002", BOB, value="1002:1001")
    told = await eventually(lambda: _async([e for e in ss.slack.ephemerals if e["user"] == BOB]))
    assert "no similar answer in en" in told[0]["text"]
    assert (await ss.case("1002")).version == before.version


# -- Teams ------------------------------------------------------------------------------------


async def test_teams_card_offers_use_this_answer(ts: TeamsSystem) -> None:
    await ts.ingest(mention_json("m-1", "post-1", INVOICE))
    await ts.flush()
    await ts.click(Action.CLAIM, TEAMS_ANNA)
    await ts.click(Action.EDIT, TEAMS_ANNA, draft=ANSWER)
    await ts.click(Action.PUBLISH, TEAMS_ANNA, draft=ANSWER)
    assert (await ts.case()).state is State.PUBLISHED
    await ts.ingest(mention_json("m-2", "post-2", INVOICE_AGAIN, name="Björn Ek", author="u-2"))
    await ts.flush()
    card = (await ts.post("1002")).card or {}
    said = r"Similar: \[#1001\]\(https://teams\.microsoft\.com/l/message/[^)]+\), answered by "
    assert re.search(said + r"Anna Lind today \(\{\{DATE\(2026-11-23T09:00:00Z", text_of(card))
    [use] = [a for a in actions_of(card) if a["verb"] == Action.USE_ANSWER.value]
    assert (use["data"]["case_id"], use["data"]["answer"], use["title"]) == (
        "1002",
        "1001",
        "Use this answer",
    )
    answer = await ts.click(
        Action.USE_ANSWER, TEAMS_BOB, "1002", answer="1001", seen=use["data"]["seen"]
    )
    assert notice(answer) is None
    case = await ts.case("1002")
    assert (case.draft, case.draft_author, case.state) == (ADAPTED, TEAMS_BOB.aad, State.DRAFTED)
    assert len(ts.platform.received) == 1


# -- console ----------------------------------------------------------------------------------


async def test_console_similar_and_use(system: System) -> None:
    await answered(system, "post-1")
    await system.ingest(mention_json("m-2", "post-2", INVOICE_AGAIN, name="Björn Ek", author="u-2"))
    out = io.StringIO()
    repl = Repl(
        system.wf, system.rt.store.audit, Console(file=out, width=300), "bo", clock=system.clock
    )
    for line in ("show 1002", "similar 1002", "use 1002 2", "use 1002 1"):
        assert await repl.execute(line)
    text = out.getvalue()
    assert "1) 💡 Similar: #1001, answered by anna today" in text
    assert "use 1002 1" in text
    assert "use #1002: pick an answer from 1 to 1 (see: similar 1002)" in text
    case = await system.wf.case("1002")
    assert (case.draft, case.draft_author) == (ADAPTED, "bo")
    assert system.platform.received[-1]["in_reply_to"] == "m-post-1"  # only the first reply


async def test_console_says_when_nothing_similar_was_answered(system: System) -> None:
    await system.ingest(mention_json("m-1", "post-1", "Appen kraschar när jag loggar in"))
    out = io.StringIO()
    repl = Repl(system.wf, system.rt.store.audit, Console(file=out, width=300), "bo")
    assert await repl.execute("similar 1001")
    assert await repl.execute("use 1001 1")
    text = out.getvalue()
    assert "#1001: no similar answered case to start from" in text
    assert "use #1001: no similar answered case is known" in text
