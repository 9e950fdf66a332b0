"""Slack markup of the chat-neutral model: Block Kit for cases, thread replies and listings.

What a message says and offers is decided in `chatops.chat.present` and `chatops.chat.wording`;
this module only marks it up, without I/O. Literal text is always escaped (`&`, `<`, `>`): a
customer's comment never becomes a link, a mention or an @here in the brand's workspace. Texts
are clipped to Block Kit's limits here, because Slack refuses a whole message when one field is
too long.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from chatops.chat import CaseEvent, CaseView, Department, present, rich
from chatops.chat.actions import Action
from chatops.chat.rich import Line, Link, aware, clip, render
from chatops.chat.wording import event_sentence
from chatops.domain import Case
from chatops.slack.ids import METADATA_EVENT
from chatops.slack.limits import LIMITS, blocks_text_length
from chatops.workflow.transitions import fingerprint

SECTION_LIMIT = LIMITS.section_text
FALLBACK_LIMIT = 300
"""Our own cap for a message's `text` (the notification line), far under Slack's."""
MENU_CHOICES = (100, 25, 10, 5, 3)
"""Comments the "Answer…" menu offers (the newest) in each of `present.ROOMS`: Slack counts the
options' texts in a message's total too."""
OVERFLOWS = frozenset({Action.DISMISS, Action.SNOOZE})
"""Menus shown as Slack's "⋯" overflow (up to 5 options); other menus are selects."""
MAIN_ACTIONS = frozenset({Action.CLAIM, Action.EDIT, Action.PUBLISH})
"""The buttons a fallback case message keeps."""

_SLACK_ID = re.compile(r"[A-Z][A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,}")
_USER_ID_IN_TEXT = re.compile(r"\b[UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,}\b")
_CASE_BLOCK = re.compile(r"(?:home-case|case|inbox)-[^-]+-([0-9a-f]{32})")
"""A case message's actions block, a case's on a Home tab (chatops/slack/home.py), or an
approval inbox copy's (chatops/slack/inbox.py)."""


# -- spans as mrkdwn --------------------------------------------------------------------------


def escape(text: str) -> str:
    """Slack's three control characters as entities, so text shows literally and links nothing."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip_mrkdwn(text: str, limit: int) -> str:
    """Like `clip`, without leaving half an entity (`&am`) or half a link (`<http`) behind."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    for opener, closer in (("<", ">"), ("&", ";")):
        start = cut.rfind(opener)
        if start != -1 and closer not in cut[start:]:
            cut = cut[:start]
    return cut.rstrip() + "…"


def link(url: str | None, label: str) -> str:
    """A Slack link for http(s) URLs only; anything else (javascript:, empty) is left out."""
    if not url or not url.startswith(("https://", "http://")):
        return ""
    safe = escape(url).replace("|", "%7C")
    return f"<{safe}|{escape(label)}>"


def who(actor: str, user_groups: frozenset[str] = frozenset()) -> str:
    """A person or group as Slack should show it: a mention for Slack ids, plain text otherwise.

    Only id-shaped values become mentions, so names from the console or tests ("anna", "lead")
    stay readable text and a stray value can never form markup.
    """
    if actor in ("channel", "here"):
        return "<!here>"
    if _SLACK_ID.fullmatch(actor):
        if actor in user_groups or actor.startswith("S"):
            return f"<!subteam^{actor}>"
        if actor.startswith(("U", "W")):
            return f"<@{actor}>"
    return escape(actor)


def channel_ref(channel: str) -> str:
    """`<#C…>` for Slack channel ids, plain text for anything else (console names like #social)."""
    return f"<#{channel}>" if _CHANNEL_ID.fullmatch(channel) else escape(channel)


def slack_date(when: datetime) -> str:
    """Slack's date formatting ("Today at 10:30", "Nov 23 at 10:30"): each reader sees it in
    their own time zone and locale; clients that cannot format it show the fallback, `when`
    in its own zone (the department's, `rich.When.local`). mrkdwn only: never in plain_text."""
    stamp = int(aware(when).timestamp())
    return f"<!date^{stamp}^{{date_short_pretty}} at {{time}}|{escape(rich.when_text(when))}>"


def _place(channel: str, name: str) -> str:
    return f"{channel_ref(channel)} ({rich.around(name, '*', escape)})" if channel else escape(name)


