"""The nouns of the product: mentions from platforms and the cases staff handle in chat.

Mentions are immutable facts from a platform; a case is the mutable unit of work, one per
platform conversation. Both serialise to compact JSON for Redis and the inbound stream.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Kind(StrEnum):
    """How a mention reached the brand."""

    COMMENT = "comment"  # a comment on one of the brand's posts
    REPLY = "reply"  # a reply inside a comment thread
    DM = "dm"  # a private message (Messenger, X DM, Viber)
    MENTION = "mention"  # the brand's handle named in someone's own post
    KEYWORD = "keyword"  # matched a tracked keyword without naming the brand


class Change(StrEnum):
    """What the platform says happened to the item: new, edited or removed."""

    ADD = "add"
    EDITED = "edited"
    REMOVED = "removed"


class State(StrEnum):
    """Life cycle of a case (DESIGN §5); the allowed moves live in workflow/transitions.py."""

    NEW = "new"  # posted to chat, nobody owns it yet
    CLAIMED = "claimed"  # someone owns it
    DRAFTED = "drafted"  # a person wrote or edited the draft
    AWAITING_APPROVAL = "awaiting_approval"  # sensitive: waits for comms
    APPROVED = "approved"  # comms said yes (or a publish failed after approval)
    PUBLISHING = "publishing"  # the platform call is under way: at most one at a time
    PUBLISHED = "published"  # the answer is out; a follow-up will check back
    CLOSED = "closed"  # done
    DISMISSED = "dismissed"  # closed without a reply (spam, no reply needed, duplicate)
    PUBLISH_UNKNOWN = "publish_unknown"  # the call may or may not have reached the platform
    STORM = "storm"  # one of a storm's members: listed in the storm thread, no message of its own


OPEN_STATES: frozenset[State] = frozenset(
    {
        State.NEW,
        State.CLAIMED,
        State.DRAFTED,
        State.AWAITING_APPROVAL,
        State.APPROVED,
        State.PUBLISHING,
        State.PUBLISH_UNKNOWN,
        State.STORM,
    }
)
"""States in which a customer is still waiting for us."""


class DismissReason(StrEnum):
    SPAM = "spam"
    NO_REPLY_NEEDED = "no_reply_needed"
    DUPLICATE = "duplicate"


class NotPublished(StrEnum):
    """Why a reply did not go out, as far as it decides what a person does next."""

    REFUSED = "refused"  # the platform refused it for good: retrying will not help
    UNAVAILABLE = "unavailable"  # the platform could not take it now: publish again later
    RATE_LIMITED = "rate_limited"  # it goes out by itself at a set time unless the draft changes
    NOT_APPROVED = "not_approved"  # the draft is not the one approved: ask again
    NOT_THERE = "not_there"  # after an unconfirmed publish, a person found it missing


@dataclass(frozen=True)
class Overdue:
    """What a fired escalation tier found late: the SLA clock that ran out (`claim`,
    `first_response`), or None for a tier that fires a fixed `wait` after the case opened.
    Facts, not words: the chats say them (`chatops.chat.wording`)."""

    clock: str | None
    wait: timedelta = timedelta(0)


def utcnow() -> datetime:
    """The one place that reads the wall clock; logic takes `now` as an argument."""
    return datetime.now(UTC)


class Author(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    name: str = ""
    handle: str = ""
    followers: int | None = None

    @property
    def display(self) -> str:
        if self.name and self.handle:
            return f"{self.name} (@{self.handle})"
        return self.name or (f"@{self.handle}" if self.handle else self.id)


ERASED_PREFIX = "erased-"
"""Author ids of this shape are pseudonyms an erasure on request left (chatops/privacy)."""


class Mention(BaseModel):
    """One inbound item, already parsed from a platform's wire format by its adapter."""

    model_config = ConfigDict(frozen=True)

    platform: str
    account: str = ""
    external_id: str = Field(min_length=1)
    conversation_id: str = Field(min_length=1)
    parent_id: str | None = None
    author: Author
    text: str = ""
    lang: str | None = None
    url: str | None = None
    created_at: datetime
    kind: Kind = Kind.COMMENT
    change: Change = Change.ADD

    @property
    def key(self) -> str:
        """Dedupe key: the same platform item is one mention, however often it is delivered."""
        return f"{self.platform}:{self.external_id}"

    @property
    def erased(self) -> bool:
        """Its author's data was erased on their request: who wrote it and what are gone."""
        return self.author.id.startswith(ERASED_PREFIX)

    @property
    def delivery_key(self) -> str:
        """Dedupe key of one delivery: an edit or a removal is news, a platform retry is not."""
        if self.change is Change.ADD:
            return self.key
        digest = hashlib.sha1(self.text.encode()).hexdigest()[:12]
        return f"{self.key}:{self.change.value}:{digest}"

    @property
    def conversation_key(self) -> str:
        """All mentions sharing this key belong to one case."""
        return f"{self.platform}:{self.account}:{self.conversation_id}"


