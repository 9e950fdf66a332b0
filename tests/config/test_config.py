"""The config file: durations, schema, line-numbered problems, and `check-config`."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import BaseModel, ValidationError

from adapters.x import XConfig
from chatops.config import (
    Config,
    ConfigError,
    Duration,
    Problem,
    check_config,
    check_config_text,
    demo_config_text,
    format_duration,
    load_config,
    load_config_text,
    load_demo_config,
    parse_duration,
)
from chatops.config.models import parse_days

DESIGN_EXAMPLE = """\
timezone: Europe/Stockholm            # default for departments
chat:
  backend: slack                      # slack | teams | console
platforms:
  facebook:
    pages: [{id: "1122334455", name: "Acme Sverige", token_env: FB_PAGE_TOKEN_SE}]
  instagram:
    accounts: [{id: "17841400000000000", name: "acme.se", token_env: FB_PAGE_TOKEN_SE}]
  x:
    accounts: [{id: "2244994945", handle: acme}]
    track: ["acme", "#acmefail"]       # keyword listening: matches without an @mention
    poll_every: 60s
  viber: {}
  sandbox: {}
departments:
  - id: social                        # the default owner
    name: Social team
    channel: C0SOCIAL                 # Slack channel id, or Teams channel id
    languages: [sv, en]
    escalate_to: ["S0SOCIALLEAD"]     # Slack user-group ids (S…) or user ids (U…); Teams: AAD object ids
    hours: {days: mon-fri, start: "08:00", end: "17:00"}   # omitted = 24/7
    sla: {claim: 15m, first_response: 60m, approval: 30m}
    follow_up: 24h                    # re-check a published case after this
  - id: billing
    name: Billing
    channel: C0BILLING
    escalate_to: ["U0BILLINGLEAD"]
  - {id: support-de, name: Kundendienst, channel: C0SUPPORTDE, languages: [de], timezone: Europe/Berlin}
  - {id: legal, name: Legal, channel: C0LEGAL}
routing:
  rules:                              # first match wins
    - {match: {keywords: [faktura, invoice, refund, Rechnung, račun, счёт]}, to: billing}
    - {match: {language: de}, to: support-de}
    - {match: {platform: viber, account: "..."}, to: social}
    - {match: {regex: "(?i)order\\\\s*#?\\\\d{6}"}, to: billing}
  default: social                     # where nothing matches
approval:
  approvers: ["S0COMMS"]              # who may approve sensitive replies
  sensitive_keywords: [lawsuit, GDPR, journalist, police, injury]
  min_followers: 10000                # authors above this always need approval
  departments: [legal]                # every reply from these needs approval
escalation:                           # tiers after the case is posted; times in department hours
  - {after: claim, notify: channel}          # unclaimed past sla.claim: @here in the thread
  - {after: first_response, notify: escalate_to}
  - {after: 4h, notify: approvers}
reminders:
  daily_at: "09:00"                   # each department's local time
  personal: true                      # the digest also as a DM to each department's escalate_to
  overview_to: ["S0COMMS"]            # one cross-department overview each morning
crisis:
  threshold: {mentions: 10, within: 10m}   # near-duplicates that open a storm thread
  quiet: 30m                          # a storm closes after this long without new members
"""  # noqa: E501 (verbatim from DESIGN §4.4)

FULL_ENV = {
    "FB_PAGE_TOKEN_SE": "page-token",
    "SLACK_BOT_TOKEN": "xoxb-1",
    "SLACK_SIGNING_SECRET": "signing",
    "FACEBOOK_APP_SECRET": "app-secret",
    "FACEBOOK_VERIFY_TOKEN": "verify",
    "X_CONSUMER_SECRET": "consumer",
    "X_BEARER_TOKEN": "bearer",
    "X_ACCESS_TOKEN": "x-user-token",
    "VIBER_AUTH_TOKEN": "viber",
    "SANDBOX_SECRET": "not-the-public-default",
}

MINIMAL = """\
departments: [{id: social, name: Social, channel: C0SOCIAL}]
routing: {default: social}
"""

# Line numbers matter below: keep this text as it is.
MANY_ERRORS = """\
chat:
  backend: slack
platforms:
  facebook:
    pages: [{id: 1122334455, token_env: FB_PAGE_TOKEN_XX}]
