"""The approval inbox as data (chatops/chat/inbox.py): who gets a copy, when copies are sent
or settled, what a copy says (JSON for Slack's Block Kit, checked as Slack checks it), and the
console's one printed request."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from chatops.chat import CaseEvent, CaseView, Department, DraftChange, EventKind
from chatops.chat.actions import Action
from chatops.chat.inbox import Step, may_approve, recipients, request, settled, step
from chatops.chat.rich import plain
from chatops.console.backend import ConsoleBackend
from chatops.domain import State
from chatops.slack.inbox import copy_blocks, copy_text
from tests.builders import NOW, make_case, mention
from tests.conftest import System
from tests.fakes.block_kit import message_violations

BILLING = Department("billing", "Billing", "C0BILLING1")
ANNA, COMMS1, COMMS2 = "U0ANNA0001", "U0COMMS001", "U0COMMS002"
AT = datetime(2026, 11, 23, 10, 42, tzinfo=UTC)


def waiting(**kw: object) -> CaseView:
    fields: dict[str, object] = {
        "sensitive_reasons": ["keyword:lawsuit", "reach:25000"],
        "approval_requested_by": ANNA,
    }
    fields.update(kw)
    case = make_case(State.AWAITING_APPROVAL, staff=ANNA, **fields)
    return CaseView(case=case, mentions=[mention(text="I will sue you!")], department=BILLING)


def test_every_approver_but_the_drafts_authors_gets_a_copy_unless_a_channel_gathers_them() -> None:
    view = waiting(draft_author=COMMS1)  # comms1 rewrote anna's draft
    assert recipients(view, [ANNA, COMMS1, COMMS2, COMMS2], None) == [COMMS2]
    assert recipients(view, [ANNA, COMMS1, COMMS2], "C0COMMSAPPR") == ["C0COMMSAPPR"]


def test_copies_are_sent_while_the_case_waits_and_settled_once_it_does_not() -> None:
    view = waiting()
    assert step(view, CaseEvent(EventKind.APPROVAL_REQUESTED, ANNA)) is Step.ASK
    assert step(view, CaseEvent(EventKind.APPROVAL_WAITING, ANNA)) is None  # a reminder
    done = CaseView(view.case.model_copy(update={"state": State.PUBLISHING}), [], BILLING)
    assert step(done, CaseEvent(EventKind.APPROVED, COMMS1)) is Step.SETTLE
    assert step(done, CaseEvent(EventKind.PUBLISHED, COMMS1)) is None  # settled already


def test_the_request_quotes_the_customer_and_the_draft_says_why_and_offers_three_clicks() -> None:
    copy = request(waiting())
    assert [b.action for b in copy.controls] == [
        Action.APPROVE,
        Action.EDIT_APPROVE,
        Action.REJECT,
    ]
    assert copy.customer is not None and copy.customer.text == "I will sue you!"
    assert copy.draft.text == "Hej Anna! Vi kollar och återkommer."
    assert "“lawsuit”, 25,000 followers" in plain(copy.reasons or ())
    blocks = copy_blocks(copy)
    assert message_violations(blocks, copy_text(copy)) == []
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert actions["block_id"] == f"inbox-1042-{copy.seen}"
    assert [e["action_id"] for e in actions["elements"]] == [
        "case.approve",
        "case.edit_approve",
        "case.reject",
    ]


def test_a_huge_case_still_fits_block_kit() -> None:
    view = waiting(draft="å" * 3000)
    huge = CaseView(view.case, [mention(text="<@U1> &" * 900)], BILLING)
    blocks = copy_blocks(request(huge))
    assert message_violations(blocks, copy_text(request(huge))) == []
    assert "<@U1>" not in str(blocks)  # the customer's text mentions nobody


def test_a_settled_copy_says_who_did_what_when_and_offers_nothing() -> None:
    view = waiting()
    approved = settled(view, CaseEvent(EventKind.APPROVED, COMMS1), AT)
    assert approved.settled and plain(approved.status).endswith(
        f"Approved by {COMMS1} at 2026-11-23 10:42 UTC"
    )
    edited = settled(view, CaseEvent(EventKind.APPROVED, COMMS1, changed=DraftChange.TEXT), AT)
    assert "Edited and approved by" in plain(edited.status)
    rejected = settled(view, CaseEvent(EventKind.REJECTED, COMMS1, reason="Too casual"), AT)
    assert plain(rejected.status).endswith("Too casual") and "Sent back by" in plain(
        rejected.status
    )
    gone = CaseView(view.case.model_copy(update={"state": State.DISMISSED}), view.mentions, BILLING)
    assert "Withdrawn" in plain(settled(gone, CaseEvent(EventKind.DISMISSED, ANNA), AT).status)
    blocks = copy_blocks(approved)
    assert not [b for b in blocks if b["type"] == "actions"]
    assert "<!date^" in str(blocks) and message_violations(blocks, copy_text(approved)) == []


def test_may_approve_says_why_not_before_anyone_writes_a_reply() -> None:
    case = waiting(draft_author=COMMS1).case
    assert may_approve(case, COMMS2, [COMMS1, COMMS2]) is None
    assert "you wrote this draft" in (may_approve(case, COMMS1, [COMMS1, COMMS2]) or "")
    assert "only approvers" in (may_approve(case, ANNA, [COMMS1, COMMS2]) or "")


async def test_the_console_prints_the_request_once_with_its_commands() -> None:
    out = io.StringIO()
    backend = ConsoleBackend(Console(file=out, width=200), clock=lambda: NOW)
    view = waiting()
    await backend.show(view, CaseEvent(EventKind.APPROVAL_REQUESTED, ANNA))
    await backend.show(
        view, CaseEvent(EventKind.APPROVAL_REQUESTED, ANNA, changed=DraftChange.TEXT)
    )
    text = out.getvalue()
    assert text.count("Approval · Case #1042 · Billing") == 1
    assert "I will sue you!" in text and "approve 1042" in text and "amend 1042 TEXT" in text


async def test_amend_at_the_console_edits_and_approves(system: System) -> None:
    from chatops.console.repl import Repl
    from tests.fakes import mention_json

    await system.ingest(mention_json("m-1", "post-1", "This is going to a lawsuit."))
    case = await system.case_of("post-1")
    await system.wf.publish(case.id, "anna")
    repl = Repl(system.wf, system.rt.store.audit, Console(file=io.StringIO()), "anna")
    await repl.execute(f"amend {case.id} We are sorry: our legal team will call you.")
    assert (await system.wf.case(case.id)).state is State.AWAITING_APPROVAL  # no approver
    repl.user = "comms"
    await repl.execute(f"amend {case.id} We are sorry: our legal team will call you.")
    after = await system.wf.case(case.id)
    assert after.state is State.PUBLISHED and after.approved_by == "comms"
    assert [r["text"] for r in system.platform.received] == [
        "We are sorry: our legal team will call you."
    ]


def test_a_template_draft_says_so_rather_than_naming_the_system() -> None:
    copy = request(waiting(draft_author="chatops"))
    assert plain(copy.draft.head).endswith("from the template")
