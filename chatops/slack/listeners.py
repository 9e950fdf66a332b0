"""Bolt listeners: translate Slack clicks, modals and thread messages into workflow commands.

Every listener acknowledges first (Slack wants an answer within 3 s) and works after. A
refusal is told to the person who clicked, and only to them (an ephemeral message).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError

from chatops.chat import storm_desk
from chatops.chat.actions import Action, StormAction
from chatops.chat.commands import case_of, run_action
from chatops.chat.hints import first_plain_reply
from chatops.chat.inbox import may_approve
from chatops.chat.rich import Emoji, Text, plain
from chatops.chat.scope import Home, may_act, refusal
from chatops.chat.storm import (
    NO_STATEMENT,
    NO_STORM,
    STATEMENT_SET,
    StormRef,
    apart,
    listing_line,
    sealed,
)
from chatops.chat.wording import EMPTY_DRAFT, draft_hint
from chatops.domain import OPEN_STATES
from chatops.redis_text import maybe_text
from chatops.slack.blocks import mrkdwn, seen_draft
from chatops.slack.ids import (
    DRAFT_BLOCK,
    DRAFT_ELEMENT,
    REASON_BLOCK,
    REASON_ELEMENT,
    STATEMENT_BLOCK,
    STATEMENT_ELEMENT,
    View,
)
from chatops.slack.modals import (
    draft_modal,
    read_metadata,
    read_modal_input,
    reject_modal,
    statement_modal,
)
from chatops.slack.scope import remember_view, view_key
from chatops.workflow.commands import Command
from chatops.workflow.transitions import ALLOWED, Refused, not_owner

if TYPE_CHECKING:
    from chatops.publishall import PublishAll
    from chatops.slack.backend import SlackBackend
    from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)

DRAFT_PREFIX = ">>"
SLASH_HELP = (
    "*/chatops* lists the open cases of this channel's department (only you see it).\n"
    "On a case: *Claim* it, *Edit draft*, then *Publish* (sensitive cases go to comms first). "
    "In a case's thread, a message starting with `>>` becomes the draft; anything else stays "
    "internal and never reaches the customer."
)

BUTTONS = (
    Action.CLAIM,
    Action.UNCLAIM,
    Action.TAKE_OVER,
    Action.PUBLISH,
    Action.PRIVATE,
    Action.APPROVE,
    Action.CONFIRM_SENT,
    Action.CONFIRM_NOT_SENT,
)
"""Buttons whose value is the case id and whose click is the whole command (chat.commands)."""

Choose = Callable[["Workflow", str, str, str], Awaitable[Any]]
"""(workflow, case id, user, the chosen option's value after the case id)."""


def register(app: AsyncApp, backend: SlackBackend) -> None:
    for action in BUTTONS:
        app.action(action.value)(_button(backend, action))
    app.action(Action.EDIT.value)(_open_draft(backend))
    app.action(Action.REJECT.value)(_open_reject(backend))
    app.action(Action.EDIT_APPROVE.value)(_open_edit_approve(backend))
    for action in (Action.REROUTE, Action.DISMISS, Action.SNOOZE, Action.TEMPLATE):
        app.action(action.value)(_select(backend, _chosen(action)))
    app.action(Action.REPLY_TO.value)(_select(backend, _reply_to))
    app.action(Action.USE_ANSWER.value)(_use_answer(backend))
    app.action(StormAction.PUBLISH_ALL.value)(_storm_button(backend))
    app.action(StormAction.EDIT.value)(_open_statement(backend))
    app.view(View.DRAFT.value)(_save_draft(backend))
    app.view(View.REJECT.value)(_save_reject(backend))
    app.view(View.STATEMENT.value)(_save_statement(backend))
    app.event("message")(_thread_message(backend))
    app.event("app_home_opened")(_home_opened(backend))
    app.command("/chatops")(_slash(backend))


def _where(body: dict[str, Any]) -> tuple[str, str]:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id", ""
    )
    return body["user"]["id"], channel


async def _tell(
    backend: SlackBackend, channel: str, user: str, text: str, thread_ts: str | None = None
) -> None:
    """An ephemeral answer: only the person who acted sees it; a direct message when they
    acted where there is no channel (their Home tab)."""
    from chatops.slack.blocks import refusal_text

    try:
        if not channel:
            await backend.client.chat_postMessage(channel=user, text=refusal_text(text))
            return
        await backend.client.chat_postEphemeral(
            channel=channel, user=user, text=refusal_text(text), thread_ts=thread_ts
        )
    except SlackApiError as exc:
        log.warning("slack: could not tell %s: %s", user, exc.response.get("error"))


