"""The `chatops` command (DESIGN §4.1). Exit codes: 0 ok, 1 user error, 2 usage."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import sys
import warnings
from collections.abc import AsyncIterator, Coroutine, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

import click
from redis.exceptions import AuthenticationError, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rich.console import Console

from chatops.config import Config, ConfigError, check_config, load_config, parse_duration
from chatops.domain import utcnow
from chatops.settings import Settings, logs_customer_text

if TYPE_CHECKING:
    from adapters import Adapter
    from chatops.store import Store

log = logging.getLogger("chatops")


def fail(reason: str) -> NoReturn:
    """A user error: one line on stderr, exit 1, no traceback."""
    click.echo(f"chatops: {reason}", err=True)
    sys.exit(1)


BODY_LOGGERS = (
    "slack_bolt",
    "slack_sdk",
    "chatops.slack.bolt",
    "botbuilder",
    "botframework",
    "msrest",
    "aiohttp",
    "httpcore",
)
"""Libraries that log whole request or response bodies, customers' text included, at DEBUG."""


def quiet_library_deprecations() -> None:
    """authlib switches its deprecation warnings to "always" on import, onto stderr: they speak
    to chatops' developers, not to whoever runs it, and would break one-line errors."""
    from authlib.deprecate import AuthlibDeprecationWarning  # type: ignore[import-untyped]

    warnings.filterwarnings("ignore", category=AuthlibDeprecationWarning)


def setup_logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "aiohttp.access", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not logs_customer_text(os.environ):
        floor = max(logging.INFO, logging.getLogger().level)
        for name in BODY_LOGGERS:
            logger = logging.getLogger(name)
            logger.setLevel(max(floor, logger.level))


def settings_or_fail() -> Settings:
    try:
        return Settings.from_env(os.environ)
    except ValueError as exc:
        fail(str(exc))


