"""`chatops replay FILE.jsonl`: ingest a backlog of sandbox-format mentions.

Each line is parsed like a sandbox webhook body; a bad line is reported with its number and
skipped, everything else is sanitised and appended to the inbound stream (deduplicated as usual),
exactly like a webhook's mentions.

`chatops replay --dead`: put the dead-letter stream back through the pipeline (`replay_dead`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from adapters import BadPayload
from adapters.base import Adapter
from adapters.sandbox import parse_items
from chatops.domain import Change, Mention, utcnow
from chatops.hygiene import sanitise
from chatops.store import InboundStream

BATCH = 500


@dataclass
class ReplayReport:
    accepted: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)


def parse_lines(lines: Iterable[tuple[int, str]], report: ReplayReport) -> list[Mention]:
    out: list[Mention] = []
    for number, line in lines:
        if not line.strip():
            continue
        try:
            out.extend(parse_items(line.encode()))
        except BadPayload as exc:
            report.errors.append(f"line {number}: {exc.reason}")
    return out


async def replay(inbound: InboundStream, path: Path, console: Console) -> ReplayReport:
    """Append every good line to the inbound stream, in batches, with a progress bar."""
    report = ReplayReport()
    with path.open(encoding="utf-8", errors="replace") as fh:
        lines = list(enumerate(fh, start=1))
    columns = (
        TextColumn("replaying"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("replay", total=len(lines))
        for start in range(0, len(lines), BATCH):
            chunk = lines[start : start + BATCH]
            mentions = sanitise(parse_lines(chunk, report), utcnow())
            appended = await inbound.append(mentions)
            report.accepted += sum(appended)
            report.duplicates += len(appended) - sum(appended)
            progress.advance(task, len(chunk))
    return report


@dataclass
class DeadReport:
    replayed: int = 0
    """Put back on the inbound stream (and removed from the dead letters)."""
    recorded: int = 0
    """Already in a case (a webhook item: already delivered again): removed from the dead
    letters, nothing to replay."""
    kept: Counter[str] = field(default_factory=Counter)
    """Left in the dead-letter stream, by why."""


async def replay_dead(inbound: InboundStream, adapters: Mapping[str, Adapter]) -> DeadReport:
    """Replay the dead-letter stream: each entry is removed only once it is safely back on the
    inbound stream (one atomic step for a worker's dead letter), and kept, with the reason
    counted, when it cannot be replayed.

    Two shapes: a worker's dead letter (`m`: the mention JSON) goes back as it was, its dedupe
    marker checked so a mention no case recorded is not dropped as a duplicate; a webhook
    item (`from=webhook`: `item` is the smallest body of the platform's own format holding
    it, see `Skipped`) is read again by its adapter's ordinary `parse` (no signature check:
    it is our own stored data) and its mentions go in as any webhook's, deduplicated; it
    stays while the adapter still skips any of it or finds nothing in it."""
    report = DeadReport()
    after: str | None = None
    while batch := await inbound.dead_letters(after):
        for dead_id, fields in batch:
            after = dead_id
            if fields.get("from") == "webhook":
                await _replay_item(inbound, adapters, dead_id, fields, report)
            else:
                await _replay_entry(inbound, dead_id, fields, report)
    return report


async def _replay_entry(
    inbound: InboundStream, dead_id: str, fields: Mapping[str, str], report: DeadReport
) -> None:
    raw = fields.get("m", "")
    try:
        mention = Mention.model_validate_json(raw)
    except ValueError:
        report.kept["unreadable entry (not a mention)"] += 1
        return
    marker = mention.key if mention.change is Change.ADD else None
    if await inbound.requeue_dead(dead_id, raw, marker) is None:
        report.replayed += 1
    else:
        report.recorded += 1


async def _replay_item(
    inbound: InboundStream,
    adapters: Mapping[str, Adapter],
    dead_id: str,
    fields: Mapping[str, str],
    report: DeadReport,
) -> None:
    platform = fields.get("platform", "?")
    adapter = adapters.get(platform)
    if adapter is None:
        report.kept[f"{platform} items: the platform is not enabled in the config"] += 1
        return
    try:
        parsed = adapter.parse(fields.get("item", "").encode(), {})
    except BadPayload:
        report.kept[f"{platform} items: not a {platform} webhook body"] += 1
        return
    if parsed.skipped:
        reasons = ", ".join(sorted({s.reason.value for s in parsed.skipped}))
        report.kept[f"{platform} items still unusable ({reasons})"] += 1
        return
    mentions = sanitise(parsed.mentions, utcnow())
    if not mentions:
        report.kept[f"{platform} items that yield no mention"] += 1
        return
    appended = await inbound.append(mentions)
    await inbound.drop_dead(dead_id)
    if any(appended):
        report.replayed += 1
    else:
        report.recorded += 1
