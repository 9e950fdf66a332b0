"""What a mention is about, as keys that near-duplicates share: pure, no I/O.

A storm is many people writing the same thing. Two mentions are near-duplicates when their
texts share most of their shingles (`MinHash` of datasketch estimates that, Jaccard similarity
of the shingle sets); locality-sensitive hashing turns the estimate into keys: the signature is
cut into `BANDS` bands of `ROWS` values, and two texts share a band key with probability
`s ** ROWS` per band, so near-copies (s ≥ 0.7) almost surely share one and unrelated texts on the
same topic (s ≈ 0.2) almost never do (about 0.3 % a pair at 12 × 5, measured in
tests/storm/test_detect.py). The texts compared are in matching form (`routing.fold`: no hidden
characters, no case or accents), without links and @handles, as word pairs and character
4-grams (so inflections, typos and compounds still overlap, in any language or script).

Wording cannot tie the same complaint written in Swedish, English and German. Ties can: a
configured crisis keyword subject (`crisis.keywords`: one subject, its words in every language),
a link with a path (the status page, the news article), a hashtag (not the brand's own name).
A tie is a key like a band key: mentions sharing one join one group.

Short texts (fewer than `MIN_WORDS` different words or `MIN_LETTERS` letters: "ok", "thanks!",
"+1", emoji only) say too little to be near-duplicates of anything in particular, so they get
no band keys: fifty people writing "thanks" is not a storm. They still join one through a tie
(`#acmedown` alone is about the outage).
"""

from __future__ import annotations

import hashlib
import itertools
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import MinHash

from chatops.classify.spam import URL_RE
from chatops.routing import fold, keyword_pattern

BANDS = 12
ROWS = 5
NUM_PERM = BANDS * ROWS
SEED = 1
SHINGLE = 4
MIN_WORDS = 3
MIN_LETTERS = 12

_HANDLE = re.compile(r"(?<![\w@])@\w+")
_HASHTAG = re.compile(r"(?<![\w#&])#(\w+)")
_WORD = re.compile(r"\w+")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """A mention's keys: its similarity bands and its ties (`tokens`: both, bands first)."""

    bands: tuple[str, ...] = ()
    ties: tuple[str, ...] = ()

    @property
    def tokens(self) -> tuple[str, ...]:
        return self.bands + self.ties


@cache
def _permutations() -> np.ndarray:
    """One MinHash family for every process: signatures compare only within a family (the
    seed fixes it, so workers on other machines cut the same bands)."""
    permutations: np.ndarray = MinHash(num_perm=NUM_PERM, seed=SEED).permutations
    return permutations


def _crc(data: bytes) -> int:
    # Stable across processes (Python's hash() is salted per process); the affine32 scheme
    # mixes the input hash before permuting it, so a cheap one is enough.
    return zlib.crc32(data)


def _digest(text: str | bytes) -> str:
    data = text.encode() if isinstance(text, str) else text
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def shingles(words: Sequence[str]) -> set[bytes]:
    """Word pairs and character 4-grams of the words joined by single spaces."""
    joined = " ".join(words)
    span = range(max(1, len(joined) - SHINGLE + 1))
    if joined.isascii():  # one byte a character: slice the bytes, encode once
        data = joined.encode()
        found = {data[i : i + SHINGLE] for i in span}
    else:
        found = {joined[i : i + SHINGLE].encode() for i in span}
    found.update(f"{a} {b}\x00".encode() for a, b in itertools.pairwise(words))
    return found


def signature(words: Sequence[str]) -> np.ndarray:
    """The MinHash signature (NUM_PERM values) of the words' shingles."""
    sketch = MinHash(
        num_perm=NUM_PERM, permutations=_permutations(), scheme="affine32", hashfunc=_crc
    )
    sketch.update_batch(shingles(words))
    values: np.ndarray = sketch.hashvalues
    return values


def bands(values: np.ndarray) -> tuple[str, ...]:
    """LSH band keys of a signature: `b<index>:<digest of its ROWS values>`."""
    return tuple(
        f"b{i}:{_digest(values[i * ROWS : (i + 1) * ROWS].tobytes())}" for i in range(BANDS)
    )


def _link(url: str) -> str | None:
    """A link as a tie: host and path, no scheme, `www.`, query or fragment; None for a bare
    domain (the brand's home page says nothing about what someone is writing about)."""
    rest = url.split("://", 1)[-1].removeprefix("www.")
    rest = re.split(r"[?#]", rest, maxsplit=1)[0].rstrip("/.,;:!?)")
    host, slash, path = rest.partition("/")
    return f"{host}/{path}" if slash and path else None


def _bare(name: str) -> str:
    return "".join(_WORD.findall(fold(name)))


class Detector:
    """Fingerprints mentions for one set of crisis keywords (one department's)."""

    def __init__(
        self, keywords: Sequence[Sequence[str]] = (), ignore_tags: Iterable[str] = ()
    ) -> None:
        self._subjects = [
            (pattern, f"k:{_digest(fold(words[0]))}")
            for words in keywords
            if words and (pattern := keyword_pattern(words)) is not None
        ]
        self._ignored = frozenset(bare for name in ignore_tags if (bare := _bare(name)))

    def fingerprint(self, text: str) -> Fingerprint:
        folded = fold(text)
        ties: list[str] = []
        for url in URL_RE.findall(folded):
            link = _link(url)
            if link is not None:
                ties.append(f"u:{_digest(link)}")
        rest = URL_RE.sub(" ", folded)
        for tag in _HASHTAG.findall(rest):
            if tag not in self._ignored:
                ties.append(f"h:{_digest(tag)}")
        ties.extend(token for pattern, token in self._subjects if pattern.search(folded))
        words = _WORD.findall(_HANDLE.sub(" ", rest))
        return Fingerprint(
            bands(signature(words)) if _says_enough(words) else (), tuple(dict.fromkeys(ties))
        )


def _says_enough(words: Sequence[str]) -> bool:
    lettered = {word for word in words if _LETTER.search(word)}
    letters = len(_LETTER.findall(" ".join(lettered)))
    return len(lettered) >= MIN_WORDS and letters >= MIN_LETTERS
