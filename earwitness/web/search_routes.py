"""Search across the case: ``GET /api/search`` and the page ``GET /search``.

- ``GET /api/search?q=&exhibit=&speaker=&language=&kind=&tag=&finding=&limit=`` (viewer) →
  ``{"hits": [...], "took_ms": …}``. Each hit is a document of the index (``search.Hit``:
  exhibit, kind, key, times, language, speaker, tags, findings, text, ``snippet`` — HTML,
  escaped, matched words in ``<mark>`` — and ``score``) plus ``finding_labels``, the
  dossier's words for its findings' kinds, and ``url``, the review page at the hit's moment
  (``/exhibits/SHA#t=START``). A query the index refuses (too many words, an
  unknown kind) is a 400 ``{"error"}``.
- ``GET /search``: the page (templates/search.html, static/search.js), which calls the API.
"""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from earwitness.forensics.registry import kind_label
from earwitness.search import SearchIndex, SearchQuery
from earwitness.search.documents import MAX_LIMIT
from earwitness.web.accounts import Account
from earwitness.web.auth import current_account, require, workbench
from earwitness.web.state import Workbench
from earwitness.web.templating import page

router = APIRouter()

Viewer = Annotated[Account, Depends(require("viewer"))]
Bench = Annotated[Workbench, Depends(workbench)]
_SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_QUERY = 10_000
MAX_FILTER = 500


def hit_url(exhibit_sha256: str, start: float | None) -> str | None:
    """The review page of the hit's exhibit at its moment; None for a malformed hash (a
    stored row is not trusted to be a path segment)."""
    if not _SHA256.fullmatch(exhibit_sha256):
        return None
    if start is None:
        return f"/exhibits/{exhibit_sha256}"
    return f"/exhibits/{exhibit_sha256}#t={max(0.0, start):.2f}"


def _optional(value: str | None) -> str | None:
    return value if value else None


@router.get("/api/search", tags=["search"])
def search(
    _account: Viewer,
    bench: Bench,
    q: Annotated[str, Query(max_length=MAX_QUERY)] = "",
    exhibit: Annotated[str | None, Query(max_length=64)] = None,
    speaker: Annotated[str | None, Query(max_length=MAX_FILTER)] = None,
    language: Annotated[str | None, Query(max_length=16)] = None,
    kind: Annotated[str | None, Query(max_length=16)] = None,
    tag: Annotated[str | None, Query(max_length=MAX_FILTER)] = None,
    finding: Annotated[str | None, Query(max_length=MAX_FILTER)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> dict[str, Any]:
    """Documents of the case matching every word of ``q`` (any inflection, in Russian,
    Belarusian, Ukrainian, English and the other languages indexed) and every filter, best
    first; with filters and no words, the filtered documents in recording order."""
    began = time.perf_counter()
    query = SearchQuery(
        text=q,
        exhibit=_optional(exhibit),
        speaker=_optional(speaker),
        language=_optional(language.casefold()) if language else None,
        kind=_optional(kind),
        tag=_optional(tag),
        finding=_optional(finding),
        limit=limit,
    )
    hits = SearchIndex(bench.engine).search(query)
    return {
        "hits": [
            {
                **hit.to_dict(),
                # The dossier's words for each finding kind ("Observation", not "other").
                "finding_labels": [kind_label(name) for name in hit.findings],
                "url": hit_url(hit.exhibit_sha256, hit.start),
            }
            for hit in hits
        ],
        "took_ms": round((time.perf_counter() - began) * 1000, 1),
    }


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
def search_page(
    request: Request, _account: Annotated[Account, Depends(current_account)]
) -> HTMLResponse:
    return page(request, "search.html")
