"""What a person asks about storms (issue 13 item 6): which are open, and one's summary.

The summary itself is chatops/chat/storm.py's; this is the line a list of open storms gives
each, and what is said when there is none or an id names no storm. Pure.
"""

from __future__ import annotations

from chatops.chat.rich import Code, Emoji, Line, Strong, Text, When
from chatops.chat.storm import Summary

NONE_OPEN = "No storm is open."


def open_line(s: Summary) -> Line:
    """ "🌀 social:3 · Social team: 214 mentions from 209 people · 38.0 a minute · since …"."""
    mentions = f"{s.count:,} mention{'s' if s.count != 1 else ''}"
    people = f"{s.people:,} {'person' if s.people == 1 else 'people'}"
    line: Line = (
        Emoji("cyclone"),
        Text(" "),
        Code(s.storm.id),
        Text(" · "),
        Strong(s.department),
        Text(f": {mentions} from {people} · {s.per_minute:.1f} a minute"),
    )
    if s.since is not None:
        line += (Text(" · since "), When(s.since, s.zone))
    return line


def unknown(storm_id: str) -> str:
    """An id that names no storm (or one whose record has expired)."""
    return f"No storm {storm_id}: type storm for the open ones."