MRKDWN = rich.Markup(
    escape=escape,
    strong="*",
    faint="_",
    code="`",
    emoji=lambda name: f":{name}:",
    person=lambda person: who(person.id),
    everyone="<!here>",
    link=link,
    when=slack_date,
    place=_place,
)


def mrkdwn(line: Line, user_groups: frozenset[str] = frozenset()) -> str:
    """`line` as Slack mrkdwn; people in `user_groups` (or with `S…` ids) as group mentions."""
    markup = MRKDWN
    if user_groups:
        markup = replace(MRKDWN, person=lambda person: who(person.id, user_groups))
    return render(line, markup)


def quote(text: str, limit: int) -> str:
    """Someone's text as an escaped mrkdwn block quote."""
    lines = escape(clip(text, limit)).splitlines() or [""]
    return "\n".join(f">{line}" for line in lines)


# -- blocks -----------------------------------------------------------------------------------


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit) or " ", "emoji": True}


def _text(text: str, limit: int = SECTION_LIMIT) -> dict[str, str]:
    return {"type": "mrkdwn", "text": clip_mrkdwn(text, limit) or " "}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _text(text)}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [_text(text, LIMITS.context_text)]}


def _fit_lines(head: str, lines: list[str], total: int) -> str:
    """Whole lines under a head while they fit a section, then `…and N more` of `total`."""
    out = head
    for index, line in enumerate(lines):
        tail = f"\n_…and {total - index} more_"
        if len(out) + 1 + len(line) + len(tail) > SECTION_LIMIT and index < len(lines) - 1:
            return out + tail
        out += "\n" + line
    if total > len(lines):
        out += f"\n_…and {total - len(lines)} more_"
    return clip_mrkdwn(out, SECTION_LIMIT)


# -- controls ---------------------------------------------------------------------------------


def control(
    c: present.Control, case: Case | None = None, *, choices: int = 100
) -> dict[str, Any] | None:
    """A button, select or overflow; values are the case id (buttons, DESIGN §4.6) or
    `<case id>:<choice>` (menus; a comment is named by `reply_to_value`). None for a menu
    with nothing Slack can offer."""
    if isinstance(c, present.Button):
        return button(c)
    options = [option(o.label, _value(c, o.value, case)) for o in c.options]
    options = [o for o in options if len(o["value"]) <= LIMITS.option_value]
    if c.action is Action.REPLY_TO:
        options = options[-max(1, min(choices, LIMITS.select_options)) :]
    if not options:
        return None
    menu: dict[str, Any] = {"action_id": c.action.value}
    if c.confirm is not None:
        menu["confirm"] = confirm(c.confirm)
    if c.action in OVERFLOWS and len(options) <= LIMITS.overflow_options:
        return {"type": "overflow", **menu, "options": options}
    menu = {"type": "static_select", **menu, "placeholder": plain(c.label, LIMITS.placeholder)}
    current = _value(c, c.current, case) if c.current else None
    chosen = next((o for o in options if o["value"] == current), None)
    if chosen is not None:
        menu["initial_option"] = chosen
    if len(options) <= LIMITS.select_options:
        return {**menu, "options": options}
    size = LIMITS.select_options
    pages = [options[i : i + size] for i in range(0, len(options), size)]
    groups = [
        {"label": plain(_page_label(page), LIMITS.option_group_label), "options": page}
        for page in pages[: LIMITS.select_option_groups]
    ]
    return {**menu, "option_groups": groups}


def _value(menu: present.Menu, choice: str, case: Case | None) -> str:
    if menu.action is Action.REPLY_TO and case is not None:
        return reply_to_value(case, choice)
    return f"{menu.case_id}:{choice}"


def _page_label(page: list[dict[str, Any]]) -> str:
    first, last = page[0]["text"]["text"], page[-1]["text"]["text"]
    return f"{clip(first, 35)} – {clip(last, 35)}"


def button(b: present.Button) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "button",
        "action_id": b.action.value,
        "text": plain(b.label, LIMITS.button_text),
        "value": f"{b.case_id}:{b.choice}" if b.choice else b.case_id,
    }
    if b.tone is not present.Tone.PLAIN:
        out["style"] = b.tone.value
    if b.confirm is not None:
        out["confirm"] = confirm(b.confirm)
    return out


def option(label: str, value: str) -> dict[str, Any]:
    return {"text": plain(label, LIMITS.option_text), "value": value}


