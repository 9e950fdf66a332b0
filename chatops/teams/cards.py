"""Microsoft Teams layout of the chat-neutral model: a case card, thread replies, pings,
digests and dialogs as JSON-able Adaptive Cards.

Pure functions without I/O. What a case shows and offers is decided by `chat.present` and
`chat.wording`; this module marks it up (teams/markup.py) and fits it to Teams. A click reaches
the bot as an `adaptiveCard/action` invoke (teams/clicks.py) that it answers with the updated
card for the clicking user.

Teams refuses a message over about 28 KB, so every card sheds detail until it fits
`CARD_LIMIT`. A case card sheds in a fixed order (`_BUDGETS`): long texts are trimmed (the
model's `ROOMS`), older comments collapse into a count, then the department and reply-to choice
sets become buttons that open a dialog (a task module fetched with `task/fetch`) holding the
whole choice set, and only as a last resort is the draft shown instead of edited. So a case
with any number of departments or comments is always posted, and every department and comment
stays reachable.

Input ids are unique within a card: Teams mobile does not render a card whose inputs share an
id, even across `Action.ShowCard`s. That is why short menus (snooze, dismiss) are buttons
carrying their choice in static `data`, while the reject reason is the `Input.Text` `reason`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chatops.chat import CaseEvent, CaseView, Department, present
from chatops.chat.actions import Action
from chatops.chat.present import (
    PINGS,
    ROOMS,
    STATE_WORDS,
    Button,
    CaseCard,
    Control,
    Draft,
    Listing,
    Menu,
    Report,
    Room,
    case_controls,
    moved,
    ping_controls,
)
from chatops.chat.present import case_card as case_model
from chatops.chat.rich import EMOJI, Line, clip, one_line
from chatops.chat.wording import Sentence, event_sentence
from chatops.teams.clicks import (
    CASE_ID,
    DIALOG,
    DIALOG_VERBS,
    NEXT,
    OFFSET,
    REFRESH_VERB,
    SEEN,
    Input,
)
from chatops.teams.markup import (
    CHOICES_LIMIT,
    NAME_CHARS,
    STYLES,
    TITLE_CHARS,
    Mentions,
    People,
    action_set,
    button,
    card,
    choice_set,
    escape,
    execute,
    fits,
    option_buttons,
    paragraphs,
    plain,
    quote,
    show_card,
    text_block,
)

DRAFT_LIMIT = 3000
"""The longest draft the card edits (the `draft` input's maxLength)."""
TOP_ACTIONS = 6
"""Teams shows at most this many actions in a row; more are cut off."""
LISTER = "@chatops cases"
"""What lists a department's open cases in Teams (bot.py), named where a card leaves some out."""
SUBMIT = {Action.REROUTE: "Move", Action.REPLY_TO: "Answer this one"}
"""The button under a choice set: Teams' dropdowns do not act when a choice is picked."""

_LINE_CHARS = 300
_TOO_LONG = "_Too long to edit in the card: reply in the thread with >> and the new draft._"
_NAME_WIDTHS = (NAME_CHARS, 24, 8)
"""Characters of people's names in a card, narrowed when the people it names overflow it."""


@dataclass(frozen=True)
class _Budget:
    """How much a case card shows: the model's `Room` for texts, and Teams' own shedding. The
    editable draft is never cut (saving it would lose the rest)."""

    room: Room
    answerable: int  # most comments in an inline reply-to choice (more: a dialog)
    dialogs: bool = False  # True: the department and reply-to choices open a dialog
    edit: bool = True  # False: the draft is shown, not edited (last resort, it never fits)


_BUDGETS = (
    _Budget(ROOMS[0], 25),
    _Budget(ROOMS[1], 10),
    _Budget(ROOMS[2], 5),
    _Budget(ROOMS[2], 5, dialogs=True),
    _Budget(ROOMS[4], 3, dialogs=True),
    _Budget(ROOMS[2], 3, dialogs=True, edit=False),
    _Budget(ROOMS[4], 3, dialogs=True, edit=False),
)


# -- the case card ----------------------------------------------------------------------------


def case_card(
    view: CaseView,
    *,
    now: datetime,
    departments: Sequence[Department] = (),
    names: Mapping[str, str] | None = None,
    approvers_known: bool = True,
    notice: str | None = None,
    told: str | None = None,
    box: str | None = None,
    links: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The whole case (present.case_card) with the draft editable in place.

    `names` maps AAD/Teams ids to display names for `<at>` mentions (ids show otherwise).
    `notice` is a line on top for the clicking user only (a refusal answered to an invoke);
    `told` one that explains what their click did instead of what its label says; `box` what
    the draft box keeps instead of the draft (their unsaved text, after a refusal); `links`
    case ids -> deep links to their posts (the customer's last earlier case). Every action
    carries `seen`, the fingerprint of the draft shown.
    """
    for budget in _BUDGETS:
        model = case_model(
            view,
            now=now,
            departments=departments,
            approvers_known=approvers_known,
            room=budget.room,
            links=links,
        )
        people = People(names)
        editable = _editable(model, budget.edit)
        body = _case_body(model, people, budget.room, editable, notice, told, box)
        out = card(
            body,
            _case_actions(model, budget, editable),
            pairs=people.pairs,
            refresh_case=model.case_id,
        )
        if fits(out):
            return out
    return _minimal_case_card(view, now, departments)


def _minimal_case_card(
    view: CaseView, now: datetime, departments: Sequence[Department]
) -> dict[str, Any]:
    """The case when even its shortest rendering is too big (a huge link or name, say): its
    number, department and status, and its actions with the choices in dialogs. Nobody is
    mentioned, so no name can make it grow."""
    model = case_model(view, now=now, departments=departments, room=ROOMS[-1])
    emoji, words = STATE_WORDS[view.case.state]
    body = [
        text_block(escape(clip(model.title, TITLE_CHARS))),
        text_block(
            f"**Status:** {EMOJI.get(emoji, '')} {words}. The case is too big to show here in "
            "full: its comments are on the platform and in the thread."
        ),
    ]
    actions = _case_actions(model, _Budget(ROOMS[-1], 0, dialogs=True, edit=False), False)
    return card(body, actions, refresh_case=model.case_id)


def alert(
    text: str, chars: int = ROOMS[0].quote, *, mark: str = "🚫", color: str = "Attention"
) -> dict[str, Any]:
    """A line on top of a card for the clicking user alone: a refusal, or what a click did."""
    return text_block(f"{mark} {escape(clip(text, chars))}", color=color, weight="Bolder")


def _offers(model: CaseCard, action: Action) -> bool:
    return any(c.action is action for c in model.controls)


def _editable(model: CaseCard, edit: bool) -> bool:
    """Editing in the card: the model offers it and the draft fits the input whole."""
    draft = model.draft
    return (
        edit
        and draft is not None
        and len(draft.text) <= DRAFT_LIMIT
        and _offers(model, Action.EDIT)
    )


def _case_body(
    model: CaseCard,
    people: People,
    room: Room,
    editable: bool,
    notice: str | None,
    told: str | None,
    box: str | None,
) -> list[dict[str, Any]]:
    body: list[dict[str, Any]] = []
    if notice:
        body.append(alert(notice, room.quote))
    if told:
        body.append(alert(told, room.quote, mark="ℹ️", color="Warning"))
    body.append(text_block(escape(model.title), size="Medium", weight="Bolder"))
    body.append(text_block(people.line(model.meta), isSubtle=True, spacing="None"))
    if model.earlier:
        body.append(text_block(people.line(model.earlier), isSubtle=True, spacing="None"))
    if model.warning:
        body.append(text_block(people.line(model.warning), color="Warning"))
    if model.first:
        first = [
            text_block(people.line(model.first.head)),
            text_block(paragraphs(model.first.text, room.quote), spacing="Small"),
        ]
        body.append({"type": "Container", "style": "emphasis", "items": first})
    if model.later_total:
        body.append(text_block(f"**Also in this thread** ({model.later_total})"))
        body += [text_block(people.line(line), spacing="None") for line in model.later]
        if model.later_total > len(model.later):
            more = model.later_total - len(model.later)
            body.append(text_block(f"_…and {more} more_", spacing="None"))
    if model.draft is not None:
        body += _draft(model, model.draft, people, room, editable, box)
    body += similar_items(model, people)
    if model.sent_back:
        sent_back = escape(one_line(model.sent_back))
        heading = people.line(present.SENT_BACK)
        body.append(text_block(f"{heading} {sent_back}", color="Warning"))
    body.append(text_block(people.line(model.status), separator=True))
    return body


def similar_items(model: CaseCard, people: People) -> list[dict[str, Any]]:
    """Each answered case like this one, the start of its answer and "Use this answer" (the
    answered case in the button's data), carrying `seen` like every action of the card."""
    out: list[dict[str, Any]] = []
    for offer in model.similar:
        out.append(text_block(people.line(offer.line), separator=not out))
        out.append(text_block(f"_{escape(offer.text)}_", isSubtle=True, spacing="None"))
        out.append(action_set([button(offer.use, **{SEEN: model.seen})]))
    return out


def _draft(
    model: CaseCard, draft: Draft, people: People, room: Room, editable: bool, box: str | None
) -> list[dict[str, Any]]:
    label = f"**{escape(draft.label)}**"
    out: list[dict[str, Any]] = []
    if not draft.text:
        hint = "none yet: write the reply below and click **Save draft**" if editable else "none"
        out.append(text_block(f"{label}: {hint}"))
    else:
        details = people.line(draft.details)
        out.append(text_block(f"{label} {details}" if details else label))
        if not editable:
            out.append(text_block(paragraphs(draft.text, room.quote), spacing="Small"))
            if _offers(model, Action.EDIT):
                out.append(text_block(_TOO_LONG, isSubtle=True))
    if editable:
        out.append(
            {
                "type": "Input.Text",
                "id": Input.DRAFT.value,
                "isMultiline": True,
                "value": draft.text if box is None else box[:DRAFT_LIMIT],
                "maxLength": DRAFT_LIMIT,
                "placeholder": "Write the reply to the customer…",
            }
        )
    if draft.blocked:
        blocked = present.blocked_line(clip(draft.blocked, room.quote))
        out.append(text_block(people.line(blocked), color="Attention"))
    return out


def _case_actions(model: CaseCard, budget: _Budget, editable: bool) -> list[dict[str, Any]]:
    """The model's controls as the card's actions: buttons in a row (a confirmation folded
    into a ShowCard), "Save draft" for the box, the reject reason asked for, and the menus
    behind one "More…" button. No input there is required: all of them are sent with any
    click in the card, and a required one would block the others."""
    stamp = {SEEN: model.seen}
    top: list[dict[str, Any]] = []
    more: list[dict[str, Any]] = []
    for control in model.controls:
        if isinstance(control, Menu):
            section = _menu(control, budget, stamp)
            section[0]["separator"] = bool(more)
            more += section
        elif control.action is Action.EDIT:
            if editable:
                top.append(execute(Action.EDIT, "Save draft", model.case_id, **stamp))
        elif control.action is Action.REJECT:
            top.append(reject(control, stamp))
        else:
            top.append(button(control, **stamp))
    if more:
        top.append(show_card("More…", more, []))
    return top[:TOP_ACTIONS]


def reject(control: Button, stamp: Mapping[str, str], source: str = "case") -> dict[str, Any]:
    """Send back, with the reason the owner needs: one required input of its own (on a case
    card, and on an approval inbox copy: `source`)."""
    reason = {
        "type": "Input.Text",
        "id": Input.REASON.value,
        "label": "Why does it go back? The owner sees this.",
        "isMultiline": True,
        "isRequired": True,
        "errorMessage": "Say why, so the owner can fix it.",
        "maxLength": 1000,
    }
    style = STYLES[control.tone]
    send = execute(
        control.action, control.label, control.case_id, style=style, source=source, **stamp
    )
    return show_card(f"{control.label}…", [reason], [send])


def _menu(menu: Menu, budget: _Budget, stamp: Mapping[str, str]) -> list[dict[str, Any]]:
    """A menu in "More…": departments and comments as a dropdown with its button, or a
    button that opens them in a dialog when they would not all fit; short menus as buttons."""
    if menu.action.value not in DIALOG_VERBS:
        buttons = [action_set(option_buttons(menu, **stamp))]
        if menu.confirm is None:
            return buttons
        warning = f"**{escape(menu.confirm.title)}** {escape(menu.confirm.text)}"
        return [text_block(warning), *buttons]
    inline = CHOICES_LIMIT if menu.action is Action.REROUTE else budget.answerable
    if budget.dialogs or len(menu.options) > min(inline, CHOICES_LIMIT):
        return [action_set([dialog_button(menu)])]
    submit = execute(menu.action, SUBMIT[menu.action], menu.case_id, **stamp)
    choices = choice_set(menu.action, menu.options, placeholder=menu.label, value=menu.current)
    return [choices, action_set([submit])]


def _controls(controls: Sequence[Control], source: str) -> list[dict[str, Any]]:
    """Controls of a ping or a digest entry: a menu folds its option buttons into a ShowCard."""
    return [
        button(c, source=source)
        if isinstance(c, Button)
        else show_card(c.label, [], option_buttons(c, source=source))
        for c in controls
    ]


# -- dialogs ----------------------------------------------------------------------------------

TASK_FETCH = {"type": "task/fetch"}


def dialog_button(menu: Menu) -> dict[str, Any]:
    """A button that opens `dialog_card` for the menu. Universal Actions cannot open a dialog;
    Teams documents an `Action.Submit` whose `data.msteams.type` is `task/fetch`: Teams sends
    the bot a `task/fetch` invoke with this data and shows the card it answers as a dialog."""
    return {
        "type": "Action.Submit",
        "title": clip(menu.label, TITLE_CHARS),
        "data": {"msteams": dict(TASK_FETCH), CASE_ID: menu.case_id, DIALOG: menu.action.value},
    }


def dialog_card(
    view: CaseView,
    verb: str,
    *,
    departments: Sequence[Department] = (),
    offset: int = 0,
    notice: str | None = None,
) -> dict[str, Any]:
    """The dialog holding a choice set shed from the case card: the departments to move the
    case to, or the open comments its draft may answer, every one reachable. A page shows as
    many choices from `offset` as fit Teams' size limit (at most `CHOICES_LIMIT`), with buttons
    to the next page and back to the first. Its submit (`task/submit`) carries `data.dialog`,
    the case id and the choice (`read_dialog`). ValueError for a verb without a dialog."""
    if verb not in DIALOG_VERBS:
        raise ValueError(f"'{verb}' has no dialog")
    menu = next(
        (c for c in case_controls(view, departments) if isinstance(c, Menu) and c.action == verb),
        None,
    )
    offset = max(0, min(offset, len(menu.options) - 1)) if menu else 0
    count = min(len(menu.options) - offset, CHOICES_LIMIT) if menu else 0
    while True:
        page = _dialog_page(view, verb, menu, offset, count, notice)
        if count <= 1 or fits(page):
            return page
        count = max(1, min(count - 1, count * 3 // 4))


def _dialog_page(
    view: CaseView,
    verb: str,
    menu: Menu | None,
    offset: int,
    count: int,
    notice: str | None,
) -> dict[str, Any]:
    number = escape(view.case.number)
    body: list[dict[str, Any]] = [alert(notice)] if notice else []
    reroute = verb == Action.REROUTE.value
    head = (
        f"Move case {number} to another department"
        if reroute
        else f"Which comment the draft of case {number} answers"
    )
    body.append(text_block(head, size="Medium", weight="Bolder"))
    if menu is None:
        body.append(text_block("There is nothing to choose from any more."))
        return card(body, [])
    page = menu.options[offset : offset + count]
    current = menu.current if menu.current in {o.value for o in page} else None
    body.append(choice_set(verb, page, placeholder=menu.label, value=current, style="filtered"))
    total = len(menu.options)
    if count < total:
        shown = f"Showing {offset + 1}–{offset + len(page)} of {total}."
        body.append(text_block(shown, isSubtle=True))
    data = {CASE_ID: view.case.id, DIALOG: verb}
    actions = [_submit(SUBMIT[menu.action], {**data, OFFSET: offset}, style="positive")]
    if offset + count < total:
        actions.append(_submit("Next page", {**data, OFFSET: offset + count, NEXT: True}))
    if offset > 0:
        actions.append(_submit("First page", {**data, OFFSET: 0, NEXT: True}))
    return card(body, actions)


def _submit(title: str, data: dict[str, Any], *, style: str | None = None) -> dict[str, Any]:
    action: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": data}
    if style:
        action["style"] = style
    return action


# -- refusals ---------------------------------------------------------------------------------


def refusal_card(reason: str, *, case_id: str | None = None) -> dict[str, Any]:
    """A small "no" returned as the invoke response, so only the clicking user sees it.

    It replaces the clicked card for that user, so with a case id it offers the way back
    (`case.refresh`); when the case can be rendered, `case_card(..., notice=reason)` is better.
    """
    actions = []
    if case_id is not None:
        actions.append(
            {
                "type": "Action.Execute",
                "title": "Back to the case",
                "verb": REFRESH_VERB,
                "data": {CASE_ID: case_id},
            }
        )
    body = [text_block(f"🚫 {escape(clip(reason, _LINE_CHARS * 2))}", color="Attention")]
    return card(body, actions, refresh_case=case_id)


# -- thread replies and pings -----------------------------------------------------------------


def event_message(
    view: CaseView, event: CaseEvent, *, names: Mapping[str, str] | None = None
) -> tuple[str, Mentions]:
    """The reply in the case post's thread for one event (wording.event_sentence), and the
    mentions in it, whose entities the caller attaches (`mention_entities`). A text message:
    its moments are written in the department's zone (Teams formats DATE/TIME in cards only)."""
    return _said(event_sentence(view, event), People(names, card=False))


def _said(sentence: Sentence, people: People) -> tuple[str, Mentions]:
    text = people.line(sentence.line)
    if sentence.quote is not None:
        text += "\n\n" + quote(sentence.quote, ROOMS[0].quote)
    return text, people.pairs


def ping_card(
    view: CaseView, event: CaseEvent, *, names: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """A ping people can act on: the event line and present.ping_controls; None for events
    that are not pings. Its mention entities are in the card; names narrow until it fits."""
    if event.kind not in PINGS:
        return None
    sentence = event_sentence(view, event)
    actions = _controls(ping_controls(view), "ping")
    out: dict[str, Any] = {}
    for width in _NAME_WIDTHS:
        text, pairs = _said(sentence, People(names, width))
        out = card([text_block(text)], actions, pairs=pairs)
        if fits(out):
            return out
    return out


def moved_card(
    view: CaseView, to: Department, *, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """What a case's old card becomes once the case moved to another channel."""
    line, about = moved(view, to)
    people = People(names)
    body = [text_block(people.line(line))]
    if about is not None:
        body.append(text_block(people.line(about), isSubtle=True))
    return card(body, [], pairs=people.pairs)


def removed_card(note: str) -> dict[str, Any]:
    """What a case's card becomes once retention deleted the case: the note alone."""
    return card([text_block(escape(note), isSubtle=True)], [])


# -- digest and batched pings -----------------------------------------------------------------


def listing_card(
    listing: Listing, source: str, *, names: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """A digest or a batch of pings (present.digest, present.pings): the heading, then an entry
    per case with its controls; entries that would push the card past `CARD_LIMIT` are
    counted, not listed. `source` tells the bot which card a click came from."""

    def build(people: People, shown: int) -> dict[str, Any]:
        body = [text_block(people.line(listing.head), size="Medium", weight="Bolder")]
        for entry in listing.entries[:shown]:
            items = [text_block(people.line(entry.line))]
            if entry.detail:
                items.append(text_block(escape(entry.detail), isSubtle=True, spacing="None"))
            if entry.controls:  # a storm's has none: its summary holds what can be done
                items.append(action_set(_controls(entry.controls, source)))
            body.append({"type": "Container", "separator": True, "items": items})
        if shown < len(listing.entries):
            body.append(text_block(people.line(listing.more(shown, LISTER)), isSubtle=True))
        return card(body, [], pairs=people.pairs)

    return _fitting(build, len(listing.entries), names)


def _fitting(
    build: Callable[[People, int], dict[str, Any]],
    count: int,
    names: Mapping[str, str] | None,
) -> dict[str, Any]:
    """The card `build` makes with as many of its `count` lines as fit; when even none fit
    (many people named), the same with narrower names."""
    out: dict[str, Any] = {}
    for width in _NAME_WIDTHS:
        shown = count
        while True:
            out = build(People(names, width), shown)
            if fits(out):
                return out
            if shown == 0:
                break
            shown = min(shown - 1, shown * 3 // 4)
    return out


# -- report -----------------------------------------------------------------------------------


def report_card(report: Report, image_url: str | None) -> dict[str, Any]:
    """A report: its title, its lines, then the chart.

    The chart is shown when `image_url` is https or a `data:image/…` URI. A card over Teams'
    size limit leaves out the chart first (the lines say the same), then its last lines.
    """
    lines = [_report_line(line) for line in report.lines[:50]]
    image = image_url if image_url and image_url.startswith(("https://", "data:image/")) else None
    shown, dropped = len(lines), False
    while True:
        out = card(_report_body(report.title, lines[:shown], image, dropped), [])
        if fits(out) or (shown == 0 and image is None):
            return out
        if image is not None:
            image, dropped = None, True
        else:
            shown = min(shown - 1, shown * 3 // 4)


def _report_line(line: Line) -> str:
    """A report's line as Markdown; a very long one as clipped plain text."""
    text = plain(line)
    if len(text) > _LINE_CHARS * 2:
        return escape(clip(text, _LINE_CHARS * 2))
    return People().line(line)


def _report_body(
    title: str, lines: list[str], image: str | None, chart_left_out: bool
) -> list[dict[str, Any]]:
    body = [text_block(escape(clip(title, _LINE_CHARS)), size="Medium", weight="Bolder")]
    body += [text_block(line, spacing="None") for line in lines]
    if image is not None:
        body.append(
            {"type": "Image", "url": image, "altText": "Weekly response chart", "size": "Stretch"}
        )
    elif chart_left_out:
        body.append(text_block("_The chart is too big for a Teams message._", isSubtle=True))
    return body
