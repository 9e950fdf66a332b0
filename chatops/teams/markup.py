"""Teams markup of the chat-neutral model: spans as TextBlock Markdown, controls as actions.

Teams renders TextBlock text as a Markdown subset and turns `<at>…</at>` into mentions, so
literal text always has `&`, `<`, `>`, `[` and `]` replaced by entities: a comment must never
become a mention or a link in the brand's tenant. `People` marks up the spans of one message
and remembers whom it mentions, for the mention entities Teams needs beside the text.

Teams refuses a message over about 28 KB: `fits` measures a card as it is sent.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote as url_quote

from chatops.chat import rich
from chatops.chat.present import Button, Menu, Option, Tone
from chatops.chat.rich import EMOJI, Line, Span, aware, clip, one_line, plain_span, render
from chatops.teams.clicks import ARGUMENT_OF, CASE_ID, REFRESH_VERB, SOURCE

SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
"""Teams documents Universal Actions (`Action.Execute`, `refresh`) from card version 1.5 on: a
card below 1.5 that uses them stops working in Teams, so every card declares it."""
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_LIMIT = 28_000
"""Bytes of the whole message carrying a card (`card_size`). Teams documents its limit as the
payload's UTF-16 size (100 KB today, 80 KB recommended; 40 KB on older pages) and Graph refuses
a channel message over about 28 KB. JSON with non-ASCII escaped is at least the UTF-8 size and
at least half the UTF-16 size, so 28,000 of its bytes keep every one of those limits."""
ENVELOPE_ROOM = 2_500
"""Bytes for what the Connector client sends around the attachment: type, ids of the
conversation, sender and recipient, serviceUrl, channelId, and the ≤ 300-character summary."""
REFRESH_USERS = 60
"""Teams refreshes a card automatically for at most 60 `refresh.userIds`; ours is empty (every
viewer may use "Refresh card"), which is also within the limit."""
CHOICES_LIMIT = 100
TITLE_CHARS = 75
NAME_CHARS = 64
STYLES = {Tone.PLAIN: None, Tone.PRIMARY: "positive", Tone.DANGER: "destructive"}

_GUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_TEAMS_USER = re.compile(r"29:[A-Za-z0-9_\-]+")

Mentions = list[tuple[str, str]]
"""(AAD object id or Teams user id, the text inside `<at>…</at>` exactly as in the message)."""


# -- text -------------------------------------------------------------------------------------


def escape(text: str) -> str:
    """Entities for Markdown and tag characters, so text shows literally and links nobody."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("[", "&#91;")
        .replace("]", "&#93;")
    )


def paragraphs(text: str, limit: int) -> str:
    """Customer or draft text as escaped Markdown; Teams needs a blank line to break a line."""
    lines = [line.strip() for line in clip(text, limit).splitlines()]
    return "\n\n".join(escape(line) for line in lines if line)


def quote(text: str, limit: int) -> str:
    """Someone's text as a block quote, a paragraph at a time."""
    lines = [line for line in paragraphs(text, limit).split("\n\n") if line]
    return "\n\n".join(f"> {line}" for line in lines) or "> _(no text)_"


def link(url: str | None, label: str) -> str:
    """A Markdown link for http(s) URLs only; characters that could end the link are encoded."""
    if not url or not url.startswith(("https://", "http://")):
        return ""
    safe = url_quote(url, safe=":/?#@!$&*+,;=%~-._")
    return f"[{escape(label)}]({safe})"


def teams_date(when: datetime) -> str:
    """Adaptive Card DATE/TIME functions: each reader sees the moment in their own time zone
    and locale. Teams formats them in a card's TextBlock text only, never in a text message
    (`People(card=False)` writes `rich.when_text` there instead)."""
    stamp = aware(when).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def is_person(actor: str) -> bool:
    """AAD object ids (GUIDs) and Teams user ids (`29:…`) can be mentioned; names cannot."""
    return bool(_GUID.fullmatch(actor) or _TEAMS_USER.fullmatch(actor))


def mention_entities(pairs: Sequence[tuple[str, str]]) -> list[dict[str, Any]]:
    """Mention entities as Teams expects them, in a card's `msteams.entities` or an activity's
    `entities`: the `text` must match the `<at>…</at>` in the message exactly."""
    return [
        {
            "type": "mention",
            "text": f"<at>{display}</at>",
            "mentioned": {"id": person, "name": html.unescape(display)},
        }
        for person, display in pairs
    ]


MARKDOWN = rich.Markup(
    escape=escape,
    strong="**",
    faint="_",
    code="",
    emoji=lambda name: EMOJI.get(name, ""),
    person=lambda person: escape(person.id),
    everyone="@channel",
    link=link,
    when=teams_date,
    place=lambda channel, name: rich.around(name, "**", escape),
)
"""Adaptive Card TextBlock markdown (it has no inline code); `People` adds the mentions."""


