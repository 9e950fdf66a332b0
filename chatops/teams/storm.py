"""A storm's thread in Teams (chatops/chat/storm.py marked up as Adaptive Cards): the summary
card in the department's channel, refreshed in place, and the batches naming its members in
its reply chain. Only markup: the decisions are the chat-neutral layer's; each card is fitted
to Teams' 28 KB by leaving out its last lines (counted)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from chatops.chat import storm
from chatops.chat.rich import Faint, Line
from chatops.teams.markup import People, card, fits, text_block


def _fitted(
    head: Line, lines: Sequence[Line], footer: Line | None
) -> Callable[[int], dict[str, Any]]:
    def build(shown: int) -> dict[str, Any]:
        people = People()
        body = [text_block(people.line(head), size="Medium", weight="Bolder")]
        body += [text_block(people.line(line), spacing="None") for line in lines[:shown]]
        if shown < len(lines):
            more: Line = (Faint(f"…and {len(lines) - shown} more"),)
            body.append(text_block(people.line(more), isSubtle=True))
        if footer is not None:
            body.append(text_block(people.line(footer), isSubtle=True))
        return card(body, [], pairs=people.pairs)

    return build


def _fit(build: Callable[[int], dict[str, Any]], count: int) -> dict[str, Any]:
    shown = count
    while True:
        out = build(shown)
        if fits(out) or shown == 0:
            return out
        shown = min(shown - 1, shown * 3 // 4)


def summary_card(summary: storm.Summary, links: Mapping[str, str]) -> dict[str, Any]:
    """The summary: its head, its figures, the note that members are listed below."""
    *figures, footer = storm.summary_lines(summary, links)
    return _fit(_fitted(storm.summary_head(summary), figures, footer), len(figures))


def batch_card(batch: storm.Batch) -> dict[str, Any]:
    """One batch of members, a line each."""
    return _fit(_fitted(batch.head, batch.lines, None), len(batch.lines))
