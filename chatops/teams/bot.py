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
  the draft saves nothing (chat/drafts.py);
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

from chatops.chat import drafts, storm_desk
from chatops.chat.actions import Action, StormAction
from chatops.chat.commands import chosen, run_action
from chatops.chat.hints import first_plain_reply
from chatops.chat.home import ONLY_YOURS
from chatops.chat.rich import EMOJI
from chatops.chat.scope import Home, may_act, may_act_from_home, refusal
from chatops.chat.storm import StormRef, apart, listing_line
from chatops.chat.wording import EMPTY_DRAFT, draft_hint
from chatops.domain import OPEN_STATES, Case
from chatops.teams.auth import untrusted_activity, untrusted_identity
from chatops.teams.cards import alert, dialog_card, refusal_card
from chatops.teams.clicks import REFRESH_VERB, Click, DialogClick, read_click, read_dialog
from chatops.teams.home import COMMANDS as HOME_COMMANDS
from chatops.teams.home import SOURCE as HOME_SOURCE
from chatops.teams.markup import CARD_TYPE, People, plain
from chatops.teams.outbox import Post
from chatops.teams.references import THREAD_MARK, channel_of
from chatops.workflow.transitions import Refused

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
    "`@chatops cases` lists the open cases of this channel's department; `my cases` in a "
    "personal chat with chatops shows your own, your approvals and your departments' "
    "unclaimed cases."
)

Command = Callable[["Workflow", Click, str], Awaitable["Case | drafts.Told"]]


def _shared(action: Action) -> Command:
    """A click that does what it does in every chat (chat.commands): the card's input, if
    any, is the choice."""

    def run(wf: Workflow, click: Click, user: str) -> Awaitable[Case | drafts.Told]:
        return run_action(wf, action, click.case_id, user, click.value, click.seen)

    return run


def _publish(private: bool) -> Command:
    def run(wf: Workflow, click: Click, user: str) -> Awaitable[Case | drafts.Told]:
        return drafts.publish(wf, click.case_id, user, click.draft, click.seen, private=private)

    return run


