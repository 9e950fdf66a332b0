"""The brand's own knowledge (FAQ, delivery and refund policies) as passages a draft can cite.

A passage's score for a query adds three opinions (weights `CHAR_WEIGHT`, `WORD_WEIGHT`,
`CONCEPT_WEIGHT`):
- character n-gram TF-IDF (scikit-learn's `TfidfVectorizer`, `char_wb`, 3–5 characters,
  sublinear term frequency, accents folded), cosine similarity: matches inflected, compound and
  misspelt forms in every language without a stemmer (ru, hr cases; de, sv, no, da compounds;
  "racun" typed for "račun");
- BM25 over words stemmed in the text's language (Snowball; `chatops.knowledge.words`), chat
  noise stripped: weighs the words the customer actually used rather than shared letter runs;
- the share of the query's concepts (`chatops.knowledge.concepts`: delivery, damage, press…
  named in all seven languages) that the passage's heading is about: customers rarely use the
  knowledge base's words ("the handle came off" for "Damaged or wrong item"), and this is what
  carries such a query to its passage. A passage without a heading is about what its text names.
On the drafting sets (`bench/drafting.py`) the concepts are what moved recall@3 on the sets
they were written against (63 % to 93 % on heldout-1 and -2); on the blind heldout-3 they did
not (77.4 %, against 76.7 % without them): the lists know only the words someone thought of.
The words alone moved recall a few points either way.
A passage in another language than the customer's weighs `PASSAGE_OTHER_LANGUAGE`: it comes up
when nothing in theirs matches. scikit-learn and Snowball run offline; an index of ~500
passages builds in about a second and answers a query in well under a millisecond of CPU
(`bench/knowledge.py`). They are imported only when some knowledge is configured: slow to
import, and most processes of a test run have none.

A Markdown file is split at its headings; a section is one passage, or several of about
`PASSAGE_CHARS` when long, each named by the file and its heading. A plain-text file is split at
blank lines, a paragraph's short first line naming it. Each passage keeps its language
(`chatops.classify.language`, the file's language breaking ties on short passages) so that a
draft can prefer what is written in the customer's language.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chatops.classify.language import detect_language
from chatops.knowledge.sparse import weighted_rows
from chatops.knowledge.words import Words

if TYPE_CHECKING:
    from numpy.typing import NDArray

log = logging.getLogger(__name__)

SUFFIXES: dict[str, str] = {".md": "markdown", ".markdown": "markdown", ".txt": "text"}
"""Files indexed, by suffix; everything else in a folder is left alone."""
MAX_FILE_BYTES = 1 << 20
"""Larger files are skipped (and listed as such): knowledge is written by people, not dumped."""
PASSAGE_CHARS = 1000
"""A long section is cut into passages of about this many characters, at paragraph ends."""
TITLE_CHARS = 80
"""A plain-text paragraph's first line names it when it is at most this long."""
OTHER_LANGUAGE = 0.7
"""Weight of a past answer (chatops.knowledge.answers) in another language than the query's."""
PASSAGE_OTHER_LANGUAGE = 0.4
"""Weight of a passage in another language than the query's: it still comes up when nothing in
the customer's language matches, but a match in their language ranks first (the knowledge base
usually says the same thing in each language, so a translation must not crowd out the
customer's own language's second-best passage)."""
OTHER_DEPARTMENT = 0.5
"""Weight of a passage in another department's folders. A case lands in the wrong department
often enough (routing is keyword rules: "my invoice app crashes" goes to billing) that leaving
the other folders out loses the one passage that answers it: on the blind drafting set 18 of
30 passages missed were in another department's folder. At half weight a passage of the case's
own folders or the common ones still ranks first when both fit; the labelled sets measured
recall@3 best at 0.5 (README "Knowledge")."""
MIN_SCORE = 0.05
"""Hits scoring below this share only common letter sequences with the query: no match."""
SEPARATOR = " › "
CHAR_WEIGHT = 0.5
"""Weight of the character n-gram cosine similarity (0–1)."""
WORD_WEIGHT = 0.5
"""Weight of the stemmed words' BM25, as a share of the most the query could score (0–1)."""
CONCEPT_WEIGHT = 0.2
"""Weight of the share of the query's concepts that the passage's heading is about (0–1).
The weights were chosen on the labelled drafting sets: recall@3 stays within a point for word
weights 0–0.5 and concept weights 0.15–0.3."""

_HEADING = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


@dataclass(frozen=True)
class Folder:
    """One configured folder: `name` as the config writes it, `root` where it is on disk."""

    name: str
    root: Path
    department: str | None = None


