"""The Teams ActivityHandler: installs, card clicks and `>>` replies become workflow commands.

Everything Teams sends the bot arrives here through the CloudAdapter, and only turns the Bot
Connector authenticated for this bot, from Teams through a Bot Connector host (teams/auth.py),
are acted on or learnt from:
- the install (conversationUpdate with the bot in `membersAdded`, or installationUpdate): the
  conversation references of the team's channels are stored, and queued cases go out;
- a click on a card, an `adaptiveCard/action` invoke: the command is decided and stored at
  once and the invoke is answered with the card the clicking user sees next. Only that user
  sees an invoke response, which is how a refusal reaches only them. Teams waits only seconds
  for that answer, so a publish (or approval) answers with the case `publishing…` and the
  platform is called after the answer, as Slack acks first (backend.deliver_later). What the
  user sees is what is acted on: the draft box is saved when changed, and a card older than
  the draft saves nothing (teams/drafts.py);
- a dialog, `task/fetch` then `task/submit` invokes: a case card too big for Teams holds the
  department and reply-to choices in a dialog (cards.dialog_card), whose submit runs like a click;
- a message that @mentions the bot: in a case's reply chain, text starting with `>>` becomes the
  draft; `help` is answered anywhere, `cases` in a department's channel (its cases) and in a
  personal chat (the asker's own).
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botbuilder.core import BotAdapter, InvokeResponse, MessageFactory, TurnContext
from botbuilder.core.teams import TeamsActivityHandler, TeamsInfo
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    AdaptiveCardInvokeResponse,
    AdaptiveCardInvokeValue,
    Attachment,
    ChannelAccount,
    ConversationReference,
    Mention,
)
from botbuilder.schema.teams import (
    ChannelInfo,
    TaskModuleContinueResponse,
    TaskModuleMessageResponse,
    TaskModuleResponse,
    TaskModuleTaskInfo,
    TeamInfo,
)
from msrest.exceptions import ClientRequestError, HttpOperationError

from chatops.chat import Department
from chatops.chat.actions import Action
from chatops.chat.commands import run_action
from chatops.domain import OPEN_STATES, Case, State
from chatops.event_wording import clip, one_line
from chatops.teams.auth import untrusted_activity, untrusted_identity
from chatops.teams.cards import (
    REFRESH_VERB,
    Click,
    DialogClick,
    dialog_card,
    read_click,
    read_dialog,
    refusal_card,
)
from chatops.teams.drafts import Box, lines, read_box
from chatops.teams.outbox import CARD_TYPE, Post
from chatops.teams.references import THREAD_MARK, channel_of
from chatops.workflow.transitions import Refused, fingerprint

if TYPE_CHECKING:
    from chatops.teams.backend import TeamsBackend
    from chatops.workflow.service import Workflow

log = logging.getLogger(__name__)

DRAFT_PREFIX = ">>"
CHANNEL_LIST_TIMEOUT_S = 10.0
HELP = (
    "**chatops** posts each social-media case in its department's channel.\n\n"
    "On a case card: **Claim** it, write the reply in the draft box and **Save draft**, then "
    "**Publish** (sensitive cases go to comms for approval first).\n\n"
    "In a case's thread, a reply that @mentions chatops and starts with `>>` becomes the "
    "draft; anything else stays internal and never reaches the customer.\n\n"
    "`@chatops cases` lists the open cases of this channel's department."
)

Command = Callable[["Workflow", Click, str], Awaitable[Any]]


@dataclass(frozen=True)
class Told:
    """A command's word to the clicking user alone, on top of the card it is answered with:
    the click did something other than its label says, and why."""

    text: str
    case: Case | None = None
    """The case as the command left it (a publish started by it is delivered after the answer)."""


async def _edit(wf: Workflow, click: Click, user: str) -> Any:
    """Save draft: the box becomes the draft, unless it would overwrite a newer one."""
    before = await _case(wf, click.case_id)
    text = lines(click.value)
    if not text:
        raise Refused("The draft is empty: write the reply first.")
    _refuse_out_of_date(before, read_box(before, click.value, click.seen))
    after = await wf.edit(before.id, user, text)
    return Told(_changed(before, after)) if before.state in ASKING else after


def _publish(private: bool) -> Command:
    async def run(wf: Workflow, click: Click, user: str) -> Any:
        """Publish what the box shows: a changed draft is saved first (and an approval of
        the old text does not cover it); a cleared or out-of-date box publishes nothing."""
        before = await _case(wf, click.case_id)
        box = read_box(before, click.draft, click.seen)
        _refuse_out_of_date(before, box)
        if box is Box.EMPTIED:
            raise Refused("The draft box is empty: nothing is published.")
        if box is Box.UNCHANGED:
            return await wf.publish(
                before.id, user, private=private, seen=click.seen, deliver=False
            )
        edited = await wf.edit(before.id, user, lines(click.draft or ""))
        try:
            after = await wf.publish(
                edited.id, user, private=private, seen=fingerprint(edited), deliver=False
            )
        except Refused as refusal:
            raise Refused(
                f"Your text is saved as the draft, but not published: {refusal.reason}"
            ) from None
        return Told(_changed(before, after), after) if before.state in ASKING else after

    return run


async def _approve(wf: Workflow, click: Click, user: str) -> Any:
    """Approve exactly what the box shows. An approver who changed the text approves
    nothing: their text becomes the draft, they are its author, so another approver must
    approve it, and it awaits approval again."""
    before = await _case(wf, click.case_id)
    box = read_box(before, click.draft, click.seen)
    _refuse_out_of_date(before, box)
    if box is Box.EMPTIED:
        raise Refused("The draft box is empty: nothing is approved.")
    if box is Box.UNCHANGED:
        return await wf.approve(before.id, user, seen=click.seen, deliver=False)
    after = await wf.edit(before.id, user, lines(click.draft or ""))
    if after.state is not State.AWAITING_APPROVAL and after.needs_approval:
        try:
            after = await wf.publish(
                after.id, user, private=after.private, seen=fingerprint(after), deliver=False
            )
        except Refused as refusal:
            raise Refused(
                "Not approved: you changed the draft, so your text is saved as a new draft, "
                f"but asking for its approval was refused: {refusal.reason}"
            ) from None
    return Told(
        "Not approved: you changed the draft, so your text is saved as a new draft. "
        + (
            "It awaits approval again, and as its author you may not approve it: another "
            "approver must."
            if after.state is State.AWAITING_APPROVAL
            else "It needs no approval: publish it when it is ready."
        ),
        after,
    )


ASKING = (State.AWAITING_APPROVAL, State.APPROVED)
"""States in which an approval was asked for or given: a change of the draft withdraws it."""


async def _case(wf: Workflow, case_id: str) -> Case:
    case = await wf.store.get_case(case_id)
    if case is None:
        raise Refused(f"there is no case #{case_id}")
    return case


def _refuse_out_of_date(case: Case, box: Box) -> None:
    """Never save a card's old text over a newer draft, nor one edit over another unseen."""
    if box is Box.STALE:
        raise Refused("The draft changed since this card was shown: check the new text first.")
    if box is Box.CONFLICT:
        raise Refused(
            "Someone changed the draft while you edited it; your text is kept in the box. "
            f"Theirs: «{clip(one_line(case.draft), 300)}». Save again to replace it."
        )


