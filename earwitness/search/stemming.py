"""Words and their stems: one tokeniser and one stemmer per language, shared by the index and
the query so that both sides reduce "Минске" and "Минск" to the same string.

Tokens are runs of letters and digits (a Unicode word without the underscore), with an
apostrophe allowed inside a word (Ukrainian "м'ясо", Belarusian "сям'я", English "don't"). A
token is normalised by dropping stress marks and apostrophes, casefolding and writing ё as е;
in a Cyrillic word a Latin "i" (typed on a Russian keyboard for Ukrainian/Belarusian "і") becomes
the Cyrillic one. Tokens are cut to ``MAX_TOKEN`` characters on both sides, so a hostile
10,000-letter "word" costs nothing and both databases see the same string.

English and Russian use the Snowball stemmers (``snowballstemmer``), and so does any other
language Snowball knows. Snowball has no Ukrainian or Belarusian: ``stem_uk`` and ``stem_be``
are light suffix strippers written here (see their docstrings for what they do not handle).
A language nobody stems (``None`` on a document, or an unknown code) keeps the normalised word.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache

import snowballstemmer

MAX_TOKEN = 64
MIN_STEM = 3
CORE_LANGUAGES = ("en", "ru", "be", "uk")

# A word: letters/digits, optionally joined by apostrophes (ASCII, right quote, modifier letter),
# each letter possibly followed by combining marks (stress accents in Russian teaching texts).
_MARKS = "\u0300-\u036f"
_WORD = re.compile(rf"[^\W_][{_MARKS}]*(?:(?:['\u2019\u02bc]?[^\W_])[{_MARKS}]*)*")
_STRESS = dict.fromkeys(map(ord, "\u0301\u0300"))
_APOSTROPHES = dict.fromkeys(map(ord, "'\u2019\u02bc"))
_CYRILLIC = re.compile("[\u0400-\u04ff]")

# ISO 639-1 codes of the Snowball algorithms we use (others could be added the same way).
_SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque",
    "fi": "finnish", "fr": "french", "hu": "hungarian", "hy": "armenian", "id": "indonesian",
    "it": "italian", "lt": "lithuanian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "tr": "turkish", "yi": "yiddish",
}  # fmt: skip


@lru_cache(maxsize=200_000)
def normalise(token: str) -> str:
    """The comparable form of one token (see the module docstring); cached, since a language's
    common words make most of any text."""
    text = unicodedata.normalize("NFD", token).translate(_STRESS).translate(_APOSTROPHES)
    text = unicodedata.normalize("NFC", text).casefold().replace("ё", "е")
    if "i" in text and _CYRILLIC.search(text):
        text = text.replace("i", "і")
    return text[:MAX_TOKEN]


def spans(text: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, normalised token)`` for each word of ``text`` (offsets into ``text``)."""
    for match in _WORD.finditer(text):
        token = normalise(match.group())
        if token:
            yield match.start(), match.end(), token


def tokens(text: str) -> list[str]:
    return [token for _, _, token in spans(text)]


def _strip(word: str, endings: tuple[str, ...]) -> str:
    """Remove the longest ending of ``endings`` that leaves at least ``MIN_STEM`` characters."""
    for ending in endings:  # longest first
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            return word[: -len(ending)]
    return word


def _by_length(*groups: str) -> tuple[str, ...]:
    endings = {ending for group in groups for ending in group.split()}
    return tuple(sorted(endings, key=lambda ending: (-len(ending), ending)))


# Ukrainian. Only endings that start with a vowel, й or ь: a past-tense "-ла/-ли" would also cut
# nouns like "школа" to "шко" while "школу" keeps "школ".
_UK_REFLEXIVE = ("ся", "сь")
_UK_ENDINGS = _by_length(
    # nouns: cases of all declensions, singular and plural
    "а я у ю і ї и о е є ь ом ем єм ою ею єю ам ям ах ях ами ями ів їв ей ові еві єві",
    # adjectives and pronoun-like adjectives, all genders and cases
    "ий ій ого ього ому ьому ім їм им ими іми их іх ої ую юю",
    # verbs: infinitive, present, past (vowel-led), imperative
    "ти ити іти ати яти ути ть ить іть ать ять уть ють еш єш иш ете єте ите емо ємо имо ав ив яв",
)

