"""The config file (DESIGN §4.4): schema, loading with line-numbered problems, and checks.

Load it with `load_config(path)`; `check_config(path, env)` adds environment checks for
`chatops check-config`. Everything here is immutable once loaded.
"""

from adapters.base import Account
from chatops.config.check import check_config, check_config_text
from chatops.config.loader import (
    ConfigError,
    Problem,
    demo_config_text,
    load_config,
    load_config_text,
    load_demo_config,
)
from chatops.config.models import (
    BACKENDS,
    KINDS,
    NOTIFY_TARGETS,
    PLATFORMS,
    SLA_CLOCKS,
    Approval,
    ChatConfig,
    Config,
    Crisis,
    Department,
    EscalationTier,
    Hours,
    Match,
    PiiConfig,
    PlatformsConfig,
    Reminders,
    Routing,
    Rule,
    Sla,
    Threshold,
)
from chatops.durations import Duration, format_duration, parse_duration

__all__ = [
    "BACKENDS",
    "KINDS",
    "NOTIFY_TARGETS",
    "PLATFORMS",
    "SLA_CLOCKS",
    "Account",
    "Approval",
    "ChatConfig",
    "Config",
    "ConfigError",
    "Crisis",
    "Department",
    "Duration",
    "EscalationTier",
    "Hours",
    "Match",
    "PiiConfig",
    "PlatformsConfig",
    "Problem",
    "Reminders",
    "Routing",
    "Rule",
    "Sla",
    "Threshold",
    "check_config",
    "check_config_text",
    "demo_config_text",
    "format_duration",
    "load_config",
    "load_config_text",
    "load_demo_config",
    "parse_duration",
]
