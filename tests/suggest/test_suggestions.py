"""Model suggestions through the product as `chatops run` assembles it: a case is posted with
its template draft at once, the model is asked in the background, and its suggestion replaces
the draft only when it passes the guardrails and nobody has touched the draft."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from chatops.chat import EventKind
from chatops.chat.present import case_card
from chatops.chat.rich import plain
from chatops.domain import State
from chatops.processes import run_roles
from chatops.suggest.guardrails import PROMISE_REASON
from chatops.suggest.llm import ChatModel
from chatops.suggest.runner import SuggestRunner
from chatops.workflow.commands import SYSTEM
from tests.conftest import System
from tests.fakes import eventually, mention_json
from tests.fakes.openai import FakeOpenAI

QUESTION = "Hej! Hur lång tid tar leveransen till Norge?"
SUGGESTION = (
    "Hej Anna! Paket till Norge kommer inom 5–7 arbetsdagar, spårningslänken får du i mejlet."
)


def runner(system: System) -> SuggestRunner:
    assert system.rt.suggestions is not None
    return system.rt.suggestions


async def asked(system: System, text: str = QUESTION) -> str:
    """A new case from Anna; its id (the model is not asked yet)."""
    await system.ingest(mention_json("m-1", "post-1", text))
    return (await system.case_of("post-1")).id


async def test_the_case_is_posted_with_its_template_before_the_model_is_asked(
    system: System, openai: FakeOpenAI
) -> None:
    case_id = await asked(system)
    case = await system.case_of("post-1")
    assert system.chat.kinds(case_id) == [EventKind.CREATED]
    assert case.draft and case.draft_author == SYSTEM and case.suggested is None
    assert openai.requests == []  # mention → thread never waits for a model


async def test_a_suggestion_replaces_the_template_and_names_its_model_and_sources(
    system: System, openai: FakeOpenAI
) -> None:
    case_id = await asked(system)
    openai.reply(SUGGESTION)
    await runner(system).drain()
    case = await system.case_of("post-1")
    assert case.draft == SUGGESTION and case.draft_author == SYSTEM
    assert case.suggested is not None and case.suggested.by == "gpt-4o-mini"
    assert case.suggested.sources == ["Leveranstid till Norge"]
    assert case.state is State.NEW and not case.needs_approval
    [line] = system.chat.said(case_id)[1:]
    assert "Draft suggested by gpt-4o-mini from: Leveranstid till Norge" in line
    view = await system.wf.view(case)
    card = case_card(view, now=system.clock())
    assert card.draft is not None
    assert "suggested by gpt-4o-mini from: Leveranstid till Norge" in plain(card.draft.details)
    assert "from the template" not in plain(card.draft.details)
    [sent] = openai.requests
    assert QUESTION in sent.text and "5–7 arbetsdagar" in sent.text
    assert "Warm, brief, first names" in sent.text and "Swedish" in sent.text
    assert await runner(system).queue.waiting() == 0
    entries = await system.rt.store.audit.entries(case_id)
    assert entries[-1].action == "suggested" and entries[-1].detail == "gpt-4o-mini"


async def test_a_failing_model_keeps_the_template_and_the_thread_says_why(
    system: System, openai: FakeOpenAI
) -> None:
    case_id = await asked(system)
    template = (await system.case_of("post-1")).draft
    openai.fail(500)
    await runner(system).drain()
    case = await system.case_of("post-1")
    assert case.draft == template and case.suggested is None
    assert system.chat.said(case_id)[-1] == (
        "❕ Model suggestion unavailable (server error 500): template draft kept"
    )
    assert await runner(system).queue.waiting() == 0


async def test_a_model_slower_than_the_timeout_keeps_the_template(
    system: System, openai: FakeOpenAI
) -> None:
    case_id = await asked(system)
    suggester = runner(system).suggester
    llm = suggester.model.llm.model_copy(update={"timeout": timedelta(seconds=0.3)})
    suggester.model = ChatModel(system.rt.http, llm, None)  # the configured one, impatient
    openai.stall()
    await runner(system).drain()
    assert (await system.case_of("post-1")).suggested is None
    assert "unavailable (timeout): template draft kept" in system.chat.said(case_id)[-1]


async def test_a_refusal_keeps_the_template(system: System, openai: FakeOpenAI) -> None:
    case_id = await asked(system)
    openai.refuse()
    await runner(system).drain()
    assert "(the model declined)" in system.chat.said(case_id)[-1]


async def test_a_reply_in_another_language_is_not_shown(system: System, openai: FakeOpenAI) -> None:
    case_id = await asked(system)
    openai.reply("Hallo Anna! Pakete nach Norwegen kommen innerhalb von 5 bis 7 Werktagen an.")
    await runner(system).drain()
    assert (await system.case_of("post-1")).suggested is None
    assert "(wrong language: de, not sv): template draft kept" in system.chat.said(case_id)[-1]


async def test_a_link_to_a_domain_not_allowed_is_not_shown(
    system: System, openai: FakeOpenAI
) -> None:
    case_id = await asked(system)
    openai.reply("Hej Anna! Paket till Norge tar 5–7 dagar, se https://fraktguiden.example/no.")
    await runner(system).drain()
    assert (await system.case_of("post-1")).suggested is None
    assert "link to a domain not allowed (fraktguiden.example)" in system.chat.said(case_id)[-1]


async def test_personal_data_another_commenter_gave_is_not_offered_to_this_customer(
    system: System, openai: FakeOpenAI
) -> None:
    olle = mention_json(
        "m-1", "post-1", "Mejla mig på olle.berg@example.com", author="u-2", name="Olle Berg"
    )
    await system.ingest(olle, mention_json("m-2", "post-1", QUESTION))
    case = await system.case_of("post-1")
    assert case.reply_to == "sandbox:m-2"  # the draft answers Anna
    openai.reply("Hej Anna! Skriv till olle.berg@example.com så hjälper han dig med leveransen.")
    await runner(system).drain()
    assert (await system.case_of("post-1")).suggested is None
    said = system.chat.said(case.id)[-1]
    assert "(personal data the customer did not give (email)): template draft kept" in said


async def test_a_suggested_refund_makes_the_case_need_approval(
    system: System, openai: FakeOpenAI
) -> None:
    case_id = await asked(system, "Hej! Mitt paket kom trasigt, vad gör jag nu?")
    openai.reply("Hej Anna! Så tråkigt, vi återbetalar hela beloppet till ditt kort direkt.")
    await runner(system).drain()
    case = await system.case_of("post-1")
    assert case.suggested is not None and PROMISE_REASON in case.sensitive_reasons
    card = case_card(await system.wf.view(case), now=system.clock())
    assert "sensitive (the model's draft mentions money)" in plain(card.meta)
    await system.wf.claim(case_id, "anna")
    after = await system.wf.publish(case_id, "anna")
    assert after.state is State.AWAITING_APPROVAL  # a person with approval rights reads it
    assert system.platform.received == []
    await system.wf.approve(case_id, "comms")
    [sent] = system.platform.received
    assert "återbetalar" in sent["text"]


async def test_a_draft_a_person_edited_is_never_overwritten(
    system: System, openai: FakeOpenAI
) -> None:
    case_id = await asked(system)
    await system.wf.claim(case_id, "anna")
    await system.wf.edit(case_id, "anna", "Hej Anna, jag kollar och återkommer!")
    openai.reply(SUGGESTION)
    await runner(system).drain()
    case = await system.case_of("post-1")
    assert case.draft == "Hej Anna, jag kollar och återkommer!" and case.draft_author == "anna"
    assert case.suggested is None
    kinds = system.chat.kinds(case_id)
    assert EventKind.SUGGESTED not in kinds and EventKind.SUGGESTION_FAILED not in kinds
    assert openai.requests == []  # nothing left to ask for once a person wrote the draft
    assert await runner(system).queue.waiting() == 0


async def test_an_edit_while_the_model_thinks_wins(system: System, openai: FakeOpenAI) -> None:
    case_id = await asked(system)
    [wanted] = await runner(system).queue.take(system.clock().timestamp(), 60, 10)
    request = await runner(system).suggester.request(*await _case_and_target(system, case_id))
    assert request.language == "sv"
    await system.wf.claim(case_id, "anna")
    await system.wf.edit(case_id, "anna", "Min egen text.")
    openai.reply(SUGGESTION)
    outcome = await runner(system).suggester.suggest(wanted)
    assert not outcome.applied and not outcome.failed
    assert (await system.case_of("post-1")).draft == "Min egen text."


async def test_an_edit_after_the_suggestion_drops_its_sources_from_the_card(
    system: System, openai: FakeOpenAI
) -> None:
    case_id = await asked(system)
    openai.reply(SUGGESTION)
    await runner(system).drain()
    await system.wf.claim(case_id, "anna")
    case = await system.wf.edit(case_id, "anna", SUGGESTION + " Ha en fin dag!")
    card = case_card(await system.wf.view(case), now=system.clock())
    assert card.draft is not None and "suggested by" not in plain(card.draft.details)


async def test_spam_gets_no_suggestion(system: System, openai: FakeOpenAI) -> None:
    await system.ingest(
        mention_json("m-1", "post-9", "FREE CRYPTO!!! click https://bit.ly/xx win $$$ now")
    )
    case = await system.case_of("post-9")
    assert "possible_spam" in case.flags
    assert await runner(system).queue.waiting() == 0


async def _case_and_target(system: System, case_id: str) -> tuple:  # type: ignore[type-arg]
    case = await system.rt.store.cases.get(case_id)
    assert case is not None
    mentions = await system.rt.store.cases.mentions(case_id)
    return case, mentions, mentions[case.mention_keys[-1]]


async def test_the_runner_of_a_worker_answers_requests_as_they_come(
    system: System, openai: FakeOpenAI
) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(runner(system).run(stop, every=60))  # woken, not polling
    try:
        openai.reply(SUGGESTION)
        await asked(system)

        async def suggested() -> bool:
            return (await system.case_of("post-1")).suggested is not None

        await eventually(suggested, what="the suggestion")
    finally:
        stop.set()
        await task
    assert task.done() and not runner(system)._tasks


async def test_a_request_a_dead_worker_held_is_taken_again_after_its_lease(
    system: System, openai: FakeOpenAI
) -> None:
    await asked(system)
    queue = runner(system).queue
    now = system.clock().timestamp()
    [held] = await queue.take(now, 60, 10)
    assert await queue.take(now + 59, 60, 10) == []  # another worker leaves it alone
    assert await queue.take(now + 61, 60, 10) == [held]


async def test_answers_published_before_are_in_the_prompt_and_named_as_sources(
    system: System, openai: FakeOpenAI
) -> None:
    first = await asked(system)
    openai.reply(SUGGESTION)
    await runner(system).drain()
    await system.wf.claim(first, "anna")
    await system.wf.publish(first, "anna")
    await system.ingest(
        mention_json(
            "m-2", "post-2", "Hur länge tar leveransen till Norge?", author="u-2", name="Olle Berg"
        )
    )
    openai.reply("Hej Olle! Till Norge tar det 5–7 arbetsdagar.")
    await runner(system).drain()
    second = await system.case_of("post-2")
    assert second.suggested is not None
    assert f"#{first}" in second.suggested.sources
    prompt = openai.requests[-1].text
    assert "Hej! Paket till Norge kommer inom 5–7 arbetsdagar" in prompt
    assert "Anna" not in prompt  # the earlier customer's name stays out of Olle's draft


async def test_a_worker_role_asks_for_suggestions_and_stops_with_none_left_running(
    system: System, openai: FakeOpenAI
) -> None:
    stop = asyncio.Event()
    roles = asyncio.create_task(run_roles(system.rt, web_on=False, worker_on=True, stop=stop))
    try:
        openai.reply(SUGGESTION)
        r = await system.post([mention_json("m-1", "post-1", QUESTION)])
        assert r.status == 200

        async def suggested() -> bool:
            case_id = await system.rt.store.indexes.case_for_mention("sandbox:m-1")
            case = await system.rt.store.cases.get(case_id) if case_id else None
            return case is not None and case.suggested is not None

        await eventually(suggested, what="the suggestion, from the worker role")
    finally:
        stop.set()
        await asyncio.wait_for(roles, 10)
    assert not runner(system)._tasks