class People:
    """Marks up the spans of one message and remembers whom they mention (for the entities).

    A person is an `<at>` mention when their id can be one (`is_person`), shown by the name
    Teams told us (`names`, clipped to `chars`); "the department" is "@channel" text (a real
    channel mention needs the team's channel id). `card=False`: the text of a plain message,
    where Teams formats no DATE/TIME, so a moment is written in the department's zone."""

    def __init__(
        self, names: Mapping[str, str] | None = None, chars: int = NAME_CHARS, *, card: bool = True
    ) -> None:
        self.names = names or {}
        self.chars = chars
        self.pairs: Mentions = []
        self.markup = replace(
            MARKDOWN,
            person=lambda person: self.who(person.id, notify=person.notify),
            when=teams_date if card else rich.when_text,
        )

    def display(self, actor: str) -> str:
        return escape(clip(one_line(self.names.get(actor, "")), self.chars)) or escape(actor)

    def who(self, actor: str, *, notify: bool = True) -> str:
        if not is_person(actor):
            return escape(actor)
        if not notify:
            return self.display(actor)
        pair = (actor, self.display(actor))
        if pair not in self.pairs:
            self.pairs.append(pair)
        return f"<at>{pair[1]}</at>"

    def mark(self, span: Span) -> str:
        return self.markup(span)

    def line(self, line: Line) -> str:
        return render(line, self.mark)


def plain(line: Line, names: Mapping[str, str] | None = None) -> str:
    """A line as a notification shows it: no markup, people by name."""
    people = names or {}
    return render(
        line, lambda s: people.get(s.id, s.id) if isinstance(s, rich.Person) else plain_span(s)
    )


# -- card elements ----------------------------------------------------------------------------


def text_block(text: str, **props: Any) -> dict[str, Any]:
    """A wrapping TextBlock; `props` are Adaptive Card properties (size, weight, isSubtle, …)."""
    return {"type": "TextBlock", "text": text or " ", "wrap": True, **props}


def execute(
    verb: str,
    title: str,
    case_id: str,
    *,
    style: str | None = None,
    source: str = "case",
    **extra: str,
) -> dict[str, Any]:
    """An `Action.Execute`; its data always carries the case id (the contract)."""
    action: dict[str, Any] = {
        "type": "Action.Execute",
        "title": clip(title, TITLE_CHARS),
        "verb": str(verb),
        "data": {CASE_ID: case_id, SOURCE: source, **extra},
    }
    if style:
        action["style"] = style
    return action


def show_card(
    title: str, body: list[dict[str, Any]], actions: list[dict[str, Any]]
) -> dict[str, Any]:
    """Secondary actions folded away, so the card stays compact until someone needs them."""
    return {
        "type": "Action.ShowCard",
        "title": title,
        "card": {"type": "AdaptiveCard", "body": body, "actions": actions},
    }


def action_set(actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "ActionSet", "actions": actions}


def choice_set(
    verb: str,
    options: Sequence[Option],
    *,
    placeholder: str,
    value: str | None = None,
    style: str = "compact",
) -> dict[str, Any]:
    """A dropdown (`filtered`: one you can type in) whose input id is the key `verb` reads;
    choice titles are plain text, so they are clipped, not escaped."""
    out: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": ARGUMENT_OF[verb].value,
        "style": style,
        "placeholder": placeholder,
        "choices": [
            {"title": clip(o.label, TITLE_CHARS), "value": o.value} for o in options[:CHOICES_LIMIT]
        ],
    }
    if value:
        out["value"] = value
    return out


def button(control: Button, **data: str) -> dict[str, Any]:
    """A model button; one with a confirmation opens it first (its question, then the click)."""
    style = STYLES[control.tone]
    if control.choice:
        data = {**data, ARGUMENT_OF[control.action].value: control.choice}
    if control.confirm is None:
        return execute(control.action, control.label, control.case_id, style=style, **data)
    yes = execute(
        control.action,
        control.confirm.yes,
        control.case_id,
        style="destructive" if control.tone is Tone.DANGER else "positive",
        **data,
    )
    return show_card(f"{control.label}…", [text_block(escape(control.confirm.text))], [yes])


def option_buttons(menu: Menu, **data: str) -> list[dict[str, Any]]:
    """A short menu as one button per option, the option in the button's static data: no
    inputs, so any number of them fit in one card without clashing input ids."""
    key = ARGUMENT_OF[menu.action].value
    style = "destructive" if menu.confirm is not None else None
    return [
        execute(menu.action, o.label, menu.case_id, style=style, **data, **{key: o.value})
        for o in menu.options
    ]


def card(
    body: list[dict[str, Any]],
    actions: list[dict[str, Any]],
    *,
    pairs: Sequence[tuple[str, str]] = (),
    refresh_case: str | None = None,
) -> dict[str, Any]:
    """The card envelope; `refresh_case` makes "Refresh card" answer with that case's card
    (`refresh.userIds` empty: no automatic refresh, which would be an invoke per viewer)."""
    out: dict[str, Any] = {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body,
        "actions": actions,
        "msteams": {"width": "Full"},
    }
    if refresh_case is not None:
        out["refresh"] = {
            "action": {
                "type": "Action.Execute",
                "verb": REFRESH_VERB,
                "data": {CASE_ID: refresh_case},
            },
            "userIds": [],
        }
    if pairs:
        out["msteams"]["entities"] = mention_entities(pairs)
    return out


def card_size(card: Mapping[str, Any]) -> int:
    """Bytes of the message that carries `card` as Teams receives it: the activity with the card
    as its one attachment, as JSON with non-ASCII escaped (the most any serialiser sends), plus
    `ENVELOPE_ROOM` for the fields the Connector client adds."""
    attachment = {"contentType": CARD_TYPE, "content": card}
    return len(json.dumps({"type": "message", "attachments": [attachment]})) + ENVELOPE_ROOM


def fits(card: Mapping[str, Any]) -> bool:
    return card_size(card) <= CARD_LIMIT
