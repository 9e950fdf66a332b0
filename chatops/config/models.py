"""The config file's schema (DESIGN §4.4) as immutable pydantic models.

Every section has defaults, so a minimal file (one department and `routing.default`) is valid,
and `extra="forbid"` everywhere, so a misspelt key is reported instead of silently ignored.
Cross-references between sections (routing targets, duplicate ids) are checked by
`reference_errors`, on plain data, so the loader can report them even when other parts of the
file failed validation.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PrivateAttr,
    StringConstraints,
    create_model,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from adapters.base import Account, PlatformConfig, config_model, longest_retry, names
from chatops import keys
from chatops.classify.pii import find_pii
from chatops.durations import Duration, format_duration, parse_duration
from chatops.knowledge.index import Folder
from chatops.schema import EnvName, Id, StrictModel, Text, as_id

BACKENDS: tuple[str, ...] = ("slack", "teams", "console")
"""Chat backends (`chat.backend`)."""

KINDS: tuple[str, ...] = ("comment", "reply", "dm", "mention", "keyword")
"""Mention kinds of DESIGN §4.5, usable in `routing.rules[].match.kind`."""

SLA_CLOCKS: tuple[str, ...] = ("claim", "first_response", "approval")
"""Names an escalation tier's `after` may use instead of a duration: the department's SLA."""

NOTIFY_TARGETS: tuple[str, ...] = ("channel", "escalate_to", "approvers")
"""Symbolic `notify` targets; anything else in `notify` is an explicit user or group id."""

DEFAULT_PII_PATTERNS: tuple[str, ...] = (
    r"(?i)\border\s*#?\d{6}\b",
    r"(?i)\bbooking\s*(?:no|nr|number)?[:#]?\s*(?=[A-Z]{0,5}\d)[A-Z0-9]{6}\b",
)

Loc = tuple[str | int, ...]

_HHMM = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"unknown time zone '{name}'") from None
    return name


def _parse_clock(value: Any) -> time:
    if isinstance(value, time):
        return value
    if isinstance(value, str) and (found := _HHMM.fullmatch(value.strip())):
        return time(int(found[1]), int(found[2]))
    raise ValueError(f"bad time '{value}': use HH:MM, like 09:00")


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"bad regex '{pattern}': {exc}") from None
    return pattern


def _one_of(what: str, choices: tuple[str, ...]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in choices:
            raise ValueError(f"unknown {what} '{value}' (known: {', '.join(choices)})")
        return value

    return AfterValidator(check)


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Language = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1)]
TimeZoneName = Annotated[str, AfterValidator(_check_zone)]
ClockTime = Annotated[time, BeforeValidator(_parse_clock)]
Regex = Annotated[str, AfterValidator(_check_regex)]


def parse_days(spec: str) -> frozenset[int]:
    """`mon-fri`, `sat,sun` or `fri-mon` (wrapping) as weekday numbers (Monday = 0)."""

    def day(name: str) -> int:
        name = name.strip().lower()[:3]
        if name not in _WEEKDAYS:
            raise ValueError(
                f"bad days '{spec}': use mon..sun as a range (mon-fri) or a list (mon,wed,fri)"
            )
        return _WEEKDAYS.index(name)

    days: set[int] = set()
    for part in spec.split(","):
        first, dash, last = part.partition("-")
        start = day(first)
        span = (day(last) - start) % 7 if dash else 0
        days.update((start + step) % 7 for step in range(span + 1))
    return frozenset(days)


PLATFORMS: tuple[str, ...] = names()
"""Platform names, in order; each is a key under `platforms:`, with the model its module in
`adapters/` declares as `CONFIG`."""


class _Platforms(StrictModel):
    """Platforms present here are enabled; none is enabled by default.

    (Not even the sandbox: its webhook secret has a public default, so turning it on silently
    would let anyone inject mentions into a production install.)
    """

    @model_validator(mode="before")
    @classmethod
    def _empty_means_enabled(cls, data: Any) -> Any:
        # `sandbox:` with nothing after it is YAML null, but clearly means "on".
        if isinstance(data, Mapping):
            return {key: {} if value is None else value for key, value in data.items()}
        return data

    def enabled(self) -> list[str]:
        return [name for name in PLATFORMS if self.section(name) is not None]

    def section(self, name: str) -> PlatformConfig | None:
        """Platform `name`'s section; None when it is off (or no such platform)."""
        found = getattr(self, name, None) if name in PLATFORMS else None
        return found if isinstance(found, PlatformConfig) else None

    def accounts(self, platform: str) -> list[Account]:
        """The configured accounts of one platform (empty when it is off or lists none)."""
        section = self.section(platform)
        return section.listed_accounts() if section is not None else []