departments:
  - id: social
    channel: C0SOCIAL
    sla: {claim: 15x}
  - id: billing
    chanel: C0BILLING
  - id: social
    channel: general
routing:
  rules:
    - {match: {keywords: [faktura]}, to: billng}
  default: social
"""


def str_problems(problems: list[Problem]) -> list[str]:
    return [str(problem) for problem in problems]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("15m", timedelta(minutes=15)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1.5h", timedelta(minutes=90)),
        (" 30 M ", timedelta(minutes=30)),
        ("0s", timedelta(0)),
        (45, timedelta(seconds=45)),
        (timedelta(minutes=3), timedelta(minutes=3)),
    ],
)
def test_parse_duration_accepts(text: str | int | timedelta, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "bad duration '': use a number with s, m, h or d, like 15m"),
        ("5", "bad duration '5': add a unit: s, m, h or d"),
        ("1w", "bad duration '1w': use s, m, h or d"),
        ("15x", "bad duration '15x': use s, m, h or d"),
        ("-3m", "bad duration '-3m': must not be negative"),
        ("m", "bad duration 'm': use a number with s, m, h or d, like 15m"),
        ("1h30m", "bad duration '1h30m': use a number with s, m, h or d, like 15m"),
        (-5, "bad duration '-5': must be a non-negative number of seconds"),
        (True, "bad duration 'True': use a number with s, m, h or d, like 15m"),
    ],
)
def test_parse_duration_rejects(text: str | int, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration(text)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=15), "15m"),
        (timedelta(minutes=90), "90m"),
        (timedelta(hours=24), "1d"),
        (timedelta(seconds=90), "90s"),
        (timedelta(seconds=1.5), "1.5s"),
        (timedelta(0), "0s"),
    ],
)
def test_format_duration_round_trips(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(text) == value


def test_duration_type_in_a_model() -> None:
    class Timer(BaseModel):
        every: Duration

    assert Timer.model_validate({"every": "2h"}).every == timedelta(hours=2)
    assert Timer.model_validate({"every": 30}).model_dump(mode="json") == {"every": "30s"}
    with pytest.raises(ValidationError, match="bad duration '2x'"):
        Timer.model_validate({"every": "2x"})


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat,sun", {5, 6}),
        ("fri-mon", {4, 5, 6, 0}),
        ("Mon, Wed-Thu", {0, 2, 3}),
        ("sun", {6}),
    ],
)
def test_parse_days(spec: str, days: set[int]) -> None:
    assert parse_days(spec) == frozenset(days)


def test_design_example_loads_with_its_meaning() -> None:
    config = load_config_text(DESIGN_EXAMPLE)

    assert config.timezone == "Europe/Stockholm"
    assert config.chat.backend == "slack"
    assert config.platforms.enabled() == ["facebook", "instagram", "sandbox", "viber", "x"]
    assert config.platforms.accounts("facebook")[0].token_env == "FB_PAGE_TOKEN_SE"
    x = config.platforms.section("x")
    assert isinstance(x, XConfig)
    assert x.accounts[0].handle == "acme"
    assert x.track == ["acme", "#acmefail"]
    assert x.poll_every == timedelta(seconds=60)
    assert config.department_ids == ["social", "billing", "support-de", "legal"]
    assert config.default_department.id == "social"

    social = config.department("social")
    assert social.hours is not None
    assert social.hours.weekdays == frozenset(range(5))
    assert (social.hours.start, social.hours.end) == (time(8), time(17))
    assert social.hours.is_open(datetime(2026, 11, 23, 8, 0))  # a Monday
    assert not social.hours.is_open(datetime(2026, 11, 23, 17, 0))
    assert not social.hours.is_open(datetime(2026, 11, 22, 12, 0))  # a Sunday
    assert social.sla.first_response == timedelta(hours=1)
    assert social.follow_up == timedelta(hours=24)

    billing = config.department("billing")
    assert billing.hours is None
    assert billing.sla.claim == timedelta(minutes=15)
    assert config.department_tz("support-de") == ZoneInfo("Europe/Berlin")
    assert config.department_tz("billing") == ZoneInfo("Europe/Stockholm")

    assert [rule.to for rule in config.routing.rules] == [
        "billing",
        "support-de",
        "social",
        "billing",
    ]
    assert config.routing.rules[3].match.regex == r"(?i)order\s*#?\d{6}"
    assert config.approval.min_followers == 10000
    assert config.approval.departments == ["legal"]
    assert [tier.delay(social.sla) for tier in config.escalation] == [
        timedelta(minutes=15),
        timedelta(hours=1),
        timedelta(hours=4),
    ]
    assert config.escalation[1].notify == ["escalate_to"]
    assert config.reminders.daily_at == time(9, 0)
    assert config.reminders.personal is True
    assert config.overview_to == ["S0COMMS"]
    assert config.crisis.threshold.mentions == 10
    assert config.crisis.threshold.within == timedelta(minutes=10)
    assert config.crisis.quiet == timedelta(minutes=30)
    assert config.crisis_of("legal") == config.crisis


def test_design_example_checks_clean_with_full_env() -> None:
    assert check_config_text(DESIGN_EXAMPLE, FULL_ENV) == []


def test_design_example_reports_missing_env_where_it_is_needed() -> None:
    env = {**FULL_ENV, "VIBER_AUTH_TOKEN": "", "SLACK_SIGNING_SECRET": ""}
    del env["FB_PAGE_TOKEN_SE"]

    assert str_problems(check_config_text(DESIGN_EXAMPLE, env)) == [
        "chatops.yaml:3: chat.backend: env variable SLACK_SIGNING_SECRET is not set "
        "(needed by the slack backend)",
        "chatops.yaml:6: platforms.facebook.pages[0].token_env: "
        "env variable FB_PAGE_TOKEN_SE is not set",
        "chatops.yaml:8: platforms.instagram.accounts[0].token_env: "
        "env variable FB_PAGE_TOKEN_SE is not set",
        "chatops.yaml:13: platforms.viber: env variable VIBER_AUTH_TOKEN is not set "
        "(needed by viber)",
    ]


def test_platform_secrets_shared_by_facebook_and_instagram_are_reported_once() -> None:
    problems = check_config_text(DESIGN_EXAMPLE, {"FB_PAGE_TOKEN_SE": "t"})

    assert (
        "chatops.yaml:5: platforms.facebook: env variable FACEBOOK_APP_SECRET is not set "
        "(needed by facebook, instagram)"
    ) in str_problems(problems)
    assert sum("FACEBOOK_APP_SECRET" in problem.message for problem in problems) == 1


def test_slack_socket_mode_needs_no_signing_secret() -> None:
    env = {**FULL_ENV, "SLACK_APP_TOKEN": "xapp-1"}
    del env["SLACK_SIGNING_SECRET"]

    assert check_config_text(DESIGN_EXAMPLE, env) == []
    del env["SLACK_BOT_TOKEN"]
    assert [problem.message for problem in check_config_text(DESIGN_EXAMPLE, env)] == [
        "env variable SLACK_BOT_TOKEN is not set (needed by the slack backend)"
    ]


def test_many_problems_are_reported_at_once_with_paths_and_lines() -> None:
    problems = str_problems(check_config_text(MANY_ERRORS, {}))

    assert problems == [
        "chatops.yaml:2: chat.backend: env variable SLACK_BOT_TOKEN is not set "
        "(needed by the slack backend)",
        "chatops.yaml:2: chat.backend: env variable SLACK_SIGNING_SECRET is not set "
        "(needed by the slack backend)",
        "chatops.yaml:4: platforms.facebook: env variable FACEBOOK_APP_SECRET is not set "
        "(needed by facebook)",
        "chatops.yaml:4: platforms.facebook: env variable FACEBOOK_VERIFY_TOKEN is not set "
        "(needed by facebook)",
        "chatops.yaml:5: platforms.facebook.pages[0].token_env: "
        "env variable FB_PAGE_TOKEN_XX is not set",
        "chatops.yaml:9: departments[0].sla.claim: bad duration '15x': use s, m, h or d",
        "chatops.yaml:10: departments[1]: missing key 'channel'",
        "chatops.yaml:11: departments[1]: unknown key 'chanel' (did you mean 'channel'?)",
        "chatops.yaml:12: departments[2].id: duplicate department id 'social' "
        "(also departments[0])",
        "chatops.yaml:13: departments[2].channel: 'general' does not look like a Slack channel "
        "id (like C0123ABCD; use the id, not the #name)",
        "chatops.yaml:16: routing.rules[0].to: unknown department 'billng' "
        "(known: social, billing)",
    ]


def test_load_config_raises_every_problem_without_env_checks() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config_text(MANY_ERRORS, "prod.yaml")

    assert [(p.line, p.path) for p in caught.value.problems] == [
        (9, "departments[0].sla.claim"),
        (10, "departments[1]"),
        (11, "departments[1]"),
        (12, "departments[2].id"),
        (16, "routing.rules[0].to"),
    ]
    assert str(caught.value).splitlines()[0] == (
        "prod.yaml:9: departments[0].sla.claim: bad duration '15x': use s, m, h or d"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "departments:\n  - id: social\n    channel: [C0SOCIAL\nrouting: {}\n",
            "chatops.yaml:4: invalid YAML: expected ',' or ']', but got ':'",
        ),
        (
            "departments:\n  - id: a\n\tchannel: b\n",
            "chatops.yaml:3: invalid YAML: found character '\\t' that cannot start any token",
        ),
        ("# only a comment\n", "chatops.yaml: the file is empty"),
        ("- just\n- a list\n", "chatops.yaml:1: the top level must be a mapping of `key: value`"),
    ],
)
def test_unparseable_files_give_one_problem_with_the_parser_line(text: str, expected: str) -> None:
    assert str_problems(check_config_text(text, {})) == [expected]


def test_a_missing_file_is_one_problem(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"

    problems = check_config(missing, {})

    assert str_problems(problems) == [
        f"{missing}: cannot read the file (No such file or directory)"
    ]
    with pytest.raises(ConfigError):
        load_config(missing)


def test_check_config_reads_a_path_and_names_it(tmp_path: Path) -> None:
    path = tmp_path / "chatops.yaml"
    path.write_text(MINIMAL.replace("routing: {default: social}", "routing: {default: socal}"))

    assert str_problems(check_config(str(path), {})) == [
        f"{path}:2: routing.default: unknown department 'socal' (known: social)"
    ]
    with pytest.raises(ConfigError, match="unknown department 'socal'"):
        load_config(path)


def test_demo_config_needs_only_a_sandbox_secret_of_its_own() -> None:
    assert check_config_text(demo_config_text(), {"SANDBOX_SECRET": "own"}) == []
    # Outside `chatops demo`, the sandbox's public default secret is refused.
    assert [p.path for p in check_config_text(demo_config_text(), {})] == ["platforms.sandbox"]
    demo = load_demo_config()
    assert demo.chat.backend == "console"
    assert demo.platforms.enabled() == ["sandbox"]
    assert demo.department("social").languages == ["sv", "en", "no", "da"]
    assert demo.department("support-de").tz(demo.timezone) == ZoneInfo("Europe/Berlin")
    assert demo.brand == "Acme"


def test_a_minimal_config_gets_sensible_defaults() -> None:
    config = load_config_text(MINIMAL)

    assert config.timezone == "UTC"
    assert config.chat.backend == "console"
    assert config.platforms.enabled() == []
    assert config.department("social").sla.approval == timedelta(minutes=30)
    assert [(tier.after, tier.notify) for tier in config.escalation] == [
        ("claim", ["channel"]),
        ("first_response", ["escalate_to"]),
    ]
    assert config.reminders.daily_at == time(9, 0)
    assert config.pii.repeat_warning_per_day == 3
    assert config.pii.compiled[0].search("Where is ORDER #123456?")
    assert config.pii.compiled[1].search("booking no: AB12CD")
    assert check_config_text(MINIMAL, {}) == []


def test_routing_default_falls_back_to_the_first_department() -> None:
    config = load_config_text("departments: [{id: first, channel: c1}, {id: second, channel: c2}]")

    assert config.routing.default == "first"
    assert config.department("first").name == "first"


def test_yaml_1_1_surprises_are_avoided() -> None:
    text = MINIMAL + (
        "reminders: {daily_at: 9:30}\n"
        "platforms:\n  sandbox:\n    accounts: [{id: 0123}, {id: 42}]\n"
        "approval: {sensitive_keywords: [on, off, yes]}\n"
    )
    text = text.replace("channel: C0SOCIAL}", "channel: C0SOCIAL, languages: [no, sv]}")

    config = load_config_text(text)

    assert config.department("social").languages == ["no", "sv"]
    assert config.reminders.daily_at == time(9, 30)
    assert [account.id for account in config.platforms.accounts("sandbox")] == ["0123", "42"]
    assert config.approval.sensitive_keywords == ["on", "off", "yes"]


def test_duplicate_yaml_keys_are_problems() -> None:
    text = MINIMAL + "chat:\n  backend: teams\n  backend: console\n"

    assert str_problems(check_config_text(text, {})) == [
        "chatops.yaml:5: chat: duplicate key 'backend' (also at line 4)"
    ]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "timezone: Europe/Stokholm\n",
            "chatops.yaml:2: timezone: unknown time zone 'Europe/Stokholm'",
        ),
        (
            "chat: {backend: slak}\n",
            "chatops.yaml:2: chat.backend: must be 'slack', 'teams' or 'console' (got 'slak')",
        ),
        (
            "reminders: {daily_at: '25:00'}\n",
            "chatops.yaml:2: reminders.daily_at: bad time '25:00': use HH:MM, like 09:00",
        ),
        (
            "escalation: [{after: 4x, notify: channel}]\n",
            "chatops.yaml:2: escalation[0].after: bad 'after' value '4x': "
            "use claim, first_response, approval or a duration like 4h",
        ),
        (
            "escalation: [{after: 4h, notify: []}]\n",
            "chatops.yaml:2: escalation[0].notify: must not be empty",
        ),
        (
            "routing:\n  rules: [{match: {}, to: social}]\n",
            "chatops.yaml:3: routing.rules[0].match: empty match: give keywords, language, "
            "platform, account, regex or kind (use routing.default for the catch-all)",
        ),
        (
            "routing:\n  rules: [{match: {regex: '(oops'}, to: social}]\n",
            "chatops.yaml:3: routing.rules[0].match.regex: bad regex '(oops': "
            "missing ), unterminated subpattern at position 0",
        ),
        (
            "routing:\n  rules: [{match: {platform: tiktok}, to: social}]\n",
            "chatops.yaml:3: routing.rules[0].match.platform: unknown platform 'tiktok' "
            "(known: facebook, instagram, sandbox, viber, x)",
        ),
        (
            "approval: {departments: [legal]}\n",
            "chatops.yaml:2: approval.departments[0]: unknown department 'legal' (known: social)",
        ),
        (
            "pii: {patterns: ['[a-']}\n",
            "chatops.yaml:2: pii.patterns[0]: bad regex '[a-': "
            "unterminated character set at position 0",
        ),
        (
            "crisis: {threshold: {mentions: 1}}\n",
            "chatops.yaml:2: crisis.threshold.mentions: must be at least 2",
        ),
        (
            "crisis: {threshold: {within: 10x}}\n",
            "chatops.yaml:2: crisis.threshold.within: bad duration '10x': use s, m, h or d",
        ),
        (
            "crisis: {quiet: 0m}\n",
            "chatops.yaml:2: crisis.quiet: must be longer than 0s (got 0s)",
        ),
        (
            "crisis: {keywords: [[]]}\n",
            "chatops.yaml:2: crisis.keywords[0]: must not be empty",
        ),
        (
            "crisis: {treshold: {mentions: 5}}\n",
            "chatops.yaml:2: crisis: unknown key 'treshold' (did you mean 'threshold'?)",
        ),
        (
            "colour: blue\n",
            "chatops.yaml:2: unknown key 'colour'",
        ),
    ],
)
def test_single_mistakes_read_like_sentences(extra: str, expected: str) -> None:
    text = MINIMAL.replace("routing: {default: social}\n", "") + extra

    assert expected in str_problems(check_config_text(text, {}))


def test_a_department_overrides_crisis_settings_key_by_key() -> None:
    config = load_config_text(
        """\