VERBS: Mapping[str, Command] = {
    **{action: _shared(action) for action in Action},
    Action.EDIT: lambda wf, click, user: drafts.save(
        wf, click.case_id, user, click.value, click.seen
    ),
    Action.PUBLISH: _publish(private=False),
    Action.PRIVATE: _publish(private=True),
    Action.APPROVE: lambda wf, click, user: drafts.approve(
        wf, click.case_id, user, click.draft, click.seen
    ),
    Action.EDIT_APPROVE: lambda wf, click, user: wf.approve(
        click.case_id,
        user,
        seen=click.seen,
        text=chosen(drafts.lines(click.value), EMPTY_DRAFT),
        deliver=False,
    ),
}
"""Card verb (chat.actions ids, DESIGN §4.6) -> what the click does: the draft box's verbs
act on what the box shows (chat.drafts), the others mean what they mean in every chat."""
STORM_VERBS = frozenset({StormAction.PUBLISH_ALL.value, StormAction.STATEMENT.value})
"""Verbs of a storm summary's controls (chat.storm_desk.act decides them)."""


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
            if person is not None and person.aad_object_id:  # their personal chat with us
                await self.backend.personal.learn(_reference(activity), person.aad_object_id)
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
        if verb in STORM_VERBS:
            return _card_response(await self._storm_click(activity, click))
        conversation = activity.conversation.id if activity.conversation else ""
        elsewhere = await self._elsewhere(activity, click.case_id, home=click.source == HOME_SOURCE)
        if elsewhere is not None:  # not even the card: it would show the case
            return _card_response(refusal_card(elsewhere))
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
                told = result.text if isinstance(result, drafts.Told) else None
                publishing = drafts.started(verb, result)
        try:
            card = await self.backend.answer_card(
                click.case_id,
                click.source,
                conversation,
                notice,
                told=told,
                click=click,
                user=actor(activity),
            )
        finally:
            if publishing is not None:  # even if the answer fails: never left in `publishing`
                self.backend.deliver_later(publishing, actor(activity))
        return _card_response(card)

    async def _storm_click(self, activity: Activity, click: Click) -> dict[str, Any]:
        """A storm summary's control (Publish to all, Save statement), decided as Slack's are
        (chat.storm_desk.act) and answered with the summary as it is now, what happened on
        top for the clicking user. Counts from the storm's department channel, or from an
        approver anywhere (card data is the client's to write)."""
        ref = StormRef.parse(click.case_id)
        user = actor(activity)
        pipeline = self.backend.rt.pipeline
        mark, color = EMOJI["white_check_mark"], "Good"
        known = {d.id: d for d in self.backend.departments()}
        if ref is not None and ref.department not in known:
            ref = None  # names no department of ours: no storm

        async def is_approver() -> bool:
            return user in self.backend.rt.config.approval.approvers

        try:
            if ref is not None:
                department = known[ref.department]
                place = Home(department.channel, department.name, None)
                if not await may_act(place, _channel_of(activity) or "", is_approver):
                    why = plain(refusal(place)).removeprefix(EMOJI["no_entry_sign"])
                    raise Refused(why.strip())
            desk = pipeline.publish_all if pipeline is not None else None
            said = await storm_desk.act(
                desk, StormAction(click.verb), ref, user, seal=click.seen, text=click.value
            )
        except Refused as refused:
            said, mark, color = refused.reason, EMOJI["no_entry_sign"], "Attention"
        notice = alert(said, mark=mark, color=color)
        rendered = await self.backend.render_storm(ref, notice=notice) if ref else None
        return rendered.card if rendered is not None else refusal_card(said)

    async def _elsewhere(
        self, activity: Activity, case_id: str, *, home: bool = False
    ) -> str | None:
        """Why a click or dialog naming `case_id` does not count from where it came
        (chat.scope: the case's channel, or an approver anywhere; from a person's Home, also
        the owner and the members of the case's team); None when it does. Card data is the
        client's to write, so a case id alone proves nothing."""
        case = await self.backend.rt.store.cases.get(case_id)
        if case is None:
            return None  # the command itself says there is no such case
        department = self.backend.workflow.department(case.department)
        post = await self.backend.outbox.post_of(case_id)
        place = Home(
            department.channel, department.name, (post.channel, post.activity) if post else None
        )
        user = actor(activity)
        approvers = self.backend.rt.config.approval.approvers

        async def is_approver() -> bool:
            return user in approvers

        async def is_member() -> bool:
            return user in await self.backend.home.members(department.channel)

        if await may_act(place, _channel_of(activity) or "", is_approver):
            return None
        if home and await may_act_from_home(case.owner, user, is_approver, is_member):
            return None
        return plain(refusal(place)).removeprefix(EMOJI["no_entry_sign"]).strip()

    async def _adopt(self, case_id: str, conversation: str, post_id: str | None) -> None:
        """A click on a case card that is a post of its own tells us where that post is: if a
        crash lost the answer to posting it, it is recorded now instead of posted again."""
        if not post_id or not conversation.endswith(f"{THREAD_MARK}{post_id}"):
            return
        case = await self.backend.rt.store.cases.get(case_id)
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
        elsewhere = await self._elsewhere(activity, ask.case_id)
        if elsewhere is not None:
            return _dialog_message(elsewhere)
        notice = None
        if activity.name == "task/submit" and not ask.page:
            click = Click(verb=ask.verb, case_id=ask.case_id, value=ask.value, source="dialog")
            try:
                after = await VERBS[ask.verb](self.backend.workflow, click, actor(activity))
            except Refused as refusal:
                notice = refusal.reason
            else:
                publishing = drafts.started(ask.verb, after)
                if publishing is not None:
                    self.backend.deliver_later(publishing, actor(activity))
                return _dialog_message(self._dialog_done(ask, after))
        case = await self.backend.rt.store.cases.get(ask.case_id)
        if case is None:
            return _dialog_message(f"There is no case #{ask.case_id}.")
        view = await self.backend.workflow.view(case)
        card = dialog_card(
            view, ask.verb, departments=self.backend.departments(), offset=ask.offset, notice=notice
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

    # -- messages ---------------------------------------------------------------------------

    async def on_message_activity(self, turn_context: TurnContext) -> None:
        activity = turn_context.activity
        text = message_text(activity)
        conversation = activity.conversation.id if activity.conversation else ""
        personal = _personal(activity)
        if text.startswith(DRAFT_PREFIX):
            await self._draft(turn_context, conversation, text[len(DRAFT_PREFIX) :].strip())
        elif text.lower() in HOME_COMMANDS or (text.lower() in ("cases", "/cases") and personal):
            await self._home(turn_context)
        elif text.lower() in ("cases", "/cases"):
            listing = await self._cases(activity)
            await turn_context.send_activity(MessageFactory.text(listing))
        elif text.lower() in ("help", "/help", ""):
            await turn_context.send_activity(MessageFactory.text(HELP))
        else:
            await self._hint(turn_context, conversation)

    async def _hint(self, turn_context: TurnContext, conversation: str) -> None:
        """A plain reply to a case's post that reached the bot (it @mentioned it, but without
        `>>`): its writer is told once per case how a reply becomes the draft. Replies that
        do not mention the bot never reach it, so they get no tip."""
        case_id = await self.backend.outbox.case_of_thread(conversation)
        user = actor(turn_context.activity)
        redis = self.backend.rt.store.redis
        if case_id is None or not await first_plain_reply(redis, case_id, user):
            return
        hint = People({}).line(draft_hint(f"@chatops {DRAFT_PREFIX}"))
        await turn_context.send_activity(_to(turn_context.activity, hint))

    async def _home(self, turn_context: TurnContext) -> None:
        """The person's Home (teams/home.py), only in their personal chat with the bot: in a
        channel it would show everyone one person's cases."""
        activity = turn_context.activity
        if not _personal(activity):
            await turn_context.send_activity(_to(activity, ONLY_YOURS))
            return
        card = await self.backend.home.card(actor(activity))
        attachment = Attachment(content_type=CARD_TYPE, content=card)
        await turn_context.send_activity(MessageFactory.attachment(attachment))

    async def _draft(self, turn_context: TurnContext, conversation: str, text: str) -> None:
        case_id = await self.backend.outbox.case_of_thread(conversation)
        user = actor(turn_context.activity)
        try:
            if case_id is None:
                raise Refused("`>>` sets the draft only in the thread of a case's post.")
            ref = StormRef.parse(case_id)
            if ref is not None:  # a storm's reply chain: its holding statement
                pipeline = self.backend.rt.pipeline
                desk = pipeline.publish_all if pipeline is not None else None
                said = await storm_desk.act(desk, StormAction.STATEMENT, ref, user, text=text)
                await turn_context.send_activity(_to(turn_context.activity, said))
                return
            await run_action(self.backend.workflow, Action.EDIT, case_id, user, text)
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
            ids = await backend.rt.store.indexes.case_ids(department.id, OPEN_STATES)
            found, storms = apart(await backend.rt.store.cases.get_many(ids))
            if mine is None:
                lines += [f"- {People().line(listing_line(s, n))}" for s, n in storms.items()]
            for case in found:
                if mine is not None and case.owner != mine:
                    continue
                owner = "claimed" if case.owner else "unclaimed"
                lines.append(
                    f"- **{case.number}** {department.name} · "
                    f"{case.state.value.replace('_', ' ')} · {owner}"
                )
        return "\n".join(lines) if lines else "No open cases here. 🎉"


def _personal(activity: Activity) -> bool:
    conversation = activity.conversation
    return conversation is not None and conversation.conversation_type == "personal"


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
