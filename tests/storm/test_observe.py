"""Storm groups in Redis (chatops/store/storms.py through `StormWatch.observe`): threshold and
quiet period on an injected clock, ties across languages and platforms, workers observing at
once, redeliveries, merges, and each department on its own settings.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from chatops.config import Config, load_config_text
from chatops.domain import Author, Mention
from chatops.keys import StormKeys
from chatops.store.storms import Storms
from chatops.storm import StormWatch, Verdict
from tests.builders import NOW
from tests.conftest import Clock

CONFIG = """
brand: Acme
chat: {backend: console}
platforms: {sandbox: {}}
departments:
  - {id: social, name: Social, channel: "#social", languages: [sv, en, de]}
  - {id: billing, name: Billing, channel: "#billing", crisis: {threshold: {mentions: 3}}}
routing: {default: social}
crisis:
  threshold: {mentions: 10, within: 10m}
  quiet: 30m
  keywords: [[driftstörning, outage, Störung]]
"""

EN = "The Acme app has been down for an hour, I can't log in to pay my bills"
EN_VARIANTS = [
    EN,
    "RT @anna_b: " + EN,
    EN + " 😡😡",
    "@acme " + EN + "!!!",
    EN.lower().replace("can't", "cant"),
    EN.replace("an hour", "over an hour") + ". Fix it!",
    EN.replace("an hour", "an hour now"),
    EN.replace("down", "dwon"),
    EN.upper(),
    EN + " #fail",
    "Seriously? " + EN,
    EN.replace("bills", "bills today"),
]
UNRELATED = [
    "Where is my invoice for October? I can't find it on my pages",
    "Can I pay my bills with a credit card in the app?",
    "I can't log in to my account since I changed my password",
    "I paid my bill but the app still says it's unpaid",
]


@pytest.fixture
def crisis_config() -> Config:
    return load_config_text(CONFIG, source="storm.yaml")


@pytest.fixture
def watch(redis: aioredis.Redis, crisis_config: Config) -> StormWatch:
    return StormWatch(Storms(redis), crisis_config)


def mention(n: int, text: str, *, platform: str = "sandbox", author: str | None = None) -> Mention:
    return Mention(
        platform=platform,
        account="acme",
        external_id=f"m-{n}",
        conversation_id=f"post-{n}",
        author=Author(id=author or f"u-{n}", name=f"Person {n}"),
        text=text,
        created_at=NOW,
    )


async def observe_all(
    watch: StormWatch, clock: Clock, texts: list[str], *, department: str = "social", start: int = 0
) -> list[Verdict]:
    verdicts = []
    for n, text in enumerate(texts, start):
        clock.advance(seconds=20)
        verdict = await watch.observe(department, mention(n, text), clock())
        assert verdict is not None, text
        verdicts.append(verdict)
    return verdicts


async def test_the_same_complaint_in_three_languages_joins_one_storm_by_keyword(
    watch: StormWatch, clock: Clock
) -> None:
    texts = [
        "Driftstörning igen, jag kan inte betala mina räkningar",
        "Another outage?! Nothing works for me today",
        "Schon wieder eine Störung, ich komme nicht ins Konto",
    ] * 4
    verdicts = await observe_all(watch, clock, texts)
    assert {v.group for v in verdicts} == {"1"}
    assert [v.opened for v in verdicts] == [False] * 9 + [True, False, False]
    assert [v.storm for v in verdicts] == [False] * 9 + [True] * 3
    assert verdicts[-1].members == verdicts[-1].people == 12


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(
            [
                "Vad händer? https://status.acme.se/incidents/42",
                "What is going on? http://www.status.acme.se/incidents/42/",
                "Was ist los? https://status.acme.se/incidents/42?utm_source=x",
            ],
            id="link",
        ),
        pytest.param(
            ["Inget fungerar idag #AcmeDown", "Nothing works today #acmedown", "#ACMEDOWN"],
            id="hashtag",
        ),
    ],
)
async def test_a_shared_link_or_hashtag_ties_languages(
    watch: StormWatch, clock: Clock, texts: list[str]
) -> None:
    verdicts = await observe_all(watch, clock, texts * 4)
    assert {v.group for v in verdicts} == {"1"}
    assert sum(v.opened for v in verdicts) == 1 and verdicts[9].opened


async def test_near_duplicates_group_and_unrelated_mentions_stay_apart(
    watch: StormWatch, clock: Clock
) -> None:
    texts = [*EN_VARIANTS[:6], *UNRELATED, *EN_VARIANTS[6:]]
    verdicts = await observe_all(watch, clock, texts)
    storm = {v.group for v in verdicts[:6] + verdicts[10:]}
    assert storm == {"1"}
    assert [v.group for v in verdicts[6:10]] == ["2", "3", "4", "5"]
    assert all(v.members == 1 and not v.storm for v in verdicts[6:10])
    assert verdicts[-1].storm and verdicts[-1].members == 12


async def test_short_texts_never_make_a_storm(watch: StormWatch, clock: Clock) -> None:
    for n in range(50):
        clock.advance(seconds=5)
        for text in ("ok", "Thanks!", "😡😡😡", "+1"):
            assert await watch.observe("social", mention(n, text), clock()) is None


async def test_the_threshold_counts_people_within_the_window(
    watch: StormWatch, clock: Clock
) -> None:
    nine = await observe_all(watch, clock, EN_VARIANTS[:9])
    assert not any(v.storm for v in nine) and nine[-1].people == 9
    # one of them again: more mentions, the same nine people
    clock.advance(seconds=20)
    again = await watch.observe("social", mention(99, EN_VARIANTS[9], author="u-3"), clock())
    assert again is not None and not again.storm and (again.members, again.people) == (10, 9)
    tenth = await observe_all(watch, clock, EN_VARIANTS[10:11], start=10)
    assert tenth[0].opened and tenth[0].people == 10


async def test_people_spread_wider_than_the_window_open_no_storm(
    watch: StormWatch, clock: Clock
) -> None:
    verdicts = []
    for n in range(20):
        clock.advance(seconds=70)  # at most 9 within any 10 minutes
        verdict = await watch.observe("social", mention(n, EN_VARIANTS[n % 12]), clock())
        assert verdict is not None
        verdicts.append(verdict)
    assert {v.group for v in verdicts} == {"1"}
    assert not any(v.storm for v in verdicts)
    assert verdicts[-1].people == 9  # a forming group keeps only the window
    clock.advance(seconds=1)
    closer = await watch.observe("social", mention(20, EN), clock())
    assert closer is not None and closer.opened


async def test_a_storm_closes_after_quiet_and_once(
    watch: StormWatch, clock: Clock, redis: aioredis.Redis
) -> None:
    await observe_all(watch, clock, EN_VARIANTS[:10])
    clock.advance(minutes=29)
    assert await watch.closing(clock()) == []
    late = await watch.observe("social", mention(50, EN_VARIANTS[10]), clock())
    assert late is not None and late.group == "1" and late.storm and not late.opened
    last = clock()
    clock.advance(minutes=30)
    closed = await watch.closing(clock())
    assert [(c.group, c.members, c.people, c.closed_at) for c in closed] == [
        ("1", 11, 11, last + timedelta(minutes=30))
    ]
    assert await watch.closing(clock()) == []
    group = await watch.storms.group("social", "1")
    assert group is not None and group.state == "closed" and group.members == 11
    assert 0 < await redis.ttl(StormKeys("social").members("1")) <= 7 * 24 * 3600
    # the same complaint later is a new group, which has to earn its storm again
    again = await watch.observe("social", mention(60, EN), clock())
    assert again is not None and again.group == "2" and not again.storm


async def test_a_quiet_storm_takes_no_members_before_the_sweep(
    watch: StormWatch, clock: Clock
) -> None:
    await observe_all(watch, clock, EN_VARIANTS[:10])
    clock.advance(minutes=31)
    verdict = await watch.observe("social", mention(70, EN), clock())
    assert verdict is not None and verdict.group == "2" and not verdict.storm
    assert [c.group for c in await watch.closing(clock())] == ["1"]


async def test_a_redelivered_mention_counts_once(watch: StormWatch, clock: Clock) -> None:
    first = await watch.observe("social", mention(1, EN), clock())
    for _ in range(12):
        clock.advance(seconds=5)
        again = await watch.observe("social", mention(1, EN), clock())
        assert again is not None and not again.new and not again.storm
    assert first is not None and first.new
    assert await watch.storms.members("social", "1") == ["sandbox:m-1"]


async def test_two_workers_observing_at_once_make_one_storm(
    redis_url: str, crisis_config: Config, clock: Clock
) -> None:
    clients = [aioredis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    watches = [StormWatch(Storms(client), crisis_config) for client in clients]

    async def worker(index: int) -> list[Verdict]:
        verdicts = []
        for n in range(index, 40, 2):
            verdict = await watches[index].observe(
                "social", mention(n, EN_VARIANTS[n % 12]), clock()
            )
            assert verdict is not None
            verdicts.append(verdict)
        return verdicts

    try:
        results = await asyncio.gather(worker(0), worker(1))
    finally:
        for client in clients:
            await client.aclose()
    verdicts = [v for result in results for v in result]
    assert {v.group for v in verdicts} == {"1"}
    assert sum(v.opened for v in verdicts) == 1
    assert len(await watches[0].storms.members("social", "1")) == 40


async def test_a_storm_joins_across_platforms(watch: StormWatch, clock: Clock) -> None:
    platforms = ["x", "facebook", "instagram", "sandbox", "viber"]
    verdicts = []
    for n in range(10):
        clock.advance(seconds=30)
        m = mention(n, EN_VARIANTS[n], platform=platforms[n % 5])
        verdict = await watch.observe("social", m, clock())
        assert verdict is not None
        verdicts.append(verdict)
    assert {v.group for v in verdicts} == {"1"} and verdicts[-1].opened
    members = await watch.storms.members("social", "1")
    assert {key.split(":")[0] for key in members} == set(platforms)


async def test_departments_detect_apart_with_their_own_threshold(
    watch: StormWatch, clock: Clock
) -> None:
    billing = await observe_all(watch, clock, EN_VARIANTS[:3], department="billing")
    social = await observe_all(watch, clock, EN_VARIANTS[3:6], department="social", start=3)
    assert [v.opened for v in billing] == [False, False, True]
    assert not any(v.storm for v in social)
    assert {v.group for v in billing} == {v.group for v in social} == {"1"}  # numbered apart
    group = await watch.storms.group("billing", "1")
    assert (
        group is not None
        and group.state == "open"
        and group.opened_at == clock() - timedelta(seconds=60)
    )


async def test_a_mention_bridging_two_groups_merges_them(watch: StormWatch, clock: Clock) -> None:
    a = await observe_all(watch, clock, ["Vad händer? https://status.acme.se/a"] * 2)
    b = await observe_all(watch, clock, ["What now? https://status.acme.se/b"] * 3, start=2)
    assert {v.group for v in a} == {"1"} and {v.group for v in b} == {"2"}
    bridge = await observe_all(
        watch, clock, ["Both https://status.acme.se/a https://status.acme.se/b"], start=5
    )
    assert bridge[0].group == "1" and bridge[0].merged == ("2",)
    assert (bridge[0].members, bridge[0].people) == (6, 6)
    later = await observe_all(watch, clock, ["Again? https://status.acme.se/b"], start=6)
    assert later[0].group == "1" and later[0].members == 7
    merged = await watch.storms.group("social", "2")
    assert merged is not None and (merged.state, merged.into) == ("merged", "1")


async def test_open_storms_are_not_merged(watch: StormWatch, clock: Clock) -> None:
    first = await observe_all(
        watch, clock, ["Vad händer? https://status.acme.se/a"] * 3, department="billing"
    )
    second = await observe_all(
        watch, clock, ["What now? https://status.acme.se/b"] * 3, department="billing", start=3
    )
    assert first[-1].opened and second[-1].opened
    bridge = await observe_all(
        watch,
        clock,
        ["Both https://status.acme.se/a https://status.acme.se/b"],
        department="billing",
        start=6,
    )
    assert (bridge[0].group, bridge[0].merged) == ("1", ())
    other = await watch.storms.group("billing", "2")
    assert other is not None and other.state == "open" and other.members == 3


async def test_keys_follow_the_shapes_in_keys_py(
    watch: StormWatch, clock: Clock, redis: aioredis.Redis
) -> None:
    verdict = await watch.observe("social", mention(1, EN + " #acmedown"), clock())
    assert verdict is not None
    k = StormKeys("social")
    tokens = watch.fingerprint("social", EN + " #acmedown").tokens
    assert len(tokens) == 13
    for token in tokens:
        assert await redis.get(k.token(token)) == "1"
        assert 0 < await redis.ttl(k.token(token)) <= 30 * 60  # max(within, quiet)
    for key in (k.group("1"), k.members("1"), k.authors("1")):
        assert 0 < await redis.ttl(key) <= 30 * 60
    assert await redis.get(k.seq) == "1"
    assert set(await redis.keys("chatops:storm:*")) <= {
        k.seq,
        k.group("1"),
        k.members("1"),
        k.authors("1"),
        *map(k.token, tokens),
    }


@pytest.fixture
async def two_clients(redis_url: str) -> AsyncIterator[list[aioredis.Redis]]:
    clients = [aioredis.from_url(redis_url, decode_responses=True) for _ in range(2)]
    yield clients
    for client in clients:
        await client.aclose()


async def test_two_sweepers_close_a_storm_once(
    two_clients: list[aioredis.Redis], crisis_config: Config, clock: Clock
) -> None:
    watches = [StormWatch(Storms(client), crisis_config) for client in two_clients]
    for n, text in enumerate(EN_VARIANTS[:10]):
        await watches[n % 2].observe("social", mention(n, text), clock())
    clock.advance(minutes=30)
    results = await asyncio.gather(*(w.closing(clock()) for w in watches))
    assert sorted(len(r) for r in results) == [0, 1]


async def test_a_bridge_joins_the_open_storm_before_an_older_forming_group(
    watch: StormWatch, clock: Clock
) -> None:
    forming = await observe_all(
        watch, clock, ["Vad händer? https://status.acme.se/a"] * 2, department="billing"
    )
    storm = await observe_all(
        watch, clock, ["What now? https://status.acme.se/b"] * 3, department="billing", start=2
    )
    assert forming[-1].group == "1" and not forming[-1].storm and storm[-1].opened
    bridge = await observe_all(
        watch,
        clock,
        ["Both https://status.acme.se/a https://status.acme.se/b"],
        department="billing",
        start=5,
    )
    assert (bridge[0].group, bridge[0].merged, bridge[0].members) == ("2", ("1",), 6)
