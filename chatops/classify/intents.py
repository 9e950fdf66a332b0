"""A learned guess of what a mention calls for, for the intents word lists cannot generalise to.

Word lists tuned on one labelled set reached 97 % on it and 45 % on mentions written later:
customers describe symptoms ("the lid is snapped off", "timing out for me") and slang that no
list anticipates. A linear model over character n-grams (which see stems, typos and missing
diacritics alike in all seven languages) and word n-grams, trained on a few hundred short
mentions per language, carries what it learnt to unseen wordings. It is trained when first
needed from the packaged examples (`data/intents.jsonl`, well under a second), so the examples
are the only artefact and every run is reproducible.

The model only proposes: `drafting.choose_intent` keeps the high-precision rules (spam, press,
personal data) first and falls back to a neutral template when the model is unsure.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from typing import Any

from chatops.classify.normalise import normalise

EXAMPLES = "intents.jsonl"
"""The packaged training set: `{"lang", "intent", "text"}` per line. Mentions written for it
(over 150 per language, every intent in every language, many plain hellos and questions), then
910 more written by hand for heldout-3's weak spots once it had been measured blind (plain
hellos, tags and emoji; praise in many registers, shouted too; spam without links; neutral
questions naming an order or a password; outages told as symptoms), then the four labelled
sets of tests/data/drafting (labelled, heldout-1, heldout-2, heldout-3). heldout-3 came in
after its blind measurement (80.5 %), so its figures are in-sample now; a later blind set must
stay out of here."""


@dataclass(frozen=True)
class Example:
    """One labelled mention: what the customer wrote and what it calls for."""

    lang: str
    text: str
    intent: str


@dataclass(frozen=True)
class Guess:
    """The model's most likely intent label (`complaint`, `praise`, …) and its probability."""

    intent: str
    probability: float


def load_examples(raw: str | None = None) -> list[Example]:
    """The packaged examples, or those in `raw` (JSON lines); a malformed line is an error."""
    if raw is None:
        raw = files("chatops.classify").joinpath("data", EXAMPLES).read_text(encoding="utf-8")
    examples = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        row = json.loads(line)
        if not isinstance(row, dict) or set(row) != {"lang", "intent", "text"}:
            raise ValueError(f"{EXAMPLES}:{number}: expected lang, intent and text")
        examples.append(Example(lang=row["lang"], text=row["text"], intent=row["intent"]))
    return examples


def _matching_form(text: str) -> str:
    """What the model reads: look-alike letters folded, lower case, one space between words."""
    return " ".join(normalise(text).casefold().split())


class IntentModel:
    """Logistic regression over TF-IDF character (2–5, within words) and word (1–2) n-grams.

    Logistic loss gives probabilities that a threshold can be set on; sublinear TF and
    word-boundary character n-grams keep one long mention from outweighing many short ones.
    It is fitted by seeded, averaged stochastic gradient descent: as accurate here as an exact
    solver (leave-one-set-out on the labelled sets) and ten times faster to train at start, and
    averaging keeps its probabilities sane where examples conflict (plain SGD jumps to 0.99).
    """

    def __init__(self, examples: Sequence[Example]) -> None:
        # scikit-learn takes a second to import: only processes that draft pay for it
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import SGDClassifier
        from sklearn.pipeline import FeatureUnion, Pipeline

        if len({e.intent for e in examples}) < 2:
            raise ValueError("an intent model needs examples of at least two intents")
        features = FeatureUnion(
            [
                (
                    "chars",
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
                ),
                (
                    "words",
                    TfidfVectorizer(
                        analyzer="word",
                        ngram_range=(1, 2),
                        sublinear_tf=True,
                        token_pattern=r"(?u)\b\w+\b",
                    ),
                ),
            ]
        )
        self._pipeline = Pipeline(
            [
                ("features", features),
                (
                    "model",
                    SGDClassifier(
                        loss="log_loss",
                        alpha=1e-4,
                        max_iter=20,
                        tol=None,
                        random_state=0,
                        average=True,
                    ),
                ),
            ]
        )
        self._pipeline.fit([_matching_form(e.text) for e in examples], [e.intent for e in examples])
        self.size = len(examples)
        self._read = [_Reader(v) for _, v in features.transformer_list]
        model = self._pipeline.named_steps["model"]
        self._weights = [model.coef_[:, offset : offset + r.width] for offset, r in self._offsets()]
        self._intercept = model.intercept_
        self.classes: tuple[str, ...] = tuple(str(c) for c in model.classes_)

    def _offsets(self) -> list[tuple[int, _Reader]]:
        offsets, start = [], 0
        for reader in self._read:
            offsets.append((start, reader))
            start += reader.width
        return offsets

    def probabilities(self, text: str) -> list[float]:
        """What scikit-learn's `predict_proba` answers for `text`, computed directly: its input
        validation and joblib dispatch cost ~3 ms a mention, the arithmetic a tenth of that.
        The same numbers (a test compares them): per vectorizer the L2-normalised sublinear
        TF-IDF of the n-grams it knows, the linear scores, then each class's logistic, normalised
        to sum to one (one-vs-rest, as `SGDClassifier.predict_proba` does)."""
        import numpy as np

        form = _matching_form(text)
        scores = self._intercept.astype(np.float64, copy=True)
        for reader, weights in zip(self._read, self._weights, strict=True):
            columns, values = reader.tfidf(form)
            if columns:
                scores = scores + weights[:, columns] @ values
        if len(self.classes) == 2:
            positive = 1.0 / (1.0 + np.exp(-scores[0]))
            return [1.0 - float(positive), float(positive)]
        likely = 1.0 / (1.0 + np.exp(-scores))
        return [float(p) for p in likely / likely.sum()]

    def guess(self, text: str) -> Guess:
        """The likeliest intent of `text` and how sure the model is of it."""
        probabilities = self.probabilities(text)
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        return Guess(intent=self.classes[best], probability=probabilities[best])


class _Reader:
    """One fitted TfidfVectorizer's transform of one text, without scikit-learn's per-call
    overhead: its analyzer, vocabulary and idf."""

    def __init__(self, vectorizer: Any) -> None:
        self.analyze = vectorizer.build_analyzer()
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self.idf = vectorizer.idf_
        self.width = len(self.vocabulary)

    def tfidf(self, text: str) -> tuple[list[int], Any]:
        """The columns of the n-grams of `text` this vectorizer knows, and their weights."""
        import numpy as np

        counts = Counter(g for g in self.analyze(text) if g in self.vocabulary)
        columns = [self.vocabulary[g] for g in counts]
        if not columns:
            return [], None
        tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))
        values = tf * self.idf[columns]
        return columns, values / np.sqrt(values @ values)


@lru_cache(maxsize=1)
def default_model() -> IntentModel:
    """The model trained on the packaged examples, once per process (on first use)."""
    return IntentModel(load_examples())
