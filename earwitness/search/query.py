"""A user's query text turned into stems, the full-text expressions of both databases, and the
snippet of a hit.

The query is hostile text. It is split by the same tokeniser as the documents
(``stemming.spans``), so quotes, ``NEAR``/``OR``/``*``, parentheses, NUL or a 10,000-letter word
never reach a database as syntax: each word becomes a quoted stem (FTS5 string, tsquery lexeme),
and the expression's operators are written here. Double quotes around words make a phrase.
Each word (or phrase) is a *term*: its alternatives are its stems in every language searched,
OR-ed; the terms are AND-ed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from earwitness.search.documents import MAX_TERMS, SearchQueryInvalid
from earwitness.search.stemming import CORE_LANGUAGES, document_stems, spans, stem

_PHRASE = re.compile(r'"([^"]*)"')
SNIPPET_CHARS = 240
_PREFIX_STEMMED = frozenset([*CORE_LANGUAGES, None])


@dataclass(frozen=True)
class Term:
    """One word or phrase of the query: its alternatives, each a sequence of stems."""

    alternatives: tuple[tuple[str, ...], ...]


def languages_to_search(language: str | None, present: Iterable[str]) -> tuple[str, ...]:
    """The languages a query's words are stemmed in: the filter's, else the four we stem plus
    every language the index holds (a German transcript is searched with the German stem)."""
    if language is not None:
        return (language,)
    return tuple(dict.fromkeys([*CORE_LANGUAGES, *sorted(present)]))


def parse(text: str, languages: Sequence[str]) -> list[Term]:
    """The terms of ``text`` (see the module docstring). Raises ``SearchQueryInvalid`` for more
    than ``MAX_TERMS`` terms: a longer query is refused rather than cut short unseen."""
    text = text.replace("\x00", " ")
    pieces: list[list[str]] = []
    last = 0
    for match in _PHRASE.finditer(text):
        pieces.extend([token] for _, _, token in spans(text[last : match.start()]))
        words = [token for _, _, token in spans(match.group(1))]
        if words:
            pieces.append(words)
        last = match.end()
    pieces.extend([token] for _, _, token in spans(text[last:]))
    if len(pieces) > MAX_TERMS:
        raise SearchQueryInvalid(f"search query: {len(pieces)} words, at most {MAX_TERMS}")
    terms: list[Term] = []
    for words in pieces:
        alternatives: dict[tuple[str, ...], None]
        if len(words) == 1:
            alternatives = {(form,): None for lang in languages for form in _forms(words[0], lang)}
        else:  # a phrase is in one language: stem all its words in the same one
            alternatives = {tuple(stem(word, lang) for word in words): None for lang in languages}
        term = Term(tuple(alternatives))
        if term not in terms:
            terms.append(term)
    return terms


def _forms(token: str, language: str) -> tuple[str, ...]:
    return document_stems(token, language)


def stems_of(terms: Sequence[Term]) -> frozenset[str]:
    return frozenset(form for term in terms for alt in term.alternatives for form in alt)


def fts5_expression(terms: Sequence[Term]) -> str:
    """An FTS5 MATCH expression: every stem a double-quoted string (a phrase when several)."""

    def quoted(alternative: tuple[str, ...]) -> str:
        return '"' + " ".join(alternative).replace('"', '""') + '"'

    return " AND ".join(
        "(" + " OR ".join(quoted(alt) for alt in term.alternatives) + ")" for term in terms
    )


def tsquery_expression(terms: Sequence[Term]) -> str:
    """A ``to_tsquery('simple', …)`` expression: each stem a quoted lexeme, phrases with <->."""

    def lexeme(form: str) -> str:
        return "'" + form.replace("\\", "\\\\").replace("'", "''") + "'"

    def alternative(alt: tuple[str, ...]) -> str:
        return "(" + " <-> ".join(lexeme(form) for form in alt) + ")"

    return " & ".join(
        "(" + " | ".join(alternative(alt) for alt in term.alternatives) + ")" for term in terms
    )


def snippet(text: str, language: str | None, matched: frozenset[str]) -> str:
    """The text around the first match, HTML-escaped, each word whose stem matched in <mark>.

    Whole for a short text; else about ``SNIPPET_CHARS`` characters cut at word boundaries,
    with an ellipsis where text was left out."""
    words = list(spans(text))
    # Stemming every word of 50 hits is most of a search's time; in the four languages we stem
    # a stem keeps the word's first letter (Belarusian's ў becomes у), so only words starting
    # like a stem are tried.
    heads = {form[:1] for form in matched} if language in _PREFIX_STEMMED else None
    hits = [
        (start, end)
        for start, end, token in words
        if (heads is None or token[:1].replace("ў", "у") in heads)
        and matched.intersection(document_stems(token, language))
    ]
    lo, hi = 0, len(text)
    if len(text) > SNIPPET_CHARS:
        centre = hits[0][0] if hits else 0
        lo = max(0, centre - SNIPPET_CHARS // 3)
        hi = min(len(text), lo + SNIPPET_CHARS)
        lo = next((start for start, _, _ in words if start >= lo), lo) if lo else 0
        hi = next((end for _, end, _ in reversed(words) if end <= hi), hi)
    out: list[str] = ["…"] if lo > 0 else []
    cursor = lo
    for start, end in hits:
        if start < lo or end > hi:
            continue
        out.append(html.escape(text[cursor:start]))
        out.append("<mark>" + html.escape(text[start:end]) + "</mark>")
        cursor = end
    out.append(html.escape(text[cursor:hi]))
    if hi < len(text):
        out.append("…")
    return "".join(out)