def confirm(c: present.Confirm) -> dict[str, Any]:
    """Slack's dialog before the click counts; the draft about to go out is quoted."""
    quoted = ""
    if c.quote.strip():
        quoted = f"\n\n“{clip(c.quote.strip(), LIMITS.confirm_text - len(c.text) - 4)}”"
    if c.line:
        text = _text(mrkdwn(c.line) + escape(quoted), LIMITS.confirm_text)
    else:
        text = plain(c.text + quoted, LIMITS.confirm_text)
    return {
        "title": plain(c.title, LIMITS.confirm_title),
        "text": text,
        "confirm": plain(c.yes, LIMITS.confirm_button),
        "deny": plain("Cancel", LIMITS.confirm_button),
    }


def _elements(
    controls: Sequence[present.Control], case: Case | None = None, choices: int = 100
) -> list[dict[str, Any]]:
    found = (control(c, case, choices=choices) for c in controls)
    return [e for e in found if e is not None][: LIMITS.actions_elements]


# -- the case message -------------------------------------------------------------------------


def case_blocks(
    view: CaseView,
    *,
    now: datetime,
    departments: Sequence[Department] = (),
    approvers_known: bool = True,
    links: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The whole case message (`present.case_card`); a long case shows less of each text
    (`present.ROOMS`) rather than break Slack's limit on a message's text as a whole.
    `links`: case id -> the permalink of its thread (the customer's last earlier case)."""
    for room, choices in zip(present.ROOMS, MENU_CHOICES, strict=True):
        card = present.case_card(
            view,
            now=now,
            departments=departments,
            approvers_known=approvers_known,
            room=room,
            links=links,
        )
        blocks = _card_blocks(view.case, card, room, choices)
        if blocks_text_length(blocks) <= LIMITS.blocks_text_budget:
            break
    return blocks


def _card_blocks(
    case: Case, card: present.CaseCard, room: present.Room, choices: int
) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(card.title, LIMITS.header_text)},
        context(mrkdwn(card.meta)),
    ]
    if card.earlier:
        blocks.append(context(mrkdwn(card.earlier)))
    if card.warning:
        blocks.append(context(mrkdwn(card.warning)))
    if card.first is not None:
        blocks.append(section(f"{mrkdwn(card.first.head)}\n{quote(card.first.text, room.quote)}"))
    if card.later_total:
        lines = [mrkdwn(line) for line in card.later]
        blocks.append(
            section(_fit_lines(mrkdwn(present.later_head(card)), lines, card.later_total))
        )
    if card.draft is not None:
        blocks.append(section(_draft(card.draft, room.quote)))
    blocks += _similar_sections(card)
    if card.sent_back:
        blocks.append(section(f"{mrkdwn(present.SENT_BACK)}\n{quote(card.sent_back, room.quote)}"))
    blocks.append(section(mrkdwn(card.status)))
    elements = _elements(card.controls, case, choices)
    if elements:
        blocks.append({"type": "actions", "block_id": _block_id(card), "elements": elements})
    return blocks[: LIMITS.message_blocks]


def _similar_sections(card: present.CaseCard) -> list[dict[str, Any]]:
    """A section per answered case like this one, "Use this answer" beside it. Its block id
    starts as the case message's do (`scope.message_allowed`: a click counts only on the
    case's own message)."""
    return [
        {
            **section(f"{mrkdwn(offer.line)}\n{quote(offer.text, SECTION_LIMIT // 2)}"),
            "block_id": f"case-{card.case_id}-similar-{n}",
            "accessory": button(offer.use),
        }
        for n, offer in enumerate(card.similar, start=1)
    ]


def _draft(draft: present.Draft, chars: int) -> str:
    if not draft.text:
        return (
            f"*{draft.label}*: _none yet: click *Write reply*, or write `>>` and your reply "
            "in the thread_"
        )
    details = f" {mrkdwn(draft.details)}" if draft.details else ""
    text = f"*{draft.label}*{details}\n{quote(draft.text, chars)}"
    if draft.blocked:
        text += f"\n{mrkdwn(present.blocked_line(clip(draft.blocked, chars)))}"
    return text


def _block_id(card: present.CaseCard) -> str:
    """The case actions' block id carries the fingerprint of the draft the message shows
    (a button's value must stay the case id): Publish and Approve act on exactly that draft,
    and a click on a message older than the draft is refused, never sent."""
    return f"case-{card.case_id}-{card.seen}"


