"""Prometheus metrics of one process, on a registry of its own (no import-time globals)."""

from __future__ import annotations

import functools

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.webhooks = Counter(
            "chatops_webhooks",
            "Inbound webhook requests by platform and outcome",
            ["platform", "outcome"],
            registry=self.registry,
        )
        self.mentions = Counter(
            "chatops_mentions_ingested",
            "Mentions appended to the inbound stream (after dedupe)",
            ["platform"],
            registry=self.registry,
        )
        self.items_skipped = Counter(
            "chatops_webhook_items_skipped",
            "Webhook items that could not become mentions, kept in the dead-letter stream",
            ["platform", "reason"],
            registry=self.registry,
        )
        self.ingest_latency = Histogram(
            "chatops_ingest_seconds",
            "Time from webhook request to acknowledgement",
            ["platform"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.open_cases = Gauge(
            "chatops_cases",
            "Cases by department and state (closed and dismissed are not counted)",
            ["department", "state"],
            registry=self.registry,
        )
        self.stream_lag = Gauge(
            "chatops_inbound_lag",
            "Inbound entries not yet processed (undelivered plus unacknowledged)",
            registry=self.registry,
        )
        self.inbound_oldest = Gauge(
            "chatops_inbound_oldest_seconds",
            "Age of the oldest inbound entry no worker has processed (0: none)",
            registry=self.registry,
        )
        self.stream_over_cap = Gauge(
            "chatops_stream_over_cap",
            "Entries past a stream's retention caps: inbound ones kept because unprocessed, "
            "dead letters that will be trimmed within a day",
            ["stream"],
            registry=self.registry,
        )
        self.stream_trimmed = Counter(
            "chatops_stream_trimmed",
            "Entries trimmed from a stream by its retention caps (after the warning)",
            ["stream"],
            registry=self.registry,
        )
        self.processed = Counter(
            "chatops_worker_processed",
            "Inbound entries handled by workers, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.problems = Gauge(
            "chatops_problem",
            "1 while a component reports a problem (labels say which)",
            ["component", "reason"],
            registry=self.registry,
        )
        self.slack_fallbacks = Counter(
            "chatops_slack_fallbacks",
            "Writes Slack refused for their content, sent in a minimal form instead",
            ["reason"],
            registry=self.registry,
        )

        self.storms_open = Gauge(
            "chatops_storms_open",
            "Open storms (many people writing the same thing) by department",
            ["department"],
            registry=self.registry,
        )
        self.storm_members = Gauge(
            "chatops_storm_members",
            "Cases of an open storm's members (those before it opened included)",
            ["department", "storm"],
            registry=self.registry,
        )
        self.storm_answered = Gauge(
            "chatops_storm_members_answered",
            "Cases of an open storm's members that had a first reply",
            ["department", "storm"],
            registry=self.registry,
        )

        self.reconciled = Counter(
            "chatops_reconciled",
            "Mentions only reconciliation found (no webhook delivered them)",
            ["platform"],
            registry=self.registry,
        )

    @functools.lru_cache(maxsize=256)  # noqa: B019 - one Metrics per process, labels bounded
    def webhook(self, platform: str, outcome: str) -> Counter:
        """The labelled child, cached: `labels()` is a locked dict lookup on the hot path."""
        return self.webhooks.labels(platform, outcome)

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def latency(self, platform: str) -> Histogram:
        return self.ingest_latency.labels(platform)

    @functools.lru_cache(maxsize=64)  # noqa: B019
    def ingested(self, platform: str) -> Counter:
        return self.mentions.labels(platform)

    def skipped(self, platform: str, reason: str) -> Counter:
        return self.items_skipped.labels(platform, reason)

    def render(self) -> bytes:
        return generate_latest(self.registry)
