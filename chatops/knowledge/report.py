"""What `chatops knowledge` prints: the indexed folders and files, or a query's passages.

Plain lines, so that the output reads the same in a terminal, a CI log or a pipe.
"""

from __future__ import annotations

import re

from chatops.classify.language import detect_language
from chatops.knowledge.index import FolderState, Hit, KnowledgeIndex
from chatops.knowledge.watch import Knowledge

EXCERPT_CHARS = 240
_SPACE = re.compile(r"\s+")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _whose(state: FolderState) -> str:
    return state.folder.department or "every department"


def folder_lines(index: KnowledgeIndex) -> list[str]:
    """Each folder (its department, files and passages), each file's passages and languages,
    then the totals."""
    lines = []
    for state in index.folders:
        head = f"{state.folder.name} ({_whose(state)})"
        if state.missing:
            lines.append(f"{head}: not found ({state.folder.root})")
            continue
        counts = f"{_plural(len(state.files), 'file')}, {_plural(state.passages, 'passage')}"
        lines.append(f"{head}: {counts}")
        for file in state.files:
            if file.skipped:
                lines.append(f"  {file.file}: skipped, {file.skipped}")
            else:
                langs = f" ({', '.join(file.languages)})" if file.languages else ""
                lines.append(f"  {file.file}: {_plural(file.passages, 'passage')}{langs}")
    files = sum(len(state.files) for state in index.folders)
    languages = sorted({p.language for p in index.passages if p.language})
    spoken = f" in {', '.join(languages)}" if languages else ""
    lines.append(
        f"{_plural(files, 'file')}, {_plural(len(index.passages), 'passage')}{spoken}; "
        f"indexed in {index.build_seconds:.2f} s"
    )
    return lines


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The passage's opening on one line, cut at a word with `…` when longer than `limit`."""
    flat = _SPACE.sub(" ", text).strip()
    if len(flat) <= limit:
        return flat
    return flat[:limit].rsplit(" ", 1)[0] + " …"


def hit_lines(kb: Knowledge, query: str, department: str | None, top: int) -> list[str]:
    """The query as understood (language, scope), then its best passages with scores and
    sources: what a draft for a case of `department` would draw on (every folder if None)."""
    language = detect_language(query, kb.languages)
    hits: list[Hit] = kb.index.search(
        query,
        department=department,
        language=language,
        k=top,
        every_department=department is None,
    )
    scope = f"department {department}" if department else "every folder"
    head = f'"{excerpt(query, 80)}" ({language or "language unknown"}, {scope})'
    if not hits:
        return [f"{head}: no passage matches"]
    lines = [f"{head}: {_plural(len(hits), 'passage')}"]
    for rank, hit in enumerate(hits, start=1):
        lang = f" ({hit.passage.language})" if hit.passage.language else ""
        lines.append(f"{rank}. {hit.score:.3f}  {hit.passage.source}{lang}")
        lines.append(f"   {excerpt(hit.passage.text)}")
    return lines


def missing_folders(index: KnowledgeIndex) -> list[str]:
    """Configured folders that are not there, by the name the config gives them."""
    return [state.folder.name for state in index.folders if state.missing]