def case_block_id(case: Case) -> str:
    """The block id a case message shows `case` with (`_block_id`)."""
    return f"case-{case.id}-{fingerprint(case)}"


def seen_draft(block_id: str) -> str | None:
    """The fingerprint a case actions block (or an inbox copy's) was rendered with (None for
    other blocks)."""
    found = _CASE_BLOCK.fullmatch(block_id or "")
    return found.group(1) if found else None


def reply_to_value(case: Case, key: str | None) -> str:
    """`<case id>:<n>:<check>`: the mention's index in `case.mention_keys` and 6 hex digits of
    its key, so a click on a stale menu can never pick another comment (and an Instagram
    message id alone is 164 characters, where Slack allows 150 in a value)."""
    n = case.mention_keys.index(key) if key in case.mention_keys else -1
    return f"{case.id}:{n}:{_key_check(key or '')}"


def reply_to_key(case: Case, choice: str) -> str | None:
    """The mention key a reply-to option names (`choice` is its value after `<case id>:`);
    None when it names no comment of this case any more."""
    if choice in case.mention_keys:
        return choice  # a menu rendered before values were indices
    index, _, check = choice.partition(":")
    if not index.isdigit() or int(index) >= len(case.mention_keys):
        return None
    key = case.mention_keys[int(index)]
    return key if _key_check(key) == check else None


def _key_check(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:6]


def case_text(view: CaseView) -> str:
    """Plain-text fallback of the case message (notifications, screen readers), ≤ 300 chars."""
    return clip_mrkdwn(escape(present.preview(view, FALLBACK_LIMIT)), FALLBACK_LIMIT)


def fallback_blocks(view: CaseView, *, now: datetime) -> list[dict[str, Any]]:
    """What a case message becomes when Slack refused the full one: its notification line,
    the link to the conversation on the platform and the main buttons (Claim, Edit, Publish
    with its confirm), far under every limit, so the case never stays frozen in an old state."""
    card = present.case_card(view, now=now, room=present.ROOMS[-1])
    lines = [case_text(view) or "A case"]
    found = [s for s in card.first.head if isinstance(s, Link)] if card.first else []
    if found and (view_link := link(found[0].url, clip(found[0].label, 100))):
        lines.append(view_link)
    lines.append("_Slack refused the full case message; it is tried again on the next change._")
    blocks: list[dict[str, Any]] = [section("\n".join(lines))]
    main = [c for c in card.controls if isinstance(c, present.Button) and c.action in MAIN_ACTIONS]
    if main:
        blocks.append({"type": "actions", "block_id": _block_id(card), "elements": _elements(main)})
    return blocks


def permalink(workspace_url: str, channel: str, ts: str) -> str | None:
    """The link of a message, as Slack's `chat.getPermalink` shapes it for a thread's parent
    (`<workspace>/archives/<channel>/p<ts without the dot>`); None without a workspace URL."""
    if not workspace_url.startswith("https://") or not channel or not ts:
        return None
    return f"{workspace_url.rstrip('/')}/archives/{channel}/p{ts.replace('.', '')}"


def case_metadata(case_id: str) -> dict[str, Any]:
    """Slack message metadata of a case message (DESIGN §4.6): lets a restart find its post."""
    return {"event_type": METADATA_EVENT, "event_payload": {"case_id": case_id}}


def moved_blocks(view: CaseView, to: Department) -> list[dict[str, Any]]:
    """What the old message becomes after a reroute: where the case went, no buttons."""
    line, about = present.moved(view, to)
    blocks = [section(mrkdwn(line))]
    if about is not None:
        blocks.append(context(mrkdwn(about)))
    return blocks


def refusal_text(reason: str) -> str:
    """An ephemeral "no" for the person who clicked; user ids in the reason become mentions."""
    text = _USER_ID_IN_TEXT.sub(lambda found: f"<@{found[0]}>", escape(reason))
    return clip_mrkdwn(f":no_entry_sign: {text}", SECTION_LIMIT)


# -- thread replies and listings --------------------------------------------------------------


