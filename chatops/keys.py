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


CURSORS = f"{G}:cursors"  # + ":<platform>": hash of polling cursors (since_id…)
POLL_LOCK = f"{G}:poll"  # + ":<platform>": held for one poll interval by whoever polls
RETRY = f"{G}:retry"  # zset: case id -> when to publish again (the platform said "later")
RETRY_INFO = f"{G}:retry:info"  # hash: case id -> what was to be published (JSON)
PROBLEMS = f"{G}:problems"  # hash: component -> JSON {reason, at}; shown by /readyz, /metrics

# -- Slack outbox -------------------------------------------------------------------------
SLACK_CHANNELS = f"{G}:slack:channels"  # set of channels with queued writes
SLACK_DIRTY = f"{G}:slack:dirty"  # set of case ids whose message needs chat.update
SLACK_THREADS = f"{G}:slack:threads"  # hash: "<channel>:<ts>" -> case id
SLACK_PAUSED = f"{G}:slack:paused"  # global pause (token revoked): value = reason, with TTL
SLACK_USER_GROUPS = f"{G}:slack:groups"  # + ":<group id>": cached members, with TTL


def slack_queue(channel: str) -> str:
    """FIFO of writes to one channel: posts and thread replies, in the order they happened."""
    return f"{G}:slack:q:{channel}"


def slack_inflight(channel: str) -> str:
    """The write being sent to a channel right now; found here after a crash, it is retried."""
    return f"{G}:slack:inflight:{channel}"


def slack_lease(channel: str) -> str:
    return f"{G}:slack:lease:{channel}"


def slack_bucket(name: str) -> str:
    """Token bucket shared by every process: per channel for posts, one for updates."""
    return f"{G}:slack:bucket:{name}"


def slack_pause(channel: str) -> str:
    """Set (with a TTL) while a channel must not be written to: Retry-After, backoff, errors."""
    return f"{G}:slack:pause:{channel}"


def slack_thread(case_id: str) -> str:
    """Hash: `channel`, `ts` of the case's message; `queued:<channel>` while a post waits."""
    return f"{PREFIX}:case:{{{case_id}}}:slack"
