"""The state machine as tables: every command from every state, allowed or refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chatops.domain import Case, State
from chatops.workflow.commands import Command
from chatops.workflow.transitions import (
    ALLOWED,
    SPAM_ACK,
    Args,
    Policy,
    Refused,
    decide,
    fingerprint,
    other_approvers,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POLICY = Policy(
    approvers=frozenset({"comms", "comms2"}),
    departments=frozenset({"social", "billing", "legal"}),
    pii_patterns=(r"(?i)\border\s*#?\d{6}\b",),
    repeat_limit=3,
)

S, C = State, Command

# The expected state after each allowed command, for a plain (non-sensitive) case owned by
# "anna" with a draft; None = refused from that state.
EXPECTED: dict[Command, dict[State, State | None]] = {
    C.CLAIM: {S.NEW: S.CLAIMED},
    C.TAKE_OVER: {s: s for s in (S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED)},
    C.UNCLAIM: {S.CLAIMED: S.NEW, S.DRAFTED: S.NEW},
    C.EDIT: {
        S.NEW: S.DRAFTED,
        S.CLAIMED: S.DRAFTED,
        S.DRAFTED: S.DRAFTED,
        S.AWAITING_APPROVAL: S.AWAITING_APPROVAL,  # a new request for the new text
        S.APPROVED: S.DRAFTED,  # the approval is withdrawn
    },
    C.PUBLISH: {
        S.NEW: S.PUBLISHING,
        S.CLAIMED: S.PUBLISHING,
        S.DRAFTED: S.PUBLISHING,
        S.APPROVED: S.PUBLISHING,
    },
    C.PRIVATE: {
        S.NEW: S.PUBLISHING,
        S.CLAIMED: S.PUBLISHING,
        S.DRAFTED: S.PUBLISHING,
        S.APPROVED: S.PUBLISHING,
    },
    C.APPROVE: {S.AWAITING_APPROVAL: S.PUBLISHING},  # approve and publish: one step
    C.REJECT: {S.AWAITING_APPROVAL: S.DRAFTED},
    C.REROUTE: {
        s: s
        for s in (S.NEW, S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED, S.PUBLISH_UNKNOWN)
    },
    C.DISMISS: {
        s: S.DISMISSED
        for s in (S.NEW, S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED, S.STORM)
    },
    C.REPLY_TO: {s: s for s in (S.NEW, S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED)},
    C.TEMPLATE: {
        S.NEW: S.NEW,
        S.CLAIMED: S.CLAIMED,
        S.DRAFTED: S.DRAFTED,
        S.AWAITING_APPROVAL: S.AWAITING_APPROVAL,  # a new request, by whoever chose it
        S.APPROVED: S.DRAFTED,  # the approval is withdrawn
    },
    C.SNOOZE: {s: s for s in (S.NEW, S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED)},
    C.ESCALATE: {s: s for s in (S.NEW, S.CLAIMED, S.DRAFTED, S.AWAITING_APPROVAL, S.APPROVED)},
    C.APPROVAL_PING: {S.AWAITING_APPROVAL: S.AWAITING_APPROVAL},
    C.CONFIRM_SENT: {S.PUBLISH_UNKNOWN: S.PUBLISHED},
    C.CONFIRM_NOT_SENT: {S.PUBLISH_UNKNOWN: S.DRAFTED},
    C.PUBLISH_OK: {S.PUBLISHING: S.PUBLISHED},
    C.PUBLISH_FAILED: {S.PUBLISHING: S.DRAFTED},
    C.PUBLISH_UNKNOWN: {S.PUBLISHING: S.PUBLISH_UNKNOWN},
    C.REOPEN: {S.PUBLISHED: S.CLAIMED, S.CLOSED: S.CLAIMED, S.DISMISSED: S.CLAIMED},
    C.CLOSE: {S.PUBLISHED: S.CLOSED},
    C.SPLIT: {S.STORM: S.NEW},
    C.STORM_PUBLISH: {S.STORM: S.PUBLISHING},
}

ARGS: dict[Command, Args] = {
    C.EDIT: Args(text="Hej! Vi tittar på det."),
    C.REJECT: Args(text="too informal"),
    C.REROUTE: Args(department="billing"),
    C.DISMISS: Args(text="spam"),
    C.REPLY_TO: Args(text="sandbox:m-1"),
    C.TEMPLATE: Args(text="apology", draft="Hej Anna! Vi beklagar verkligen.", now=NOW),
    C.SNOOZE: Args(until=NOW.replace(hour=10), now=NOW),
    C.PUBLISH_OK: Args(published_id="r-1", published_url="https://x.invalid/r-1"),
    C.STORM_PUBLISH: Args(text="Hej Anna! Vi vet om felet.", writer="anna", now=NOW),
}


def make_case(state: State, **kw: object) -> Case:
    fields: dict[str, object] = dict(
        id="1042",
        state=state,
        department="social",
        platform="sandbox",
        conversation_id="post-1",
        created_at=NOW,
        updated_at=NOW,
        opened_at=NOW,
        mention_keys=["sandbox:m-1"],
        reply_to="sandbox:m-1",
        owner=None if state is S.NEW else "anna",
        draft="Hej Anna! Vi kollar och återkommer.",
        draft_author="anna",
        state_before_publish=S.DRAFTED if state in (S.PUBLISHING, S.PUBLISH_UNKNOWN) else None,
    )
    fields.update(kw)
    return Case.model_validate(fields)


CASES = [(cmd, st) for cmd in Command for st in State]


@pytest.mark.parametrize(("cmd", "state"), CASES, ids=[f"{c.value}-{s.value}" for c, s in CASES])
def test_every_command_from_every_state(cmd: Command, state: State) -> None:
    case = make_case(state)
    actor = {
        C.APPROVE: "comms",
        C.REJECT: "comms",
        C.TAKE_OVER: "bob",
        C.STORM_PUBLISH: "comms",
    }.get(cmd, "anna")
    expected = EXPECTED[cmd].get(state)
    if expected is None:
        with pytest.raises(Refused):
            decide(case, cmd, actor, POLICY, ARGS.get(cmd, Args()))
        assert state not in ALLOWED[cmd]
    else:
        after = decide(case, cmd, actor, POLICY, ARGS.get(cmd, Args(now=NOW)))
        assert after.state is expected
        assert case.state is state, "decide must not mutate its input"


def test_the_table_and_the_expectations_agree() -> None:
    for cmd in Command:
        assert ALLOWED[cmd] == frozenset(EXPECTED[cmd]), cmd


def test_claim_is_refused_with_the_owner_named() -> None:
    with pytest.raises(Refused, match="already claimed by anna"):
        decide(make_case(S.CLAIMED), C.CLAIM, "bob", POLICY)


def test_only_the_owner_can_unclaim() -> None:
    with pytest.raises(Refused, match=r"only the owner \(anna\)"):
        decide(make_case(S.CLAIMED), C.UNCLAIM, "bob", POLICY)


def test_edit_claims_an_unowned_case_and_records_the_author() -> None:
    after = decide(make_case(S.NEW), C.EDIT, "bob", POLICY, Args(text="  Hej!  "))
    assert (after.owner, after.draft_author, after.draft) == ("bob", "bob", "Hej!")


def test_empty_draft_is_refused() -> None:
    with pytest.raises(Refused, match="empty"):
        decide(make_case(S.CLAIMED), C.EDIT, "anna", POLICY, Args(text="   "))


def test_sensitive_publish_waits_for_approval() -> None:
    case = make_case(S.DRAFTED, sensitive_reasons=["keyword:lawsuit"])
    after = decide(case, C.PUBLISH, "anna", POLICY)
    assert after.state is S.AWAITING_APPROVAL
    assert after.state_before_publish is None


def test_approval_needs_an_approver() -> None:
    case = make_case(S.AWAITING_APPROVAL, sensitive_reasons=["keyword:lawsuit"])
    with pytest.raises(Refused) as info:
        decide(case, C.APPROVE, "bob", POLICY)
    assert info.value.code == "not_approver"
    with pytest.raises(Refused):
        decide(case, C.REJECT, "bob", POLICY, Args(text="no"))


def test_four_eyes_the_author_of_the_draft_cannot_approve_it() -> None:
    case = make_case(S.AWAITING_APPROVAL, draft_author="comms", sensitive_reasons=["x"])
    with pytest.raises(Refused) as info:
        decide(case, C.APPROVE, "comms", POLICY)
    assert info.value.code == "four_eyes"
    assert decide(case, C.APPROVE, "comms2", POLICY).approved_by == "comms2"


def test_reject_needs_a_reason() -> None:
    case = make_case(S.AWAITING_APPROVAL, sensitive_reasons=["x"])
    with pytest.raises(Refused, match="say why"):
        decide(case, C.REJECT, "comms", POLICY, Args(text=""))


def approved(**kw: object) -> Case:
    """A sensitive case whose public draft comms approved (a send failed since)."""
    case = make_case(S.APPROVED, sensitive_reasons=["x"], approved_by="comms", **kw)
    return case.model_copy(update={"approved_fingerprint": fingerprint(case)})


def test_approved_case_publishes_without_asking_again() -> None:
    case = approved()
    after = decide(case, C.PUBLISH, "comms", POLICY)
    assert (after.state, after.state_before_publish) == (S.PUBLISHING, S.APPROVED)
    assert decide(after, C.PUBLISH_FAILED, "chatops", POLICY).state is S.APPROVED


@pytest.mark.parametrize(
    ("draft", "kind"),
    [
        ("Mejla oss på anna.berg@example.com", "email"),
        ("Ring oss på +46 70 123 45 67", "phone"),
        ("Kortet 4111 1111 1111 1111 är spärrat", "card"),
        ("Betala till SE45 5000 0000 0583 9825 7466", "iban"),
        ("Din order 558812 är skickad", "order"),
    ],
)
def test_personal_data_blocks_public_publishing_but_not_private(draft: str, kind: str) -> None:
    case = make_case(S.DRAFTED, draft=draft)
    with pytest.raises(Refused) as info:
        decide(case, C.PUBLISH, "anna", POLICY)
    assert info.value.code == "pii"
    assert kind in info.value.reason and "privately" in info.value.reason
    after = decide(case, C.PRIVATE, "anna", POLICY)
    assert after.state is S.PUBLISHING and after.private


@pytest.mark.parametrize(
    ("draft", "goes_out"),
    [
        ("Mejla oss på support@acme.se så hjälper vi dig", True),
        ("Ring oss på 08-123 45 67", True),  # the allowed +46 8 123 45 67, written nationally
        ("Mejla anna.berg@example.com eller support@acme.se", False),  # a customer's address
        ("Ring +46 70 123 45 67", False),
    ],
)
def test_the_brands_own_contacts_may_be_published(draft: str, goes_out: bool) -> None:
    policy = replace(POLICY, pii_allow=("support@acme.se", "+46 8 123 45 67"))
    case = make_case(S.DRAFTED, draft=draft)
    if goes_out:
        assert decide(case, C.PUBLISH, "anna", policy).state is S.PUBLISHING
    else:
        with pytest.raises(Refused, match="personal data"):
            decide(case, C.PUBLISH, "anna", policy)


def test_a_card_number_failing_luhn_is_not_personal_data() -> None:
    case = make_case(S.DRAFTED, draft="Referens 4111 1111 1111 1112 gäller.")
    assert decide(case, C.PUBLISH, "anna", POLICY).state is S.PUBLISHING


def test_repeated_text_warns_once_then_goes_out() -> None:
    case = make_case(S.DRAFTED)
    with pytest.raises(Refused) as info:
        decide(case, C.PUBLISH, "anna", POLICY, Args(repeat_count=3))
    assert info.value.code == "repeat"
    assert info.value.remember == f"repeat:{_digest(case.draft)}"
    warned = case.model_copy(update={"warnings": [f"repeat:{_digest(case.draft)}"]})
    assert decide(warned, C.PUBLISH, "anna", POLICY, Args(repeat_count=3)).state is S.PUBLISHING
    assert decide(case, C.PUBLISH, "anna", POLICY, Args(repeat_count=2)).state is S.PUBLISHING


def _digest(text: str) -> str:
    from chatops.workflow.transitions import text_digest

    return text_digest(text)


def test_reroute_to_an_unknown_or_the_same_department_is_refused() -> None:
    with pytest.raises(Refused, match="unknown department 'nope'"):
        decide(make_case(S.NEW), C.REROUTE, "anna", POLICY, Args(department="nope"))
    with pytest.raises(Refused, match="already"):
        decide(make_case(S.NEW), C.REROUTE, "anna", POLICY, Args(department="social"))


def test_dismiss_reasons_are_the_three_of_the_contract() -> None:
    for reason in ("spam", "no_reply_needed", "duplicate"):
        assert (
            decide(make_case(S.NEW), C.DISMISS, "anna", POLICY, Args(text=reason)).state
            is S.DISMISSED
        )
    with pytest.raises(Refused, match="spam, no_reply_needed, duplicate"):
        decide(make_case(S.NEW), C.DISMISS, "anna", POLICY, Args(text="annoying"))


def test_publish_ok_marks_the_answered_mention_and_first_response() -> None:
    case = make_case(S.PUBLISHING)
    after = decide(
        case, C.PUBLISH_OK, "anna", POLICY, Args(published_id="r-9", published_url="u", now=NOW)
    )
    assert after.answered_keys == ["sandbox:m-1"]
    assert after.first_response_at == NOW
    assert after.published[-1]["id"] == "r-9"


def test_publishing_or_unknown_blocks_people_with_a_reason() -> None:
    with pytest.raises(Refused, match="being published"):
        decide(make_case(S.PUBLISHING), C.EDIT, "anna", POLICY, Args(text="x"))
    with pytest.raises(Refused, match="confirm first"):
        decide(make_case(S.PUBLISH_UNKNOWN), C.PUBLISH, "anna", POLICY)


def test_decide_copies_every_list_it_may_change() -> None:
    from chatops.workflow.transitions import _LIST_FIELDS

    lists = {n for n, f in Case.model_fields.items() if "list" in str(f.annotation)}
    assert lists == set(_LIST_FIELDS)
    case = make_case(S.PUBLISHING)
    after = decide(case, C.PUBLISH_OK, "anna", POLICY, Args(published_id="r", now=NOW))
    assert case.published == [] and case.answered_keys == [] and after.published


# -- an approval covers exactly what goes out (issue 9) ----------------------------------------


def waiting(**kw: object) -> Case:
    """A sensitive case whose owner anna wrote the draft and asked comms to approve it."""
    fields: dict[str, object] = {"sensitive_reasons": ["keyword:lawsuit"]}
    fields.update(kw)
    case = make_case(S.DRAFTED, **fields)
    return decide(case, C.PUBLISH, "anna", POLICY, Args(now=NOW))


def test_approve_is_one_step_into_publishing_carrying_the_fingerprint() -> None:
    case = waiting()
    assert (case.state, case.approval_requested_by) == (S.AWAITING_APPROVAL, "anna")
    after = decide(case, C.APPROVE, "comms", POLICY, Args(fingerprint=fingerprint(case)))
    assert after.state is S.PUBLISHING and after.state_before_publish is S.APPROVED
    assert after.approved_fingerprint == fingerprint(case) == fingerprint(after)
    assert after.approved_by == "comms"


def test_approve_refuses_a_draft_that_changed_since_the_approver_looked() -> None:
    case = waiting()
    seen = fingerprint(case)
    edited = decide(case, C.EDIT, "anna", POLICY, Args(text="Hej! Ny text.", now=NOW))
    with pytest.raises(Refused) as info:
        decide(edited, C.APPROVE, "comms", POLICY, Args(fingerprint=seen))
    assert info.value.code == "changed"


@pytest.mark.parametrize(
    "update",
    [
        {"draft": "Hej! Något annat."},
        {"reply_to": "sandbox:m-2"},
        {"private": True},
        {"platform": "x"},
        {"account": "brand-2"},
    ],
    ids=["text", "target", "visibility", "platform", "account"],
)
def test_every_part_of_what_goes_out_is_in_the_fingerprint(update: dict[str, object]) -> None:
    case = make_case(S.DRAFTED, mention_keys=["sandbox:m-1", "sandbox:m-2"])
    assert fingerprint(case.model_copy(update=update)) != fingerprint(case)
    unrelated = {"department": "billing", "owner": "bob", "flags": ["x"], "warnings": ["w"]}
    assert fingerprint(case.model_copy(update=unrelated)) == fingerprint(case)


@pytest.mark.parametrize(
    ("cmd", "args", "what"),
    [
        (C.EDIT, Args(text="Hej! Något annat.", now=NOW), "text"),
        (C.REPLY_TO, Args(text="sandbox:m-2", now=NOW), "target"),
    ],
)
def test_a_change_after_approval_withdraws_it(cmd: Command, args: Args, what: str) -> None:
    case = approved(mention_keys=["sandbox:m-1", "sandbox:m-2"])
    after = decide(case, cmd, "anna", POLICY, args)
    assert after.state is S.DRAFTED, what
    assert after.approved_fingerprint is None and after.approved_by is None
    assert decide(after, C.PUBLISH, "anna", POLICY, Args(now=NOW)).state is S.AWAITING_APPROVAL


def test_an_approval_for_a_private_reply_does_not_allow_a_public_one() -> None:
    case = approved(private=True)
    assert decide(case, C.PRIVATE, "anna", POLICY).state is S.PUBLISHING
    public = decide(case, C.PUBLISH, "anna", POLICY, Args(now=NOW))
    assert public.state is S.AWAITING_APPROVAL and not public.private
    assert public.approved_fingerprint is None and public.approval_requested_by == "anna"


def test_publishing_cannot_start_from_a_stale_approval() -> None:
    case = approved().model_copy(update={"draft": "changed behind the workflow's back"})
    assert decide(case, C.PUBLISH, "anna", POLICY, Args(now=NOW)).state is S.AWAITING_APPROVAL
    sending = case.model_copy(update={"state": S.PUBLISHING, "state_before_publish": S.APPROVED})
    back = decide(sending, C.PUBLISH_FAILED, "chatops", POLICY)
    assert back.state is S.DRAFTED and back.approved_fingerprint is None


def test_a_failed_send_keeps_the_approval_for_the_same_text() -> None:
    sending = decide(waiting(), C.APPROVE, "comms", POLICY)
    back = decide(sending, C.PUBLISH_FAILED, "chatops", POLICY)
    assert back.state is S.APPROVED and back.approved_fingerprint == fingerprint(back)
    assert decide(back, C.PUBLISH, "anna", POLICY).state is S.PUBLISHING
    assert decide(back, C.PUBLISH, "comms", POLICY).state is S.PUBLISHING  # the approver too
    with pytest.raises(Refused, match="claimed by anna"):
        decide(back, C.PUBLISH, "bob", POLICY)


def test_editing_a_waiting_draft_is_a_new_request_for_the_new_text() -> None:
    case = waiting().model_copy(update={"approval_pings": 2})
    later = NOW.replace(hour=11)
    after = decide(case, C.EDIT, "anna", POLICY, Args(text="Hej! Ny text.", now=later))
    assert after.state is S.AWAITING_APPROVAL and after.draft == "Hej! Ny text."
    assert (after.approval_requested_at, after.approval_pings) == (later, 0)
    assert decide(after, C.APPROVE, "comms", POLICY).state is S.PUBLISHING
    with pytest.raises(Refused) as info:
        decide(after, C.EDIT, "anna", POLICY, Args(text="Hej! Ny text."))
    assert info.value.code == "unchanged"


# -- four eyes are two people ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requester", "editor", "approver", "allowed"),
    [
        ("anna", "anna", "comms", True),
        ("comms", "anna", "comms", False),  # the requester
        ("anna", "comms", "comms", False),  # the last editor
        ("comms", "chatops", "comms", False),  # the template: its requester is its author
        ("anna", "chatops", "comms", True),
        ("comms", "comms", "comms2", True),
    ],
)
def test_neither_requester_nor_last_editor_may_approve(
    requester: str, editor: str, approver: str, allowed: bool
) -> None:
    case = make_case(S.DRAFTED, sensitive_reasons=["x"], draft_author=editor, owner=requester)
    case = decide(case, C.PUBLISH, requester, POLICY, Args(now=NOW))
    assert case.state is S.AWAITING_APPROVAL
    if allowed:
        assert decide(case, C.APPROVE, approver, POLICY).approved_by == approver
    else:
        with pytest.raises(Refused, match="someone else must approve") as info:
            decide(case, C.APPROVE, approver, POLICY)
        assert info.value.code == "four_eyes"


def test_approve_explains_when_no_other_approver_exists() -> None:
    lonely = Policy(approvers=frozenset({"comms"}), departments=POLICY.departments)
    case = make_case(S.DRAFTED, sensitive_reasons=["x"], draft_author="chatops", owner="comms")
    case = decide(case, C.PUBLISH, "comms", lonely, Args(now=NOW))
    assert other_approvers(case, lonely.approvers) == frozenset()
    with pytest.raises(Refused, match="no other approver is set up") as info:
        decide(case, C.APPROVE, "comms", lonely)
    assert info.value.code == "four_eyes"


# -- claim means ownership ---------------------------------------------------------------------

OWNER_ONLY = [
    (C.EDIT, Args(text="Hej! Bob skriver.")),
    (C.PUBLISH, Args()),
    (C.PRIVATE, Args()),
    (C.REPLY_TO, Args(text="sandbox:m-1")),
]


@pytest.mark.parametrize(("cmd", "args"), OWNER_ONLY, ids=[c.value for c, _ in OWNER_ONLY])
def test_only_the_owner_acts_on_a_claimed_case(cmd: Command, args: Args) -> None:
    case = make_case(S.DRAFTED)
    with pytest.raises(Refused, match=r"claimed by anna: take it over first") as info:
        decide(case, cmd, "bob", POLICY, args)
    assert info.value.code == "not_owner"
    taken = decide(case, C.TAKE_OVER, "bob", POLICY)
    assert taken.owner == "bob" and taken.state is S.DRAFTED
    decide(taken, cmd, "bob", POLICY, args)
    with pytest.raises(Refused, match="claimed by bob"):
        decide(taken, cmd, "anna", POLICY, args)


def test_take_over_needs_someone_else_to_own_it() -> None:
    with pytest.raises(Refused, match="you already own"):
        decide(make_case(S.CLAIMED), C.TAKE_OVER, "anna", POLICY)
    with pytest.raises(Refused, match="claim it"):
        decide(make_case(S.NEW), C.TAKE_OVER, "bob", POLICY)


def test_approvers_approve_and_reject_without_owning_the_case() -> None:
    case = waiting()
    assert case.owner == "anna"
    assert decide(case, C.APPROVE, "comms2", POLICY).state is S.PUBLISHING
    assert decide(case, C.REJECT, "comms2", POLICY, Args(text="no")).state is S.DRAFTED


def test_the_system_is_never_blocked_by_ownership() -> None:
    case = make_case(S.DRAFTED)
    assert decide(case, C.ESCALATE, "chatops", POLICY).owner == "anna"
    assert decide(case, C.EDIT, "chatops", POLICY, Args(text="Hej!")).owner == "anna"


# -- a spam-looking case asks first ------------------------------------------------------------


def test_publishing_a_spam_flagged_case_asks_for_confirmation_first() -> None:
    case = make_case(S.DRAFTED, spam_signals=["link_shortener", "crypto"])
    for cmd in (C.PUBLISH, C.PRIVATE):
        with pytest.raises(Refused, match=r"looks like spam \(link_shortener, crypto\)") as info:
            decide(case, cmd, "anna", POLICY)
        assert info.value.code == "spam_confirm" and info.value.remember == SPAM_ACK
    confirmed = case.model_copy(update={"warnings": [SPAM_ACK]})
    assert decide(confirmed, C.PUBLISH, "anna", POLICY).state is S.PUBLISHING
    assert decide(make_case(S.DRAFTED), C.PUBLISH, "anna", POLICY).state is S.PUBLISHING


# -- edit and approve (the approval inbox) -----------------------------------------------------


def test_edit_and_approve_approves_the_approvers_text_and_records_them_as_its_author() -> None:
    case = waiting()
    seen = fingerprint(case)
    text = "Hej! Vi ringer dig i dag."
    after = decide(case, C.APPROVE, "comms", POLICY, Args(fingerprint=seen, text=text))
    assert after.state is S.PUBLISHING and after.draft == text
    assert (after.draft_author, after.approved_by) == ("comms", "comms")
    assert after.approved_fingerprint == fingerprint(after) != seen  # covers the new text


@pytest.mark.parametrize(
    ("requester", "editor", "approver"),
    [
        ("comms", "anna", "comms"),  # asked for it: may not approve by rewriting it either
        ("anna", "comms", "comms"),  # wrote the draft as it stands: the same
    ],
)
def test_edit_and_approve_checks_four_eyes_against_the_draft_before_the_edit(
    requester: str, editor: str, approver: str
) -> None:
    case = make_case(S.DRAFTED, sensitive_reasons=["x"], draft_author=editor, owner=requester)
    case = decide(case, C.PUBLISH, requester, POLICY, Args(now=NOW))
    with pytest.raises(Refused, match="someone else must approve") as info:
        decide(case, C.APPROVE, approver, POLICY, Args(fingerprint=fingerprint(case), text="Ny"))
    assert info.value.code == "four_eyes"


def test_edit_and_approve_refuses_when_the_draft_changed_since_the_modal_opened() -> None:
    case = waiting()
    seen = fingerprint(case)
    edited = decide(case, C.EDIT, "anna", POLICY, Args(text="Hej! Annan text.", now=NOW))
    with pytest.raises(Refused) as info:
        decide(edited, C.APPROVE, "comms", POLICY, Args(fingerprint=seen, text="Min text."))
    assert info.value.code == "changed"


def test_edit_and_approve_still_refuses_personal_data_in_a_public_reply() -> None:
    case = waiting()
    args = Args(fingerprint=fingerprint(case), text="Din order #123456 är på väg.")
    with pytest.raises(Refused) as info:
        decide(case, C.APPROVE, "comms", POLICY, args)
    assert info.value.code == "pii"
