"""ClassGuard's classifier: normalise, find cues and names, embed, score, explain."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from classifiers.categories import Category
from classifiers.embedder import Embedder, shared_embedder
from classifiers.features import PICTURE_MEDIA, Prepared, Signals, prepare, signals
from classifiers.heads import Heads
from classifiers.judgement import Evidence, Judgement, Roster

log = logging.getLogger(__name__)

#: Lexicon keys whose matches are shown as evidence for each category.
CUE_EVIDENCE = {c: (c.value,) for c in Category} | {Category.ABUSE: ("abuse", "shouting")}
NAME_CATEGORIES = frozenset({Category.CHILD_CONCERN, Category.STAFF_GRIEVANCE})


class ExtraScorer(Protocol):
    """A second opinion for some categories, such as a Detoxify model."""

    def category_scores(self, texts: Sequence[str]) -> list[dict[Category, float]]:
        """Scores in [0, 1] for the categories it knows."""
        ...


class FaceCounter(Protocol):
    """Counts faces in image bytes; None when the bytes are not an image."""

    def __call__(self, image: bytes) -> int | None: ...


#: Long messages are read in windows of whole sentences, at most this many words
#: each, short enough that one hostile sentence is not drowned by the friendly ones
#: around it. A window starts at every sentence, up to a cap so that a pasted
#: essay cannot stall the bot (the last sentence is always read).
LONG_WORDS = 80
WINDOW_WORDS = 25
MAX_WINDOWS = 64
SENTENCE_BREAK = re.compile(r"(?<=[.!?…])\s+|\n+")


def windows(text: str) -> list[str]:
    """The text itself, or sentence windows of a long one; a breach at the end counts."""
    if len(text.split()) <= LONG_WORDS:
        return [text]
    pieces = []  # sentences, with any longer than a window cut into window-sized parts
    for sentence in SENTENCE_BREAK.split(text):
        words = sentence.split()
        pieces += [words[i : i + WINDOW_WORDS] for i in range(0, len(words), WINDOW_WORDS)]
    found: dict[str, None] = {}
    for first in range(len(pieces)):
        window: list[str] = []
        for piece in pieces[first:]:
            if window and len(window) + len(piece) > WINDOW_WORDS:
                break
            window += piece
        found[" ".join(window)] = None
    chunks = list(found)
    return chunks if len(chunks) <= MAX_WINDOWS else [*chunks[: MAX_WINDOWS - 1], chunks[-1]]


def face_adjusted(score: float, p: Prepared) -> float:
    """Raise a picture's ``pupil_image`` score when faces are seen, lower it when none are.

    Only applies when the image bytes were available; the trained model sees the
    caption and the fact that a picture was posted.
    """
    if p.faces is None or p.media not in PICTURE_MEDIA:
        return score
    return (score + 1.0) / 2.0 if p.faces > 0 else score / 2.0


def count_faces_lazily(image: bytes) -> int | None:
    """OpenCV's face counter, imported on the first picture: OpenCV costs ~35 MB of memory."""
    from classifiers.faces import count_faces

    return count_faces(image)