departments:
  - {id: social, channel: C0SOCIAL}
  - id: billing
    channel: C0BILLING
    crisis: {threshold: {mentions: 3}, keywords: [faktura]}
  - {id: legal, channel: C0LEGAL, crisis: {quiet: 2h}}
crisis:
  threshold: {within: 5m}
  keywords: [[driftstörning, outage, Störung], login]
"""
    )
    social, billing, legal = (config.crisis_of(d) for d in ("social", "billing", "legal"))
    assert (social.threshold.mentions, social.threshold.within) == (10, timedelta(minutes=5))
    assert social.quiet == timedelta(minutes=30)
    assert social.keywords == [["driftstörning", "outage", "Störung"], ["login"]]
    assert (billing.threshold.mentions, billing.threshold.within) == (3, timedelta(minutes=5))
    assert billing.keywords == [["faktura"]]
    assert legal.quiet == timedelta(hours=2) and legal.keywords == social.keywords


def test_a_departments_crisis_settings_are_checked_where_they_are() -> None:
    text = MINIMAL.replace(
        "channel: C0SOCIAL}", "channel: C0SOCIAL, crisis: {quiet: 5x, threshold: {mentions: 0}}}"
    )
    assert str_problems(check_config_text(text, {})) == [
        "chatops.yaml:1: departments[0].crisis.threshold.mentions: must be at least 2",
        "chatops.yaml:1: departments[0].crisis.quiet: bad duration '5x': use s, m, h or d",
    ]


def test_at_least_one_department_is_needed() -> None:
    assert str_problems(check_config_text("departments: []\n", {})) == [
        "chatops.yaml: missing key 'routing'",
        "chatops.yaml:1: departments: must not be empty",
    ]


def test_hours_must_not_cross_midnight() -> None:
    text = MINIMAL.replace(
        "channel: C0SOCIAL}", "channel: C0SOCIAL, hours: {start: '17:00', end: '08:00'}}"
    )

    assert str_problems(check_config_text(text, {})) == [
        "chatops.yaml:1: departments[0].hours: start 17:00 must be before end 08:00 "
        "(hours across midnight are not supported)"
    ]


def test_a_token_pasted_into_token_env_is_never_echoed() -> None:
    secret = "EAAB-this-is-a-real-page-token"
    text = MINIMAL + f"platforms:\n  facebook:\n    pages: [{{id: 1, token_env: '{secret}'}}]\n"

    problems = check_config_text(text, {})

    assert "platforms.facebook.pages[0].token_env" in [problem.path for problem in problems]
    assert all(secret not in str(problem) for problem in problems)


def test_empty_env_values_count_as_unset() -> None:
    text = MINIMAL + "platforms:\n  viber:\n"

    assert [problem.message for problem in check_config_text(text, {"VIBER_AUTH_TOKEN": ""})] == [
        "env variable VIBER_AUTH_TOKEN is not set (needed by viber)"
    ]
    assert check_config_text(text, {"VIBER_AUTH_TOKEN": "t"}) == []


def test_slack_ids_are_checked_for_people_too() -> None:
    text = (
        "chat: {backend: slack}\n"
        "departments: [{id: social, channel: C0SOCIAL, escalate_to: [U0LEAD01, jane]}]\n"
        "approval: {approvers: [comms]}\n"
        "escalation: [{after: 2h, notify: [channel, U0BOSS01, '@boss']}]\n"
    )
    env = {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"}

    assert str_problems(check_config_text(text, env)) == [
        "chatops.yaml:2: departments[0].escalate_to[1]: 'jane' does not look like a Slack user "
        "or user-group id (U…, W… or S…)",
        "chatops.yaml:3: approval.approvers[0]: 'comms' does not look like a Slack user "
        "or user-group id (U…, W… or S…)",
        "chatops.yaml:4: escalation[0].notify[2]: '@boss' does not look like a Slack user "
        "or user-group id (U…, W… or S…)",
    ]


def test_reminders_send_no_personal_digests_and_the_overview_to_approvers_by_default() -> None:
    config = load_config_text(MINIMAL + "approval: {approvers: [U0COMMS01]}\n")
    assert (config.reminders.personal, config.reminders.overview_to) == (False, [])
    assert config.overview_to == ["U0COMMS01"]
    assert load_config_text(MINIMAL).overview_to == []


def test_overview_to_takes_people_groups_and_channels_of_the_chats_in_use() -> None:
    text = (
        "chat: {backend: slack}\n"
        "departments: [{id: social, channel: C0SOCIAL}]\n"
        "reminders: {personal: true, overview_to: [S0COMMS, U0LEAD01, C0LEADS1, '#leads']}\n"
    )
    env = {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"}
    assert str_problems(check_config_text(text, env)) == [
        "chatops.yaml:3: reminders.overview_to[3]: '#leads' does not look like a Slack user, "
        "user-group or channel id (U…, W…, S… or C…)"
    ]
    aad = "4f1c2b3a-0d9e-4c8b-9a7f-6e5d4c3b2a10"
    teams = (
        "chat: {backend: teams}\n"
        "departments: [{id: social, channel: '19:abc@thread.tacv2'}]\n"
        f"reminders: {{overview_to: [{aad}, '19:leads@thread.tacv2', C0LEADS1]}}\n"
    )
    env = {"MicrosoftAppId": "a", "MicrosoftAppPassword": "p", "MicrosoftAppType": "MultiTenant"}
    assert str_problems(check_config_text(teams, env)) == [
        "chatops.yaml:3: reminders.overview_to[2]: 'C0LEADS1' does not look like a Teams user's "
        "AAD object id or a Teams channel id (19:…@thread.tacv2)"
    ]


def test_teams_channels_and_env() -> None:
    text = (
        "chat: {backend: teams}\n"
        "departments:\n"
        "  - {id: social, channel: '19:abc@thread.tacv2'}\n"
        "  - {id: billing, channel: C0BILLING}\n"
    )
    env = {"MicrosoftAppId": "app", "MicrosoftAppType": "SingleTenant"}

    assert str_problems(check_config_text(text, env)) == [
        "chatops.yaml:1: chat.backend: env variable MicrosoftAppPassword is not set "
        "(needed by the teams backend)",
        "chatops.yaml:1: chat.backend: env variable MicrosoftAppTenantId is not set "
        "(needed by the teams backend)",
        "chatops.yaml:4: departments[1].channel: 'C0BILLING' does not look like a Teams "
        "channel id (19:…@thread.tacv2)",
    ]


def test_approval_nobody_can_give_is_reported() -> None:
    text = (
        MINIMAL
        + "approval: {departments: [social]}\nescalation: [{after: 1h, notify: approvers}]\n"
    )

    assert str_problems(check_config_text(text, {})) == [
        "chatops.yaml:3: approval: replies can need approval, but approval.approvers is empty",
        "chatops.yaml:4: escalation[0].notify: notifies approvers, but approval.approvers is empty",
    ]


def test_bad_environment_values_are_reported_without_echoing_urls() -> None:
    env = {"PORT": "eighty", "REDIS_URL": "http://:hunter2@redis"}

    assert str_problems(check_config_text(MINIMAL, env)) == [
        "environment: REDIS_URL: must start with redis://, rediss://, unix:// or redis+sentinel://",
        "environment: PORT: must be a whole number from 1 to 65535 (got 'eighty')",
    ]


def test_a_config_never_holds_dangling_references() -> None:
    data = {
        "departments": [{"id": "social", "channel": "c"}],
        "routing": {"default": "social", "rules": [{"match": {"kind": "dm"}, "to": "vip"}]},
    }

    with pytest.raises(ValidationError, match="unknown department 'vip'"):
        Config.model_validate(data)


def test_department_lookup() -> None:
    config = load_config_text(MINIMAL)

    assert config.department("social").channel == "C0SOCIAL"
    with pytest.raises(KeyError, match="billing"):
        config.department("billing")


def test_problem_without_line_or_path() -> None:
    assert str(Problem("a.yaml", None, "", "the file is empty")) == "a.yaml: the file is empty"
    assert str(Problem("a.yaml", 3, "x.y", "bad")) == "a.yaml:3: x.y: bad"


def test_approval_channel_is_a_channel_of_a_chat_in_use() -> None:
    slack = (
        "chat: {backend: slack}\n"
        "departments: [{id: social, channel: C0SOCIAL}]\n"
        "approval: {approvers: [U0COMMS01], channel: '#comms'}\n"
    )
    env = {"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "y"}
    assert str_problems(check_config_text(slack, env)) == [
        "chatops.yaml:3: approval.channel: '#comms' does not look like a Slack channel id (C…)"
    ]
    assert check_config_text(slack.replace("'#comms'", "C0COMMSAPPR"), env) == []
    assert load_config_text(slack.replace("'#comms'", "C0COMMSAPPR")).approval.channel == (
        "C0COMMSAPPR"
    )
    mixed = slack.replace(
        "[{id: social, channel: C0SOCIAL}]",
        "[{id: social, channel: C0SOCIAL}, {id: legal, chat: teams, channel: '19:l@thread.tacv2'}]",
    ).replace("'#comms'", "'19:comms@thread.tacv2'")
    teams_env = {
        **env,
        "MicrosoftAppId": "a",
        "MicrosoftAppPassword": "p",
        "MicrosoftAppType": "MultiTenant",
    }
    assert [p for p in check_config_text(mixed, teams_env) if p.path == "approval.channel"] == []
