"""A storm's thread in Teams (chatops/chat/storm.py marked up as Adaptive Cards): the summary
card in the department's channel, refreshed in place, and the batches naming its members in
its reply chain. Only markup: the decisions are the chat-neutral layer's; each card is fitted
to Teams' 28 KB by leaving out its last lines (counted)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatops.chat import storm
from chatops.chat.actions import StormAction
from chatops.chat.rich import Faint, Line
from chatops.teams.clicks import SEEN, Input
from chatops.teams.markup import (
    TITLE_CHARS,
    People,
    card,
    escape,
    execute,
    fits,
    quote,
    show_card,
    text_block,
)

SOURCE = "storm"
"""`data.source` of a storm card's clicks: the invoke is answered with the summary card."""
STATEMENT_LIMIT = 4000
"""Longest statement the card's box takes (Slack's modal takes as much)."""


def _fitted(
    head: Line,
    lines: Sequence[Line],
    footer: Line | None,
    actions: Sequence[dict[str, Any]] = (),
    notice: dict[str, Any] | None = None,
) -> Callable[[int], dict[str, Any]]:
    def build(shown: int) -> dict[str, Any]:
        people = People()
        body = [notice] if notice is not None else []
        body.append(text_block(people.line(head), size="Medium", weight="Bolder"))
        body += [text_block(people.line(line), spacing="None") for line in lines[:shown]]
        if shown < len(lines):
            more: Line = (Faint(f"…and {len(lines) - shown} more"),)
            body.append(text_block(people.line(more), isSubtle=True))
        if footer is not None:
            body.append(text_block(people.line(footer), isSubtle=True))
        return card(body, list(actions), pairs=people.pairs)

    return build


def _fit(build: Callable[[int], dict[str, Any]], count: int) -> dict[str, Any]:
    shown = count
    while True:
        out = build(shown)
        if fits(out) or shown == 0:
            return out
        shown = min(shown - 1, shown * 3 // 4)


def summary_card(
    summary: storm.Summary, links: Mapping[str, str], notice: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The summary: its head, its figures, the note that members are listed below; the
    buttons publishing its holding statement to all and the box editing it. `notice` is a line
    on top for the user whose click it answers."""
    *figures, footer = storm.summary_lines(summary, links)
    actions = [_publish(b) for b in storm.storm_buttons(summary.storm, summary.answering)]
    actions.append(_statement(storm.statement_edit(summary.storm, summary.answering)))
    build = _fitted(storm.summary_head(summary), figures, footer, actions, notice)
    return _fit(build, len(figures))


def _publish(b: storm.StormButton) -> dict[str, Any]:
    """ "Publish to all" folded into its confirmation: what will be sent (the statement, and
    the holding templates for other languages), then the click, sealed with that statement."""
    storm_id, _, seal = b.value.partition(storm.SEAL_MARK)
    yes = execute(b.action, b.label, storm_id, style="positive", source=SOURCE, **{SEEN: seal})
    body = [text_block(escape(b.confirm)), text_block(quote(escape(b.quote), STATEMENT_LIMIT))]
    return show_card(f"{b.label}…", body, [yes])


def _statement(edit: storm.StatementEdit) -> dict[str, Any]:
    """The statement's box, prefilled, and "Save statement" (verb `storm.statement`)."""
    box = {
        "type": "Input.Text",
        "id": Input.STATEMENT.value,
        "label": "What the brand says to everyone in this storm",
        "isMultiline": True,
        "value": edit.text[:STATEMENT_LIMIT],
        "maxLength": STATEMENT_LIMIT,
    }
    save = execute(StormAction.STATEMENT, "Save statement", edit.storm.id, source=SOURCE)
    return show_card(f"{edit.label[:TITLE_CHARS]}…", [box], [save])


def batch_card(batch: storm.Batch) -> dict[str, Any]:
    """One batch of members, a line each."""
    return _fit(_fitted(batch.head, batch.lines, None), len(batch.lines))
