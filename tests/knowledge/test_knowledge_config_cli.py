"""`knowledge:` in the config (checked by check-config), indexed by every process at start,
and `chatops knowledge` as a user runs it."""

from __future__ import annotations

from pathlib import Path

import pytest

from chatops import runtime
from chatops.config import ConfigError, check_config, load_config, load_config_text
from chatops.settings import Settings
from chatops.store import Store
from tests.cli.test_cli import chatops, one_line_error
from tests.fakes import RecordingChat
from tests.knowledge.kb import write_kb

CONFIG = """\
departments:
  - {id: social, channel: C0SOCIAL}
  - {id: billing, channel: C0BILLING}
routing: {default: social}
knowledge:
  - {path: kb/billing, department: billing}
  - {path: kb/common}
"""


def config_file(folder: Path, text: str = CONFIG) -> Path:
    write_kb(folder / "kb")
    path = folder / "chatops.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the config --------------------------------------------------------------------------------


def test_paths_are_relative_to_the_config_files_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = config_file(tmp_path / "etc")
    monkeypatch.chdir(tmp_path)  # not where the config is
    config = load_config(path)
    assert [(f.name, f.root, f.department) for f in config.knowledge_folders()] == [
        ("kb/billing", tmp_path / "etc" / "kb" / "billing", "billing"),
        ("kb/common", tmp_path / "etc" / "kb" / "common", None),
    ]
    assert check_config(path, {}) == []


def test_check_config_names_missing_folders_and_unknown_departments(tmp_path: Path) -> None:
    text = CONFIG + "  - {path: kb/gone, department: shipping}\n  - {path: chatops.yaml}\n"
    path = config_file(tmp_path, text)
    problems = [str(p) for p in check_config(path, {})]
    assert problems == [
        f"{path}:8: knowledge[2].department: unknown department 'shipping' "
        "(known: social, billing)",
        f"{path}:8: knowledge[2].path: 'kb/gone' does not exist "
        f"(looked for {tmp_path / 'kb' / 'gone'})",
        f"{path}:9: knowledge[3].path: 'chatops.yaml' is not a folder "
        f"(looked for {tmp_path / 'chatops.yaml'})",
    ]


def test_a_knowledge_entry_needs_a_path() -> None:
    with pytest.raises(ConfigError, match=r"knowledge\[0\]: missing key 'path'"):
        load_config_text(CONFIG.replace("{path: kb/billing, department: billing}", "{x: 1}"))


def test_no_knowledge_section_means_none() -> None:
    config = load_config_text(CONFIG.split("knowledge:")[0] + "knowledge:\n")
    assert config.knowledge == [] and config.knowledge_folders() == []


# -- the process that drafts -------------------------------------------------------------------


async def test_every_process_indexes_its_knowledge_at_start(tmp_path: Path, store: Store) -> None:
    config = load_config(config_file(tmp_path))
    settings = Settings.from_env({"SANDBOX_SECRET": "test-secret"})
    rt = await runtime.start(settings, config, store=store, chat=RecordingChat())
    try:
        assert rt.knowledge.builds == 1
        assert len(rt.knowledge.index.passages) == 18
        hits = rt.knowledge.index.search("Hur betalar jag fakturan?", department="billing")
        assert hits[0].passage.source == "kb/billing/faktura.md › Betala faktura"
    finally:
        await rt.close()


# -- chatops knowledge -------------------------------------------------------------------------


def test_the_command_lists_folders_files_passages_and_languages(tmp_path: Path) -> None:
    result = chatops("knowledge", "--config", str(config_file(tmp_path)))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:3] == [
        "kb/billing (billing): 1 file, 3 passages",
        "  faktura.md: 3 passages (de, en, sv)",
        "kb/common (every department): 5 files, 15 passages",
    ]
    assert "  faq-hr.txt: 3 passages (hr)" in lines
    assert "  faq-ru.md: 3 passages (ru)" in lines
    assert lines[-1].startswith("6 files, 18 passages in de, en, hr, ru, sv; indexed in ")
    assert result.stderr == ""  # no log lines from indexing


def test_the_command_answers_a_query_with_scores_and_sources(tmp_path: Path) -> None:
    path = str(config_file(tmp_path))
    result = chatops(
        "knowledge",
        "--config",
        path,
        "--department",
        "billing",
        "Hur",
        "betalar",
        "jag",
        "fakturan?",
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith('"Hur betalar jag fakturan?" (sv, department billing): ')
    rank, score, source = lines[1].split(maxsplit=2)
    assert rank == "1." and 0 < float(score) <= 1
    assert source == "kb/billing/faktura.md › Betala faktura (sv)"
    assert lines[2].startswith("   Fakturan skickas med e-post och ska betalas inom 30 dagar.")

    social = chatops(
        "knowledge", "--config", path, "--department", "social", "Hur betalar jag fakturan?"
    )
    # Another department's folder counts half: found, behind an equal passage of one's own.
    found = social.stdout.splitlines()[1].split(maxsplit=2)
    assert found[2] == "kb/billing/faktura.md › Betala faktura (sv)"
    assert float(found[1]) == pytest.approx(float(score) / 2, abs=0.001)


@pytest.mark.parametrize(
    ("args", "config", "reason"),
    [
        (["--department", "shipping", "x"], CONFIG, "unknown department 'shipping' (known: "),
        ([], CONFIG.split("knowledge:")[0], "no knowledge in "),
        ([], CONFIG + "  - {path: kb/gone}\n", "knowledge folder(s) not found: kb/gone"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, args: list[str], config: str, reason: str) -> None:
    line = one_line_error(
        chatops("knowledge", "--config", str(config_file(tmp_path, config)), *args)
    )
    assert reason in line


def test_a_missing_config_is_named(tmp_path: Path) -> None:
    result = chatops("knowledge", "--config", str(tmp_path / "nope.yaml"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'nope.yaml'}: cannot read the file" in result.stderr
