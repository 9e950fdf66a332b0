"""Every Redis key shape in one place.

Keys of one case share the hash tag `{<case id>}` so a Lua compare-and-set touches one slot in
Redis Cluster. Global indexes share the tag `{g}`: they live in one slot, which keeps the
dedupe-and-append and the case-number scripts atomic there as well.
"""

from __future__ import annotations

PREFIX = "chatops"
G = f"{PREFIX}:{{g}}"

INBOUND = f"{G}:inbound"  # stream of parsed mentions waiting for a worker
INBOUND_GROUP = "workers"
DEAD = f"{G}:dead"  # stream of inbound entries no worker could process (kept, visible)
CASE_SEQ = f"{G}:seq"  # human case numbers
CONVERSATIONS = f"{G}:conv"  # hash: platform:account:conversation -> case id
MENTION_CASES = f"{G}:mcase"  # hash: platform:external_id -> case id, or "-" until recorded
PENDING = "-"  # MENTION_CASES value of a mention accepted by web, not yet in a case
DAY_FIRST = f"{G}:dayfirst"  # hash: yyyy-mm-dd -> lowest case id created that day (stats)
DUE = f"{G}:due"  # zset: case id -> next deadline (epoch s), for the stale scan
PUBLISHED_TEXTS = f"{G}:texts"  # + ":<yyyy-mm-dd>": hash text digest -> times published
LEADER = f"{G}:leader"  # scheduler leader lock

SEEN_TTL_S = 7 * 24 * 3600  # platforms retry for up to 36 h (Meta); keep a margin


def seen(mention_key: str) -> str:
    """Dedupe marker of one edit or removal delivery (new mentions dedupe in MENTION_CASES)."""
    return f"{G}:seen:{mention_key}"


def by_state(department: str, state: str) -> str:
    """Set of case ids of one department in one state (gauges, digests)."""
    return f"{G}:ix:{department}:{state}"


def published_texts(day: str) -> str:
    return f"{PUBLISHED_TEXTS}:{day}"


def case(case_id: str) -> str:
    """The case as compact JSON; its `version` field is what compare-and-set compares."""
    return f"{PREFIX}:case:{{{case_id}}}"


def audit(case_id: str) -> str:
    """List of JSON audit entries, append-only."""
    return f"{PREFIX}:case:{{{case_id}}}:audit"


def mentions(case_id: str) -> str:
    """List of the case's mentions as JSON, in arrival order (each carries its `key`)."""
    return f"{PREFIX}:case:{{{case_id}}}:mentions"