@dataclass(frozen=True)
class Passage:
    """One retrievable piece of a file: a Markdown section (or part of one), or a paragraph."""

    folder: str
    file: str
    """The file's path inside its folder."""
    heading: str
    text: str
    language: str | None
    department: str | None
    """The folder's department; None: every department."""

    @property
    def topic(self) -> str:
        """What the passage is about: its heading, or its text when it has none (a plain-text
        paragraph named by number, text before a Markdown file's first heading)."""
        return self.text if not self.heading or self.heading.startswith("¶") else self.heading

    @property
    def source(self) -> str:
        """How a person finds it again: `kb/common/delivery.md › Abroad`."""
        where = f"{self.folder.rstrip('/')}/{self.file}"
        return f"{where}{SEPARATOR}{self.heading}" if self.heading else where


@dataclass(frozen=True)
class IndexedFile:
    """What one file gave the index; `skipped` says why it gave nothing."""

    folder: str
    file: str
    passages: int
    languages: tuple[str, ...]
    skipped: str = ""


@dataclass(frozen=True)
class FolderState:
    """One configured folder as indexed: `missing` when it is not there (yet)."""

    folder: Folder
    files: tuple[IndexedFile, ...]
    missing: bool = False

    @property
    def passages(self) -> int:
        return sum(f.passages for f in self.files)


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float


FileStamp = tuple[int, int, int]
"""What changes when a file is edited or replaced: size, modification time, inode."""


def stamp(path: Path) -> FileStamp:
    st = path.stat()
    return (st.st_size, st.st_mtime_ns, st.st_ino)


@dataclass(frozen=True)
class _Read:
    """One file as read: kept by the index so that a rebuild reads only what changed."""

    stamp: FileStamp
    passages: tuple[Passage, ...]
    skipped: str


@dataclass(frozen=True)
class KnowledgeIndex:
    """Passages of every configured folder and their TF-IDF vectors; immutable once built, so
    a rebuilt index simply replaces it (chatops.knowledge.watch)."""

    folders: tuple[FolderState, ...] = ()
    passages: tuple[Passage, ...] = ()
    build_seconds: float = 0.0
    _read: dict[tuple[str, Path], _Read] = field(default_factory=dict, repr=False, compare=False)
    _search: Vectors | None = field(default=None, repr=False, compare=False)
    _words: Words | None = field(default=None, repr=False, compare=False)

    @classmethod
    def build(
        cls,
        folders: Sequence[Folder],
        languages: Sequence[str],
        previous: KnowledgeIndex | None = None,
    ) -> KnowledgeIndex:
        """Read every folder (missing ones are noted, not fatal: they may appear later) and
        index its passages; `languages` are those a passage's language is detected among.
        Files unchanged since `previous` was built are not read again."""
        started = time.perf_counter()
        known = previous._read if previous is not None else {}
        read: dict[tuple[str, Path], _Read] = {}
        states: list[FolderState] = []
        for folder in folders:
            if not folder.root.is_dir():
                states.append(FolderState(folder, (), missing=True))
                continue
            files = []
            for path in files_of(folder.root):
                key = (folder.name, path)
                try:
                    current = stamp(path)
                except OSError:
                    continue  # removed since it was listed
                entry = known.get(key)
                if entry is None or entry.stamp != current:
                    found, skipped = read_passages(folder, path, languages)
                    entry = _Read(current, tuple(found), skipped)
                read[key] = entry
                langs = tuple(sorted({p.language for p in entry.passages if p.language}))
                rel = path.relative_to(folder.root).as_posix()
                files.append(
                    IndexedFile(folder.name, rel, len(entry.passages), langs, entry.skipped)
                )
            states.append(FolderState(folder, tuple(files)))
        passages = tuple(p for entry in read.values() for p in entry.passages)
        vectors = (
            Vectors.fit(
                [f"{p.heading}\n{p.text}" for p in passages],
                [p.department for p in passages],
                [p.language for p in passages],
            )
            if passages
            else None
        )
        words = (
            Words(
                [f"{p.heading}\n{p.text}" for p in passages],
                [p.language for p in passages],
                [p.topic for p in passages],
            )
            if passages
            else None
        )
        return cls(tuple(states), passages, time.perf_counter() - started, read, vectors, words)

    def search(
        self,
        query: str,
        *,
        department: str | None = None,
        language: str | None = None,
        k: int = 3,
        every_department: bool = False,
    ) -> list[Hit]:
        """The `k` passages closest to `query`, best first: the department's folders and the
        common ones ahead of an equally close passage in another department's folder (for no
        department, the common ones ahead; every folder alike with `every_department`), a
        passage in `language` ahead of an equally close one in another.
        """
        if self._search is None or self._words is None or k <= 0 or not query.strip():
            return []
        import numpy as np

        chars = self._search.scores(query)
        words = self._words.scores(query, language)
        if chars is None and words is None:
            return []
        scores = np.zeros(len(self.passages), dtype=np.float32)
        for weight, opinion in (
            (CHAR_WEIGHT, chars),
            (WORD_WEIGHT, words),
            (CONCEPT_WEIGHT, self._words.about(query)),
        ):
            if opinion is not None:
                scores += weight * opinion
        if not every_department:
            scores = np.where(self._search.scope(department), scores, OTHER_DEPARTMENT * scores)
        if language:
            scores = scores * self._words.weights(language, PASSAGE_OTHER_LANGUAGE)
        candidates = np.flatnonzero(scores >= MIN_SCORE)
        if candidates.size > k:
            candidates = candidates[np.argpartition(-scores[candidates], k - 1)[:k]]
        ranked = sorted(candidates.tolist(), key=lambda i: (-scores[i], i))
        return [Hit(self.passages[i], float(scores[i])) for i in ranked]


