"""A storm's thread in Slack (chatops/chat/storm.py marked up as Block Kit): the summary
message, updated in place, and the batches that name its members in its thread.

The decisions (figures, words, who is linked) are the chat-neutral layer's; this module only
marks them up and fits them to Slack's limits (3,000 characters a section, 50 blocks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chatops.chat import present, storm
from chatops.chat.actions import StormAction
from chatops.chat.rich import Line
from chatops.slack.blocks import (
    SECTION_LIMIT,
    clip_mrkdwn,
    confirm,
    context,
    mrkdwn,
    plain,
    section,
)
from chatops.slack.limits import LIMITS


def _sections(lines: Sequence[Line], room: int) -> list[dict[str, Any]]:
    """Lines as few sections as hold them whole (each under Slack's section limit), at most
    `room` sections; what does not fit is counted in the last one."""
    chunks: list[str] = []
    current = ""
    for index, line in enumerate(lines):
        text = clip_mrkdwn(mrkdwn(line), SECTION_LIMIT)
        if current and len(current) + 1 + len(text) > SECTION_LIMIT:
            if len(chunks) + 1 >= room:
                current = clip_mrkdwn(f"{current}\n_…and {len(lines) - index} more_", SECTION_LIMIT)
                break
            chunks.append(current)
            current = text
        else:
            current = f"{current}\n{text}" if current else text
    if current:
        chunks.append(current)
    return [section(chunk) for chunk in chunks]


def summary_blocks(summary: storm.Summary, links: Mapping[str, str]) -> list[dict[str, Any]]:
    """The summary: its head (calling the channel once), then its figures, the buttons
    publishing its holding statement to all (`storm.storm_buttons`) and editing it."""
    *figures, footer = storm.summary_lines(summary, links)
    found = storm.storm_buttons(summary.storm, summary.answering)
    blocks = [section(mrkdwn(storm.summary_head(summary)))]
    blocks += _sections(figures, LIMITS.message_blocks - 3)
    elements = [_button(b) for b in found]
    elements.append(_edit(storm.statement_edit(summary.storm, summary.answering)))
    blocks.append({"type": "actions", "block_id": "storm", "elements": elements})
    blocks.append(context(mrkdwn(footer)))
    return blocks


def _button(b: storm.StormButton) -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": b.action.value,
        "text": plain(b.label, LIMITS.button_text),
        "value": b.value,
        "style": "primary",
        "confirm": confirm(present.Confirm(b.label, b.confirm, b.label, quote=b.quote)),
    }


def _edit(edit: storm.StatementEdit) -> dict[str, Any]:
    """ "Edit statement": opens modal `storm.statement` (the listener reads the statement as
    it is then, so the value is only the storm)."""
    return {
        "type": "button",
        "action_id": StormAction.EDIT.value,
        "text": plain(edit.label, LIMITS.button_text),
        "value": edit.storm.id,
    }


def summary_text(summary: storm.Summary) -> str:
    """The notification text: the head, with its `@here` (a phone shows this)."""
    return clip_mrkdwn(mrkdwn(storm.summary_head(summary)), LIMITS.message_text_advised)


def batch_blocks(batch: storm.Batch) -> list[dict[str, Any]]:
    """One batch: its head, then a line a member."""
    return [section(mrkdwn(batch.head)), *_sections(batch.lines, LIMITS.message_blocks - 1)]


def batch_text(batch: storm.Batch) -> str:
    return clip_mrkdwn(mrkdwn(batch.head), LIMITS.message_text_advised)