def config_or_fail(settings: Settings) -> Config:
    try:
        return load_config(settings.config_path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in {settings.config_path}; see above")


def run_async(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a command's coroutine; what stops it for a reason the user can fix (Redis does not
    answer, the port is taken) ends in one line and exit 1, and nothing is left running."""
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    try:
        return runner(coro)
    except (RedisError, OSError) as exc:
        reason = startup_failure(exc, os.environ)
        if reason is None:
            raise
        fail(reason)


def startup_failure(exc: BaseException, env: Mapping[str, str]) -> str | None:
    """The one line that explains `exc` when it is an environment problem a user can fix;
    None for anything else (a bug keeps its traceback). Never shows a password."""
    redis_error = next((c for c in _causes(exc) if isinstance(c, RedisError)), None)
    if redis_error is not None:
        where = redacted_url(env.get("REDIS_URL"))
        if isinstance(redis_error, AuthenticationError):
            return f"Redis at {where} refused the credentials in REDIS_URL"
        if isinstance(redis_error, RedisConnectionError | RedisTimeoutError):
            return f"cannot reach Redis at {where}: {_first_line(redis_error)}"
        return f"Redis at {where} answered an error: {_first_line(redis_error)}"
    if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
        port = env.get("PORT") or "3000"
        return f"port {port} is already in use: stop what holds it, or set PORT to another"
    if isinstance(exc, OSError) and exc.errno == errno.EACCES and "bind" in str(exc):
        return f"not allowed to listen on port {env.get('PORT') or '3000'}: set PORT above 1023"
    return None


def _causes(exc: BaseException) -> list[BaseException]:
    """`exc` and what it was raised from or during, nearest first."""
    out: list[BaseException] = []
    seen: BaseException | None = exc
    while seen is not None and len(out) < 10:
        out.append(seen)
        seen = seen.__cause__ or seen.__context__
    return out


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def redacted_url(url: str | None) -> str:
    """`url` without its password (and user), for messages: `redis://host:6379/0`."""
    if not url:
        return "(REDIS_URL not set)"
    parts = urlsplit(url)
    host = parts.hostname or ""
    where = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, where, parts.path, "", ""))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING…")
def main(log_level: str) -> None:
    """chatops: social-media mentions as threads in Slack, Teams or a terminal."""
    quiet_library_deprecations()
    setup_logging(log_level)


SHARED_STATE = (
    "`{command}` reads the cases of a running chatops: set REDIS_URL to its Redis "
    "(without it there is only an empty store of this one process)"
)


def startable_or_fail() -> tuple[Settings, Any]:
    """Settings and config of a long-running role, or exit 1 naming every secret that the
    configured chat backend and platforms lack: a process never runs open for lack of one."""
    from chatops import runtime

    settings = settings_or_fail()
    config = config_or_fail(settings)
    missing = runtime.required_env(settings, config)
    if missing:
        fail("cannot start: " + "; ".join(missing))
    return settings, config


async def _roles(
    settings: Settings, config: Any, web_on: bool, worker_on: bool, clock_on: bool = False
) -> None:
    from chatops import runtime
    from chatops.processes import run_roles

    try:
        rt = await runtime.start(settings, config)
    except ValueError as exc:
        fail(str(exc))
    try:
        await run_roles(rt, web_on=web_on, worker_on=worker_on, clock_on=clock_on)
    finally:
        await rt.close()


@main.command()
def run() -> None:
    """All roles in one process: the default for a single machine."""
    settings, config = startable_or_fail()
    run_async(_roles(settings, config, web_on=True, worker_on=True, clock_on=True))


@main.command()
def web() -> None:
    """HTTP only: webhooks, chat events, /healthz, /readyz, /metrics (Procfile `web`)."""
    settings, config = startable_or_fail()
    if not os.environ.get("REDIS_URL"):
        log.warning("web alone without REDIS_URL: no worker can see what it receives")
    run_async(_roles(settings, config, web_on=True, worker_on=False))


@main.command()
def worker() -> None:
    """Consume the inbound stream and post cases to chat (Procfile `worker`)."""
    settings, config = startable_or_fail()
    if not os.environ.get("REDIS_URL"):
        log.warning("worker alone without REDIS_URL: it will never receive anything")
    run_async(_roles(settings, config, web_on=False, worker_on=True))


@main.command()
def scheduler() -> None:
    """Stale scan, approval reminders, follow-ups, daily digests, weekly report (`clock`)."""
    settings, config = startable_or_fail()
    if not os.environ.get("REDIS_URL"):
        log.warning("scheduler alone without REDIS_URL: it sees no cases")
    run_async(_roles(settings, config, web_on=False, worker_on=False, clock_on=True))


@main.command()
@click.option("--department", "department_id", default=None, help="Only this department.")
def digest(department_id: str | None) -> None:
    """Send the daily digest of unanswered cases now (every department, or one)."""
    run_async(_digest(department_id))


async def _digest(department_id: str | None) -> None:
    from chatops import runtime
    from chatops.processes import drain_chat
    from escalation import digest as daily

    settings = settings_or_fail()
    config = config_or_fail(settings)
    if not settings.redis_url:
        fail(SHARED_STATE.format(command="digest"))
    if department_id is not None and department_id not in config.department_ids:
        fail(f"unknown department '{department_id}' (known: {', '.join(config.department_ids)})")
    rt = await runtime.start(settings, config)
    assert rt.chat is not None, "runtime not started"
    try:
        targets = [department_id] if department_id else config.department_ids
        for dept in targets:
            listed = await daily.send(
                rt.wf,
                rt.chat,
                rt.store,
                dept,
                utcnow(),
                once_per_day=False,
                leads=daily.leads(config, dept),
            )
            said = f"{listed} unanswered case(s)" if listed else "nothing open"
            click.echo(f"{dept}: {said}")
        await drain_chat(rt)
    finally:
        await rt.close()


@main.command()
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Use this config instead of the embedded demo config.",
)
@click.option(
    "--port",
    type=int,
    default=0,
    show_default=True,
    help="Port of the demo's own web server (0 = any free port).",
)
def demo(config_path: Path | None, port: int) -> None:
    """The whole product with no accounts: sample mentions, console chat, embedded store."""
    from chatops.demo import run_demo

    logging.getLogger().setLevel(logging.WARNING)
    settings_or_fail()
    try:
        run_async(run_demo(os.environ, config_path=config_path, stdin=sys.stdin, port=port))
    except KeyboardInterrupt:
        return  # Ctrl-C while a command ran: leaving is what it asks, not an error
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in {config_path}; see above")


@main.command("check-config")
@click.argument("path", required=False, type=click.Path(path_type=Path))
def check_config_cmd(path: Path | None) -> None:
    """Validate the config and the environment; list every problem with its location."""
    settings = settings_or_fail()
    target = path or settings.config_path
    problems: list[Any] = list(check_config(target, os.environ))
    if not problems and settings.redis_url:
        problems += run_async(_teams_channels_missing(settings, target))
    for p in problems:
        click.echo(str(p))
    if settings.redis_url:
        for warning in run_async(_redis_warnings(settings)):
            click.echo(f"warning: {warning}")
    if problems:
        fail(f"{len(problems)} problem(s) in {target}")
    click.echo(f"{target}: ok")


async def _redis_warnings(settings: Settings) -> list[str]:
    """Why this Redis may lose data (no persistence, evicting keys). Warnings, not problems:
    the config is valid either way and a managed Redis may hide its settings, so they never
    make `check-config` fail; they are also logged at every role's start."""
    from chatops.redis_checks import durability
    from chatops.store import connect

    redis = connect(settings.redis_url)
    try:
        return await durability(redis)
    except (RedisError, OSError) as exc:
        return [f"cannot check Redis (REDIS_URL) now: {type(exc).__name__}"]
    finally:
        await redis.aclose()


async def _teams_channels_missing(settings: Settings, path: Path) -> list[str]:
    """Teams: departments whose channel the bot was never added to (no stored reference)."""
    from chatops import keys
    from chatops.redis_text import texts
    from chatops.store import connect

    config = load_config(path)
    if "teams" not in config.chats:
        return []
    redis = connect(settings.redis_url)
    try:
        known = set(texts(await redis.hkeys(keys.TEAMS_REFERENCES)))
    finally:
        await redis.aclose()
    return [
        f"{path}: departments[{i}].channel: the bot is not in Teams channel {d.channel} "
        "(add the app to its team)"
        for i, d in enumerate(config.departments)
        if config.chat_of(d.id) == "teams" and d.channel not in known
    ]


@main.command()
@click.argument("file", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--dead", is_flag=True, help="Replay the dead-letter stream instead of a file (REDIS_URL)."
)
def replay(file: Path | None, dead: bool) -> None:
    """Ingest a backlog of mentions, one sandbox-format JSON object a line; or, with --dead,
    put what the dead-letter stream holds back through the pipeline."""
    if (file is None) == (not dead):
        raise click.UsageError("give exactly one of FILE or --dead")
    if file is None:
        run_async(_replay_dead())
        return
    if not file.exists():
        fail(f"cannot read {file}: no such file")
    run_async(_replay(file))


async def _replay_dead() -> None:
    from chatops.replay import replay_dead

    why = "replay --dead needs REDIS_URL: the dead-letter stream lives in Redis"
    async with _platforms_and_store(why) as (enabled, store):
        report = await replay_dead(store.inbound, enabled)
    kept = sum(report.kept.values())
    click.echo(
        f"dead letters: {report.replayed} replayed, {report.recorded} already in a case "
        f"(removed), {kept} kept"
    )
    for reason, n in sorted(report.kept.items()):
        click.echo(f"  kept {n}: {reason}")


async def _replay(file: Path) -> None:
    from chatops import runtime
    from chatops.replay import replay as do_replay

    settings = settings_or_fail()
    console = Console(stderr=True)
    embedded = not settings.redis_url
    config = config_or_fail(settings) if embedded else None
    from chatops.store import Store, connect

    store = Store(connect(settings.redis_url))
    try:
        report = await do_replay(store.inbound, file, console)
        if config is not None:  # the embedded store: this process is the worker too
            from chatops.console import ConsoleBackend
            from chatops.processes import make_worker

            rt = await runtime.start(
                settings, config, store=store, chat=ConsoleBackend(Console(quiet=True))
            )
            w = make_worker(rt)
            w.block_ms = 1
            while await w.run_once():
                pass
    finally:
        await store.close()
    for line in report.errors:
        click.echo(line, err=True)
    click.echo(
        f"replayed {file}: {report.accepted} accepted, {report.duplicates} duplicates, "
        f"{len(report.errors)} bad lines skipped"
    )
    if report.errors:
        fail(f"{len(report.errors)} bad line(s) in {file} were skipped; see above")


@main.command("slack-manifest")
@click.option(
    "--url",
    "base_url",
    default="https://chatops.example.com",
    show_default=True,
    help="Public base URL of `chatops web` (Slack posts to URL/slack/events).",
)
def slack_manifest_cmd(base_url: str) -> None:
    """Print the Slack app manifest (YAML) this config needs; paste it at api.slack.com/apps."""
    from chatops.slack.manifest import manifest_yaml

    base_url = public_url_or_fail(base_url)
    settings = settings_or_fail()
    config = config_or_fail(settings)
    click.echo(manifest_yaml(config, settings, base_url=base_url), nl=False)


@main.command("teams-manifest")
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    default=Path("chatops-teams.zip"),
    show_default=True,
    help="Where to write the app package (a .zip, or a folder).",
)
@click.option(
    "--url",
    "base_url",
    default="https://chatops.example.com",
    show_default=True,
    help="Public base URL of `chatops web` (Teams posts to URL/api/messages).",
)
def teams_manifest_cmd(out: Path, base_url: str) -> None:
    """Write the Teams app package (manifest.json and the two icons) for this bot."""
    from chatops.teams.manifest import write_package

    base_url = public_url_or_fail(base_url)
    settings = settings_or_fail()
    config = config_or_fail(settings)
    try:
        written = write_package(config, settings, out, base_url=base_url)
    except ValueError as exc:
        fail(str(exc))
    click.echo(f"wrote {written}: upload it in Teams (Apps > Manage your apps > Upload an app)")