class Vectors:
    """Fitted TF-IDF vectors of some texts, as searching needs them; shared by the knowledge
    index and the index of past answers (chatops.knowledge.answers).

    A query is weighted with the vectorizer's own analyzer, vocabulary and idf (what its
    `transform` computes) and only the rows of its n-grams are read: `transform` for one short
    text costs milliseconds in input validation alone, this about a tenth of a millisecond.
    Texts added later (`extended`) are weighted with the same vocabulary and idf, without a
    refit (n-grams the fit never saw do not count for them until the next one), and kept as
    rows of their own: transposing the whole matrix again costs tens of milliseconds.
    """

    def __init__(
        self,
        vectorizer: Any,
        by_term: Any,
        departments: Sequence[str | None],
        languages: Sequence[str | None],
        extra: Any = None,
    ) -> None:
        import numpy as np

        self.vectorizer = vectorizer
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf: NDArray[Any] = vectorizer.idf_.astype(np.float32)
        self.by_term = by_term
        """One row per n-gram: the fitted texts it occurs in, with their normalised weights."""
        self.extra = extra
        """The texts added since the fit, one row each (None: none)."""
        self.departments = tuple(departments)
        self.languages = tuple(languages)
        departed = np.array([d or "" for d in departments])
        spoken = np.array([lang or "" for lang in languages])
        self._common: NDArray[Any] = departed == ""
        self._scopes: dict[str, NDArray[Any]] = {
            d: (departed == d) | self._common for d in set(departments) if d
        }
        self._weights: dict[str, NDArray[Any]] = {
            language: np.where(spoken == language, 1.0, OTHER_LANGUAGE)
            for language in set(languages)
            if language
        }

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        departments: Sequence[str | None],
        languages: Sequence[str | None],
    ) -> Vectors:
        import numpy as np
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(3, 5),
            sublinear_tf=True,
            strip_accents="unicode",
            dtype=np.float32,
        )
        by_term = vectorizer.fit_transform(texts).T.tocsr()
        return cls(vectorizer, by_term, departments, languages)

    def extended(
        self,
        texts: Sequence[str],
        departments: Sequence[str | None],
        languages: Sequence[str | None],
    ) -> Vectors:
        """These vectors and those of `texts`, weighted as the fit weighs (no refit)."""
        from scipy.sparse import vstack

        rows = self.vectorizer.transform(texts)
        extra = rows if self.extra is None else vstack([self.extra, rows], format="csr")
        return Vectors(
            self.vectorizer,
            self.by_term,
            (*self.departments, *departments),
            (*self.languages, *languages),
            extra.tocsc(),
        )

    def scores(self, query: str) -> NDArray[Any] | None:
        """Cosine similarity of `query` with every text; None when it shares no n-gram."""
        import numpy as np

        counts = Counter(gram for gram in self.analyze(query) if gram in self.vocabulary)
        if not counts:
            return None
        rows = np.fromiter((self.vocabulary[g] for g in counts), np.int64, len(counts))
        weights = 1 + np.log(np.fromiter(counts.values(), np.float32, len(counts)))
        weights *= self.idf[rows]
        weights /= np.linalg.norm(weights)
        found = weighted_rows(self.by_term, rows, weights)
        if self.extra is None:
            return found
        added: NDArray[Any] = np.asarray(self.extra[:, rows] @ weights).ravel()
        return np.concatenate([found, added])

    def scope(self, department: str | None) -> NDArray[Any]:
        """Which texts a case of `department` may draw on: its own and the common ones."""
        return self._scopes.get(department, self._common) if department else self._common

    def weights(self, language: str) -> NDArray[Any] | float:
        return self._weights.get(language, OTHER_LANGUAGE)


