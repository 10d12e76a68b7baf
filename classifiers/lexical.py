"""A second opinion from the words themselves: TF-IDF n-gram logistic regressions per category.

The sentence model's false alarms are confident ones (a film plot it reads as a staff
grievance at 0.9999), and its misses are messages it finds unremarkable. A linear model
over word and character n-grams judges by different evidence, so the two are averaged.
When introduced, the average cut false positives on the 2,192 held-out messages from 27 to
21 of 1,180 and raised macro-F1 from 0.817 to 0.830 and mean average precision from 0.916
to 0.922, at thresholds recalibrated on the validation slice.

The features are exactly scikit-learn's ``TfidfVectorizer``'s (sublinear term frequency,
smoothed IDF, each space normalised to unit length), which ``classguard train`` fits;
they are computed here in plain Python and numpy because importing scikit-learn's text
module costs the running bot about 75 MB of its 600 MB. The tests check the two agree.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from classifiers.linear_heads import fit_heads

FloatArray = npt.NDArray[np.float32]

#: scikit-learn's default token: two or more word characters.
WORD_TOKEN = re.compile(r"(?u)\b\w\w+\b")
WORD_NGRAMS = (1, 2)
#: Character n-grams inside word boundaries catch spellings and word parts
#: ("hopeless", "hopelessly") that whole words miss.
CHAR_NGRAMS = (2, 5)
#: An n-gram seen in a single training message is not a feature.
MIN_DOCUMENT_FREQUENCY = 2
#: Inverse strength of the L2 penalty: of 1, 4 and 16, the best on the validation slice.
REGULARISATION = 16.0
#: Words shown as evidence have at least this many letters (or are in a pair with
#: one that has): "he", "ll" and "mr" weigh in, but tell a moderator nothing.
READABLE_LETTERS = 3
#: The lexical model's share of a category's score; the sentence model keeps the rest.
#: Of shares 0.15 to 0.5, arithmetic or geometric means, the best on the validation slice.
WEIGHT = 0.5
#: Words whose character n-gram columns are remembered; the memory is emptied when full.
#: Chat repeats its words, so most are found here rather than cut into n-grams again.
REMEMBERED_WORDS = 50_000


def word_grams(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams, as scikit-learn's ``analyzer="word"``."""
    tokens = WORD_TOKEN.findall(text.lower())
    grams = list(tokens)
    for n in range(2, WORD_NGRAMS[1] + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


def char_words(text: str) -> list[str]:
    """The lower-cased, whitespace-separated words that ``analyzer="char_wb"`` cuts up."""
    return text.lower().split()


def word_char_grams(word: str) -> list[str]:
    """The character n-grams of one word, space-padded, as ``analyzer="char_wb"``."""
    low, high = CHAR_NGRAMS
    padded = f" {word} "
    grams = []
    for n in range(low, high + 1):
        grams += [padded[i : i + n] for i in range(max(len(padded) - n, 0) + 1)]
        if len(padded) <= n:  # a word shorter than n counts once
            break
    return grams


#: The two feature spaces, words first.
KINDS = ("word", "char")


def vectoriser(kind: str) -> Any:
    """The scikit-learn ``TfidfVectorizer`` that training fits for a space (``word`` or
    ``char``); :meth:`NGramSpace.features` computes what its ``transform`` would."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(
        analyzer="char_wb" if kind == "char" else "word",
        ngram_range=CHAR_NGRAMS if kind == "char" else WORD_NGRAMS,
        min_df=MIN_DOCUMENT_FREQUENCY,
        sublinear_tf=True,
    )


def vectorisers() -> Any:
    """Both spaces' vectorisers side by side (a scikit-learn ``FeatureUnion``), words first."""
    from sklearn.pipeline import FeatureUnion

    return FeatureUnion([(kind, vectoriser(kind)) for kind in KINDS])


@dataclass(frozen=True)
class Features:
    """A batch's feature matrix by its non-zero entries: row (text), column, value, in
    order of row and then column."""

    rows: npt.NDArray[np.intp]
    columns: npt.NDArray[np.intp]
    values: npt.NDArray[np.float64]


@dataclass(frozen=True)
class NGramSpace:
    """One TF-IDF feature space: its n-grams in column order, their columns, their IDF weights."""

    kind: str
    grams: tuple[str, ...]
    index: dict[str, int]
    idf: npt.NDArray[np.float64]
    word_columns: dict[str, tuple[int, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def features(self, texts: Sequence[str]) -> Features:
        """The texts' unit-length TF-IDF rows, as the coordinates of their non-zero values.

        A whole batch at once: each text's known n-grams are listed by column and the
        batch's (text, column) pairs counted together by numpy, which costs less than
        counting text by text.
        """
        columns = [self._columns(text) for text in texts]
        found = np.fromiter(itertools.chain.from_iterable(columns), dtype=np.intp)
        owners = np.repeat(np.arange(len(texts), dtype=np.intp), [len(c) for c in columns])
        pairs, counts = np.unique(owners * len(self.grams) + found, return_counts=True)
        row_of, column_of = np.divmod(pairs, len(self.grams))
        values = (1.0 + np.log(counts.astype(np.float64))) * self.idf[column_of]
        norms = np.sqrt(np.bincount(row_of, weights=values**2, minlength=len(texts)))
        return Features(row_of, column_of, values / norms[row_of])

    def _columns(self, text: str) -> list[int]:
        """The column of each known n-gram in ``text``, once per occurrence."""
        if self.kind == "word":
            index = self.index
            return [index[g] for g in word_grams(text) if g in index]
        return [c for word in char_words(text) for c in self._word_columns(word)]

    def _word_columns(self, word: str) -> tuple[int, ...]:
        """The columns of a lower-cased word's known character n-grams, remembered."""
        found = self.word_columns.get(word)
        if found is None:
            if len(self.word_columns) >= REMEMBERED_WORDS:
                self.word_columns.clear()
            index = self.index
            found = tuple(index[g] for g in word_char_grams(word) if g in index)
            self.word_columns[word] = found
        return found

    @classmethod
    def from_grams(
        cls, kind: str, grams: Sequence[str], idf: npt.NDArray[np.float64]
    ) -> NGramSpace:
        """A space from its n-grams in column order."""
        return cls(kind, tuple(grams), {g: i for i, g in enumerate(grams)}, idf)


@dataclass(frozen=True)
class Lexical:
    """Per-category logistic regressions over the word and the character n-gram spaces."""

    words: NGramSpace
    chars: NGramSpace
    coef: FloatArray
    """Features (words, then characters) × categories."""
    intercept: FloatArray
    weight: float = WEIGHT

    def probabilities(self, texts: Sequence[str]) -> FloatArray:
        """Each text's probability of each category."""
        logits = np.tile(self.intercept.astype(np.float64), (len(texts), 1))
        for space, start in ((self.words, 0), (self.chars, len(self.words.index))):
            found = space.features(texts)
            if not len(found.rows):
                continue
            contributions = found.values[:, None] * self.coef[found.columns + start]
            # The entries come row by row, so each row's sum is one run of them.
            firsts = np.flatnonzero(np.diff(found.rows, prepend=-1))
            logits[found.rows[firsts]] += np.add.reduceat(contributions, firsts, axis=0)
        probabilities: FloatArray = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return probabilities

    def weighed_words(self, text: str, category: int, most: int = 3) -> list[str]:
        """The words and word pairs in ``text`` that count most towards ``category``
        (its index), strongest first: evidence a moderator can read, unlike character
        n-grams."""
        found = self.words.features([text])
        pull = found.values * self.coef[found.columns, category]
        grams = [self.words.grams[column] for column in found.columns]
        readable = [
            (weight, gram)
            for weight, gram in zip(pull, grams, strict=True)
            if weight > 0 and max(map(len, gram.split())) >= READABLE_LETTERS
        ]
        return [gram for _, gram in sorted(readable, reverse=True)[:most]]

    def blend(self, scores: FloatArray, texts: Sequence[str]) -> FloatArray:
        """The sentence model's ``scores`` averaged with this model's, by :attr:`weight`."""
        blended: FloatArray = (
            (1.0 - self.weight) * scores + self.weight * self.probabilities(texts)
        ).astype(np.float32)
        return blended

    def arrays(self) -> dict[str, npt.NDArray[Any]]:
        """What :meth:`from_arrays` reads back, keyed for a ``.npz`` file."""
        return {
            "lexical_words": np.array(self.words.grams),
            "lexical_word_idf": self.words.idf,
            "lexical_chars": np.array(self.chars.grams),
            "lexical_char_idf": self.chars.idf,
            "lexical_coef": self.coef.astype(np.float32),
            "lexical_intercept": self.intercept.astype(np.float32),
            "lexical_weight": np.array(self.weight),
        }

    @classmethod
    def from_arrays(cls, data: Any) -> Lexical:
        """The model saved by :meth:`arrays` (``data`` maps the same keys to arrays)."""
        return cls(
            NGramSpace.from_grams(
                "word", [str(g) for g in data["lexical_words"]], data["lexical_word_idf"]
            ),
            NGramSpace.from_grams(
                "char", [str(g) for g in data["lexical_chars"]], data["lexical_char_idf"]
            ),
            data["lexical_coef"].astype(np.float32),
            data["lexical_intercept"].astype(np.float32),
            float(data["lexical_weight"]),
        )

    @classmethod
    def fit(
        cls,
        texts: Sequence[str],
        labels: npt.NDArray[np.bool_],
        mask: npt.NDArray[np.bool_],
        weights: FloatArray,
        names: tuple[str, ...],
    ) -> Lexical:
        """Fit the n-gram spaces and a regression per category on the training texts.

        Each category learns from the rows ``mask`` allows, weighted as the sentence
        model's heads are (:func:`~classifiers.linear_heads.fit_heads`).
        """
        union = vectorisers()
        features = union.fit_transform(texts).tocsr()
        spaces = [
            NGramSpace.from_grams(kind, fitted.get_feature_names_out().tolist(), fitted.idf_)
            for kind, fitted in union.transformer_list
        ]
        coef, intercept = fit_heads(features, labels, mask, weights, names, REGULARISATION)
        return cls(spaces[0], spaces[1], np.ascontiguousarray(coef.T), intercept)
