"""GET /api/search and the /search page through the real app (real SQLite, real login)."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from earwitness.forensics.registry import kind_label
from earwitness.search import SearchIndex
from earwitness.web.state import Workbench
from tests.search.conftest import CORPUS, A
from tests.web.conftest import app, app_client, workbench  # noqa: F401  (the web fixtures)


def _fill(bench: Workbench) -> None:
    SearchIndex(bench.engine).upsert(CORPUS)


def test_viewer_searches_and_each_hit_opens_the_moment(
    workbench: Workbench,  # noqa: F811
    app_client: Callable[..., TestClient],  # noqa: F811
) -> None:
    _fill(workbench)
    viewer = app_client("viewer")
    answer = viewer.get("/api/search", params={"q": "Минске", "language": "RU"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert isinstance(body["took_ms"], float)
    assert {hit["key"] for hit in body["hits"]} == {"0", "2"}
    first = next(hit for hit in body["hits"] if hit["key"] == "2")
    assert first["url"] == f"/exhibits/{A}#t=10.00"
    assert first["snippet"] == "<mark>Минск</mark> стоит, а протест продолжается."
    speakers = viewer.get("/api/search", params={"q": "иван", "kind": "speaker"}).json()
    assert [hit["url"] for hit in speakers["hits"]] == [f"/exhibits/{A}"]
    tagged = viewer.get("/api/search", params={"tag": "проверить", "exhibit": A}).json()
    assert [hit["kind"] for hit in tagged["hits"]] == ["annotation"]
    assert tagged["hits"][0]["tags"] == ["проверить", "name"]
    # Findings by the kind the filter takes and by the dossier's words for it.
    edited = viewer.get("/api/search", params={"finding": "hum_mismatch"}).json()["hits"]
    assert {hit["key"] for hit in edited} == {"2"}
    assert [(hit["findings"], hit["finding_labels"]) for hit in edited] == [
        (["edit_point", "hum_mismatch"], [kind_label("edit_point"), "hum mismatch"])
    ]


def test_refusals_are_one_line_json(
    workbench: Workbench,  # noqa: F811
    app_client: Callable[..., TestClient],  # noqa: F811
    app,  # noqa: F811
) -> None:
    _fill(workbench)
    anonymous = TestClient(app, base_url="https://testserver")
    assert anonymous.get("/api/search", params={"q": "Минск"}).status_code == 401
    viewer = app_client("viewer")
    many = viewer.get("/api/search", params={"q": "слово " * 40})
    assert many.status_code == 400 and "at most" in many.json()["error"]
    assert viewer.get("/api/search", params={"q": "x", "kind": "file"}).status_code == 400
    assert viewer.get("/api/search", params={"q": "x", "limit": "0"}).status_code == 422
    assert viewer.get("/api/search", params={"q": "x" * 10_001}).status_code == 422
    for hostile in ['"', "NEAR(a", "\x00Минск", "*)(", "' OR 1=1 --"]:
        answer = viewer.get("/api/search", params={"q": hostile, "speaker": "'\x00"})
        assert answer.status_code == 200 and answer.json()["hits"] == []


def test_search_page_has_no_inline_script(
    app_client: Callable[..., TestClient],  # noqa: F811
) -> None:
    viewer = app_client("viewer")
    page = viewer.get("/search?q=%3Cscript%3E")
    assert page.status_code == 200
    assert '<script src="/static/search.js"></script>' in page.text
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page.text)
    assert "<script>" not in page.text and " on" + "click=" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    script = viewer.get("/static/search.js")
    assert script.status_code == 200 and "/api/search?" in script.text
    assert "innerHTML" not in script.text.replace("template.innerHTML", "")
    assert viewer.get("/static/search.css").status_code == 200
