"""Writing to one person directly in Slack (chatops.chat.MessagesPeople): a DM from the bot.

`chat.postMessage` with `channel` set to a user id posts in the bot's DM with that user (Slack
opens it, no `conversations.open` needed); the answer names the DM's own channel (D…), which
`chat.update` needs to change the message later. Direct writes go through the Slack outbox,
queued per person, so that Slack's per-channel limit, `Retry-After` and outages hold for them
as for channels: `message` queues a one-off (a digest), `send`/`update` are the calls an
outbox op makes when it must remember where its message went (the approval inbox).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from chatops.slack.groups import UserGroups, is_group
from chatops.slack.outbox import Op

_PERSON = re.compile(r"[UW][A-Z0-9]{2,}")


def is_person(ident: str) -> bool:
    """A Slack user id (U…, or W… in Enterprise Grid): someone a DM can go to."""
    return bool(_PERSON.fullmatch(ident))


async def people(groups: UserGroups, targets: Iterable[str]) -> list[str]:
    """The Slack users `targets` name, user groups (S…) expanded into their members, each
    once and in order; ids that are no Slack user (another chat's, "here") are left out."""
    found: dict[str, None] = {}
    for ident in targets:
        if is_group(ident):
            found.update(dict.fromkeys(sorted(await groups.members(ident))))
        elif is_person(ident):
            found[ident] = None
    return [ident for ident in found if is_person(ident)]


@dataclass(frozen=True)
class Sent:
    """Where a direct message is: the DM's channel (D…) and the message's ts."""

    channel: str
    ts: str

    def dumps(self) -> str:
        return f"{self.channel}:{self.ts}"

    @classmethod
    def loads(cls, raw: str) -> Sent | None:
        channel, _, ts = raw.partition(":")
        return cls(channel, ts) if channel and ts else None


def message(person: str, text: str, blocks: list[dict[str, Any]], case_id: str = "") -> Op:
    """A one-off direct message, for `Outbox.enqueue`: queued behind the person's other DMs."""
    return Op("message", case_id, person, text=text, blocks=blocks)


async def send(client: AsyncWebClient, to: str, text: str, blocks: list[dict[str, Any]]) -> Sent:
    """Post to a person (their DM with the bot) or to a channel; where the message went."""
    result = await client.chat_postMessage(
        channel=to, text=text, blocks=blocks, unfurl_links=False, unfurl_media=False
    )
    return Sent(str(result["channel"]), str(result["ts"]))


async def update(
    client: AsyncWebClient, sent: Sent, text: str, blocks: list[dict[str, Any]]
) -> None:
    """Rewrite a message `send` posted (chat.update wants the DM's channel, not the user)."""
    await client.chat_update(channel=sent.channel, ts=sent.ts, text=text, blocks=blocks)
