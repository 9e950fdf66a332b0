"""Crisis burst: a storm against a local Slack that enforces chat.postMessage's limit.

`chatops run` as a child process on a flushed Redis database, one department whose channel is
allowed about one chat.postMessage a second with a burst of 3 (429 + Retry-After beyond that,
tests/fakes/slack.py). Into that department, over `--over` seconds of real time (no time
scale): `--storm` people write the same complaint (Swedish, English and German wordings with
small changes, tied by the configured crisis keyword, a shared status link or hashtag) and
`--unrelated` other customers write about other things, spread over the burst.

Measured from outside, on the local Slack's clock (when each call arrived):
- an unrelated mention is visible when its case message is posted (from sending its webhook);
- a storm mention is visible when a message names it: its own case message (the mentions
  before the storm opened, sensitive ones) or a batch in the storm's thread (`#<case>`); the
  figure is the latest of these after the last storm mention was sent (the burst's end);
- the storm's posts: chat.postMessage calls for the storm (summary, batches) and for cases of
  storm mentions (their own threads), as a share of the storm's mentions;
- 429s, lost (never visible) and duplicates (a case message posted twice, a member named in
  two batches).
Targets (issue 13, DESIGN §8): unrelated p99 ≤ 5 s, storm members visible ≤ 30 s after the
burst's end, the storm's posts ≤ 5 % of its mentions, 0 lost, 0 duplicates.

Then publish to all: the storm's holding statement is set and the job started in the store
(as '>>' and an approver's click do; their checks are tests/storm's), and the worker of
`chatops run` answers every member still in the `storm` state through the sandbox platform's
reply endpoint, here a local one allowing `--platform-rate` replies a second (as many burst,
429 + Retry-After beyond). Prints how long it took, the replies against what the platform
allowed, 429s, duplicates (a member answered twice) and members left unanswered.

Usage: python -m bench.storm [--storm 300] [--over 45] [--unrelated 12] [--repeat 1]
       [--platform-rate 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import redis
from aiohttp import web

from adapters.sandbox import sign
from bench._common import BENCH_REDIS_URL, SANDBOX_SECRET, chatops_run, config_file, percentile
from chatops import keys
from chatops.slack.ids import METADATA_EVENT, REPLY_METADATA_EVENT
from chatops.store import Store, connect
from chatops.store.storms import Statement
from tests.fakes.slack import FakeSlack

SECRET = SANDBOX_SECRET
CHANNEL = "C0SOCIAL01"
CONFIG = f"""
chat: {{backend: slack}}
brand: Acme
platforms: {{sandbox: {{accounts: [{{id: acme, name: Acme}}]}}}}
departments:
  - {{id: social, name: Social, channel: {CHANNEL}, languages: [sv, en, de]}}
routing: {{default: social}}
approval: {{approvers: [U0COMMS01], min_followers: 10000}}
crisis:
  threshold: {{mentions: 10, within: 10m}}
  quiet: 30m
  keywords: [[nere, down, ausgefallen]]
