"""Slack's Block Kit limits as a checker that names every breach (chatops/slack/limits.py).

Slack answers `invalid_blocks`, `msg_too_long` or `msg_blocks_too_long` for a message that
breaks one limit, and `invalid_arguments` for a view. The local Slack (tests/fakes/slack.py)
refuses with this checker, and the layout tests walk every layout with it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

from chatops.slack.limits import LIMITS, Limits, blocks_text_length

KNOWN_BLOCKS = frozenset(
    {"actions", "context", "divider", "file", "header", "image", "input", "markdown"}
    | {"rich_text", "section", "video"}
)
_SELECTS = frozenset({"static_select", "multi_static_select"})


class Violation(NamedTuple):
    """One breach: the error Slack answers with, and where ("blocks[3]...value: 179 > 150")."""

    error: str  # invalid_blocks, msg_too_long, msg_blocks_too_long
    where: str

    def __str__(self) -> str:
        return f"{self.error}: {self.where}"


def message_violations(
    blocks: Any, text: Any = None, *, limits: Limits = LIMITS
) -> list[Violation]:
    """What Slack would refuse in a message's `blocks` (and `text`), one entry per breach."""
    out = [Violation("msg_too_long", w) for w in _text_violations(text, limits)]
    if blocks is None:
        return out
    if not isinstance(blocks, list):
        return [*out, Violation("invalid_blocks", "blocks: not a list")]
    found = [
        *_too_many("blocks", blocks, limits.message_blocks),
        *_blocks(blocks, "blocks", limits),
    ]
    out.extend(Violation("invalid_blocks", w) for w in found)
    total = blocks_text_length(blocks)
    if total > limits.blocks_text_budget:
        where = f"blocks: {total} characters of text > {limits.blocks_text_budget}"
        out.append(Violation("msg_blocks_too_long", where))
    return out


def view_violations(view: Any, *, limits: Limits = LIMITS) -> list[Violation]:
    """What Slack would refuse in a modal or Home tab view: views.open/update/publish answer
    `invalid_arguments` and list each breach in `response_metadata.messages`."""
    return [Violation("invalid_arguments", w) for w in _view(view, limits)]


def _view(view: Any, limits: Limits) -> list[str]:
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        return ["view: type must be modal or home"]
    out: list[str] = []
    if view["type"] == "modal":
        out.extend(_text(view.get("title"), "view.title", limits.view_title, plain=True))
        for key in ("submit", "close"):
            if key in view:
                out.extend(_text(view[key], f"view.{key}", limits.view_button, plain=True))
    out.extend(
        _length(view.get("private_metadata"), "view.private_metadata", limits.private_metadata)
    )
    out.extend(_length(view.get("callback_id"), "view.callback_id", limits.callback_id))
    out.extend(_length(view.get("external_id"), "view.external_id", limits.external_id))
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        return [*out, "view.blocks: not a list"]
    out.extend(_too_many("view.blocks", blocks, limits.modal_blocks))
    out.extend(_blocks(blocks, "view.blocks", limits))
    if (
        view["type"] == "modal"
        and "submit" not in view
        and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    ):
        out.append("view.submit: required with an input block")
    return out


# -- blocks -----------------------------------------------------------------------------------


def _blocks(blocks: list[Any], where: str, lim: Limits) -> Iterator[str]:
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        at = f"{where}[{i}]"
        if not isinstance(block, dict) or block.get("type") not in KNOWN_BLOCKS:
            yield f"{at}: not a known block"
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            yield from _length(block_id, f"{at}.block_id", lim.block_id, minimum=1)
            if block_id in seen:
                yield f"{at}.block_id: {block_id!r} used twice"
            seen.add(block_id)
        yield from _BLOCK_CHECKS.get(block["type"], _nothing)(block, at, lim)