if TYPE_CHECKING:
    PlatformsConfig = _Platforms
else:
    PlatformsConfig = create_model(
        "PlatformsConfig",
        __base__=_Platforms,
        __module__=__name__,
        **{name: (config_model(name) | None, None) for name in PLATFORMS},
    )
    """`platforms:`, one optional section per platform module, read from the registry."""


ChatName = Literal["slack", "teams", "console"]


class ChatConfig(StrictModel):
    backend: ChatName = "console"
    """The chat of every department that names none of its own (`departments[].chat`)."""


class Hours(StrictModel):
    """Business hours in the department's time zone; SLA clocks pause outside them."""

    days: str = "mon-fri"
    start: ClockTime
    end: ClockTime
    _weekdays: frozenset[int] = PrivateAttr(default=frozenset())

    @field_validator("days", mode="before")
    @classmethod
    def _join_list(cls, value: Any) -> Any:
        if isinstance(value, list):
            return ",".join(str(item) for item in value)
        return value

    @field_validator("days")
    @classmethod
    def _parse_days(cls, value: str) -> str:
        parse_days(value)
        return value

    @model_validator(mode="after")
    def _start_before_end(self) -> Hours:
        if self.start >= self.end:
            raise ValueError(
                f"start {self.start:%H:%M} must be before end {self.end:%H:%M} "
                "(hours across midnight are not supported)"
            )
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._weekdays = parse_days(self.days)

    @property
    def weekdays(self) -> frozenset[int]:
        return self._weekdays

    def is_open(self, local: datetime) -> bool:
        """Whether `local` (already in the department's time zone) is inside business hours."""
        return local.weekday() in self._weekdays and self.start <= local.time() < self.end


class Sla(StrictModel):
    claim: Duration = timedelta(minutes=15)
    first_response: Duration = timedelta(minutes=60)
    approval: Duration = timedelta(minutes=30)

    def clock(self, name: str) -> timedelta:
        """The SLA duration by clock name (`claim`, `first_response`, `approval`)."""
        if name not in SLA_CLOCKS:
            raise KeyError(name)
        value: timedelta = getattr(self, name)
        return value


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError(f"must be longer than 0s (got {format_duration(value)})")
    return value


PositiveDuration = Annotated[Duration, AfterValidator(_positive)]


class Threshold(StrictModel):
    """How many near-duplicate mentions, from different people, within how long, open a storm."""

    mentions: Annotated[int, Field(ge=2)] = 10
    within: PositiveDuration = timedelta(minutes=10)


def _subjects(value: Any) -> Any:
    # `keywords: [outage, [driftstörning, Störung]]`: a plain word is a subject of its own.
    if not isinstance(value, list):
        return value
    return [item if isinstance(item, list) else [item] for item in value]


class Crisis(StrictModel):
    """Storm detection (chatops/storm): near-duplicate mentions grouped per department.

    `keywords` lists subjects, each a word or a list of the same word in every language
    answered in: mentions naming one subject, in any of its words, join one storm whatever
    else they say (as do mentions sharing a link or a hashtag)."""

    threshold: Threshold = Threshold()
    quiet: PositiveDuration = timedelta(minutes=30)
    """A storm closes after this long without new members."""
    keywords: Annotated[
        list[Annotated[list[Text], Field(min_length=1)]], BeforeValidator(_subjects)
    ] = Field(default_factory=list)

    def over(self, own: Crisis | None) -> Crisis:
        """This config with what a department's own `crisis:` sets (key by key) on top."""
        if own is None:
            return self
        given = own.model_dump(exclude_unset=True)
        if not given:
            return self
        merged = self.model_dump()
        threshold = {**merged["threshold"], **given.pop("threshold", {})}
        return Crisis.model_validate({**merged, **given, "threshold": threshold})