"""

COMPLAINTS = {
    "sv": [
        "Appen är nere igen, jag kan inte betala mina räkningar",
        "Är appen nere? Kommer inte in och måste betala en räkning idag",
        "Hela banken verkar nere, varken appen eller webben fungerar",
    ],
    "en": [
        "The app is down again and I can't pay my bills",
        "Is the app down? Can't log in and I need to pay a bill today",
        "Your whole online bank seems to be down, neither app nor web works",
    ],
    "de": [
        "Die App ist schon wieder ausgefallen, ich kann meine Rechnungen nicht bezahlen",
        "Ist die App ausgefallen? Ich komme nicht rein und muss heute zahlen",
    ],
}
FIRST = (
    "Anna Erik Maja Lars Sara Nils Karin Olle Emma Johan Lisa Oskar Eva Ahmed Sofia Jonas Ida "
    "Tom Mette Jürgen Petra Ivana Dmitri Claire Linnea Hugo Elsa Axel Wilma Leo Alva Noah Klara "
    "Liam Ebba Adam Alice Omar Nora Ali Greta Sam Amira Felix Maria Ole Hanna Viktor Ingrid Mats"
).split()
LAST = "Berg Lund Holm Ek Falk Ström Dahl Nyström Wong Schulz".split()
ENDINGS = ["", "!", "!!", " 😡", " again…", " seriously", " #acmedown", " #acmedown #fail"]
LINK = " https://status.acme.se/incidents/2026-11-30"
UNRELATED = [
    "Where can I find my invoice for October? It is not in the app's archive",
    "Hej! Kan jag ändra leveransadressen på min beställning från i måndags?",
    "Wie kann ich mein Konto für meine Tochter freischalten lassen?",
    "Do you have an office in Malmö where I can open a savings account?",
    "Jag fick ett sms om ett nytt kort, är det ni som skickat det?",
    "My card was swallowed by the ATM at Central Station this morning",
    "Vilken ränta får man på ett sparkonto för barn just nu?",
    "Can I get a paper statement of my mortgage sent to my new address?",
    "Ich möchte eine Überweisung ins Ausland machen, welche Gebühren gibt es?",
    "Tack för hjälpen igår med lånet, allt gick jättebra!",
    "How do I add my partner as a second holder of our joint account?",
    "Varför har min månadsavgift för kortet höjts från januari?",
]


def storm_mention(i: int, rng: random.Random) -> dict[str, Any]:
    language = rng.choices(list(COMPLAINTS), weights=(6, 3, 1))[0]
    text = rng.choice(COMPLAINTS[language]) + rng.choice(ENDINGS)
    if rng.random() < 0.2:
        text += LINK
    return {
        "id": f"s-{i}",
        "conversation_id": f"s-c{i}",
        "kind": "comment",
        "account": "acme",
        "author": {
            "id": f"us{i}",
            "name": f"{FIRST[i % len(FIRST)]} {LAST[i // len(FIRST) % len(LAST)]}",
            "handle": f"storm{i}",
            "followers": rng.randint(5, 3000),
        },
        "text": text,
    }


def unrelated_mention(i: int) -> dict[str, Any]:
    return {
        "id": f"u-{i}",
        "conversation_id": f"u-c{i}",
        "kind": "comment",
        "account": "acme",
        "author": {"id": f"uu{i}", "name": f"Other Customer {i}", "followers": 100},
        "text": UNRELATED[i % len(UNRELATED)],
    }


@dataclass
class Seen:
    """What the local Slack received, read from its calls."""

    roots: dict[str, list[float]] = field(default_factory=dict)
    """Case id → when each case message (chat.postMessage of its own) arrived."""
    listed: dict[str, list[float]] = field(default_factory=dict)
    """Case id → when each storm batch naming it arrived."""
    posts: Counter[str] = field(default_factory=Counter)
    """Case or storm id → its successful chat.postMessage calls (roots and replies)."""
    updates: int = 0
    batches: list[int] = field(default_factory=list)
    """Members each storm batch named, in the order they were posted."""


def _meta(args: dict[str, Any]) -> dict[str, Any]:
    meta = args.get("metadata") or {}
    return json.loads(meta) if isinstance(meta, str) else dict(meta)


def seen(slack: FakeSlack) -> Seen:
    out = Seen()
    for call in slack.calls_to("chat.postMessage"):
        if not call.ok:
            continue
        meta = _meta(call.args)
        case_id = str((meta.get("event_payload") or {}).get("case_id", ""))
        if not case_id:
            continue
        out.posts[case_id] += 1
        if meta.get("event_type") == METADATA_EVENT and ":" not in case_id:
            out.roots.setdefault(case_id, []).append(call.at)
        elif meta.get("event_type") == REPLY_METADATA_EVENT and ":" in case_id:
            blocks = call.args.get("blocks") or []
            if isinstance(blocks, str):
                blocks = json.loads(blocks)
            text = json.dumps(blocks[1:], ensure_ascii=False)  # the head names no member
            numbers = dict.fromkeys(re.findall(r"#(\d+)", text))
            out.batches.append(len(numbers))
            for number in numbers:
                out.listed.setdefault(number, []).append(call.at)
    out.updates = sum(1 for c in slack.calls_to("chat.update") if c.ok)
    return out


class Platform:
    """The sandbox platform's reply endpoint (DESIGN §4.5) on a local port, allowing `rate`
    replies a second with a burst of `burst`, 429 + Retry-After beyond, as platforms do."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.last = float(burst), time.monotonic()
        self.received: list[tuple[str, float]] = []
        self.rejected = 0
        self.runner: web.AppRunner | None = None

    async def replies(self, request: web.Request) -> web.Response:
        body = await request.json()
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens < 1:
            self.rejected += 1
            wait = max(1, int((1 - self.tokens) / self.rate + 0.999))
            return web.json_response(
                {"error": "slow down"}, status=429, headers={"Retry-After": str(wait)}
            )
        self.tokens -= 1
        self.received.append((str(body.get("in_reply_to")), now))
        return web.json_response({"id": f"reply-{len(self.received)}"})

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/replies", self.replies)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        return f"http://127.0.0.1:{self.runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


