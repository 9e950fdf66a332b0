"""Word-level retrieval for the knowledge base: BM25 over stemmed words, the second opinion
fused with the character n-gram TF-IDF of `chatops.knowledge.index`.

Character n-grams match inflected, compound and misspelt forms, but in a short chat message
they also match whatever passage happens to share common letter runs ("paket" in "Spåra
paketet" outranks "Leveranstid" for "paketet skulle komma i tisdags"). Whole words, stemmed in
the text's own language, weigh what the customer actually said: each word counts by how rare it
is in the knowledge base, each only once per passage however often repeated.

A text becomes terms in the same way on both sides (passages and queries):
- chat noise goes: @handles, #-signs, URLs, e-mail addresses, emojis, invisible characters and
  look-alike letters (`chatops.classify.normalise`), letters stretched for emphasis ("sooo",
  "hallååå" -> one letter);
- words are stemmed with Snowball in the text's language (Croatian with the Serbian stemmer,
  which strips the same Latin-script case and verb endings) and then folded to plain letters
  (č -> c, ü -> u, ø -> o, ё -> е), so "racun" typed on a phone meets "račun";

`Words` also knows which concepts (`chatops.knowledge.concepts`) each passage's heading names,
so that a customer's "came off" meets "Damaged or wrong item" with no word in common.

BM25 parameters are the usual ones (k1 1.2, b 0.75); the score is the share of the query's
idf weight a passage holds at most (0–1), so it can be added to a cosine similarity.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from chatops.classify.normalise import normalise
from chatops.knowledge.concepts import CONCEPTS, WORD, concepts_of
from chatops.knowledge.fold import fold
from chatops.knowledge.sparse import weighted_rows

if TYPE_CHECKING:
    from numpy.typing import NDArray

K1 = 1.2
B = 0.75
STEMMERS: dict[str, str] = {
    "sv": "swedish",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "da": "danish",
    "de": "german",
    "ru": "russian",
    "en": "english",
    "hr": "serbian",
    "sr": "serbian",
    "bs": "serbian",
    "fi": "finnish",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "nl": "dutch",
    "pl": "polish",
    "pt": "portuguese",
}
"""Snowball stemmer per language code; a language missing here is only folded, not stemmed."""

_NOISE = re.compile(
    r"(?:https?://|www\.)\S+"  # links
    r"|\S+@\S+\.\w+"  # e-mail addresses
    r"|@\w+"  # handles
    r"|\b\w+\.(?:com|net|org|club|io|se|no|dk|de|hr|ru|example)\b",  # bare domains
    re.IGNORECASE,
)
_STRETCHED = re.compile(r"(\w)\1{2,}")


@lru_cache(maxsize=32)
def _stemmer(language: str | None) -> Callable[[str], str] | None:
    name = STEMMERS.get(language or "")
    if name is None:
        return None
    import snowballstemmer

    return snowballstemmer.stemmer(name).stemWord  # type: ignore[no-any-return]


def words(text: str) -> list[str]:
    """The words of `text`, lower case, without chat noise (see the module docstring)."""
    clean = _STRETCHED.sub(r"\1", _NOISE.sub(" ", normalise(text).lower()))
    return WORD.findall(clean)


def terms(text: str, language: str | None) -> list[str]:
    """The terms `text` is indexed or searched by: stemmed, folded words and their concepts."""
    stem = _stemmer(language)
    found = words(text)
    return [fold(stem(w) if stem else w) for w in found]


def concepts(text: str) -> set[str]:
    """The concepts `text` speaks of (`chatops.knowledge.concepts`)."""
    return set(concepts_of([fold(w) for w in words(text)]))


class Words:
    """BM25 weights of the passages' terms, searched one query at a time."""

    def __init__(
        self, texts: Sequence[str], languages: Sequence[str | None], topics: Sequence[str]
    ) -> None:
        import numpy as np
        from scipy.sparse import csr_matrix

        counted = [Counter(terms(t, lang)) for t, lang in zip(texts, languages, strict=True)]
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        tfs: list[float] = []
        for doc, counts in enumerate(counted):
            for term, tf in counts.items():
                rows.append(vocabulary.setdefault(term, len(vocabulary)))
                cols.append(doc)
                tfs.append(tf)
        n = len(counted)
        lengths = np.array([sum(c.values()) for c in counted], dtype=np.float32)
        average = float(lengths.mean()) if n and lengths.mean() else 1.0
        df = np.bincount(np.array(rows, dtype=np.int64), minlength=len(vocabulary))
        self.idf: NDArray[Any] = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        self.unknown_idf = float(math.log1p((n + 0.5) / 0.5))
        freq = np.array(tfs, dtype=np.float32)
        norm = K1 * (1 - B + B * lengths[np.array(cols, dtype=np.int64)] / average)
        saturated = freq * (K1 + 1) / (freq + norm) / (K1 + 1)
        weights = saturated * self.idf[np.array(rows, dtype=np.int64)]
        self.by_term = csr_matrix((weights, (rows, cols)), shape=(len(vocabulary), n))
        self.vocabulary = vocabulary
        self.size = n
        self.concepts = {name: i for i, name in enumerate(CONCEPTS)}
        self.topics: NDArray[Any] = np.zeros((n, len(CONCEPTS)), dtype=np.float32)
        """Passage x concept: 1 where the passage is about it (its heading names it)."""
        for doc, topic in enumerate(topics):
            for name in concepts(topic):
                self.topics[doc, self.concepts[name]] = 1.0
        spoken = np.array([lang or "" for lang in languages])
        self._spoken = {lang: spoken == lang for lang in set(languages) if lang}

    def weights(self, language: str, other: float) -> NDArray[Any] | float:
        """1 for a passage in `language`, `other` for one in another."""
        import numpy as np

        spoken = self._spoken.get(language)
        return other if spoken is None else np.where(spoken, 1.0, other)

    def about(self, query: str) -> NDArray[Any] | None:
        """The share of the query's concepts each passage is about (0–1); None: none."""

        asked = [self.concepts[name] for name in concepts(query)]
        if not asked:
            return None
        about: NDArray[Any] = self.topics[:, asked].sum(axis=1) / len(asked)
        return about

    def scores(self, query: str, language: str | None) -> NDArray[Any] | None:
        """Each passage's BM25 score for `query` over the most it could score (0–1); None
        when no term of the query occurs anywhere."""
        import numpy as np

        unique = set(terms(query, language))
        rows = [self.vocabulary[t] for t in unique if t in self.vocabulary]
        if not rows:
            return None
        most = float(self.idf[np.array(rows, dtype=np.int64)].sum()) + self.unknown_idf * (
            len(unique) - len(rows)
        )
        index = np.array(rows, dtype=np.int64)
        return weighted_rows(self.by_term, index, np.ones(len(rows), dtype=np.float32)) / most