def files_of(root: Path) -> list[Path]:
    """Every indexed file under `root`, in a stable order; hidden files and folders are left
    out (editors' swap files, `.git`)."""
    found = []
    for path in root.rglob("*"):
        rel = path.relative_to(root).parts
        if any(part.startswith(".") for part in rel) or path.suffix.lower() not in SUFFIXES:
            continue
        if path.is_file():
            found.append(path)
    return sorted(found)


def read_passages(
    folder: Folder, path: Path, languages: Sequence[str]
) -> tuple[list[Passage], str]:
    """The passages of one file, or none and why it was skipped."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return [], f"larger than {MAX_FILE_BYTES >> 20} MiB"
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return [], "not UTF-8 text"
    except OSError as exc:
        return [], f"cannot be read ({exc.strerror or type(exc).__name__})"
    kind = SUFFIXES[path.suffix.lower()]
    pieces = markdown_pieces(text) if kind == "markdown" else text_pieces(text)
    file_language = detect_language(text, languages)
    rel = path.relative_to(folder.root).as_posix()
    return [
        Passage(
            folder=folder.name,
            file=rel,
            heading=heading,
            text=body,
            language=detect_language(f"{heading}\n{body}", languages, file_language)
            or file_language,
            department=folder.department,
        )
        for heading, body in pieces
    ], ""


def markdown_pieces(text: str) -> list[tuple[str, str]]:
    """(heading, text) of each passage of a Markdown text: split at ATX headings (`#`…`######`,
    not inside fenced code), long sections cut at paragraph ends."""
    pieces: list[tuple[str, str]] = []
    heading = ""
    lines: list[str] = []
    fence = ""
    for line in text.splitlines():
        if fence:
            if line.strip().startswith(fence):
                fence = ""
            lines.append(line)
            continue
        if opened := _FENCE.match(line):
            fence = opened[1]
            lines.append(line)
            continue
        if found := _HEADING.fullmatch(line):
            pieces += _section(heading, lines)
            heading, lines = (found[2] or "").strip(), []
            continue
        lines.append(line)
    pieces += _section(heading, lines)
    return pieces


def text_pieces(text: str) -> list[tuple[str, str]]:
    """(heading, text) of each paragraph of a plain text: its first line names it when the
    paragraph has more lines and that one is short (a question, a title)."""
    pieces = []
    for number, paragraph in enumerate(_paragraphs(text.splitlines()), start=1):
        first, _, rest = paragraph.partition("\n")
        if rest.strip() and len(first) <= TITLE_CHARS:
            pieces.append((first.strip(), rest.strip()))
        else:
            pieces += [(f"¶{number}", chunk) for chunk in _chunks([paragraph])]
    return pieces


def _section(heading: str, lines: list[str]) -> list[tuple[str, str]]:
    return [(heading, chunk) for chunk in _chunks(_paragraphs(lines))]


def _paragraphs(lines: Iterable[str]) -> list[str]:
    paragraphs: list[str] = []
    current: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            current.append(line.rstrip())
        elif current:
            paragraphs.append("\n".join(current).strip("\n"))
            current = []
    return paragraphs


def _chunks(paragraphs: list[str]) -> list[str]:
    """Paragraphs joined into chunks of about PASSAGE_CHARS; a longer paragraph is cut at
    sentence ends."""
    chunks: list[str] = []
    current = ""
    for paragraph in paragraphs:
        parts = [paragraph] if len(paragraph) <= PASSAGE_CHARS else _sentences(paragraph)
        for part in parts:
            if current and len(current) + len(part) + 2 > PASSAGE_CHARS:
                chunks.append(current)
                current = ""
            current = f"{current}\n\n{part}" if current else part
    if current:
        chunks.append(current)
    return chunks


def _sentences(paragraph: str) -> list[str]:
    """A long paragraph as runs of whole sentences of at most PASSAGE_CHARS (a sentence longer
    than that stays whole)."""
    runs: list[str] = []
    for sentence in _SENTENCE_END.split(paragraph):
        if runs and len(runs[-1]) + len(sentence) + 1 <= PASSAGE_CHARS:
            runs[-1] = f"{runs[-1]} {sentence}"
        else:
            runs.append(sentence)
    return runs