async def publish_to_all(platform: Platform, storm_ids: list[str], members: int) -> None:
    """The storm's holding statement set and "Publish to all" started as comms and an approver
    would (written to the store as the click does; the click's checks are tests/storm's), then
    the worker of `chatops run` answers every member at the platform's pace."""
    if len(storm_ids) != 1:
        print(f"  publish to all: {len(storm_ids)} storms, skipped")
        return
    department, group = storm_ids[0].split(":", 1)
    store = Store(connect(BENCH_REDIS_URL))
    roster = await store.storms.roster(department, group)
    wanted = {m.key.split(":", 1)[1] for m in roster if not m.own}
    statement = Statement("The app is down since 9:00 and we are working to fix it.", "en", "U0W")
    now = datetime.now(UTC)
    await store.publishing.say(department, group, statement, now)
    start = time.monotonic()
    assert await store.publishing.start(department, group, "U0COMMS01", statement, now)
    deadline = start + 10 * members / platform.rate + 60
    progress, last = -1, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last < 40:
        answered = len({k for k, _ in platform.received} & wanted)
        if answered >= len(wanted):
            break
        if answered != progress:
            progress, last = answered, time.monotonic()
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # anything doubled shows up now
    await store.redis.aclose()
    got = Counter(k for k, _ in platform.received)
    times = [t for _, t in platform.received]
    took = max(times) - start if times else float("nan")
    allowed = platform.burst + platform.rate * took
    dup = sum(n - 1 for n in got.values())
    print(
        f"  publish to all: {len(set(got) & wanted)} of {len(wanted)} members in the storm state "
        f"answered in {took:.1f} s; platform allows {platform.rate:g}/s burst {platform.burst}: "
        f"{len(times)} replies of {allowed:.0f} allowed ({len(times) / allowed:.0%}), "
        f"429s {platform.rejected}, duplicates {dup}, unanswered {len(wanted - set(got))}"
    )


async def send(client: httpx.AsyncClient, item: dict[str, Any]) -> None:
    body = json.dumps([item]).encode()
    headers = {"X-Sandbox-Signature": sign(SECRET, body), "Content-Type": "application/json"}
    (await client.post("/webhooks/sandbox", content=body, headers=headers)).raise_for_status()


def visible_at(case_id: str | None, s: Seen) -> float | None:
    if case_id is None:
        return None
    times = s.roots.get(case_id, []) + s.listed.get(case_id, [])
    return min(times) if times else None