def _nothing(block: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    return iter(())


def _section(block: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    if "text" not in block and "fields" not in block:
        yield f"{at}: a section needs text or fields"
    if "text" in block:
        yield from _text(block["text"], f"{at}.text", lim.section_text)
    if "fields" in block:
        fields = block["fields"]
        if not isinstance(fields, list):
            yield f"{at}.fields: not a list"
            return
        yield from _too_many(f"{at}.fields", fields, lim.section_fields)
        for j, field in enumerate(fields):
            yield from _text(field, f"{at}.fields[{j}]", lim.field_text)
    if "accessory" in block:
        yield from _element(block["accessory"], f"{at}.accessory", lim)


def _header(block: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    yield from _text(block.get("text"), f"{at}.text", lim.header_text, plain=True)


def _context(block: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        yield f"{at}.elements: at least one"
        return
    yield from _too_many(f"{at}.elements", elements, lim.context_elements)
    for j, el in enumerate(elements):
        if isinstance(el, dict) and el.get("type") == "image":
            yield from _length(
                el.get("alt_text"), f"{at}.elements[{j}].alt_text", lim.image_alt_text
            )
        else:
            yield from _text(el, f"{at}.elements[{j}]", lim.context_text)


def _actions(block: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        yield f"{at}.elements: at least one"
        return
    yield from _too_many(f"{at}.elements", elements, lim.actions_elements)
    ids = [str(e["action_id"]) for e in elements if isinstance(e, dict) and e.get("action_id")]
    for dup in sorted({i for i in ids if ids.count(i) > 1}):
        yield f"{at}.elements: action_id {dup!r} used twice"
    for j, el in enumerate(elements):
        yield from _element(el, f"{at}.elements[{j}]", lim)


def _input(block: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    yield from _text(block.get("label"), f"{at}.label", lim.input_label, plain=True)
    if "hint" in block:
        yield from _text(block["hint"], f"{at}.hint", lim.input_hint, plain=True)
    yield from _element(block.get("element"), f"{at}.element", lim)


def _image(block: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    yield from _length(block.get("alt_text"), f"{at}.alt_text", lim.image_alt_text, minimum=1)
    yield from _length(block.get("image_url"), f"{at}.image_url", lim.url)


_BLOCK_CHECKS = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image,
}


# -- elements ---------------------------------------------------------------------------------


def _element(el: Any, at: str, lim: Limits) -> Iterator[str]:
    if not isinstance(el, dict) or not isinstance(el.get("type"), str):
        yield f"{at}: not an element"
        return
    if "action_id" in el:
        yield from _length(el["action_id"], f"{at}.action_id", lim.action_id, minimum=1)
    if "confirm" in el:
        yield from _confirm(el["confirm"], f"{at}.confirm", lim)
    if "placeholder" in el:
        yield from _text(el["placeholder"], f"{at}.placeholder", lim.placeholder, plain=True)
    kind = el["type"]
    if kind == "button":
        yield from _text(el.get("text"), f"{at}.text", lim.button_text, plain=True)
        yield from _length(el.get("value"), f"{at}.value", lim.button_value)
        yield from _length(el.get("url"), f"{at}.url", lim.url)
        yield from _length(
            el.get("accessibility_label"),
            f"{at}.accessibility_label",
            lim.button_accessibility_label,
        )
        if el.get("style") not in (None, "primary", "danger"):
            yield f"{at}.style: {el['style']!r}"
    elif kind in _SELECTS:
        yield from _select(el, at, lim)
    elif kind == "overflow":
        options = el.get("options")
        if not isinstance(options, list) or not options:
            yield f"{at}.options: at least one"
            return
        yield from _too_many(f"{at}.options", options, lim.overflow_options)
        for j, option in enumerate(options):
            yield from _option(option, f"{at}.options[{j}]", lim)
    elif kind == "plain_text_input":
        yield from _text_input(el, at, lim)


def _select(el: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    options, groups = el.get("options"), el.get("option_groups")
    if (options is None) == (groups is None):
        yield f"{at}: options or option_groups, exactly one"
        return
    all_options: list[Any] = []
    if options is not None:
        if not isinstance(options, list) or not options:
            yield f"{at}.options: at least one"
            return
        yield from _too_many(f"{at}.options", options, lim.select_options)
        for j, option in enumerate(options):
            yield from _option(option, f"{at}.options[{j}]", lim)
        all_options = options
    else:
        if not isinstance(groups, list) or not groups:
            yield f"{at}.option_groups: at least one"
            return
        yield from _too_many(f"{at}.option_groups", groups, lim.select_option_groups)
        for g, group in enumerate(groups):
            where = f"{at}.option_groups[{g}]"
            if not isinstance(group, dict) or not isinstance(group.get("options"), list):
                yield f"{where}: not an option group"
                continue
            yield from _text(
                group.get("label"), f"{where}.label", lim.option_group_label, plain=True
            )
            yield from _too_many(f"{where}.options", group["options"], lim.select_options)
            for j, option in enumerate(group["options"]):
                yield from _option(option, f"{where}.options[{j}]", lim)
            all_options.extend(group["options"])
    initial = el.get("initial_option")
    if initial is not None and initial not in all_options:
        yield f"{at}.initial_option: not one of the options"


def _option(option: Any, at: str, lim: Limits) -> Iterator[str]:
    if not isinstance(option, dict):
        yield f"{at}: not an option"
        return
    yield from _text(option.get("text"), f"{at}.text", lim.option_text)
    yield from _length(option.get("value"), f"{at}.value", lim.option_value, minimum=1)
    if "description" in option:
        yield from _text(option["description"], f"{at}.description", lim.option_description)
    yield from _length(option.get("url"), f"{at}.url", lim.url)


def _text_input(el: dict[str, Any], at: str, lim: Limits) -> Iterator[str]:
    most = el.get("max_length", lim.text_input_length)
    for key in ("min_length", "max_length"):
        value = el.get(key)
        if value is not None and not (
            isinstance(value, int) and 0 <= value <= lim.text_input_length
        ):
            yield f"{at}.{key}: {value!r} not within 0..{lim.text_input_length}"
    initial = el.get("initial_value")
    if isinstance(initial, str) and isinstance(most, int) and len(initial) > most:
        yield f"{at}.initial_value: {len(initial)} > {most}"


def _confirm(confirm: Any, at: str, lim: Limits) -> Iterator[str]:
    if not isinstance(confirm, dict):
        yield f"{at}: not a confirm object"
        return
    yield from _text(confirm.get("title"), f"{at}.title", lim.confirm_title, plain=True)
    yield from _text(confirm.get("text"), f"{at}.text", lim.confirm_text)
    yield from _text(confirm.get("confirm"), f"{at}.confirm", lim.confirm_button, plain=True)
    yield from _text(confirm.get("deny"), f"{at}.deny", lim.confirm_button, plain=True)


# -- text objects and strings -----------------------------------------------------------------


def _text(obj: Any, at: str, limit: int, *, plain: bool = False) -> Iterator[str]:
    kinds = ("plain_text",) if plain else ("plain_text", "mrkdwn")
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        yield f"{at}: not a {' or '.join(kinds)} text object"
        return
    yield from _length(obj.get("text"), f"{at}.text", limit, minimum=1, required=True)


def _length(
    value: Any, at: str, limit: int, *, minimum: int = 0, required: bool = False
) -> Iterator[str]:
    if value is None:
        if required:
            yield f"{at}: missing"
        return
    if not isinstance(value, str):
        yield f"{at}: not a string"
    elif len(value) > limit:
        yield f"{at}: {len(value)} > {limit}"
    elif len(value) < minimum:
        yield f"{at}: empty"


def _too_many(at: str, items: list[Any], limit: int) -> Iterator[str]:
    if len(items) > limit:
        yield f"{at}: {len(items)} items > {limit}"


def _text_violations(text: Any, lim: Limits) -> Iterator[str]:
    if isinstance(text, str) and len(text) > lim.message_text:
        yield f"text: {len(text)} > {lim.message_text}"