def public_url_or_fail(url: str) -> str:
    """`--url` as the manifests need it: the https address where Slack and Teams reach `chatops
    web`, without a path's trailing slash; they refuse anything else only later, in their UI."""
    reason = public_url_problem(url)
    if reason:
        fail(f"--url {url!r}: {reason}")
    return url.rstrip("/")


def public_url_problem(url: str) -> str | None:
    parts = urlsplit(url.strip())
    if parts.scheme != "https":
        return "must start with https:// (Slack and Teams only call https endpoints)"
    if not parts.hostname or " " in url.strip():
        return "names no host"
    if parts.username or parts.password:
        return "must not hold a user name or password"
    if parts.query or parts.fragment:
        return "must not have a query (?…) or fragment (#…)"
    return None


@main.command()
@click.option("--since", default="7d", show_default=True, help="How far back: 90m, 24h, 7d…")
def stats(since: str) -> None:
    """Response rate and median/p90 first-response time per department and platform."""
    run_async(_stats(window_or_fail(since)))


def window_or_fail(since: str) -> timedelta:
    """The `--since` option as a duration, or a one-line error."""
    try:
        return parse_duration(since)
    except ValueError as exc:
        fail(f"--since: {exc}")


async def _stats(window: timedelta) -> None:
    from chatops import stats as kpi
    from chatops.store import Store, connect

    settings = settings_or_fail()
    if not settings.redis_url:
        fail(SHARED_STATE.format(command="stats"))
    store = Store(connect(settings.redis_url))
    since = utcnow() - window
    try:
        rows = await kpi.load(store, since)
    finally:
        await store.close()
    console = Console()
    if not rows:
        console.print(f"no cases since {since:%Y-%m-%d %H:%M} UTC")
        return
    console.print(kpi.table(rows, since))


