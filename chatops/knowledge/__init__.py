"""The brand's knowledge (`knowledge:` folders of Markdown and plain text): indexed passages a
draft can draw on, searched per department and language, re-indexed when files change."""

from chatops.knowledge.index import (
    Folder,
    FolderState,
    Hit,
    IndexedFile,
    KnowledgeIndex,
    Passage,
)
from chatops.knowledge.watch import WATCH_EVERY_S, Knowledge

__all__ = [
    "WATCH_EVERY_S",
    "Folder",
    "FolderState",
    "Hit",
    "IndexedFile",
    "Knowledge",
    "KnowledgeIndex",
    "Passage",
]
