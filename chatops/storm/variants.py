"""What each storm member is answered with when comms publish the storm's holding statement
to all (issue 13 item 4): pure, no I/O.

One statement, hundreds of replies, none of them a robot's: every member is greeted by first
name when their display name is one (`drafting.first_name`), in their own language (the
approved statement when they wrote in its language, else their language's holding template,
else the statement as written), between a greeting and a closing chosen among
`HOLDING_VARIANTS` wordings. The copy-paste guard of the security issue stays in force: no text
goes out more than `pii.repeat_warning_per_day` times a day on one platform, so a member gets
the first of their wordings (starting at one of their own, so wordings spread) still under the
limit on their platform (`Workflow.publish_storm_member` takes it), and none when every wording
reached it.
"""

from __future__ import annotations

from chatops.drafting import FALLBACK, HOLDING_VARIANTS, Drafter, variant_for
from chatops.store.storms import Statement


def same_language(a: str | None, b: str | None) -> bool:
    """Two language codes name one language ("sv-SE" and "sv"; unknown matches nothing)."""
    first = (a or "").split("-")[0].lower()
    return bool(first) and first == (b or "").split("-")[0].lower()


def wordings(
    drafter: Drafter,
    statement: Statement,
    *,
    language: str | None,
    author_name: str,
    brand: str,
    key: str,
) -> list[str]:
    """Every wording one member may get, in the order they are tried (from the member's own
    starting point, `key` being stable per member)."""
    if same_language(language, statement.language) or not drafter.has_holding(language):
        # Their language is the statement's, or nothing of theirs exists: the statement itself.
        chosen: str | None = statement.language or language or FALLBACK
        text = statement.text
    else:
        chosen, text = language, ""
    start = variant_for(key)
    found: list[str] = []
    for n in range(HOLDING_VARIANTS):
        wording = drafter.holding(
            language=chosen,
            author_name=author_name,
            statement=text,
            brand=brand,
            variant=start + n,
        )
        if wording not in found:
            found.append(wording)
    return found
