"""Every Redis key shape in one place.

Keys of one case share the hash tag `{<case id>}` so a Lua compare-and-set touches one slot in
Redis Cluster. Global indexes share the tag `{g}`: they live in one slot, which keeps the
dedupe-and-append and the case-number scripts atomic there as well.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

PREFIX = "chatops"
G = f"{PREFIX}:{{g}}"

INBOUND = f"{G}:inbound"  # stream of parsed mentions waiting for a worker
INBOUND_GROUP = "workers"
INBOUND_FAILURES = f"{G}:inbound:failures"  # hash: inbound entry id -> times the pipeline failed
DEAD = f"{G}:dead"  # stream of inbound entries no worker could process (kept, visible)
CASE_SEQ = f"{G}:seq"  # human case numbers
CONVERSATIONS = f"{G}:conv"  # platform:account:conversation -> case id, in `bucket`s
MENTION_CASES = f"{G}:mcase"  # platform:external_id -> case id, or "-" until recorded: buckets
PENDING = "-"  # MENTION_CASES value of a mention accepted by web, not yet in a case
DAY_FIRST = f"{G}:dayfirst"  # hash: yyyy-mm-dd -> lowest case id created that day (stats)
DUE = f"{G}:due"  # the previous layout's one zset of every deadline (epoch s): read until empty
PUBLISHED_TEXTS = f"{G}:texts"  # + ":<yyyy-mm-dd>": hash platform:digest -> times published
LEADER = f"{G}:leader"  # scheduler leader lock
SUGGEST = f"{G}:suggest"  # zset: "<case id>:<draft digest>" -> when a worker may take it (epoch s)

KPI_DONE = f"{G}:kpi:done"  # zset: case id -> when retention added it to the aggregates (a week)
RETENTION = f"{G}:retention"  # hash: the sweep's `low` (every lower case id is gone) and `next`
RETENTION_REMOVED = f"{G}:retention:removed"  # hash: yyyy-mm-dd -> closed cases deleted that day


def kpi_day(day: str) -> str:
    """Hash of one UTC day's anonymous KPI aggregates of deleted cases (chatops/store/kpis.py):
    `<department>\t<platform>` -> `<cases> <answered> <first-response µs>…`."""
    return f"{G}:kpi:{day}"


SEEN_TTL_S = 7 * 24 * 3600
"""Default life of a dedupe marker (`retention.dedupe`): the platforms' longest documented
webhook retry window (`adapters.base.longest_retry`, Meta's 36 h) with a margin for a delivery
held in a platform's queue, clock skew and retries of retries."""


def flood_author(author: str) -> str:
    """Zset: the new mentions of one `platform:author id` by time, for the flood guard (TTL)."""
    return f"{G}:flood:a:{author}"


def flood_conversation(conversation_key: str) -> str:
    """Zset: the mentions into one conversation by time, for the flood guard (TTL)."""
    return f"{G}:flood:c:{conversation_key}"


def flood_case(author: str) -> str:
    """The open case a burst from `platform:author id` gathers in (TTL: the flood window)."""
    return f"{G}:flood:case:{author}"


def gone(mention_key: str) -> str:
    """A mention its author removed before any case held it (TTL `retention.dedupe`): the
    removal may overtake the mention (Meta promises no order; a backlog), which then is not
    recorded when it comes."""
    return f"{G}:gone:{mention_key}"


def seen(mention_key: str) -> str:
    """Dedupe marker of one edit or removal delivery (new mentions dedupe in MENTION_CASES)."""
    return f"{G}:seen:{mention_key}"


AUTHOR_CASES_KEPT = 20
"""Cases a card counts per author or handle (the newest; it names the last). The index keeps
every case of the author: an erasure or export on request must find them all."""
AUTHOR_CASES_TTL_S = 180 * 24 * 3600
"""How long an author's index of the previous layout (`author_cases`) was kept after their last
case; it is only read until it expires."""
AUTHORS = f"{G}:authors"  # hash: platform:author id -> every case id of theirs, space-separated
HANDLES = f"{G}:handles"  # hash: handle (lower-case, no @) -> case ids of anyone writing as it
"""MENTION_CASES, CONVERSATIONS, AUTHORS, HANDLES and ChatKeys.threads name indexes kept in
`INDEX_BUCKETS` small hashes each (`bucket`); the names themselves are the previous layout's
one big hash, still read (a mention's entry moves into its bucket when a case records it, a
conversation's when it is next resolved, an author's at their next case)."""
INDEX_BUCKETS = 256
"""Buckets per bucketed index. A small hash stays listpack-encoded in Redis (~25 bytes a field
instead of ~70 in a big hashtable) while it has at most `hash-max-listpack-entries` fields
(128 by default; README "Running Redis" says when to raise it): 256 buckets hold ~32,000
fields at that size, and few enough keys that a store of a few thousand cases gains too."""


def bucket(index: str, field: str) -> str:
    """The hash of `index` (AUTHORS, HANDLES, a chat's threads) holding `field`: one of
    `INDEX_BUCKETS` by a stable checksum of the field, in the `{g}` slot of the index."""
    return f"{index}:{zlib.crc32(field.encode()) % INDEX_BUCKETS}"


def buckets(index: str) -> list[str]:
    """Every hash of a bucketed `index`, for what counts or walks them all."""
    return [f"{index}:{n}" for n in range(INDEX_BUCKETS)]


DUE_BUCKETS = 64
"""Zsets the deadlines are spread over (`due`). A zset stays listpack-encoded in Redis (~20
bytes a member instead of ~95 in a skiplist) while it has at most `zset-max-listpack-entries`
members (128 by default): case numbers are consecutive, so the open ones spread evenly and 64
buckets hold up to ~8,000 open cases at that size (README "Running Redis" says when to raise
it), while a store of a few hundred cases pays little for 64 small keys. The due scan reads
them all in one script."""


def due(case_id: str) -> str:
    """Zset of the deadlines of the open cases in one bucket: case id -> next deadline (epoch
    ms), for the stale scan; by case number, in the `{g}` slot, so one script reads them all."""
    n = int(case_id) if case_id.isdecimal() else zlib.crc32(case_id.encode())
    return f"{DUE}:{n % DUE_BUCKETS}"


def due_buckets() -> list[str]:
    """Every deadline zset, for the due scan."""
    return [f"{DUE}:{n}" for n in range(DUE_BUCKETS)]


def author_cases(platform: str, author_id: str) -> str:
    """The previous layout's zset of one author's case ids (read until it expires)."""
    return f"{G}:author:{platform}:{author_id}"


def handle_cases(handle: str) -> str:
    """The previous layout's zset of the case ids of a handle (read until it expires)."""
    return f"{G}:handle:{handle}"


HINT_TTL_S = 90 * 24 * 3600
"""How long a person stays told about `>>` in one case (longer than a case stays open)."""


def hinted(case_id: str, user: str) -> str:
    """Marker (TTL): `user` was told once how `>>` makes a thread reply the draft of a case."""
    return f"{PREFIX}:case:{{{case_id}}}:hint:{user}"


def by_state(department: str, state: str) -> str:
    """Set of case ids of one department in one state (gauges, digests)."""
    return f"{G}:ix:{department}:{state}"


def by_owner(owner: str) -> str:
    """Set of the open case ids one person owns (their Home lists them without a scan)."""
    return f"{G}:own:{owner}"


def tally(hour: str, department: str, what: str) -> str:
    """Set of the case ids of one department opened (`new`) or first answered (`answered`)
    in one UTC hour (`yyyy-mm-ddThh`), TTL: a Home's figures of today; a set, so a
    redelivery that indexes a case again counts it once."""
    return f"{G}:tally:{hour}:{department}:{what}"


def published_texts(day: str) -> str:
    """Hash of one day: `<platform>:<digest of a published text>` -> times it was published
    there (the copy-paste limit is per platform)."""
    return f"{PUBLISHED_TEXTS}:{day}"


def reply_pace(platform: str, account: str) -> str:
    """String: when one platform account's next reply may go (epoch seconds, the pacer's
    theoretical arrival time, chatops/store/pace.py), shared by every worker; expires idle."""
    return f"{G}:pace:{platform}:{account}"


def digest_sent(department: str, day: str) -> str:
    """Marker (TTL) that one department's digest of `day` (yyyy-mm-dd, its zone) went out."""
    return f"{G}:digest:{department}:{day}"


def digest_dm_sent(department: str, day: str, person: str) -> str:
    """Marker (TTL) that one person got one department's digest of `day` as a direct message."""
    return f"{G}:digest-dm:{department}:{day}:{person}"


def overview_sent(day: str) -> str:
    """Marker (TTL) that the overview of every department went out on `day` (the config's zone)."""
    return f"{G}:overview:{day}"


def report_sent(week: str) -> str:
    """Marker (TTL) that the weekly report of ISO `week` ("2026-W48") went out."""
    return f"{G}:report:{week}"


def case(case_id: str) -> str:
    """The case as one string: its record (whose `v` is what compare-and-set compares), then
    its mentions and audit entries, a line each (chatops/store/codec.py)."""
    return f"{PREFIX}:case:{{{case_id}}}"


def audit(case_id: str) -> str:
    """The previous layout's list of a case's audit entries: read until the case's next write
    moves them into its value."""
    return f"{PREFIX}:case:{{{case_id}}}:audit"


def mentions(case_id: str) -> str:
    """The previous layout's list of a case's mentions: read until the case's next write
    moves them into its value."""
    return f"{PREFIX}:case:{{{case_id}}}:mentions"


ANSWERS_KEPT = 5000
"""Published answers kept per department for "Similar" (the newest; older ones also go with
`retention.cases`)."""


ANSWERS_FORGOTTEN = f"{PREFIX}:answers:forgotten"
"""Stream of erasures of past answers (field `a`: a JSON list of the erased entries' ids, no
customer named), so that every process drops them from its index too."""


def answers(department: str) -> str:
    """Stream of one department's published answers (chatops/knowledge/answers.py), each a
    reference to its case: fields `c` (case id), `n` (which of its replies), `b` (who published
    it), `h` (a digest of the reply's text); an earlier version's entries hold the whole answer
    in field `a` (JSON). Trimmed to ANSWERS_KEPT and by age."""
    return f"{PREFIX}:answers:{{{department}}}"


CURSORS = f"{G}:cursors"  # + ":<platform>": hash of polling cursors (since_id…)
POLL_LOCK = f"{G}:poll"  # + ":<platform>": held for one poll interval by whoever polls
RETRY = f"{G}:retry"  # zset: case id -> when to publish again (the platform said "later")
RETRY_INFO = f"{G}:retry:info"  # hash: case id -> what was to be published (JSON)
RECONCILE = f"{G}:reconcile"  # + ":<platform>": hash of `since` (cursor), `streak`, `warning`
PROBLEMS = f"{G}:problems"  # hash: component -> JSON {reason, at}; shown by /readyz, /metrics
EPOCH = f"{G}:epoch"  # written once at the first start; gone = the store was wiped
ERASURES = f"{G}:erasures"  # list: one JSON record per erasure on request (no personal data)
ERASURE_SALT = f"{G}:erasures:salt"  # random key of the pseudonyms erased authors get


def cursors(platform: str) -> str:
    """Hash of one platform's polling cursors (since_id…), kept across restarts."""
    return f"{CURSORS}:{platform}"


def poll_lock(name: str) -> str:
    """Held (TTL) for one poll interval by whichever process polls `name`."""
    return f"{POLL_LOCK}:{name}"


def reconcile(platform: str) -> str:
    """Hash of one platform's reconcile pass: `since` (cursor), `streak`, `warning`."""
    return f"{RECONCILE}:{platform}"


# -- chat outboxes (chatops/outbox.py) ----------------------------------------------------

WHERE_SEPARATOR = "\t"
"""Joins the fields of a message's location in `ChatKeys.where`: no Slack channel id or ts,
Teams channel, conversation or activity id holds a tab."""
WHERE_SAME_CHANNEL = "\x1e"
"""Stands, in `ChatKeys.where`, for the channel id at the start of a later field (a Teams reply
chain is `<channel>;messageid=<post>`): no chat id holds this control character."""


@dataclass(frozen=True)
class ChatKeys:
    """The key shapes of one chat backend's outbox; `chat` is "slack" or "teams"."""

    chat: str

    @property
    def channels(self) -> str:
        """Set of channels with queued writes."""
        return f"{G}:{self.chat}:channels"

    @property
    def dirty(self) -> str:
        """Set of case ids whose message (card) needs an update in place."""
        return f"{G}:{self.chat}:dirty"

    @property
    def threads(self) -> str:
        """A case message's thread (Slack "<channel>:<ts>", Teams reply chain) -> case: an
        index kept in `INDEX_BUCKETS` hashes (`bucket`); the name itself is the previous
        layout's one hash, still read."""
        return f"{G}:{self.chat}:threads"

    @property
    def paused(self) -> str:
        """Every write waits (credentials refused): value = reason."""
        return f"{G}:{self.chat}:paused"

    def queue(self, channel: str, lane: int = 0) -> str:
        """FIFO of writes to one channel: posts and thread replies, in the order they happened.
        One per lane (`outbox.LANES`): a channel sends its ordinary writes before any storm
        summary, and those before any storm batch."""
        base = f"{G}:{self.chat}:q:{channel}"
        return base if lane == 0 else f"{base}:lane{lane}"

    @property
    def storm_updates(self) -> str:
        """Zset: storm id -> when its summary may be updated next (coalesced, throttled)."""
        return f"{G}:{self.chat}:storm:updates"

    @property
    def storm_batches(self) -> str:
        """Zset: storm id -> when its next batch of members may be queued."""
        return f"{G}:{self.chat}:storm:batches"

    def inflight(self, channel: str) -> str:
        """The write being sent to a channel right now; found here after a crash, it is retried."""
        return f"{G}:{self.chat}:inflight:{channel}"

    def lease(self, channel: str) -> str:
        return f"{G}:{self.chat}:lease:{channel}"

    def bucket(self, name: str) -> str:
        """Token bucket shared by every process: per channel for posts, one for updates."""
        return f"{G}:{self.chat}:bucket:{name}"

    def pause(self, channel: str) -> str:
        """Set (with a TTL) while a channel must not be written to: Retry-After, backoff, errors."""
        return f"{G}:{self.chat}:pause:{channel}"

    @property
    def where(self) -> str:
        """Where each case's (storm's) message is: case id -> the code of its `channel`
        (`where_channels`), then the chat's ids of it (`WHERE_SAME_CHANNEL` for the channel id
        they start with), joined by `WHERE_SEPARATOR`; an index kept in `INDEX_BUCKETS` hashes
        (`bucket`): 28-45 bytes a Slack case where a hash of its own took ~136, and short
        enough (under 64 bytes) for Redis's compact encoding in Teams too."""
        return f"{G}:{self.chat}:where"

    @property
    def where_channels(self) -> str:
        """Hash: the short codes `where` names channels by (a channel id is 10-50 characters,
        which every case's location would repeat): `<channel>` -> code and `#<code>` ->
        channel; `#` the last code given. A code is never changed or given again."""
        return f"{G}:{self.chat}:where:channels"

    def case(self, case_id: str) -> str:
        """Hash of a case's passing marks: `queued:<channel>` while a post waits (so it is gone,
        as Redis deletes an empty hash, once the case is posted). A storm's (its id
        `<department>:<group>`) also `listed` (members named in batches so far), `updated_at`
        and `batched_at` (epoch seconds of the last summary update and batch queued); Slack
        `pending` (the batch being posted), Teams `batching` (the roster position a batch being
        posted ends at, written before the call), `unsure` (`<from>:<to>,…`: batches a crash
        cut short, named on the summary) and the ids of replies quoting a mention. The previous
        layout also kept where the message is here (`channel` and the chat's ids of it): read
        until the case is posted again or deleted."""
        return f"{PREFIX}:case:{{{case_id}}}:{self.chat}"

    def inbox(self, case_id: str) -> str:
        """Hash (TTL): the copies of the case's approval request sent to people directly or
        to `approval.channel` (chatops/chat/inbox.py): target -> where the copy is."""
        return f"{PREFIX}:case:{{{case_id}}}:{self.chat}:inbox"


# -- Slack outbox -------------------------------------------------------------------------
SLACK = ChatKeys("slack")
SLACK_CHANNELS = SLACK.channels
SLACK_DIRTY = SLACK.dirty
SLACK_THREADS = SLACK.threads  # "<channel>:<ts>" -> case id
SLACK_PAUSED = SLACK.paused  # until auth.test passes again
SLACK_USER_GROUPS = f"{G}:slack:groups"  # + ":<group id>": cached members, with TTL
SLACK_VIEWS = f"{G}:slack:view"  # + ":<view id>": case id of a modal we opened (TTL)
SLACK_IDENTITY = f"{G}:slack:identity"  # hash: what auth.test last answered for the token
SLACK_HOME_OPENED = f"{G}:slack:home:opened"  # set: users who opened their App Home once
SLACK_HOME_DIRTY = f"{G}:slack:home:dirty"  # set: users (or "dept:<id>") whose Home is stale
SLACK_MEMBERS = f"{G}:slack:members"  # + ":<channel>": cached member ids (TTL)
slack_queue = SLACK.queue
slack_inflight = SLACK.inflight
slack_lease = SLACK.lease
slack_bucket = SLACK.bucket
slack_pause = SLACK.pause
slack_thread = SLACK.case  # passing marks; the previous layout's `channel`, `ts` of the message


def slack_user_group(group: str) -> str:
    """The cached members of one Slack user group, as JSON (TTL)."""
    return f"{SLACK_USER_GROUPS}:{group}"


def slack_members(channel: str) -> str:
    """The cached member ids of one Slack channel, as JSON (TTL)."""
    return f"{SLACK_MEMBERS}:{channel}"


def slack_permalink(case_id: str) -> str:
    """The permalink of a case's Slack thread, cached for Homes (TTL)."""
    return f"{PREFIX}:case:{{{case_id}}}:slack:link"


def slack_view(view_id: str) -> str:
    """The case id of a Slack modal we opened (TTL)."""
    return f"{SLACK_VIEWS}:{view_id}"


# -- Teams outbox and conversation references --------------------------------------------
TEAMS = ChatKeys("teams")  # where: `channel`, `conversation`, `activity` of the case's post
TEAMS_REFERENCES = f"{G}:teams:refs"  # hash: Teams channel id -> ConversationReference JSON
TEAMS_NAMES = f"{G}:teams:names"  # hash: AAD object id -> display name, as Teams last sent it
TEAMS_PERSONAL = f"{G}:teams:personal"  # hash: AAD object id -> reference of their chat with us


def teams_members(channel: str) -> str:
    """The cached AAD object ids of a Teams channel's team, as JSON (TTL)."""
    return f"{G}:teams:members:{channel}"


def teams_team(team: str) -> str:
    """Set of a team's channel ids (forgotten together when the app is removed)."""
    return f"{G}:teams:team:{team}"


# -- storm detection (chatops/storm, chatops/store/storms.py) ----------------------------


@dataclass(frozen=True)
class StormKeys:
    """The key shapes of one department's storm detection, all in one hash slot (the
    department's tag), so that one Lua script assigns a mention to its group atomically.

    The script builds the group keys from `prefix` the way the methods here do:
    `<prefix>:g:<group>` (and `:m`, `:a`); `tests/storm` checks that they agree."""

    department: str

    @property
    def prefix(self) -> str:
        return f"{PREFIX}:storm:{{{self.department}}}"

    def token(self, token: str) -> str:
        """String (TTL): a similarity band or tie of recent mentions -> the group holding them."""
        return f"{self.prefix}:k:{token}"

    @property
    def seq(self) -> str:
        """Counter numbering the department's groups."""
        return f"{self.prefix}:seq"

    @property
    def open(self) -> str:
        """Zset: open storm -> time of its newest member (the closing sweep reads the oldest)."""
        return f"{self.prefix}:open"

    def group(self, group: str) -> str:
        """Hash: `state` (forming, open, closed, merged), `created`, `opened`, `last`,
        `closed`, `size`, `into` (the group a merged one continues in)."""
        return f"{self.prefix}:g:{group}"

    def members(self, group: str) -> str:
        """Zset: mention key -> when it joined (a forming group keeps only the window's)."""
        return f"{self.prefix}:g:{group}:m"

    def authors(self, group: str) -> str:
        """Zset: `platform:author id` -> their latest mention's time (who counts)."""
        return f"{self.prefix}:g:{group}:a"

    def roster(self, group: str) -> str:
        """List of the storm's members as chat shows them (JSON, `storms.Member`), in the
        order they joined; the storm thread's summary and batches are read from it."""
        return f"{self.prefix}:g:{group}:r"

    def rostered(self, group: str) -> str:
        """Set of the mention keys in `roster` (a redelivery is listed once)."""
        return f"{self.prefix}:g:{group}:rk"

    def statement(self, group: str) -> str:
        """Hash: the storm's holding statement (`text`, `language`, `writer`, `at`)."""
        return f"{self.prefix}:g:{group}:say"

    def publishing(self, group: str) -> str:
        """Hash: the storm's publish-to-all job (`state` running or done, `by`, `started`,
        the statement it sends as `text`, `language`, `writer`; `lock`, `lock_until`: the
        runner at it now)."""
        return f"{self.prefix}:g:{group}:pub"

    def answered(self, group: str) -> str:
        """Set of the case ids publish-to-all answered (its progress; never sent twice)."""
        return f"{self.prefix}:g:{group}:pub:done"

    def failed(self, group: str) -> str:
        """Hash: case id -> why publish-to-all could not answer it (until a retry)."""
        return f"{self.prefix}:g:{group}:pub:failed"

    @property
    def publish_due(self) -> str:
        """Zset: storm with a publish-to-all job under way -> when a runner may go on with it."""
        return f"{self.prefix}:publish"