@main.command()
@click.option("--since", default="24h", show_default=True, help="How far back: 90m, 24h, 7d…")
def reconcile(since: str) -> None:
    """List recent comments and conversations on the configured Facebook pages and Instagram
    accounts and ingest what no webhook delivered."""
    run_async(_reconcile(window_or_fail(since)))


async def _reconcile(window: timedelta) -> None:
    from chatops.reconcile import Reconciler

    why = "reconcile needs REDIS_URL: what it finds goes to the workers through Redis"
    async with _platforms_and_store(why) as (enabled, store):
        reconciler = Reconciler(store, enabled)
        if not reconciler.platforms:
            fail("nothing to reconcile: no Facebook page or Instagram account in the config")
        results = await reconciler.run_all(window)
    for r in results:
        click.echo(f"{r.platform}: {r.listed} listed, {r.new} new ({r.calls} API calls)")
    stopped = [f"{r.platform}: {r.stopped}" for r in results if r.stopped]
    if stopped:
        fail("stopped early, run again later: " + "; ".join(stopped))


@main.command()
@click.argument("query", nargs=-1)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="The config file (default: CHATOPS_CONFIG, else ./chatops.yaml).",
)
@click.option(
    "--department",
    "department_id",
    default=None,
    help="Search this department's folders and the common ones (default: every folder).",
)
@click.option(
    "--top", default=3, show_default=True, type=click.IntRange(1, 50), help="Passages to show."
)
def knowledge(
    query: tuple[str, ...], config_path: Path | None, department_id: str | None, top: int
) -> None:
    """List the indexed knowledge (folders, files, passages, languages); with QUERY, the
    passages a draft would draw on, with scores and sources."""
    from chatops import runtime
    from chatops.knowledge.report import folder_lines, hit_lines, missing_folders

    path = config_path or settings_or_fail().config_path
    try:
        config = load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        fail(f"{len(exc.problems)} problem(s) in {path}; see above")
    if not config.knowledge:
        fail(f"no knowledge in {path}: add folders like `knowledge: [{{path: kb}}]`")
    if department_id is not None and department_id not in config.department_ids:
        fail(f"unknown department '{department_id}' (known: {', '.join(config.department_ids)})")
    logging.getLogger("chatops.knowledge").setLevel(logging.ERROR)  # said below, once
    kb = runtime.knowledge_of(config)
    kb.refresh()
    text = " ".join(query).strip()
    for line in hit_lines(kb, text, department_id, top) if text else folder_lines(kb.index):
        click.echo(line)
    missing = missing_folders(kb.index)
    if not missing:
        return
    reason = f"knowledge folder(s) not found: {', '.join(missing)} (relative to {config.folder})"
    if text:  # the query was answered from what is there
        click.echo(f"warning: {reason}")
        return
    fail(reason)