def _changed(before: Case, after: Case) -> str:
    """What the clicking user's change did to an approval asked for or given."""
    if after.state is State.AWAITING_APPROVAL:
        if before.state is State.APPROVED:
            return (
                "You changed the approved draft: the approval does not cover the new text, "
                "which awaits approval."
            )
        return (
            "You changed the draft: the approval request now shows your new text, and as "
            "its author you may not approve it."
        )
    if after.state is State.PUBLISHING:
        return "You changed the draft; the new text needs no approval and is being published."
    if after.state is State.PUBLISHED:
        return "You changed the draft; the new text needs no approval and is published."
    return (
        "You changed the draft, so the approval is withdrawn: request approval of the new "
        "text when it is ready."
    )


def _shared(action: Action) -> Command:
    """A click that does what it does in every chat (chat.commands): the card's input, if
    any, is the choice."""

    def run(wf: Workflow, click: Click, user: str) -> Awaitable[Any]:
        return run_action(wf, action, click.case_id, user, click.value, click.seen)

    return run


VERBS: Mapping[str, Command] = {
    Action.CLAIM: _shared(Action.CLAIM),
    Action.UNCLAIM: _shared(Action.UNCLAIM),
    Action.TAKE_OVER: _shared(Action.TAKE_OVER),
    Action.EDIT: _edit,
    Action.PUBLISH: _publish(private=False),
    Action.PRIVATE: _publish(private=True),
    Action.APPROVE: _approve,
    Action.REJECT: _shared(Action.REJECT),
    Action.REROUTE: _shared(Action.REROUTE),
    Action.DISMISS: _shared(Action.DISMISS),
    Action.SNOOZE: _shared(Action.SNOOZE),
    Action.REPLY_TO: _shared(Action.REPLY_TO),
    Action.CONFIRM_SENT: _shared(Action.CONFIRM_SENT),
    Action.CONFIRM_NOT_SENT: _shared(Action.CONFIRM_NOT_SENT),
}
"""Card verb (chat.actions ids, DESIGN §4.6) -> what the click does; the ones whose draft
box matters are Teams' own, the others are chat.commands' shared meaning."""

