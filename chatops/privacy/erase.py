"""What an erasure on request leaves of a person's data: pure functions of stored records.

Their mentions keep what the product's figures and the case's shape need (ids, dates,
platform, kind, language) and lose who wrote them and what they wrote; a draft or a history
line that could name them is replaced. An open case keeps a reply to publish: a neutral
greeting without a name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from chatops.domain import AuditEntry, Author, Case, Mention
from chatops.store.storms import Member
from chatops.workflow.commands import SYSTEM, Command

ERASED_TEXT = "[erased on request]"

DRAFT_ACTIONS = frozenset(
    {Command.EDIT, Command.APPROVE, Command.REJECT, Command.PUBLISH_FAILED, Command.DISMISS}
)
"""History lines whose detail is a person's free text (a draft, a reviewer's reason, a
platform's answer quoting the reply): erased on the person's cases whatever it says."""

MIN_WORD = 3
"""Name parts shorter than this ("Al", initials) are too common to search drafts for."""


def erased_mention(mention: Mention, alias: str) -> Mention:
    """`mention` without its author's identity, text or link."""
    return mention.model_copy(update={"author": Author(id=alias), "text": ERASED_TEXT, "url": None})


def identifiers(mentions: Iterable[Mention]) -> frozenset[str]:
    """What could name the person in free text: full names, name parts, handles, ids."""
    found: set[str] = set()
    for m in mentions:
        a = m.author
        found.update(x for x in (a.name.strip(), a.handle.strip(), a.id) if len(x) >= MIN_WORD)
        found.update(w for w in re.split(r"[\s,.]+", a.name) if len(w) >= MIN_WORD)
    return frozenset(found)


def names(text: str, words: frozenset[str]) -> bool:
    """Whether `text` holds one of `words` as a word of its own (any case)."""
    return bool(text and words) and _pattern(words).search(text) is not None


def without_names(text: str, words: frozenset[str]) -> str:
    """`text` with each of `words` in it (as a word of its own) replaced by `[…]`: what an
    operator typed as the reason of an erasure is kept, whom it named is not."""
    return _pattern(words).sub("[…]", text) if text and words else text


def _pattern(words: frozenset[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)@?(?:{alternatives})(?!\w)", re.IGNORECASE)


def erased_case(case: Case, own: frozenset[str], words: frozenset[str], greeting: str) -> Case:
    """The case with no draft or reason that is the person's, or answers them, or names
    them. An open case's draft becomes `greeting` (a template without a name), so that it
    stays answerable; a finished case's becomes the erased mark."""
    out = case.model_copy(deep=True)
    if case.draft and (case.reply_to in own or names(case.draft, words)):
        out.draft = greeting if case.is_open else ERASED_TEXT
        out.draft_author = SYSTEM
    if case.reject_reason and names(case.reject_reason, words):
        out.reject_reason = ERASED_TEXT
    return out


def draft_erased(before: Case, after: Case) -> bool:
    return before.draft != after.draft


def erased_entry(entry: AuditEntry, words: frozenset[str]) -> AuditEntry | None:
    """The history line without the person's words (None: nothing of theirs in it)."""
    if not entry.detail or entry.detail == ERASED_TEXT:
        return None
    if entry.action in DRAFT_ACTIONS or names(entry.detail, words):
        return entry.model_copy(update={"detail": ERASED_TEXT})
    return None


def erased_member(member: Member, alias: str, platform: str) -> Member:
    """A storm roster line of the person: counted, no longer named or quoted."""
    return replace(
        member, author=alias, text=ERASED_TEXT, followers=None, author_id=f"{platform}:{alias}"
    )