SCAN_HELP = (
    "Read every case too, not only those the person's indexes list (a store written before "
    "the indexes existed): slow on a large store."
)


@main.command()
@click.argument("who", metavar="PLATFORM:AUTHOR_ID")
@click.option("--reason", default="", help="Why (e.g. the request's reference); recorded.")
@click.option("--by", "by", default=None, help="Who runs it (default: the OS user); recorded.")
@click.option("--scan", is_flag=True, help=SCAN_HELP)
def forget(who: str, reason: str, by: str | None, scan: bool) -> None:
    """Erase everything held about one person (PLATFORM:AUTHOR_ID or PLATFORM:@handle):
    their messages, names and links in every case, drafts and history lines naming them,
    their indexes; their threads are updated. Idempotent; each run is recorded."""
    run_async(_forget(who, reason.strip(), by or _os_user(), scan))


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


async def _forget(who: str, reason: str, by: str, scan: bool) -> None:
    from chatops.privacy import Forgetter
    from chatops.processes import drain_chat

    async with _privacy_runtime("forget", who) as (rt, subject):
        forgetter = Forgetter(
            rt.wf, rt.store, rt.config, rt.chat, answers=rt.answers, clock=rt.clock
        )
        done = await forgetter.forget(subject, by=by, reason=reason, scan=scan)
        await drain_chat(rt)
        before = [e for e in await forgetter.earlier(subject) if e.at != done.at]
    if not done.items:
        when = f" (erased {before[-1].at[:16]} UTC by {before[-1].by})" if before else ""
        click.echo(f"nothing held about {subject.label}{when}")
    else:
        click.echo(
            f"erased {subject.label}: {done.mentions} message(s) in {done.cases} case(s), "
            f"{done.drafts} draft(s), {done.history} history line(s), {done.storm_lines} storm "
            f"line(s), {done.answers} past answer(s), {done.stream_entries} stream entr(ies), "
            f"{done.indexes} index key(s)"
        )
    if done.waiting:
        click.echo(
            f"{done.waiting} message(s) of theirs are still waiting for a worker: "
            "run forget again once they are processed"
        )