class Reply(BaseModel):
    """What we send back to a platform."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    in_reply_to: Mention
    text: str
    private: bool = False


class Suggested(BaseModel):
    """Where a model suggestion in a case's draft came from (chatops/suggest): the card says
    so while the draft is still the suggestion (`digest` is its `draft_digest`)."""

    model_config = ConfigDict(frozen=True)

    by: str  # the model, as its endpoint names it
    sources: list[str] = Field(default_factory=list)  # titles of the passages it drew on
    digest: str


def draft_digest(text: str) -> str:
    """Identity of one exact draft text: a suggestion replaces only the draft it was asked for."""
    return hashlib.sha1(text.encode()).hexdigest()[:12]


class Case(BaseModel):
    """The unit handled in chat. Stored as one JSON blob plus a version for compare-and-set."""

    id: str  # the human number, "1042"; also the button value in chat
    version: int = 0
    state: State = State.NEW
    department: str
    platform: str
    account: str = ""
    conversation_id: str
    created_at: datetime  # when the customer wrote the first mention (never after we saw it)
    updated_at: datetime
    opened_at: datetime  # created_at, or when a reopening mention was written: SLAs start here
    language: str | None = None
    intent: str | None = None  # what the first message called for (apology, question…)
    flags: list[str] = Field(default_factory=list)  # "sensitive" is derived, never stored
    sensitive_reasons: list[str] = Field(default_factory=list)
    pii: list[str] = Field(default_factory=list)
    spam_signals: list[str] = Field(default_factory=list)
    mention_keys: list[str] = Field(default_factory=list)  # in arrival order
    answered_keys: list[str] = Field(default_factory=list)  # mentions we have replied to
    reply_to: str | None = None  # the mention key the draft answers
    owner: str | None = None
    draft: str = ""
    draft_author: str | None = None  # who last wrote the draft ("chatops" for the template)
    private: bool = False  # answer by private message instead of publicly
    approved_by: str | None = None
    approved_fingerprint: str | None = None  # what the approval covers (transitions.fingerprint)
    approval_requested_by: str | None = None  # who asked for the current approval: an author
    reject_reason: str | None = None
    dismiss_reason: str | None = None
    state_before_publish: State | None = None
    published: list[dict[str, str]] = Field(default_factory=list)  # {id, url, mention, at}
    first_response_at: datetime | None = None
    escalation_tier: int = 0  # escalation tiers handled since the case (re)opened
    approval_requested_at: datetime | None = None
    approval_pings: int = 0  # approval-wait pings sent for the current request
    snoozed_until: datetime | None = None  # no escalation pings before this
    storm: str | None = None  # "<department>:<group>" of the storm it is a member of
    similar: tuple[str, ...] = ()  # answered cases like it, best first (immutable: no copy)
    suggested: Suggested | None = None  # the model suggestion last put in the draft, if any

    @property
    def published_at(self) -> datetime | None:
        """When the last reply went out (follow-up counts from here)."""
        return datetime.fromisoformat(self.published[-1]["at"]) if self.published else None

    warnings: list[str] = Field(default_factory=list)

    @property
    def number(self) -> str:
        return f"#{self.id}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def needs_approval(self) -> bool:
        return bool(self.sensitive_reasons)


class AuditEntry(BaseModel):
    """One line of a case's append-only history: who did what, when, from which state to which."""

    model_config = ConfigDict(frozen=True)

    at: datetime
    actor: str
    action: str
    before: State | None
    after: State
    detail: str = ""