SENDS = frozenset({Action.PUBLISH, Action.PRIVATE, Action.APPROVE})
"""Buttons that send to a customer: they act only on the draft their message showed."""
STALE_BUTTON = "this message does not say which draft it showed: use the case's current message"


def _button(backend: SlackBackend, clicked: Action) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, channel = _where(body)
        seen = seen_draft(str(action.get("block_id") or ""))
        try:
            if seen is None and clicked in SENDS:
                raise Refused(STALE_BUTTON)
            await run_action(backend.workflow, clicked, action["value"], user, seen=seen)
        except Refused as refusal:
            await _tell(backend, channel, user, refusal.reason)

    return listener


def _use_answer(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    """ "Use this answer" beside a similar answered case: its value names the case and the
    answered one (`<case id>:<answered case id>`)."""

    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, channel = _where(body)
        case_id, _, source = str(action.get("value") or "").partition(":")
        try:
            await run_action(backend.workflow, Action.USE_ANSWER, case_id, user, source)
        except Refused as refusal:
            await _tell(backend, channel, user, refusal.reason)

    return listener


async def _saved(backend: SlackBackend, channel: str, user: str, thread_ts: str) -> None:
    """Only the statement's writer is told it is saved (the summary shows it to everyone)."""
    text = mrkdwn((Emoji("white_check_mark"), Text(" " + STATEMENT_SET)))
    try:
        await backend.client.chat_postEphemeral(
            channel=channel, user=user, text=text, thread_ts=thread_ts
        )
    except SlackApiError as exc:
        log.warning("slack: could not tell %s: %s", user, exc.response.get("error"))


def _desk(backend: SlackBackend) -> PublishAll | None:
    """Storms' statements and publish-to-all of this process (None: it handles no storms)."""
    return backend.rt.pipeline.publish_all if backend.rt.pipeline else None


def _storm_of(backend: SlackBackend, storm_id: str) -> StormRef | None:
    """The storm a value names, if its department is one of ours."""
    ref = StormRef.parse(storm_id)
    known = {d.id for d in backend.rt.config.departments}
    return ref if ref is not None and ref.department in known else None


def _storm_home(backend: SlackBackend, ref: StormRef) -> Home:
    """Where a storm's summary lives: its department's channel."""
    department = backend.rt.config.department(ref.department)
    return Home(department.channel, department.name, None)


def _is_approver(backend: SlackBackend, user: str) -> Callable[[], Awaitable[bool]]:
    async def ask() -> bool:
        return bool(user) and user in await backend.approvers()

    return ask


def _storm_button(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    """ "Publish to all" (or "Retry failed") on a storm's summary: the job is queued for the
    worker, which sends; the summary shows how far it came."""

    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, channel = _where(body)
        ref, seal = sealed(str(action.get("value") or ""))
        try:
            await storm_desk.act(_desk(backend), StormAction.PUBLISH_ALL, ref, user, seal=seal)
        except Refused as refusal:
            await _tell(backend, channel, user, refusal.reason)

    return listener


def _open_statement(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    """ "Edit statement" on a storm's summary: the modal, prefilled with the statement as it
    is now (not as the message showed it)."""

    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, channel = _where(body)
        ref = _storm_of(backend, str(action.get("value") or ""))
        if ref is None:
            await _tell(backend, channel, user, NO_STORM)
            return
        home = _storm_home(backend, ref)
        if not await may_act(home, channel, _is_approver(backend, user)):
            await _tell(backend, channel, user, mrkdwn(refusal(home)))
            return
        said = await backend.rt.store.publishing.statement(ref.department, ref.group)
        modal = statement_modal(ref.id, said.text if said else "")
        opened = await backend.client.views_open(trigger_id=body["trigger_id"], view=modal)
        await remember_view(backend, opened.get("view") or {}, ref.id)

    return listener


def _save_statement(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = read_modal_input(view, STATEMENT_BLOCK, STATEMENT_ELEMENT).strip()
        if not text:
            await ack(response_action="errors", errors={STATEMENT_BLOCK: NO_STATEMENT})
            return
        user = body["user"]["id"]
        ref = _storm_of(backend, str(view.get("private_metadata") or ""))
        opened_for = await backend.rt.store.redis.get(view_key(str(view.get("id") or "")))
        if ref is not None and maybe_text(opened_for) != ref.id:
            if not await _is_approver(backend, user)():  # a modal we did not open here
                home = _storm_home(backend, ref)
                await ack(response_action="errors", errors={STATEMENT_BLOCK: plain(refusal(home))})
                return
        await ack()
        try:
            await storm_desk.act(_desk(backend), StormAction.STATEMENT, ref, user, text=text)
        except Refused as refused:
            await _tell_directly(backend, user, refused.reason)

    return listener


def _select(backend: SlackBackend, command: Choose) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, channel = _where(body)
        value = (action.get("selected_option") or {}).get("value", "")
        case_id, _, choice = value.partition(":")
        if not case_id or not choice:  # a cleared menu: nothing was chosen
            await _tell(backend, channel, user, "nothing was chosen: pick an entry in the menu")
            return
        try:
            await command(backend.workflow, case_id, user, choice)
        except Refused as refusal:
            await _tell(backend, channel, user, refusal.reason)

    return listener


def _chosen(action: Action) -> Choose:
    """A menu whose option value, after the case id, is the choice itself."""

    def run(wf: Workflow, case_id: str, user: str, choice: str) -> Awaitable[Any]:
        return run_action(wf, action, case_id, user, choice)

    return run


async def _reply_to(wf: Workflow, case_id: str, user: str, choice: str) -> Any:
    """The menu names a comment by its place in the case (`blocks.reply_to_value`)."""
    from chatops.slack.blocks import reply_to_key

    case = await case_of(wf, case_id)
    key = reply_to_key(case, choice)
    if key is None:
        raise Refused("that comment is no longer in the menu: choose again")
    return await run_action(wf, Action.REPLY_TO, case_id, user, key)


def _open_draft(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, channel = _where(body)
        case = await backend.rt.store.cases.get(action["value"])
        if case is None or case.state not in ALLOWED[Command.EDIT]:
            await _tell(backend, channel, user, "this case can no longer be edited")
            return
        if (refusal := not_owner(case, user)) is not None:  # now, not after a whole reply
            await _tell(backend, channel, user, refusal)
            return
        opened = await backend.client.views_open(
            trigger_id=body["trigger_id"],
            view=draft_modal(case.id, case.draft, title_case=case.number),
        )
        await remember_view(backend, opened.get("view") or {}, case.id)

    return listener


def _open_reject(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, channel = _where(body)
        case = await backend.rt.store.cases.get(action["value"])
        if case is None or case.state not in ALLOWED[Command.REJECT]:
            await _tell(backend, channel, user, "nothing is waiting for approval here")
            return
        if user not in await backend.approvers():
            await _tell(backend, channel, user, "only approvers can send a draft back")
            return
        opened = await backend.client.views_open(
            trigger_id=body["trigger_id"], view=reject_modal(action["value"])
        )
        await remember_view(backend, opened.get("view") or {}, case.id)

    return listener


def _open_edit_approve(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    """Edit and approve (approval inbox): the draft modal, saving which approves the text.
    Whoever may not approve this draft is told now, not after writing a whole reply."""

    async def listener(ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        user, channel = _where(body)
        case = await backend.rt.store.cases.get(action["value"])
        seen = seen_draft(str(action.get("block_id") or ""))
        if case is None or case.state not in ALLOWED[Command.APPROVE]:
            await _tell(backend, channel, user, "nothing is waiting for approval here")
            return
        refusal = may_approve(case, user, await backend.approvers())
        if refusal is None and seen is None:
            refusal = STALE_BUTTON
        if refusal is not None:
            await _tell(backend, channel, user, refusal)
            return
        modal = draft_modal(case.id, case.draft, title_case=case.number, approve_seen=seen)
        opened = await backend.client.views_open(trigger_id=body["trigger_id"], view=modal)
        await remember_view(backend, opened.get("view") or {}, case.id)

    return listener


def _save_draft(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        text = read_modal_input(view, DRAFT_BLOCK, DRAFT_ELEMENT).strip()
        if not text:
            await ack(response_action="errors", errors={DRAFT_BLOCK: EMPTY_DRAFT})
            return
        await ack()
        user = body["user"]["id"]
        case_id, approve_seen = read_metadata(view["private_metadata"])
        action = Action.EDIT if approve_seen is None else Action.EDIT_APPROVE
        try:
            await run_action(backend.workflow, action, case_id, user, text, approve_seen)
        except Refused as refusal:
            if approve_seen is None:
                await _tell_in_case(backend, case_id, user, refusal.reason)
            else:  # opened from a copy of the request, maybe far from the case's channel
                await _tell_directly(backend, user, refusal.reason)

    return listener


async def _tell_directly(backend: SlackBackend, user: str, text: str) -> None:
    from chatops.slack.blocks import refusal_text

    try:
        await backend.client.chat_postMessage(channel=user, text=refusal_text(text))
    except SlackApiError as exc:
        log.warning("slack: could not tell %s: %s", user, exc.response.get("error"))


def _save_reject(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    async def listener(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = read_modal_input(view, REASON_BLOCK, REASON_ELEMENT).strip()
        if not reason:
            await ack(
                response_action="errors", errors={REASON_BLOCK: "Say why, so the owner can fix it."}
            )
            return
        await ack()
        user = body["user"]["id"]
        try:
            case_id = view["private_metadata"]
            await run_action(backend.workflow, Action.REJECT, case_id, user, reason)
        except Refused as refusal:
            await _tell_in_case(backend, view["private_metadata"], user, refusal.reason)

    return listener


async def _tell_in_case(backend: SlackBackend, case_id: str, user: str, text: str) -> None:
    thread = await backend.outbox.thread_of(case_id)
    if thread is not None:
        await _tell(backend, thread[0], user, text, thread_ts=thread[1])


def _thread_message(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    """A thread reply starting with `>>` becomes the draft (also sent to the channel, with a
    file, or edited later: `drafts.thread_draft`); anything else stays internal, and its
    writer's first one in a case gets a tip about `>>` that only they see."""
    from chatops.slack.drafts import thread_draft
    from chatops.slack.outbox import Op

    async def listener(event: dict[str, Any]) -> None:
        draft = thread_draft(event)
        if draft is None:
            await _hint(backend, event)
            return
        channel, user, thread_ts = draft.channel, draft.user, draft.thread_ts
        case_id = await backend.outbox.case_of_thread(channel, thread_ts)
        if case_id is None:
            return
        ref = StormRef.parse(case_id)
        try:
            if ref is not None:  # a storm's thread: its holding statement
                await storm_desk.act(
                    _desk(backend), StormAction.STATEMENT, ref, user, text=draft.text
                )
                await _saved(backend, channel, user, thread_ts)
                return
            await backend.workflow.edit(case_id, user, draft.text)
        except Refused as refusal:
            await _tell(backend, channel, user, refusal.reason, thread_ts=thread_ts)
            return
        if draft.has_files:
            note = (
                ":paperclip: (a file was attached in Slack and is not sent): only the text "
                "after `>>` is the draft."
            )
            await backend.outbox.enqueue(Op("reply", case_id, channel, text=note, ts=thread_ts))

    return listener


def _home_opened(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    """The person opened the app's Home tab: publish it now, and keep it current from then on
    (chatops/slack/home.py)."""

    async def listener(event: dict[str, Any]) -> None:
        user = str(event.get("user") or "")
        if event.get("tab") == "home" and user:
            await backend.homes.opened(user)

    return listener


async def _hint(backend: SlackBackend, event: dict[str, Any]) -> None:
    """Tell a person, once per case, that a thread reply needs `>>` to become the draft."""
    from chatops.slack.blocks import mrkdwn
    from chatops.slack.drafts import plain_reply

    reply = plain_reply(event)
    if reply is None:
        return
    case_id = await backend.outbox.case_of_thread(reply.channel, reply.thread_ts)
    if case_id is None or not await first_plain_reply(backend.rt.store.redis, case_id, reply.user):
        return
    try:
        await backend.client.chat_postEphemeral(
            channel=reply.channel,
            user=reply.user,
            text=mrkdwn(draft_hint()),
            thread_ts=reply.thread_ts,
        )
    except SlackApiError as exc:
        log.warning("slack: could not tell %s about >>: %s", reply.user, exc.response.get("error"))


def _slash(backend: SlackBackend) -> Callable[..., Awaitable[None]]:
    """`/chatops`: the open cases of the department whose channel this is; anywhere else (a DM,
    a channel of no department) only your own cases. Only you see the answer."""

    async def listener(ack: AsyncAck, command: dict[str, Any]) -> None:
        if (command.get("text") or "").strip().lower() == "help":
            await ack(response_type="ephemeral", text=SLASH_HELP)
            return
        channel, user = command.get("channel_id", ""), command.get("user_id", "")
        config = backend.rt.config
        depts = [d for d in config.departments if d.channel == channel]
        mine = not depts
        lines = []
        for dept in depts or config.departments:
            ids = await backend.rt.store.indexes.case_ids(dept.id, OPEN_STATES)
            found, storms = apart(await backend.rt.store.cases.get_many(ids))
            if not mine:
                lines += [f"• {mrkdwn(listing_line(s, n))}" for s, n in storms.items()]
            for case in found:
                if mine and case.owner != user:
                    continue
                owner = f"<@{case.owner}>" if case.owner else "unclaimed"
                link = ""
                thread = await backend.outbox.thread_of(case.id)
                if thread is not None:
                    link = f" · <#{thread[0]}>"
                lines.append(f"• *{case.number}* {dept.name} · {case.state.value} · {owner}{link}")
        empty = "You own no open cases. :tada:" if mine else "No open cases here. :tada:"
        text = "\n".join(lines) if lines else empty
        await ack(response_type="ephemeral", text=text[:3000])

    return listener
