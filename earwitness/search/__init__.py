"""Search across a case: transcripts, translations, annotations and speaker names, with the
words stemmed for Russian, Belarusian, Ukrainian and English (and any other language Snowball
knows), on SQLite FTS5 or PostgreSQL full-text search. Pure apart from the database it is given.
"""

from earwitness.search.documents import (
    Annotation,
    Document,
    Finding,
    Hit,
    SearchQuery,
    SearchQueryInvalid,
    exhibit_documents,
)
from earwitness.search.index import SearchIndex

__all__ = [
    "Annotation",
    "Document",
    "Finding",
    "Hit",
    "SearchIndex",
    "SearchQuery",
    "SearchQueryInvalid",
    "exhibit_documents",
]
