"""Who may act on a case, and from where (issue 9, Slack scope).

A signed request proves it came through Slack, not that it came from our workspace or from
someone who can see the case. So before any listener runs:

- every team id the payload names (the team, the user's team, the event's team) must be the
  workspace of our bot token (`auth.test`); a guest from another organisation in a shared
  channel is refused too;
- a case action (button, select, modal, `>>` thread message) must come from where the case
  lives, or from an approver (`chatops.chat.scope`: the rule every chat shares). Anyone else is
  told why, only them.

The decisions are pure functions of the payload; the middleware only looks up the case.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError

from chatops import keys
from chatops.chat.rich import plain
from chatops.chat.scope import STALE, Home, may_act, may_act_from_home, refusal
from chatops.slack.blocks import mrkdwn
from chatops.slack.drafts import thread_draft
from chatops.slack.home import is_home_click
from chatops.slack.modals import read_metadata

if TYPE_CHECKING:
    from chatops.slack.backend import SlackBackend

log = logging.getLogger(__name__)

CASE_ACTION_PREFIX = "case."
"""Every case action and modal id starts so (chatops/slack/ids.py); others are not case-bound."""
VIEW_TTL_S = 24 * 3600
"""How long a modal we opened may still be submitted."""

FOREIGN_TEAM = "refused: this app serves one Slack workspace"


# -- pure decisions ---------------------------------------------------------------------------


def claimed_teams(body: dict[str, Any]) -> set[str]:
    """Every workspace id the payload names, wherever Slack puts it for this kind of request."""
    found: list[Any] = [body.get("team_id")]
    team = body.get("team")
    found.append(team.get("id") if isinstance(team, dict) else team)
    user = body.get("user")
    if isinstance(user, dict):
        found.append(user.get("team_id"))
    event = body.get("event")
    if isinstance(event, dict):
        found.extend([event.get("team"), event.get("user_team"), event.get("source_team")])
    return {str(t) for t in found if t}


def team_allowed(body: dict[str, Any], ours: str) -> bool:
    """Our workspace, and only ours: a payload naming no workspace is refused as well."""
    teams = claimed_teams(body)
    return bool(teams) and teams == {ours}


def case_of_action(action: dict[str, Any]) -> str | None:
    """The case a button or select acts on: the button's value, or the option's `<case>:…`."""
    if not str(action.get("action_id", "")).startswith(CASE_ACTION_PREFIX):
        return None
    option = action.get("selected_option")
    value = option.get("value", "") if isinstance(option, dict) else action.get("value", "")
    case_id = str(value or "").partition(":")[0].lstrip("#")
    return case_id or None


def action_origin(body: dict[str, Any]) -> tuple[str, str | None]:
    """(channel, thread ts) a click came from; ("", None) from a view such as App Home."""
    container = body.get("container") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id") or ""
    return str(channel), container.get("thread_ts")


def message_allowed(home: Home, block_id: str, body: dict[str, Any]) -> bool:
    """A click on a case message, or on a ping in its thread, must come from the message
    recorded for that case: an old message whose number now names another case (a store that
    was wiped and numbered again) can never act on it. Digests and batched pings list cases
    from messages of their own and are held by the channel check alone."""
    if home.post is None:
        return True
    container = body.get("container") or {}
    message = body.get("message") or {}
    if block_id.startswith("case-"):
        clicked = container.get("message_ts") or message.get("ts")
        return str(clicked or "") == home.post[1]
    if block_id.startswith("ping-"):
        thread = message.get("thread_ts") or container.get("thread_ts")
        return str(thread or "") == home.post[1]
    return True


# -- the middleware ---------------------------------------------------------------------------


def view_key(view_id: str) -> str:
    return keys.slack_view(view_id)


async def remember_view(backend: SlackBackend, view: dict[str, Any], case_id: str) -> None:
    """A modal opened from an allowed place may be submitted (the submission has no channel)."""
    view_id = view.get("id")
    if view_id:
        await backend.rt.store.redis.set(view_key(str(view_id)), case_id, ex=VIEW_TTL_S)


Next = Callable[[], Awaitable[Any]]


class Scope:
    """The global Bolt middleware; `SlackBackend` installs it before every listener."""

    def __init__(self, backend: SlackBackend) -> None:
        self.backend = backend

    async def __call__(self, body: dict[str, Any], resp: BoltResponse, next: Next) -> Any:
        ours = await self.backend.team_id()
        if ours is None:
            return BoltResponse(status=503, body="our Slack workspace is not known yet: retry")
        if not team_allowed(body, ours):
            log.warning("slack: refused a %s request from another workspace", _kind(body))
            return BoltResponse(status=403, body=FOREIGN_TEAM)
        kind = body.get("type")
        if kind == "block_actions" and not await self._click(body):
            return BoltResponse(status=200, body="")
        if kind == "view_submission":
            refused = await self._submission(body)
            if refused is not None:
                return refused
        if kind == "event_callback" and not await self._thread_message(body):
            return BoltResponse(status=200, body="")
        await next()
        return resp

    async def _home(self, case_id: str) -> Home | None:
        case = await self.backend.rt.store.cases.get(case_id)
        if case is None:
            return None
        dept = self.backend.rt.config.department(case.department)
        thread = await self.backend.outbox.thread_of(case_id)
        return Home(dept.channel, dept.name, (thread.channel, thread.ts) if thread else None)

    def _approver(self, user: str) -> Callable[[], Awaitable[bool]]:
        async def ask() -> bool:
            return bool(user) and user in await self.backend.approvers()

        return ask

    async def _click(self, body: dict[str, Any]) -> bool:
        user = str((body.get("user") or {}).get("id", ""))
        channel, thread_ts = action_origin(body)
        for action in body.get("actions") or []:
            case_id = case_of_action(action)
            home = await self._home(case_id) if case_id else None
            if home is None:
                continue
            if not message_allowed(home, str(action.get("block_id") or ""), body):
                await self._tell(user, channel, mrkdwn(STALE), thread_ts)
                return False
            if not channel and is_home_click(body):
                allowed = await self._from_home(case_id or "", home, user)
            else:
                allowed = await may_act(home, channel, self._approver(user))
            if not allowed:
                await self._tell(user, channel, mrkdwn(refusal(home)), thread_ts)
                return False
        return True

    async def _from_home(self, case_id: str, home: Home, user: str) -> bool:
        """A click on a person's Home tab: their own case, an approver's, or a member's of the
        case's department channel (chatops.chat.scope.may_act_from_home)."""
        case = await self.backend.rt.store.cases.get(case_id)
        owner = case.owner if case is not None else None

        async def is_member() -> bool:
            return user in await self.backend.homes.members(home.channel)

        return await may_act_from_home(owner, user, self._approver(user), is_member)

    async def _submission(self, body: dict[str, Any]) -> BoltResponse | None:
        """A modal counts when we opened it (from where the case may be acted on, which the
        submission itself does not say) or when an approver submits it."""
        view = body.get("view") or {}
        if not str(view.get("callback_id", "")).startswith(CASE_ACTION_PREFIX):
            return None
        user = str((body.get("user") or {}).get("id", ""))
        case_id, _ = read_metadata(str(view.get("private_metadata", "")))
        opened_for = await self.backend.rt.store.redis.get(view_key(str(view.get("id", ""))))
        if opened_for == case_id or await self._approver(user)():
            return None
        home = await self._home(case_id)
        if home is None:
            return None
        blocks = list((view.get("state") or {}).get("values") or {}) or ["_"]
        answer = {"response_action": "errors", "errors": {blocks[0]: plain(refusal(home))}}
        return BoltResponse(
            status=200, body=json.dumps(answer), headers={"content-type": "application/json"}
        )

    async def _thread_message(self, body: dict[str, Any]) -> bool:
        """A `>>` draft (in any of its shapes) counts only in the case's current thread."""
        event = body.get("event") or {}
        draft = thread_draft(event) if event.get("type") == "message" else None
        if draft is None:
            return True
        case_id = await self.backend.outbox.case_of_thread(draft.channel, draft.thread_ts)
        home = await self._home(case_id) if case_id is not None else None
        asker = self._approver(draft.user)
        if home is None or await may_act(home, draft.channel, asker, draft.thread_ts):
            return True
        await self._tell(draft.user, draft.channel, mrkdwn(refusal(home)), draft.thread_ts)
        return False

    async def _tell(self, user: str, channel: str, text: str, thread_ts: str | None) -> None:
        """Ephemeral where the person acted; a direct message when they acted in a view."""
        client = self.backend.client
        try:
            if channel:
                await client.chat_postEphemeral(
                    channel=channel, user=user, text=text, thread_ts=thread_ts
                )
            else:
                await client.chat_postMessage(channel=user, text=text)
        except SlackApiError as exc:
            log.warning("slack: could not tell %s: %s", user, exc.response.get("error"))


def _kind(body: dict[str, Any]) -> str:
    return str(body.get("type") or body.get("command") or "unknown")