STARTS_PUBLISHING = frozenset({Action.PUBLISH, Action.PRIVATE, Action.APPROVE})
"""Verbs decided with `deliver=False`: a case they return in `publishing` was moved there by
this click's own compare-and-set, and only this click may hand it to the platform."""


def started(verb: str, result: Any) -> Case | None:
    """The case a click moved into `publishing`, whose platform call follows the answer."""
    case = result.case if isinstance(result, Told) else result
    if verb in STARTS_PUBLISHING and isinstance(case, Case) and case.state is State.PUBLISHING:
        return case
    return None


class ChatopsBot(TeamsActivityHandler):
    def __init__(self, backend: TeamsBackend) -> None:
        self.backend = backend

    async def on_turn(self, turn_context: TurnContext) -> None:
        """Nothing is learnt or done for a turn the Bot Connector did not authenticate for
        this bot (CloudAdapter refuses those already; this holds for any other caller)."""
        activity = turn_context.activity
        backend = self.backend
        identity = turn_context.turn_state.get(BotAdapter.BOT_IDENTITY_KEY)
        reason = untrusted_identity(
            identity, app_id=backend.app_id, local=backend.local_only
        ) or untrusted_activity(activity, local=backend.local_only)
        if reason is not None:
            log.warning("teams: ignoring a %s activity: %s", activity.type, reason)
            return
        await self._learn(activity)
        await super().on_turn(turn_context)

    # -- installation -----------------------------------------------------------------------

    async def on_conversation_update_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        me = activity.recipient.id if activity.recipient else ""
        if any(m.id == me for m in activity.members_added or []):
            await self._install(turn_context)
        elif any(m.id == me for m in activity.members_removed or []):
            await self._uninstall(activity)
        elif not (activity.members_added or activity.members_removed):
            await super().on_conversation_update_activity(turn_context)  # channel events

    async def on_installation_update_add(self, turn_context: TurnContext) -> None:
        await self._install(turn_context)

    async def on_installation_update_remove(self, turn_context: TurnContext) -> None:
        await self._uninstall(turn_context.activity)

    async def on_teams_channel_created(
        self, channel_info: ChannelInfo, team_info: TeamInfo, turn_context: TurnContext
    ) -> None:
        await self._store(turn_context.activity, [channel_info.id], _team_of(turn_context.activity))

    async def on_teams_channel_restored(
        self, channel_info: Any, team_info: Any, turn_context: TurnContext
    ) -> None:
        await self._store(
            turn_context.activity, [_id(channel_info)], _team_of(turn_context.activity)
        )

    async def on_teams_channel_deleted(
        self, channel_info: Any, team_info: Any, turn_context: TurnContext
    ) -> None:
        await self.backend.references.forget_channel(_id(channel_info))

    async def _install(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        channel, team = _channel_of(activity), _team_of(activity)
        if channel is None:
            kind = activity.conversation.conversation_type if activity.conversation else None
            log.info("teams: installed in a %s chat: no channel to post cases to", kind)
            return
        channels = [channel]
        if team:
            try:
                channels += await self._team_channels(turn_context, team)
            except (HttpOperationError, ClientRequestError, ValueError) as exc:
                log.warning(
                    "teams: could not list the channels of team %s (%s); the others become "
                    "known when chatops is used in them",
                    team,
                    exc,
                )
        await self._store(activity, channels, team)

    async def _team_channels(self, turn_context: TurnContext, team: str) -> list[str]:
        """The team's channels (TeamsInfo's client, which blocks: called in a thread)."""
        client = await TeamsInfo.get_teams_connector_client(turn_context)
        client.config.connection.timeout = CHANNEL_LIST_TIMEOUT_S
        result = await asyncio.to_thread(client.teams.get_teams_channels, team)
        return [c.id for c in result.conversations or [] if c.id]

    async def _store(self, activity: Activity, channels: list[str], team: str | None) -> None:
        channels = list(dict.fromkeys(c for c in channels if c))
        if not channels:
            return
        reference = _reference(activity)
        new = await self.backend.references.save(reference, channels, team)
        for channel in channels:
            await self.backend.outbox.resume(channel)
        log.info(
            "teams: %d channel(s) of team %s can be posted to (%d new)",
            len(channels),
            team,
            len(new),
        )

    async def _uninstall(self, activity: Activity) -> None:
        team = _team_of(activity)
        channel = _channel_of(activity)
        if team:
            gone = await self.backend.references.forget_team(team)
            log.warning("teams: removed from team %s; %d channel(s) forgotten", team, len(gone))
        elif channel:
            await self.backend.references.forget_channel(channel)

    async def _learn(self, activity: Activity) -> None:
        """Remember who people are and every channel seen: a Redis that lost the install
        learns the channel again from the next click or mention there."""
        person = activity.from_property
        if person is not None and person.aad_object_id and person.name:
            await self.backend.references.remember_name(person.aad_object_id, person.name)
        if activity.type in (ActivityTypes.conversation_update, ActivityTypes.installation_update):
            return
        channel = _channel_of(activity)
        if channel is None:
            return
        reference = _reference(activity)
        if await self.backend.references.learn(reference, channel, _team_of(activity)):
            log.info("teams: learnt channel %s from an activity in it", channel)
            await self.backend.outbox.resume(channel)

    # -- card clicks ------------------------------------------------------------------------

    async def on_invoke_activity(self, turn_context: TurnContext) -> InvokeResponse | None:
        """`adaptiveCard/action` answered with the card model itself: CloudAdapter serialises
        the InvokeResponse body, and ActivityHandler's own path hands it a dict it cannot take."""
        activity = turn_context.activity
        if activity.name in ("task/fetch", "task/submit"):
            return InvokeResponse(status=200, body=await self._dialog(turn_context))
        if activity.name != "adaptiveCard/action":
            return await super().on_invoke_activity(turn_context)
        value = activity.value if isinstance(activity.value, dict) else {}
        action = value.get("action")
        if not isinstance(action, dict) or action.get("type") != "Action.Execute":
            error = {"code": "BadRequest", "message": "expected an Action.Execute"}
            body = AdaptiveCardInvokeResponse(
                status_code=400, type="application/vnd.microsoft.error", value=error
            )
            return InvokeResponse(status=400, body=body)
        invoke_value = AdaptiveCardInvokeValue(action=action, state=value.get("state"))
        return InvokeResponse(
            status=200, body=await self.on_adaptive_card_invoke(turn_context, invoke_value)
        )

    async def on_adaptive_card_invoke(
        self, turn_context: TurnContext, invoke_value: AdaptiveCardInvokeValue
    ) -> AdaptiveCardInvokeResponse:
        activity = turn_context.activity
        action = invoke_value.action or {}
        verb = str(action.get("verb") or "")
        try:
            click = read_click(verb, action.get("data"))
        except ValueError as exc:
            return _card_response(refusal_card(str(exc)))
        conversation = activity.conversation.id if activity.conversation else ""
        if click.source == "case":
            await self._adopt(click.case_id, conversation, activity.reply_to_id)
        notice = told = publishing = None
        if verb != REFRESH_VERB:
            command = VERBS.get(verb)
            try:
                if command is None:
                    raise Refused(f"this version of chatops does not know '{verb}'")
                result = await command(self.backend.workflow, click, actor(activity))
            except Refused as refusal:
                notice = refusal.reason
            else:
                told = result.text if isinstance(result, Told) else None
                publishing = started(verb, result)
        try:
            card = await self.backend.answer_card(
                click.case_id, click.source, conversation, notice, told=told, click=click
            )
        finally:
            if publishing is not None:  # even if the answer fails: never left in `publishing`
                self.backend.deliver_later(publishing, actor(activity))
        return _card_response(card)

    async def _adopt(self, case_id: str, conversation: str, post_id: str | None) -> None:
        """A click on a case card that is a post of its own tells us where that post is: if a
        crash lost the answer to posting it, it is recorded now instead of posted again."""
        if not post_id or not conversation.endswith(f"{THREAD_MARK}{post_id}"):
            return
        case = await self.backend.rt.store.get_case(case_id)
        if case is None:
            return
        channel = channel_of(conversation)
        if self.backend.workflow.department(case.department).channel == channel:
            await self.backend.outbox.adopt(case_id, Post(channel, conversation, post_id))

    # -- dialogs ----------------------------------------------------------------------------

    async def _dialog(self, turn_context: TurnContext) -> TaskModuleResponse:
        """`task/fetch` opens the dialog a case card's button names; `task/submit` runs its
        verb like a click (answered with a line saying what happened), shows another page, or
        shows the dialog again with the refusal on top. The case card itself is brought up to
        date for everyone by the command, as after any click."""
        activity = turn_context.activity
        value = activity.value if isinstance(activity.value, dict) else {}
        data = value.get("data")
        try:
            ask = read_dialog(data if isinstance(data, dict) else None)
        except ValueError as exc:
            return _dialog_message(str(exc))
        notice = None
        if activity.name == "task/submit" and not ask.page:
            click = Click(verb=ask.verb, case_id=ask.case_id, value=ask.value, source="dialog")
            try:
                after = await VERBS[ask.verb](self.backend.workflow, click, actor(activity))
            except Refused as refusal:
                notice = refusal.reason
            else:
                publishing = started(ask.verb, after)
                if publishing is not None:
                    self.backend.deliver_later(publishing, actor(activity))
                return _dialog_message(self._dialog_done(ask, after))
        case = await self.backend.rt.store.get_case(ask.case_id)
        if case is None:
            return _dialog_message(f"There is no case #{ask.case_id}.")
        view = await self.backend.workflow.view(case)
        card = dialog_card(
            view, ask.verb, departments=self._departments(), offset=ask.offset, notice=notice
        )
        info = TaskModuleTaskInfo(
            title=f"Case {case.number}",
            height="medium",
            width="medium",
            card=Attachment(content_type=CARD_TYPE, content=card),
        )
        return TaskModuleResponse(task=TaskModuleContinueResponse(value=info))

    def _dialog_done(self, ask: DialogClick, after: Any) -> str:
        if ask.verb == Action.REROUTE and isinstance(after, Case):
            department = self.backend.workflow.department(after.department)
            return f"Case {after.number} is moved to {department.name}."
        return "Done: the case card shows the change."

    def _departments(self) -> list[Department]:
        workflow = self.backend.workflow
        return [workflow.department(d.id) for d in self.backend.rt.config.departments]

    # -- messages ---------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = message_text(activity)
        conversation = activity.conversation.id if activity.conversation else ""
        if text.startswith(DRAFT_PREFIX):
            await self._draft(turn_context, conversation, text[len(DRAFT_PREFIX) :].strip())
        elif text.lower() in ("cases", "/cases"):
            listing = await self._cases(activity)
            await turn_context.send_activity(MessageFactory.text(listing))
        elif text.lower() in ("help", "/help", ""):
            await turn_context.send_activity(MessageFactory.text(HELP))

    async def _draft(self, turn_context: TurnContext, conversation: str, text: str) -> None:
        case_id = await self.backend.outbox.case_of_thread(conversation)
        user = actor(turn_context.activity)
        try:
            if case_id is None:
                raise Refused("`>>` sets the draft only in the thread of a case's post.")
            if not text:
                raise Refused("The draft is empty: write the reply after `>>`.")
            await self.backend.workflow.edit(case_id, user, text)
        except Refused as refusal:
            await turn_context.send_activity(_to(turn_context.activity, refusal.reason))

    async def _cases(self, activity: Activity) -> str:
        """The open cases of the department whose channel this is; in a personal chat with
        the bot, the asker's own; elsewhere none (no channel shows another's cases)."""
        backend = self.backend
        conversation = activity.conversation
        channel = channel_of(conversation.id or "") if conversation else ""
        personal = conversation is not None and conversation.conversation_type == "personal"
        config = backend.rt.config
        departments = [d for d in config.departments if d.channel == channel]
        mine = actor(activity) if personal else None
        if personal:
            departments = list(config.departments)
        elif not departments:
            return (
                "This is no department's channel: `cases` lists a department's open cases in "
                "its channel, and your own in a personal chat with chatops."
            )
        lines = []
        for department in departments:
            ids = await backend.rt.store.case_ids(department.id, OPEN_STATES)
            for case in await backend.rt.store.get_cases(ids):
                if mine is not None and case.owner != mine:
                    continue
                owner = "claimed" if case.owner else "unclaimed"
                lines.append(
                    f"- **{case.number}** {department.name} · "
                    f"{case.state.value.replace('_', ' ')} · {owner}"
                )
        return "\n".join(lines) if lines else "No open cases here. 🎉"


def actor(activity: Activity) -> str:
    """Who clicked or wrote: the AAD object id (what approvers are configured as)."""
    person = activity.from_property or ChannelAccount()
    return person.aad_object_id or person.id or ""


_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")


def message_text(activity: Activity) -> str:
    """The message as its author typed it, without the `<at>…</at>` that addressed the bot."""
    text = activity.text or ""
    me = activity.recipient.id if activity.recipient else None
    for entity in activity.entities or []:
        props = getattr(entity, "additional_properties", None) or {}
        mentioned = props.get("mentioned") or {}
        if entity.type == "mention" and me and mentioned.get("id") == me and props.get("text"):
            text = text.replace(props["text"], "")
    return html.unescape(_TAG.sub("", _BREAK.sub("\n", text))).strip()


def _to(activity: Activity, text: str) -> Activity:
    """A reply that @mentions the person it answers."""
    person = activity.from_property or ChannelAccount(id="")
    name = html.escape(person.name or "you")
    reply = MessageFactory.text(f"<at>{name}</at> {text}")
    reply.entities = [
        Mention(
            mentioned=ChannelAccount(id=person.id, name=person.name),
            text=f"<at>{name}</at>",
            type="mention",
        )
    ]
    return reply


def _dialog_message(text: str) -> TaskModuleResponse:
    """A dialog answered with a line of text (Teams shows it in the dialog)."""
    return TaskModuleResponse(task=TaskModuleMessageResponse(value=text))


def _card_response(card: dict[str, Any]) -> AdaptiveCardInvokeResponse:
    return AdaptiveCardInvokeResponse(status_code=200, type=CARD_TYPE, value=card)


def _id(info: Any) -> str:
    if isinstance(info, dict):
        return str(info.get("id") or "")
    return str(getattr(info, "id", "") or "")


def _channel_of(activity: Activity) -> str | None:
    """The team channel an activity comes from (None in personal and group chats)."""
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    channel = (data.get("channel") or {}).get("id") or data.get("teamsChannelId")
    if channel:
        return str(channel)
    conversation = activity.conversation
    if conversation is not None and conversation.conversation_type == "channel":
        return channel_of(conversation.id or "") or None
    return None


def _reference(activity: Activity) -> ConversationReference:
    """The activity's conversation reference, with the tenant it names in `channelData`
    (botbuilder reads the conversation's `tenantId` under another key and drops it)."""
    reference = TurnContext.get_conversation_reference(activity)
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    tenant = (data.get("tenant") or {}).get("id")
    if reference.conversation is not None and not reference.conversation.tenant_id and tenant:
        reference.conversation.tenant_id = str(tenant)
    return reference


def _team_of(activity: Activity) -> str | None:
    data = activity.channel_data if isinstance(activity.channel_data, dict) else {}
    team = (data.get("team") or {}).get("id") or data.get("teamsTeamId")
    return str(team) if team else None