@main.command()
@click.argument("who", metavar="PLATFORM:AUTHOR_ID")
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write the JSON here (default: stdout).",
)
@click.option("--scan", is_flag=True, help=SCAN_HELP)
def export(who: str, out: Path | None, scan: bool) -> None:
    """Write everything held about one person (PLATFORM:AUTHOR_ID or PLATFORM:@handle) as
    JSON: their messages, the cases they are in, the replies sent to them."""
    run_async(_export(who, out, scan))


async def _export(who: str, out: Path | None, scan: bool) -> None:
    import json

    from chatops.privacy import export as held

    async with _privacy_runtime("export", who, chat=False) as (rt, subject):
        departments = rt.config.department_ids
        document = await held(rt.store, subject, rt.clock(), departments, scan=scan)
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out is None:
        click.echo(text, nl=False)
        return
    try:
        await asyncio.to_thread(_write_private, out, text)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or type(exc).__name__}")
    n, c = len(document["mentions"]), len(document["cases"])
    click.echo(f"wrote {out}: {n} message(s) in {c} case(s) of {subject.label}")


def _write_private(path: Path, text: str) -> None:
    """Write `text` readable by its owner only: an export is one person's personal data."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.chmod(path, 0o600)  # an existing file keeps its mode through O_CREAT


@contextlib.asynccontextmanager
async def _privacy_runtime(
    command: str, who: str, *, chat: bool = True
) -> AsyncIterator[tuple[Any, Any]]:
    """The shared store (and, for `forget`, the configured chat, whose threads it updates)
    and the person `who` names, or a one-line error."""
    from chatops import runtime
    from chatops.privacy import Subject

    settings = settings_or_fail()
    config = config_or_fail(settings)
    if not settings.redis_url:
        fail(SHARED_STATE.format(command=command))
    try:
        subject = Subject.parse(who, config.platforms.enabled())
    except ValueError as exc:
        fail(str(exc))
    quiet = None
    if not chat or config.chats == ["console"]:
        from chatops.console import ConsoleBackend

        quiet = ConsoleBackend(Console(quiet=True))
    rt = await runtime.start(settings, config, chat=quiet)
    try:
        yield rt, subject
    finally:
        await rt.close()


@contextlib.asynccontextmanager
async def _platforms_and_store(
    why_redis: str,
) -> AsyncIterator[tuple[dict[str, Adapter], Store]]:
    """The enabled platforms and the shared store, for one-shot commands that work on what a
    running chatops holds (so the embedded store is refused with `why_redis`)."""
    import httpx

    import adapters as platform_adapters
    from adapters import AdapterContext
    from chatops.runtime import HTTP_TIMEOUT
    from chatops.store import Store, StreamLimits, connect

    settings = settings_or_fail()
    config = config_or_fail(settings)
    if not settings.redis_url:
        fail(why_redis)
    async with httpx.AsyncClient(timeout=HTTP_TIMEOUT) as http:
        ctx = AdapterContext(settings=settings, config=config, http=http)
        enabled = {n: platform_adapters.load(n, ctx) for n in config.platforms.enabled()}
        store = Store(connect(settings.redis_url), StreamLimits.of(config.retention))
        try:
            yield enabled, store
        finally:
            await store.close()


if __name__ == "__main__":
    main()