class Department(StrictModel):
    id: Id
    name: str = ""
    channel: Id
    chat: ChatName | None = None
    """The chat this department lives in, when not `chat.backend` (Slack and Teams mixed)."""
    languages: list[Language] = Field(default_factory=list)
    escalate_to: list[Id] = Field(default_factory=list)
    hours: Hours | None = None
    sla: Sla = Sla()
    follow_up: Duration = timedelta(hours=24)
    timezone: TimeZoneName | None = None
    crisis: Crisis | None = None
    """Storm detection of this department where it differs from the top-level `crisis:`."""

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_id(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and not data.get("name") and "id" in data:
            return {**data, "name": str(as_id(data["id"]))}
        return data

    def tz(self, default: str | ZoneInfo) -> ZoneInfo:
        """The department's zone, else `default` (normally `Config.timezone`)."""
        if self.timezone:
            return ZoneInfo(self.timezone)
        return default if isinstance(default, ZoneInfo) else ZoneInfo(default)


class Match(StrictModel):
    """Conditions of one routing rule; every condition given must hold (AND)."""

    keywords: list[Text] = Field(default_factory=list)
    language: Language | None = None
    platform: Annotated[str, _one_of("platform", PLATFORMS)] | None = None
    account: Id | None = None
    regex: Regex | None = None
    kind: Annotated[str, _one_of("kind", KINDS)] | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Match:
        if not (self.keywords or self.model_dump(exclude_none=True, exclude={"keywords"})):
            raise ValueError(
                "empty match: give keywords, language, platform, account, regex or kind "
                "(use routing.default for the catch-all)"
            )
        return self


class Rule(StrictModel):
    match: Match
    to: Id
    # Compiled form of `match`, built once by chatops.routing on first use.
    _matcher: Any = PrivateAttr(default=None)


class Routing(StrictModel):
    rules: list[Rule] = Field(default_factory=list)
    default: Id


class Approval(StrictModel):
    approvers: list[Id] = Field(default_factory=list)
    sensitive_keywords: list[Text] = Field(default_factory=list)
    min_followers: Annotated[int, Field(ge=0)] | None = None
    departments: list[Id] = Field(default_factory=list)
    channel: Id | None = None
    """Every approval request goes to this comms channel (one copy, in the chat whose channel
    id it is) instead of to each approver directly (chatops/chat/inbox.py)."""


class EscalationTier(StrictModel):
    """One step of the chase: `after` an SLA clock (or a fixed delay) since posting, notify."""

    after: str
    notify: Annotated[list[Id], BeforeValidator(_listify), Field(min_length=1)]

    @field_validator("after", mode="before")
    @classmethod
    def _clock_or_duration(cls, value: Any) -> str:
        if isinstance(value, str) and value.strip() in SLA_CLOCKS:
            return value.strip()
        try:
            return format_duration(parse_duration(value))
        except ValueError:
            raise ValueError(
                f"bad 'after' value '{value}': use claim, first_response, approval "
                "or a duration like 4h"
            ) from None

    @property
    def clock(self) -> str | None:
        """The SLA clock this tier follows, or None for a fixed delay."""
        return self.after if self.after in SLA_CLOCKS else None

    def delay(self, sla: Sla) -> timedelta:
        """How long after posting this tier fires, for a department with this SLA."""
        return sla.clock(self.after) if self.after in SLA_CLOCKS else parse_duration(self.after)


def _default_escalation() -> list[EscalationTier]:
    return [
        EscalationTier(after="claim", notify=["channel"]),
        EscalationTier(after="first_response", notify=["escalate_to"]),
    ]


class Reminders(StrictModel):
    """The morning: each department's digest at `daily_at` (its own time zone), also as a
    direct message to its `escalate_to` people when `personal`; one overview of every
    department to `overview_to` (people, user groups or channels; empty: the approvers)."""

    daily_at: ClockTime = time(9, 0)
    personal: bool = False
    overview_to: list[Id] = Field(default_factory=list)


def _check_allowed_contact(value: str) -> str:
    value = value.strip()
    hits = find_pii(value)
    if len(hits) != 1 or (hits[0].start, hits[0].end) != (0, len(value)):
        raise ValueError(
            f"'{value}' is not one e-mail address, phone number or IBAN: list the brand's own "
            "contact details as they are written, e.g. support@acme.se or +46 8 123 45 67"
        )
    return value


AllowedContact = Annotated[str, AfterValidator(_check_allowed_contact)]


class PiiConfig(StrictModel):
    """Personal data that blocks public replies, and the brand's own details that do not.

    Order and booking numbers in every language we answer in are built in
    (`chatops.classify.pii`); `patterns` adds more. `allow` lists the brand's own e-mail
    addresses, phone numbers (and e.g. a donation IBAN), which a public reply may contain.
    """

    patterns: list[Regex] = Field(default_factory=lambda: list(DEFAULT_PII_PATTERNS))
    allow: list[AllowedContact] = Field(default_factory=list)
    repeat_warning_per_day: Annotated[int, Field(ge=1)] = 3
    _compiled: tuple[re.Pattern[str], ...] = PrivateAttr(default=())

    def model_post_init(self, context: Any, /) -> None:
        self._compiled = tuple(re.compile(pattern) for pattern in self.patterns)

    @property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        return self._compiled


class Flood(StrictModel):
    """Bursts from one source become one case with a counter (chatops/flood.py).

    More than `per_author` new mentions from one author within `window` (`spam_per_author`
    when the mention looks like spam) join the author's open case; more than
    `per_conversation` into one conversation are counted on its case instead of each posted."""

    window: Duration = timedelta(minutes=10)
    per_author: Annotated[int, Field(ge=1)] = 3
    per_conversation: Annotated[int, Field(ge=1)] = 5
    spam_per_author: Annotated[int, Field(ge=1)] = 1


def _covers_retries(value: timedelta) -> timedelta:
    longest = longest_retry()
    if value < longest:
        raise ValueError(
            f"must be at least {format_duration(longest)}, the longest webhook retry window of "
            f"a platform: a later retry would be taken as new (got {format_duration(value)})"
        )
    return value


class Retention(StrictModel):
    """How long the store keeps what it keeps only for a while (README "Running Redis").

    `dedupe`: the life of a webhook delivery's dedupe marker, at least the platforms' longest
    documented retry window (each `adapters/<name>.py` says its `RETRY_WINDOW`). `inbound` and
    `dead` are the ages past which the inbound and dead-letter streams are trimmed, `inbound_max`
    and `dead_max` their lengths; the inbound stream never loses an entry no worker has
    processed (it is kept, and counted and warned about instead)."""

    cases: PositiveDuration = timedelta(days=180)
    """How long closed cases are kept (DESIGN §4.4)."""
    dedupe: Annotated[Duration, AfterValidator(_covers_retries)] = timedelta(
        seconds=keys.SEEN_TTL_S
    )
    inbound: PositiveDuration = timedelta(days=7)
    inbound_max: Annotated[int, Field(ge=1000)] = 1_000_000
    dead: PositiveDuration = timedelta(days=30)
    dead_max: Annotated[int, Field(ge=100)] = 100_000


class KnowledgeFolder(StrictModel):
    """One folder of Markdown or plain-text files (FAQ, delivery and refund policies) that
    drafts draw on (chatops/knowledge). `path` is relative to the config file's folder; without
    `department` the folder serves every department."""

    path: Text
    department: Id | None = None


def _base_url(value: str) -> str:
    # Not echoed in the message: a URL may embed credentials.
    value = value.strip()
    if not value.startswith(("http://", "https://")):
        raise ValueError("must start with http:// or https:// (e.g. https://api.openai.com/v1)")
    return value.rstrip("/")


def _domain(value: str) -> str:
    value = value.strip().lower().removeprefix("www.")
    if not re.fullmatch(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}", value):
        raise ValueError(f"'{value}' is not a domain name like acme.se (no scheme, no path)")
    return value


class Llm(StrictModel):
    """An OpenAI-compatible chat-completions endpoint that suggests drafts (chatops/suggest):
    OpenAI, Azure OpenAI (`api_version` set: `api-key` header and `?api-version=`), or a local
    vLLM, Ollama or llama.cpp server. The key is read only from the variable `api_key_env`
    names (none for a local server without one); `timeout` bounds the whole suggestion,
    waits for a 429's Retry-After included."""

    base_url: Annotated[str, AfterValidator(_base_url)]
    model: Text
    api_key_env: EnvName | None = None
    timeout: PositiveDuration = timedelta(seconds=8)
    api_version: Text | None = None
    max_tokens: Annotated[int, Field(ge=16, le=4096)] = 400
    temperature: Annotated[float, Field(ge=0.0, le=2.0)] = 0.3
    concurrency: Annotated[int, Field(ge=1, le=64)] = 4
    """Suggestions requested from the model at once, per worker process."""


class Drafting(StrictModel):
    """How drafts are suggested beyond the templates (DESIGN §4.4 `drafting`).

    `tone` is the tone notes a model is given: one text for every department, or a mapping
    from department id to its own notes. `allowed_domains` are the only domains a suggested
    draft may link to (subdomains included); a suggestion linking anywhere else is not shown.
    """

    llm: Llm | None = None
    tone: str | dict[Id, str] = ""
    allowed_domains: list[Annotated[str, AfterValidator(_domain)]] = Field(default_factory=list)

    def tone_of(self, department: str) -> str:
        """The tone notes for one department ("" when none are written)."""
        if isinstance(self.tone, str):
            return self.tone.strip()
        return self.tone.get(department, "").strip()


_SECTIONS = (
    "chat",
    "platforms",
    "routing",
    "approval",
    "reminders",
    "pii",
    "escalation",
    "flood",
    "crisis",
    "retention",
    "knowledge",
    "drafting",
)


class Config(StrictModel):
    """The whole config file. Build it with `load_config` to get line-numbered problems."""

    timezone: TimeZoneName = "UTC"
    brand: str = ""
    chat: ChatConfig = ChatConfig()
    platforms: PlatformsConfig = PlatformsConfig()
    departments: Annotated[list[Department], Field(min_length=1)]
    routing: Routing
    approval: Approval = Approval()
    escalation: list[EscalationTier] = Field(default_factory=_default_escalation)
    reminders: Reminders = Reminders()
    pii: PiiConfig = PiiConfig()
    flood: Flood = Flood()
    crisis: Crisis = Crisis()
    reconcile_every: Duration = timedelta(minutes=15)
    """How often Facebook and Instagram are listed for what webhooks dropped (chatops/reconcile)."""
    retention: Retention = Retention()
    knowledge: list[KnowledgeFolder] = Field(default_factory=list)
    drafting: Drafting = Drafting()
    _folder: Path | None = PrivateAttr(default=None)
    _by_id: dict[str, Department] = PrivateAttr(default_factory=dict)
    _crisis: dict[str, Crisis] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fill_defaults(cls, data: Any) -> Any:
        # An empty section (`approval:` with everything commented out) means its defaults, and
        # a missing `routing.default` means the first department.
        if not isinstance(data, Mapping):
            return data
        data = {
            key: value for key, value in data.items() if key not in _SECTIONS or value is not None
        }
        routing = data.get("routing", {})
        departments = data.get("departments")
        if (
            isinstance(routing, Mapping)
            and "default" not in routing
            and isinstance(departments, list)
            and departments
            and isinstance(departments[0], Mapping)
            and "id" in departments[0]
        ):
            data["routing"] = {**routing, "default": departments[0]["id"]}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Config:
        errors = reference_errors(self.model_dump())
        if errors:
            raise PydanticCustomError(
                "config_references", "{details}", {"details": "; ".join(m for _, m in errors)}
            )
        return self

    def model_post_init(self, context: Any, /) -> None:
        self._by_id = {department.id: department for department in self.departments}
        self._crisis = {d.id: self.crisis.over(d.crisis) for d in self.departments}

    def department(self, department_id: str) -> Department:
        """The department with this id; KeyError if there is none."""
        try:
            return self._by_id[department_id]
        except KeyError:
            raise KeyError(f"unknown department {department_id!r}") from None

    def crisis_of(self, department_id: str) -> Crisis:
        """Storm detection settings of one department: its own `crisis:` over the top level."""
        try:
            return self._crisis[department_id]
        except KeyError:
            raise KeyError(f"unknown department {department_id!r}") from None

    @property
    def folder(self) -> Path:
        """Where relative paths in the config (`knowledge[].path`) start: the config file's
        folder, or the working directory for a config that was given as text."""
        return self._folder if self._folder is not None else Path.cwd()

    def knowledge_folders(self) -> list[Folder]:
        """`knowledge:` with each path resolved from the config file's folder."""
        return [
            Folder(entry.path, self.folder / entry.path, entry.department)
            for entry in self.knowledge
        ]

    def located(self, folder: Path) -> Config:
        """This config, read from a file in `folder` (set once by the loader)."""
        self._folder = folder
        return self

    @property
    def default_department(self) -> Department:
        return self._by_id[self.routing.default]

    @property
    def department_ids(self) -> list[str]:
        return [department.id for department in self.departments]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def department_tz(self, department_id: str) -> ZoneInfo:
        return self.department(department_id).tz(self.timezone)

    @property
    def overview_to(self) -> list[str]:
        """Who gets the morning overview: `reminders.overview_to`, else the approvers."""
        return list(self.reminders.overview_to or self.approval.approvers)

    def chat_of(self, department_id: str) -> str:
        """The chat backend the department's cases are shown in."""
        return self.department(department_id).chat or self.chat.backend

    @property
    def chats(self) -> list[str]:
        """Every chat backend some department uses, `chat.backend` first when used."""
        used: list[str] = [d.chat or self.chat.backend for d in self.departments]
        return sorted(set(used), key=lambda name: (name != self.chat.backend, used.index(name)))


def _entries(section: Any, key: str) -> list[tuple[int, Any]]:
    items = section.get(key) if isinstance(section, Mapping) else None
    return list(enumerate(items)) if isinstance(items, list) else []


def reference_errors(data: Any) -> list[tuple[Loc, str]]:
    """Duplicate department ids and references to unknown departments, as (loc, message).

    Works on plain data (parsed YAML or `Config.model_dump()`), skipping anything malformed:
    the schema reports that, this only reports what the schema cannot see.
    """
    if not isinstance(data, Mapping):
        return []
    errors: list[tuple[Loc, str]] = []
    known: dict[str, int] = {}
    for index, department in _entries(data, "departments"):
        raw = as_id(department.get("id")) if isinstance(department, Mapping) else None
        if not isinstance(raw, str) or not raw:
            continue
        if raw in known:
            errors.append(
                (
                    ("departments", index, "id"),
                    f"duplicate department id '{raw}' (also departments[{known[raw]}])",
                )
            )
        else:
            known[raw] = index
    if not known:
        return errors
    listing = ", ".join(list(known)[:12]) + (", …" if len(known) > 12 else "")

    def check(loc: Loc, value: Any) -> None:
        value = as_id(value)
        if isinstance(value, str) and value and value not in known:
            errors.append((loc, f"unknown department '{value}' (known: {listing})"))

    routing = data.get("routing")
    for index, rule in _entries(routing, "rules"):
        if isinstance(rule, Mapping):
            check(("routing", "rules", index, "to"), rule.get("to"))
    if isinstance(routing, Mapping):
        check(("routing", "default"), routing.get("default"))
    for index, department_id in _entries(data.get("approval"), "departments"):
        check(("approval", "departments", index), department_id)
    for index, folder in _entries(data, "knowledge"):
        if isinstance(folder, Mapping):
            check(("knowledge", index, "department"), folder.get("department"))
    drafting = data.get("drafting")
    tone = drafting.get("tone") if isinstance(drafting, Mapping) else None
    if isinstance(tone, Mapping):
        for department_id in tone:
            check(("drafting", "tone", str(department_id)), department_id)
    return errors