# Belarusian: і (never и), ы, э, ў; ё is already е after ``normalise``.
_BE_REFLEXIVE = ("ся",)
_BE_ENDINGS = _by_length(
    # nouns
    "а я у ю ы і е о ь ам ям ой ай ою ею ах ях амі ямі аў яў оў еў ем ом эй ей",
    # adjectives
    "ы і ы ага яга аму яму ым ім ых іх ымі імі ая яя ую юю ое ее ыя ія ой эй",
    # verbs
    "ць ці ыць іць аць яць уць юць ець еш эш ыш іш ыце іце еце ім ым ем аў ыў іў яў",
)


def stem_uk(word: str) -> str:
    """A light Ukrainian stemmer: drop a reflexive "-ся/-сь", then the longest ending of a
    noun, adjective or verb that leaves a stem of at least three letters.

    "Мінськ/Мінську/Мінська" → "мінськ", "протестувальників/протестувальники" →
    "протестувальник". It does not undo vowel alternations (Київ/Києва, кіт/кота) or
    consonant changes (рука/руці), and past tenses in "-ла/-ли" keep their "л"."""
    return _strip(_strip(word, _UK_REFLEXIVE), _UK_ENDINGS)


def stem_be(word: str) -> str:
    """A light Belarusian stemmer: a word-initial "ў" is written "у" (it alternates after a
    vowel), then a reflexive "-ся" and the longest noun, adjective or verb ending are dropped,
    keeping three letters. Reflexive infinitives in "-цца" keep it ("-ца" also ends nouns).

    "Мінск/Мінску/Мінскам" → "мінск", "пратэстоўцаў/пратэстоўцы" → "пратэстоўц". Like
    ``stem_uk`` it leaves alternations (нага/назе) alone."""
    if word.startswith("ў"):
        word = "у" + word[1:]
    return _strip(_strip(word, _BE_REFLEXIVE), _BE_ENDINGS)


_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_LOCK = threading.Lock()


def _snowball(algorithm: str) -> Callable[[str], str]:
    # A Snowball stemmer object keeps its state between calls: one per language, used under a lock.
    stemmer = snowballstemmer.stemmer(algorithm)
    with _LOCKS_LOCK:
        lock = _LOCKS.setdefault(algorithm, threading.Lock())

    def stem(word: str) -> str:
        with lock:
            return str(stemmer.stemWord(word))

    return stem


_OWN: dict[str, Callable[[str], str]] = {"uk": stem_uk, "be": stem_be}


@lru_cache(maxsize=64)
def _stemmer(language: str | None) -> Callable[[str], str] | None:
    if language is None:
        return None
    base = language.casefold().split("-")[0].split("_")[0]
    if base in _OWN:
        return _OWN[base]
    if base in _SNOWBALL:
        return _snowball(_SNOWBALL[base])
    return None


def stems_language(language: str | None) -> bool:
    """Whether words of ``language`` are stemmed (else they are kept as normalised)."""
    return _stemmer(language) is not None


@lru_cache(maxsize=200_000)
def stem(token: str, language: str | None) -> str:
    """The stem of one normalised token in ``language`` (the token itself when unstemmed)."""
    stemmer = _stemmer(language)
    if stemmer is None:
        return token
    return stemmer(token) or token


def document_stems(token: str, language: str | None) -> tuple[str, ...]:
    """What a document indexes for ``token``: its stem in the document's language, or, for a
    document of no known language (speaker names, some notes), its stem in each core language
    (duplicates dropped, order kept)."""
    if language is not None:
        return (stem(token, language),)
    return tuple(dict.fromkeys(stem(token, code) for code in CORE_LANGUAGES))


def query_stems(token: str, languages: Iterable[str | None]) -> tuple[str, ...]:
    """Every stem a query word may have in a document of one of ``languages``."""
    found: dict[str, None] = {}
    for language in languages:
        for form in document_stems(token, language):
            found[form] = None
    return tuple(found)
