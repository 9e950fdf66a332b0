"""Slack's documented Block Kit limits in one table, which every layout is built within.

Slack refuses a whole message or view (`invalid_blocks`) when one field breaks one limit, and
slack_sdk's models do not check everything (options inside elements, for one). So `blocks.py`
and `modals.py` clip every text and count every list against this table, and fit a case
message's texts as a whole with `blocks_text_length`; the tests walk every layout with a
checker of the same table (tests/fakes/block_kit.py), which the local Slack refuses with too.

Sources (Slack's reference, also on docs.slack.dev):
- blocks: https://api.slack.com/reference/block-kit/blocks (50 blocks a message, section text
  3000, fields 10 x 2000, header 150, context 10 elements, actions 25 elements, block_id 255)
- elements: https://api.slack.com/reference/block-kit/block-elements (button text 75, value
  2000, url 3000; static select 100 options or 100 option groups, placeholder 150; overflow
  1-5 options; plain_text_input max_length 3000; action_id 255)
- composition objects: https://api.slack.com/reference/block-kit/composition-objects (option
  text 75, value 150, description 75; option group label 75, 100 options; confirm title 100,
  text 300, confirm/deny 30)
- views: https://api.slack.com/reference/surfaces/views (modal title, submit, close 24; 100
  blocks; private_metadata 3000; callback_id 255)
- chat.postMessage: https://api.slack.com/methods/chat.postMessage (`text` truncated past
  40,000 characters, `msg_too_long`; about 4,000 advised)
- not documented: Slack also refuses blocks whose texts add up to about 12,000 characters
  (`msg_blocks_too_long`, slackapi/bolt-js#2509); layouts stay under `blocks_text_budget`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """Every number Slack holds our layouts to (characters unless it says items)."""

    message_blocks: int = 50
    message_text: int = 40_000
    message_text_advised: int = 4_000
    blocks_text_budget: int = 11_000  # undocumented ~12,000 (see the module docstring)
    modal_blocks: int = 100
    view_title: int = 24
    view_button: int = 24  # submit, close
    private_metadata: int = 3000
    callback_id: int = 255
    external_id: int = 255
    block_id: int = 255
    action_id: int = 255
    section_text: int = 3000
    section_fields: int = 10
    field_text: int = 2000
    header_text: int = 150
    context_elements: int = 10
    context_text: int = 3000
    actions_elements: int = 25
    input_label: int = 2000
    input_hint: int = 2000
    image_alt_text: int = 2000
    url: int = 3000
    button_text: int = 75
    button_value: int = 2000
    button_accessibility_label: int = 75
    placeholder: int = 150
    select_options: int = 100
    select_option_groups: int = 100
    overflow_options: int = 5
    option_text: int = 75
    option_value: int = 150
    option_description: int = 75
    option_group_label: int = 75
    confirm_title: int = 100
    confirm_text: int = 300
    confirm_button: int = 30
    text_input_length: int = 3000  # plain_text_input min_length / max_length


LIMITS = Limits()


def blocks_text_length(blocks: Any) -> int:
    """The characters of every text object in `blocks` (what the undocumented budget counts)."""
    return sum(len(t) for t in _texts(blocks))


def _texts(node: Any) -> Iterable[str]:
    """Every text object's text in the blocks: what the undocumented total budget counts."""
    if isinstance(node, dict):
        if node.get("type") in ("plain_text", "mrkdwn") and isinstance(node.get("text"), str):
            yield node["text"]
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)