class ClassGuardClassifier:
    """Judges parents' messages against the policy categories.

    ``thresholds`` override the calibrated ones per category. ``extra`` (for
    example Detoxify) can raise abuse, threat and discrimination when it is at
    least ``extra_threshold`` sure.
    """

    def __init__(
        self,
        heads: Heads | None = None,
        embedder: Embedder | None = None,
        *,
        thresholds: Mapping[Category, float] | None = None,
        extra: ExtraScorer | None = None,
        extra_threshold: float = 0.8,
        faces: FaceCounter | None = None,
    ) -> None:
        self.heads = heads or Heads.load()
        self.embedder = embedder or shared_embedder()
        self.thresholds = self.heads.thresholds.copy()
        for category, value in (thresholds or {}).items():
            self.thresholds[self.heads.categories.index(category)] = value
        self.extra = extra
        self.extra_threshold = extra_threshold
        self.faces = faces or count_faces_lazily

    def judge_many(
        self,
        texts: Sequence[str],
        media: Sequence[str | None] | None = None,
        images: Sequence[bytes | None] | None = None,
        roster: Roster | None = None,
    ) -> list[Judgement]:
        """Judge a batch of messages."""
        media = list(media) if media is not None else [None] * len(texts)
        images = list(images) if images is not None else [None] * len(texts)
        face_counts = [self.faces(img) if img else None for img in images]
        prepared = prepare(texts, media, face_counts)
        owners, chunks = [], []
        for index, p in enumerate(prepared):
            for chunk in windows(p.model_input):
                owners.append(index)
                chunks.append(chunk)
        chunk_embeddings = self.embedder.embed(chunks)
        chunk_probs = self.heads.scores(chunk_embeddings, chunks)
        probs = np.zeros((len(prepared), len(self.heads.categories)), dtype=np.float32)
        embeddings = np.zeros((len(prepared), chunk_embeddings.shape[1]), dtype=np.float32)
        for row, owner in enumerate(owners):
            if chunk_probs[row].max() >= probs[owner].max():
                embeddings[owner] = chunk_embeddings[row]
            probs[owner] = np.maximum(probs[owner], chunk_probs[row])
        extra = self.extra.category_scores([p.normalised for p in prepared]) if self.extra else None
        out = []
        for i, p in enumerate(prepared):
            second = extra[i] if extra else {}
            out.append(self._judgement(p, roster, probs[i], embeddings[i], second))
        return out

    def judge(self, text: str, media: str | None = None, roster: Roster | None = None) -> Judgement:
        """Judge one message."""
        return self.judge_many([text], [media], None, roster)[0]

    def _judgement(
        self,
        p: Prepared,
        roster: Roster | None,
        probs: np.ndarray,
        embedding: np.ndarray,
        extra: Mapping[Category, float],
    ) -> Judgement:
        if not p.normalised.strip() and p.media is None:
            return Judgement(scores={c: 0.0 for c in self.heads.categories})
        scores: dict[Category, float] = {}
        flagged: list[Category] = []
        for index, category in enumerate(self.heads.categories):
            score = float(probs[index])
            if category is Category.PUPIL_IMAGE:
                score = face_adjusted(score, p)
            hit = score >= self.thresholds[index]
            second = extra.get(category)
            if second is not None and second >= self.extra_threshold:
                hit = True
                score = max(score, second)
            scores[category] = round(score, 4)
            if hit:
                flagged.append(category)
        if not flagged:
            return Judgement(scores=scores)
        found_signals = signals(p, roster)
        if (
            Category.PUPIL_IMAGE in flagged
            and p.media not in PICTURE_MEDIA
            and not any(n.kind == "pupil" for n in found_signals.names)
        ):
            flagged.remove(Category.PUPIL_IMAGE)  # no picture and no child identified
        evidence = [
            e for c in flagged for e in self._evidence(c, p, found_signals, embedding, extra)
        ]
        return Judgement(scores=scores, categories=tuple(flagged), evidence=tuple(evidence))

    def _evidence(
        self,
        category: Category,
        p: Prepared,
        found_signals: Signals,
        embedding: np.ndarray,
        extra: Mapping[Category, float],
    ) -> list[Evidence]:
        found = [
            Evidence(category, "keyword", f'"{snippet}"')
            for snippet in dict.fromkeys(
                s for key in CUE_EVIDENCE[category] for s in found_signals.cues.get(key, [])
            )
        ][:3]
        if category in NAME_CATEGORIES:
            kinds = {"pupil"} if category is Category.CHILD_CONCERN else {"staff", "role"}
            found += [
                Evidence(category, "name", f"{n.kind} named: {n.surface}")
                for n in found_signals.names
                if n.kind in kinds
            ][:2]
        if category is Category.PUPIL_IMAGE and p.media:
            faces = f", {p.faces} face(s) detected" if p.faces is not None else ""
            found.append(Evidence(category, "media", f"{p.media} posted{faces}"))
        if p.evasions and category is Category.ABUSE:
            found.append(Evidence(category, "keyword", f"disguised: {', '.join(p.evasions)}"))
        if category in extra and extra[category] >= self.extra_threshold:
            found.append(Evidence(category, "detoxify", f"Detoxify score {extra[category]:.2f}"))
        lexical = self.heads.lexical
        if lexical is not None:
            index = self.heads.categories.index(category)
            weighed = lexical.weighed_words(p.model_input, index)
            if weighed:
                quoted = ", ".join(f'"{w}"' for w in weighed)
                found.append(Evidence(category, "words", f"words that weighed most: {quoted}"))
        nearest = self.heads.nearest(embedding, category)
        if nearest is not None:
            text, similarity = nearest
            found.append(Evidence(category, "example", f'like "{text}" ({similarity:.2f})'))
        return found
