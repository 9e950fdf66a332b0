"""A product whose drafts a model suggests: the test config with `drafting.llm` pointed at a
local OpenAI-compatible server (no key, as a local Ollama), and a knowledge folder."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from chatops.config import Config, load_config_text
from tests.conftest import TEST_CONFIG
from tests.fakes.openai import FakeOpenAI

DELIVERY = """# Leveranser

## Leveranstid till Norge
Paket till Norge levereras inom 5–7 arbetsdagar. Spårningslänken kommer i mejlet.

## Returer
Du har 30 dagars öppet köp. Returen är gratis med etiketten i paketet.
"""


def drafting(base_url: str, kb: Path, *, timeout: str = "20s") -> str:
    return TEST_CONFIG + (
        f"knowledge:\n  - {{path: {kb}}}\n"
        "drafting:\n"
        f"  llm: {{base_url: '{base_url}', model: gpt-4o-mini, timeout: {timeout}}}\n"
        "  tone: {social: 'Warm, brief, first names, no emojis.'}\n"
        "  allowed_domains: [acme.se]\n"
    )


@pytest.fixture
async def openai() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=None) as server:
        yield server


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    folder = tmp_path / "kb"
    folder.mkdir()
    (folder / "leveranser.md").write_text(DELIVERY, encoding="utf-8")
    return folder


@pytest.fixture
def config(openai: FakeOpenAI, kb: Path) -> Config:
    return load_config_text(drafting(openai.url, kb), source="suggest.yaml")