async def one_run(
    slack: FakeSlack,
    client: httpx.AsyncClient,
    r: redis.Redis,
    storm: int,
    over: float,
    unrelated: int,
    seed: int,
    publish: Platform | None = None,
) -> bool:
    rng = random.Random(seed)
    plan: list[tuple[float, dict[str, Any], bool]] = [
        (over * i / storm, storm_mention(i, rng), True) for i in range(storm)
    ]
    plan += [(over * (i + 0.5) / unrelated, unrelated_mention(i), False) for i in range(unrelated)]
    plan.sort(key=lambda p: p[0])
    sent: dict[str, tuple[float, bool]] = {}
    start = time.monotonic()
    for at, item, in_storm in plan:
        await asyncio.sleep(max(0.0, start + at - time.monotonic()))
        sent[f"sandbox:{item['id']}"] = (time.monotonic(), in_storm)
        await send(client, item)
    burst_end = max(t for t, in_storm in sent.values() if in_storm)
    sent_over = burst_end - start

    def cases() -> dict[str, str | None]:
        pipe = r.pipeline(transaction=False)
        for key in sent:
            pipe.hget(keys.bucket(keys.MENTION_CASES, key), key)
        found = pipe.execute()
        return {
            key: (v.decode() if v is not None and v != keys.PENDING.encode() else None)
            for key, v in zip(sent, found, strict=True)
        }

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        s, by_key = seen(slack), cases()
        if all(visible_at(by_key[k], s) is not None for k in sent):
            break
        await asyncio.sleep(0.5)
    await asyncio.sleep(3)  # anything late or doubled shows up now
    s, by_key = seen(slack), cases()

    each_unrelated = [
        (t - start, at - t)
        for k, (t, in_storm) in sent.items()
        if not in_storm and (at := visible_at(by_key[k], s)) is not None
    ]
    unrelated_lat = [lat for _, lat in each_unrelated]
    storm_keys = [k for k, (_, in_storm) in sent.items() if in_storm]
    storm_cases = {by_key[k] for k in storm_keys if by_key[k] is not None}
    after_end = [at - burst_end for k in storm_keys if (at := visible_at(by_key[k], s)) is not None]
    lost = sum(1 for k in sent if visible_at(by_key[k], s) is None)
    storms = [case_id for case_id in s.posts if ":" in case_id]
    storm_posts = sum(s.posts[c] for c in storms) + sum(s.posts[c] for c in storm_cases if c)
    own_threads = sum(1 for c in storm_cases if c in s.roots)
    duplicates = sum(len(t) - 1 for t in s.roots.values()) + sum(
        len(t) - 1 for t in s.listed.values()
    )
    load = os.getloadavg()
    worst = max(after_end) if after_end else float("nan")
    share = storm_posts / len(storm_keys)
    p99 = percentile(unrelated_lat, 0.99) if unrelated_lat else float("inf")
    print(
        f"{len(storm_keys)} storm mentions over {sent_over:.1f} s + {unrelated} unrelated, "
        f"Slack {slack.post_rate} (rate/s, burst) per channel   "
        f"(load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})"
    )
    if unrelated_lat:
        print(
            f"  unrelated visible            : p50 {percentile(unrelated_lat, 0.5):.2f} s  "
            f"p99 {p99:.2f} s  max {max(unrelated_lat):.2f} s   target p99 ≤ 5 s"
        )
        print(
            "    each (sent at +s → visible after s): "
            + ", ".join(f"+{t:.1f}→{lat:.2f}" for t, lat in sorted(each_unrelated))
        )
    print(f"  storm members visible after the burst's end (max): {worst:.1f} s   target ≤ 30 s")
    print(
        f"  posts used by the storm      : {storm_posts} for {len(storm_keys)} mentions = "
        f"{share:.1%}   target ≤ 5 %  ({len(storms)} storm(s): "
        + ", ".join(f"{c} {s.posts[c]}" for c in storms)
        + f"; {own_threads} mentions in threads of their own; {s.updates} chat.update calls)"
    )
    print(f"    members per batch: {', '.join(map(str, s.batches))}")
    print(f"  429 answers from the server  : {slack.rejected_429}")
    print(f"  lost {lost}, duplicates {duplicates}   target 0 and 0")
    if publish is not None:
        members = len(storm_keys) - own_threads
        await publish_to_all(publish, storms, members)
    return p99 <= 5 and worst <= 30 and share <= 0.05 and lost == 0 and duplicates == 0


async def main(
    storm: int,
    over: float,
    unrelated: int,
    rate: float,
    burst: int,
    repeat: int,
    platform_rate: float,
) -> None:
    r = redis.Redis.from_url(BENCH_REDIS_URL)
    slack = FakeSlack(clock=time.monotonic)
    await slack.start()
    platform = Platform(platform_rate, max(1, int(platform_rate)))
    replies_url = await platform.start() if platform_rate > 0 else ""
    config = config_file(CONFIG)
    ok = True
    for run in range(1, repeat + 1):
        r.flushdb()
        slack.reset_calls()
        slack.rejected_429 = 0
        slack.post_rate = None
        platform.received.clear()
        platform.rejected = 0
        async with chatops_run(config, slack.url, SANDBOX_API_URL=replies_url) as client:
            slack.post_rate = (rate, burst)
            print(f"run {run}:")
            found = await one_run(
                slack,
                client,
                r,
                storm,
                over,
                unrelated,
                seed=run,
                publish=platform if platform_rate > 0 else None,
            )
            ok = found and ok
    await slack.stop()
    await platform.stop()
    r.flushdb()
    print("all targets met" if ok else "some target missed")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--storm", type=int, default=300)
    ap.add_argument("--over", type=float, default=45.0)
    ap.add_argument("--unrelated", type=int, default=12)
    ap.add_argument("--rate", type=float, default=1.0)
    ap.add_argument("--burst", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument(
        "--platform-rate",
        type=float,
        default=10.0,
        help="replies a second the local platform allows (as many burst); 0: no publish to all",
    )
    a = ap.parse_args()
    asyncio.run(main(a.storm, a.over, a.unrelated, a.rate, a.burst, a.repeat, a.platform_rate))