def event_text(
    view: CaseView, event: CaseEvent, *, user_groups: frozenset[str] = frozenset()
) -> str:
    """The thread reply for one event (`wording.event_sentence`), its quote under the line."""
    said = event_sentence(view, event)
    text = mrkdwn(said.line, user_groups)
    if said.quote is not None:
        text += "\n" + quote(said.quote or "(no text)", SECTION_LIMIT)
    return clip_mrkdwn(text, SECTION_LIMIT)


def ping_blocks(view: CaseView, event: CaseEvent) -> list[dict[str, Any]] | None:
    """A ping is a thread reply people can act on (`present.ping_controls`)."""
    if event.kind not in present.PINGS:
        return None
    actions = {
        "type": "actions",
        "block_id": f"ping-{view.case.id}",
        "elements": _elements(present.ping_controls(view)),
    }
    return [section(event_text(view, event)), actions]


def digest_blocks(listing: present.Listing) -> list[dict[str, Any]]:
    """The morning digest (`present.digest`): a section and its buttons a case (a lead's own
    copy has none), as many as fit Slack's 50 blocks and text budget; the rest is counted."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": plain(rich.plain(listing.head), LIMITS.header_text)}
    ]
    shown = 0
    for entry in listing.entries:
        text = mrkdwn(entry.line) + (f"\n{escape(entry.detail)}" if entry.detail else "")
        more = [section(text)]
        if entry.controls:
            more.append(
                {
                    "type": "actions",
                    "block_id": f"digest-{entry.case_id}",
                    "elements": _elements(entry.controls),
                }
            )
        if not _room_for(blocks, more, 3):
            break
        shown += 1
    return _with_more(blocks, listing, shown)


def ping_batch_blocks(listing: present.Listing) -> list[dict[str, Any]]:
    """One scan's escalations in one department (`present.pings`): the people called once,
    then a section a case with its one control, within Slack's limits; the rest is counted."""
    blocks = [section(mrkdwn(listing.head))]
    shown = 0
    for entry in listing.entries:
        block = section(mrkdwn(entry.line))
        block["block_id"] = f"pings-{entry.case_id}"
        if entry.controls:  # a storm's has none: its summary holds what can be done
            block["accessory"] = _elements(entry.controls)[0]
        if not _room_for(blocks, [block], 2):
            break
        shown += 1
    return _with_more(blocks, listing, shown)


def listing_text(listing: present.Listing) -> str:
    """The notification text of a listing: its head, mentioning the people it calls."""
    return clip_mrkdwn(mrkdwn(listing.head), LIMITS.message_text_advised)


def _room_for(blocks: list[dict[str, Any]], more: list[dict[str, Any]], spare: int) -> bool:
    """Append `more` when `spare` blocks are left and the text budget keeps room for the
    "…and N more" line."""
    if len(blocks) + spare > LIMITS.message_blocks:
        return False
    if blocks_text_length([*blocks, *more]) > LIMITS.blocks_text_budget - 200:
        return False
    blocks.extend(more)
    return True


def _with_more(
    blocks: list[dict[str, Any]], listing: present.Listing, shown: int
) -> list[dict[str, Any]]:
    if shown < len(listing.entries):
        blocks.append(context(mrkdwn(listing.more(shown))))
    return blocks


# -- the weekly report ------------------------------------------------------------------------


def report_text(report: present.Report) -> str:
    """The weekly report as mrkdwn: its title in bold, then a line each (a chart's comment)."""
    lines = [mrkdwn(line) for line in report.lines]
    return "\n".join([f"*{escape(report.title)}*", *lines])


def report_blocks(report: present.Report) -> list[dict[str, Any]]:
    """The weekly report as a message: whole lines packed into sections under Block Kit's
    limits; lines past them are counted, not cut."""
    blocks = [section(f"*{escape(clip(report.title, 200))}*")]
    lines = [clip_mrkdwn(mrkdwn(line), 1000) for line in report.lines]
    budget = LIMITS.blocks_text_budget - 300
    chunk: list[str] = []
    size = shown = 0
    for line in lines:
        budget -= len(line) + 1
        if budget < 0:
            break
        if size + len(line) + 1 > SECTION_LIMIT:
            if len(blocks) >= LIMITS.message_blocks - 2:
                break
            blocks.append(section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(line)
        size += len(line) + 1
        shown += 1
    if chunk:
        blocks.append(section("\n".join(chunk)))
    if shown < len(lines):
        blocks.append(context(f"…and {len(lines) - shown} more lines."))
    return blocks
