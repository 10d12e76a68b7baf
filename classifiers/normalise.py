"""Undo the tricks people use to slip abuse past filters, before the models and keyword rules.

The result is for matching only: lower-case, disguises undone, numbers kept as
they were ("door code is 4721", "£5", "3.15pm", "Year 4"). The original text is
what moderators see.

Digits become letters only where that is plainly spelling: a digit between
letters in a word of three or more letters (``m0r0n``), or any spelling that
gives a word from ``data/masked_words.txt`` (``ki11``, ``$hit``). Masked words
(``f*ck``) and three spaced letters (``a s s``) are restored only to words from
that list too, so ordinary text is left alone.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import cache
from itertools import product

from classifiers.bundled import bundled_words

#: Flags returned by :func:`normalise_with_flags`, one per kind of disguise undone.
INVISIBLE = "invisible"
STYLED = "styled"
HOMOGLYPH = "homoglyph"
SPACED = "spaced"
LEETSPEAK = "leetspeak"
MASKED = "masked"

_INVISIBLE_CHARS = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
_INVISIBLE = re.compile(f"[{_INVISIBLE_CHARS}]")
_INVISIBLE_IN_WORD = re.compile(rf"\w[{_INVISIBLE_CHARS}]+\w")

# Cyrillic and Greek letters that look like Latin ones, and the Latin they stand for.
_LOOKALIKE_FROM = "аеёорсхуіїјѕһԁԛԝӏкмнтАВЕКМНОРСТХУІЈЅҺԚԜӀαβεικνοτυχγΑΒΕΖΗΙΚΜΝΟΡΤΥΧıɑɡ"
_LOOKALIKE_TO = "aeeopcxyiijshdqwlkmhtabekmhopctxyijshqwlabeikvotuxyabezhikmnoptyxiag"
_HOMOGLYPHS = dict(zip(_LOOKALIKE_FROM, _LOOKALIKE_TO, strict=True))
# Negative circled and squared letters, which NFKC leaves alone.
_ENCLOSED = {
    **{0x1F150 + i: chr(ord("A") + i) for i in range(26)},
    **{0x1F170 + i: chr(ord("A") + i) for i in range(26)},
}

_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
_MASKS = "*#%"
_VOWELS = "aeiouy"
_L_CLUSTER = "bcfgps"  # consonants that can come before an "l": bl, cl, fl, gl, pl, sl
_SUFFIXES = ("s", "es", "ed", "er", "ers", "ing", "in", "y", "ty", "head", "heads")

_WORD = re.compile(r"\w+")
_TOKEN = re.compile(r"(?:[^\W_]|[@$*#%])+(?:!+(?:[^\W_]|[@$*#%])+)*")
_SPACED = re.compile(r"(?<![\w@$*])(?:[a-z@$013457](?:[.\-_] ?| )){2,}[a-z@$013457](?![\w@$*])")
_SPACED_SEPARATOR = re.compile(r"[.\-_ ]")
_NON_LEET_DIGIT = re.compile(r"[2689]")
_REPEATS = re.compile(r"([^\W\d_])\1{2,}")
#: Spans that must keep their digits and symbols: links, e-mail addresses, UK postcodes.
#: Addresses and domains start only where a run of their characters starts: tried at
#: every letter, a single word 100,000 letters long took 25 seconds.
_PROTECTED = re.compile(
    r"(?:https?://|www\.)\S+"
    r"|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
    r"|(?<![\w-])(?<![\w-]\.)[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|uk|io|ly|gov|edu)\b(?:/\S*)?"
    r"|\b[a-z]{1,2}\d[a-z\d]? ?\d[a-z]{2}\b"
)


def well_formed(text: str) -> str:
    """``text`` as any codec can encode it: UTF-16 surrogate pairs joined into the characters
    they stand for, and a lone surrogate replaced with U+FFFD.

    A lone surrogate comes from a JSON escape such as ``"\\ud83d"`` (an emoji cut in half) or
    from a byte that was not UTF-8 read with ``surrogateescape``; the tokenizer, SQLite and
    every UTF-8 writer refuse it, so one such message must not take its batch down with it.
    """
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def normalise(text: str) -> str:
    """The text with disguises undone, lower-cased and with whitespace collapsed."""
    return normalise_with_flags(text)[0]


def normalise_with_flags(text: str) -> tuple[str, list[str]]:
    """:func:`normalise`, plus which disguises were found, in the order found.

    Flags name tricks used on words, not innocent look-alikes: a zero-width
    joiner inside an emoji or "H A P P Y" spelled out raise none.
    """
    flags: list[str] = []
    text = _strip_invisible(well_formed(text), flags)
    text = _unstyle(text, flags)
    text = _map_homoglyphs(text, flags).lower()
    text = _join_spaced(text, flags)
    text = _outside_protected(text, lambda part: _decode_tokens(part, flags))
    return " ".join(text.split()), flags


def _flag(flags: list[str], name: str) -> None:
    if name not in flags:
        flags.append(name)


def _strip_invisible(text: str, flags: list[str]) -> str:
    if _INVISIBLE_IN_WORD.search(text):
        _flag(flags, INVISIBLE)
    return _INVISIBLE.sub("", text)


def _unstyle(text: str, flags: list[str]) -> str:
    """NFKC (fullwidth, circled, mathematical letters) and the enclosed letters it misses."""
    if any(ord(ch) in _ENCLOSED or (not ch.isascii() and _is_styled_letter(ch)) for ch in text):
        _flag(flags, STYLED)
    return unicodedata.normalize("NFKC", text.translate(_ENCLOSED))


def _is_styled_letter(ch: str) -> bool:
    plain = unicodedata.normalize("NFKC", ch)
    return plain.isascii() and plain.isalpha()


def _map_homoglyphs(text: str, flags: list[str]) -> str:
    """Replace look-alikes in words that mix them with Latin letters.

    A word made only of look-alikes is mapped when the message has Latin letters
    elsewhere; a message written in Cyrillic or Greek is left as it is.
    """
    latin_context = any(ch.isascii() and ch.isalpha() for ch in text)

    def fix(match: re.Match[str]) -> str:
        word = match.group(0)
        if not any(ch in _HOMOGLYPHS for ch in word):
            return word
        mixed = any(ch.isascii() and ch.isalpha() for ch in word)
        only_lookalikes = all(ch in _HOMOGLYPHS or not ch.isalpha() for ch in word)
        if not (mixed or (only_lookalikes and latin_context)):
            return word
        _flag(flags, HOMOGLYPH)
        return "".join(_HOMOGLYPHS.get(ch, ch) for ch in word)

    return _WORD.sub(fix, text)


@cache
def masked_words() -> tuple[str, ...]:
    """The bundled swear words and insults, longest first."""
    return tuple(sorted(set(bundled_words("masked_words.txt")), key=lambda w: (-len(w), w)))


@cache
def _word_set() -> frozenset[str]:
    return frozenset(masked_words())


def _is_listed(word: str) -> bool:
    """Whether ``word`` is a listed word, or one with a common ending (``fucking``)."""
    words = _word_set()
    return word in words or any(
        word.endswith(suffix) and word[: -len(suffix)] in words for suffix in _SUFFIXES
    )


def _join_spaced(text: str, flags: list[str]) -> str:
    """Join spaced or dotted letters (``f u c k``, ``c.u.n.t``, ``f-u-c-k``).

    Runs of four or more letters are joined; a run of three only when it spells a
    listed word, so text-speak such as "u r a star" stays as it is. A leading or
    trailing "a", "i" or "u" stays a word of its own when the rest spells a
    listed word: "you're a f u c k" gives "a fuck", not "afuck".
    """

    def join(match: re.Match[str]) -> str:
        chars = _SPACED_SEPARATOR.sub("", match.group(0))
        letters = sum(ch.isalpha() for ch in chars)
        if letters < 2 or len(chars) - letters > 1:
            return match.group(0)
        before, core, after = _listed_core(chars)
        word = _decode_leet(core) or core
        listed = _is_listed(word)
        if len(core) == 3 and not listed:
            return match.group(0)
        if listed or any(w in word for w in masked_words() if len(w) >= 4):
            _flag(flags, SPACED)
        return " ".join(part for part in (before, core, after) if part)

    return _SPACED.sub(join, text)


def _listed_core(chars: str) -> tuple[str, str, str]:
    """Split off a one-letter word at either end of ``chars`` if the rest is a listed word."""
    for start in (0, 1):
        for end in (len(chars), len(chars) - 1):
            dropped = chars[:start] + chars[end:]
            core = chars[start:end]
            if all(ch in "aiu" for ch in dropped) and _is_listed(_decode_leet(core) or core):
                return chars[:start], core, chars[end:]
    return "", chars, ""


def _outside_protected(text: str, transform: Callable[[str], str]) -> str:
    parts: list[str] = []
    last = 0
    for match in _PROTECTED.finditer(text):
        parts += [transform(text[last : match.start()]), match.group(0)]
        last = match.end()
    return "".join([*parts, transform(text[last:])])


def _decode_tokens(text: str, flags: list[str]) -> str:
    """Leetspeak and masked words restored, and letters repeated 3+ times cut to two."""

    def decode(match: re.Match[str]) -> str:
        token = match.group(0)
        word = _decode_leet(token)
        if word is not None:
            _flag(flags, LEETSPEAK)
            token = word
        unmasked = _unmask(token)
        if unmasked is not None:
            _flag(flags, MASKED)
            token = unmasked
        return token

    return _REPEATS.sub(r"\1\1", _TOKEN.sub(decode, text))


def _decode_leet(token: str) -> str | None:
    """The word a leetspeak token spells (``sh1t``, ``m0r0n``), or None if it is not one."""
    positions = [i for i, ch in enumerate(token) if ch in _LEET]
    letters = sum(ch.isalpha() for ch in token)
    if not positions or not letters or _NON_LEET_DIGIT.search(token):
        return None
    chars = [_LEET.get(ch, ch) for ch in token]
    ambiguous = [i for i in positions if token[i] in "1!"]
    if len(ambiguous) <= 4:
        for choice in product("il", repeat=len(ambiguous)):
            for i, ch in zip(ambiguous, choice, strict=True):
                chars[i] = ch
            if _is_listed("".join(chars)):
                return "".join(chars)
    if "!" in token or letters < 3 or not any(_is_interior(token, i) for i in positions):
        return None
    for i in ambiguous:
        chars[i] = _i_or_l(token, chars, i)
    return "".join(chars)


def _is_interior(token: str, i: int) -> bool:
    def wordy(part: str) -> bool:
        return any(ch.isalpha() or ch in _MASKS for ch in part)

    return wordy(token[:i]) and wordy(token[i + 1 :])


def _i_or_l(token: str, chars: list[str], i: int) -> str:
    """Guess whether a ``1`` is an i or an l from its neighbours: bu11y, ho1e, s1ut, sh1t."""
    if "1" in token[max(i - 1, 0) : i] + token[i + 1 : i + 2]:
        return "l"
    before = chars[i - 1] if i > 0 else ""
    after = chars[i + 1] if i + 1 < len(chars) else ""
    if after and after in _VOWELS and (not before or before in _VOWELS + _L_CLUSTER):
        return "l"
    return "i"


def _unmask(token: str) -> str | None:
    """The listed word a masked token stands for (``f*ck``, ``a**hole``, ``f**king``), if any."""
    if not token[0].isalpha() or not any(ch in _MASKS for ch in token):
        return None
    for word in masked_words():
        head, tail = token[: len(word)], token[len(word) :]
        if len(head) < len(word) or (tail and not tail.isalpha()):
            continue
        if all(ch == w or ch in _MASKS for ch, w in zip(head, word, strict=True)):
            return word + tail
    return None
