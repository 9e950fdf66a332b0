"""A removal on the platform removes the text: when its author deletes a comment or unsends a
message, what they wrote goes from the store (the case's mention, the storm roster's quote),
and the chat shows "removed by its author"; only the fact and its time stay, in the case's
history. Pure `purged`; `purge_roster` and `purge_stream` are the thin writes to the storm
records, the inbound stream and the past answers kept for "Similar"."""

from __future__ import annotations

from dataclasses import replace

from chatops.chat.capabilities import ScrubsStorms, ShowsStorms
from chatops.chat.storm import StormRef
from chatops.domain import Case, Change, Mention
from chatops.knowledge.answers import PastAnswers
from chatops.store.inbound import InboundStream
from chatops.store.storms import Storms
from chatops.storm import author_of


def purged(stored: Mention | None, removal: Mention) -> Mention:
    """What is kept of a mention its author removed: who, when, where and that it was
    removed, without its text (the stored mention's, else the removal's own fields)."""
    return (stored or removal).model_copy(update={"change": Change.REMOVED, "text": ""})


async def purge_roster(storms: Storms, department: str, mention: Mention) -> dict[str, list[int]]:
    """The storm roster lines quoting `mention` (in any of the department's storms that
    count its author) lose the quote; returns the positions changed, by group."""
    author = author_of(mention)
    done: dict[str, list[int]] = {}
    for group in await storms.groups_of(department, author):
        positions = await storms.rewrite_roster(
            department,
            group,
            lambda m: m.key == mention.key and bool(m.text),
            lambda m: replace(m, text=""),
        )
        if positions:
            done[group] = positions
    return done


async def tell_storms(chat: object, department: str, changed: dict[str, list[int]]) -> None:
    """A chat whose storm threads quote members (ScrubsStorms) rewrites the lines of the
    members at the changed positions; the summaries are read again."""
    for group, positions in changed.items():
        ref = StormRef(department, group)
        if isinstance(chat, ScrubsStorms):
            await chat.storm_scrubbed(ref, positions)
        if isinstance(chat, ShowsStorms):
            await chat.storm_changed(ref)


async def purge_stream(inbound: InboundStream, mention: Mention) -> int:
    """The processed inbound entries that carried the removed mention's text go too (they
    would otherwise wait for the stream's next trim)."""
    return await inbound.purge_processed(
        lambda m: m.key == mention.key and m.change is not Change.REMOVED
    )


async def purge_answer(answers: PastAnswers | None, case: Case, mention: Mention) -> int:
    """A past answer given to the removed mention keeps its words (masked) to be found by
    ("Similar"): the answers to its author on that case go."""
    if answers is None or mention.key not in case.answered_keys:
        return 0
    return await answers.forget(author_of(mention), case.id)
