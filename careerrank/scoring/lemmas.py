"""Lemmas of Russian and English posting text: the vocabulary of the scorer's TF-IDF features.

Russian words go through pymorphy3 (the first parse's normal form); English words through a small
deterministic suffix stemmer (plurals, -ing, -ed, a final -e), so "developers"/"developer" and
"разработчиков"/"разработчик" meet. Technology names survive tokenisation whole: ``c++``, ``c#``,
``.net``, ``node.js``, ``asp.net``; ``1c`` typed in Latin becomes ``1с`` and ``с++``/``с#`` typed in
Cyrillic become ``c++``/``c#``. Numbers, stop words and one-letter tokens (except ``c`` and ``r``) drop out.

Speed, one thread on a 2-core development machine (shared with other work, so the spread), over 4,000
Russian sentences of real SuperJob postings (66.7k tokens, 10.7k distinct): warm cache 1.5-2.4M words/s;
cold cache (a fresh instance) 240-370k words/s on that text, where each distinct word costs one pymorphy3
parse at 35-65k words/s. Creating the MorphAnalyzer on first use takes 0.05-0.07 s.
"""

from __future__ import annotations

import re
from typing import Final

import pymorphy3

# Russian function words and their lemmas (lemmas are checked too, so "этих" drops as "этот").
_RUSSIAN_STOP: Final = (
    "а без более бы был быть в вам вас весь во вот все всего всех вы где да даже для до его ее ей ему если есть "
    "еще же за здесь и из или им их к как какой кто ли либо между меня мне мной может мочь мы на над надо наш "
    "не него нее нет ни них но ну о об один он она они оно от очень по под после при про с свой себя со так "
    "также такой там тем то тоже только тот у уже хотя чем через что чтобы это этот я"
)
# English function words; "it" is not one of them here, it names the industry.
_ENGLISH_STOP: Final = (
    "a about all also an and any are as at be been being but by can could do does for from has have he her his "
    "i if in into is its may more most must no not of on or our she should so some such than that the their "
    "them then there these they this those to us was we were what when where which while who will with would "
    "you your"
)
STOP_WORDS: Final[frozenset[str]] = frozenset(_RUSSIAN_STOP.split() + _ENGLISH_STOP.split())
_SHORT_KEPT: Final = frozenset({"c", "r"})  # the languages C and R
_ALIASES: Final = {"1c": "1с", "с++": "c++", "с#": "c#"}  # the usual keyboard-layout mix-ups
_TOKEN: Final = re.compile(
    # A Cyrillic word (leading digits allowed for "1с"), or a Latin/digit word with inner dots and an
    # optional leading dot ("node.js", ".net") and a trailing "++"/"#" ("c++", "c#"). The lookbehind keeps
    # a sentence-ending dot glued to the next word ("опыт.Python") out of the token.
    r"[0-9]*[а-я][0-9а-я]*(?:\+\+|#)?|(?:(?<![0-9a-zа-я.])\.)?[0-9a-z]+(?:\.[0-9a-z]+)*(?:\+\+|#)?"
)
_CYRILLIC: Final = re.compile(r"[а-я]")
_LATIN_WORD: Final = re.compile(r"[a-z]+")
_NUMBER: Final = re.compile(r"[0-9.]+")
_MAX_CACHE: Final = 500_000


def stem_english(word: str) -> str:
    """A conservative suffix stemmer for a lowercase Latin word; other tokens come back unchanged."""
    if len(word) < 4 or not _LATIN_WORD.fullmatch(word):
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes", "zes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "os")) and not (word.endswith("is") and len(word) > 4):
        word = word[:-1]
    else:
        for suffix in ("ing", "ed"):
            stem = word[: -len(suffix)]
            # Too short or vowel-less stems are not inflections: "string", "need", "red".
            if word.endswith(suffix) and len(stem) >= 3 and any(v in stem for v in "aeiouy"):
                if len(stem) >= 4 and stem[-1] == stem[-2] and stem[-1] not in "lsz":
                    stem = stem[:-1]  # "programming" -> "program", "embedded" -> "embed"
                return stem
    # Dropping a final "e" joins "manage"/"managed"/"managing" on "manag"; "-ee" is a noun ("employee").
    if len(word) >= 4 and word.endswith("e") and not word.endswith("ee"):
        word = word[:-1]
    return word


class Lemmatizer:
    """Text to lemmas: tokenise, lowercase, drop stop words, lemmatise; one cache per instance.

    Meant for one thread: the cache is a plain dict and is shared by every call on the instance.
    """

    def __init__(self) -> None:
        self._morph: pymorphy3.MorphAnalyzer | None = None
        # Word -> lemma, "" for a dropped word: a repeated word costs one dict lookup.
        self._cache: dict[str, str] = {}

    def lemmas(self, text: str) -> list[str]:
        """The lemmas of ``text`` in order, stop words, numbers and one-letter tokens left out."""
        cache = self._cache
        out: list[str] = []
        for token in _TOKEN.findall(text.lower().replace("ё", "е")):
            lemma = cache.get(token)
            if lemma is None:
                lemma = self._lemma(token)
                if len(cache) >= _MAX_CACHE:
                    cache.clear()
                cache[token] = lemma
            if lemma:
                out.append(lemma)
        return out

    def lemma(self, word: str) -> str:
        """The lemma of one lowercase token (as the tokeniser cuts it); "" where the token drops out."""
        return self._lemma(word)

    def _lemma(self, token: str) -> str:
        token = _ALIASES.get(token, token)
        if token in STOP_WORDS or _NUMBER.fullmatch(token) or (len(token) == 1 and token not in _SHORT_KEPT):
            return ""
        if not _CYRILLIC.search(token):
            return stem_english(token)
        if token.endswith(("++", "#")):
            token = token.rstrip("+#")  # only "с++"/"с#" mean something, and the aliases took those
        if self._morph is None:
            self._morph = pymorphy3.MorphAnalyzer()
        lemma: str = self._morph.parse(token)[0].normal_form.replace("ё", "е")
        if lemma in STOP_WORDS or (len(lemma) == 1 and lemma not in _SHORT_KEPT):
            return ""
        return lemma
