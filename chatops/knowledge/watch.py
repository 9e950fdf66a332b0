"""Keeps the knowledge index in step with its folders: an edited FAQ is drafted from within
seconds, with no restart.

Polling file metadata (path, size, mtime, inode) on a timer rather than OS notifications
(`watchfiles`): a few hundred `stat` calls every few seconds cost next to nothing, work the same
on every OS, in containers and on network shares, and need no extra dependency. A rebuild reads
again only the files that changed (the index keeps what it read) and refits the vectors, in a
thread, so the process that drafts keeps answering; searches meanwhile use the previous index,
which is replaced in one assignment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from chatops.knowledge.index import FileStamp, Folder, KnowledgeIndex, files_of, stamp

log = logging.getLogger(__name__)

WATCH_EVERY_S = 5.0
"""How often the folders are checked for changes."""

Signature = tuple[tuple[str, tuple[tuple[str, FileStamp], ...] | None], ...]


def signature(folders: Sequence[Folder]) -> Signature:
    """What changes when any indexed file is added, removed, edited or replaced: each
    folder's files with their size, modification time and inode (None: no such folder)."""
    found: list[tuple[str, tuple[tuple[str, FileStamp], ...] | None]] = []
    for folder in folders:
        if not folder.root.is_dir():
            found.append((folder.name, None))
            continue
        files: list[tuple[str, FileStamp]] = []
        for path in files_of(folder.root):
            with contextlib.suppress(OSError):  # removed between listing and stat
                files.append((path.as_posix(), stamp(path)))
        found.append((folder.name, tuple(files)))
    return tuple(found)


class Knowledge:
    """The current index of the configured folders; `tick` rebuilds it when a file changed."""

    def __init__(self, folders: Sequence[Folder], languages: Sequence[str]) -> None:
        self.folders = tuple(folders)
        self.languages = tuple(languages)
        self.index = KnowledgeIndex()
        self._seen: Signature | None = None
        self.builds = 0
        """How many times the index was built (start included)."""

    @property
    def configured(self) -> bool:
        return bool(self.folders)

    def refresh(self) -> bool:
        """Rebuild the index if any file changed since the last build (or none was made);
        whether it did. Blocking: call `tick` from async code."""
        if not self.folders:
            return False
        seen = signature(self.folders)
        if seen == self._seen:
            return False
        index = KnowledgeIndex.build(self.folders, self.languages, self.index)
        self.index, self._seen = index, seen
        self.builds += 1
        log.info(
            "knowledge indexed: %d passages from %d files in %.2f s",
            len(index.passages),
            sum(len(state.files) for state in index.folders),
            index.build_seconds,
        )
        for state in index.folders:
            if state.missing:
                log.warning("knowledge folder %s does not exist", state.folder.root)
        return True

    async def tick(self) -> bool:
        """`refresh` in a thread, so that the event loop keeps running while it indexes."""
        if not self.folders:
            return False
        return await asyncio.to_thread(self.refresh)

    async def run(
        self,
        stop: asyncio.Event,
        every: float = WATCH_EVERY_S,
        pause: Callable[[asyncio.Event, float], Awaitable[None]] | None = None,
    ) -> None:
        """Re-index on change every `every` seconds until `stop` is set (`pause` waits
        between checks: a test's stands in for time)."""
        if not self.folders:
            return
        wait = pause or _until_stopped
        while not stop.is_set():
            await wait(stop, every)
            if stop.is_set():
                return
            try:
                await self.tick()
            except Exception:  # a bad file must not stop drafting from the last good index
                log.exception("knowledge: re-indexing failed; the previous index stays")


async def _until_stopped(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
