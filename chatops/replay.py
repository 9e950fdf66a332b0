"""`chatops replay FILE.jsonl`: ingest a backlog of sandbox-format mentions.

Each line is parsed like a sandbox webhook body; a bad line is reported with its number and
skipped, everything else is sanitised and appended to the inbound stream (deduplicated as usual),
exactly like a webhook's mentions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from adapters import BadPayload
from adapters.sandbox import parse_items
from chatops.domain import Mention, utcnow
from chatops.hygiene import sanitise
from chatops.store import Store

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


async def replay(store: Store, path: Path, console: Console) -> ReplayReport:
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
            appended = await store.append_inbound(mentions)
            report.accepted += sum(appended)
            report.duplicates += len(appended) - sum(appended)
            progress.advance(task, len(chunk))
    return report
