"""Carrying a review to a transcript made again, from the workbench (``POST …/carry``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from earwitness.web.state import Workbench
from tests.web.conftest import WorkbenchClient
from tests.web.test_review_api import (
    SENTENCES,
    _correct,
    _post,
    _review,
    exhibit,
    make_transcript,
    store_transcript,
)

__all__ = ["exhibit"]  # the fixture

Client = Callable[..., WorkbenchClient]


def test_an_editor_carries_the_review_and_the_page_says_so(
    app_client: Client, exhibit: str, workbench: Workbench
):
    anna = app_client("editor", name="anna")
    assert (
        _post(anna, exhibit, _correct(1, "the money went through the bank"), {"1": 0}).status_code
        == 200
    )
    note = {"kind": "add_annotation", "start": 0.5, "end": 0.9, "text": "ask", "tags": []}
    assert _post(app_client("reviewer", name="boris"), exhibit, note).status_code == 200
    # Transcribed again: the same speech, new English.
    again = make_transcript(exhibit, SENTENCES)
    better = tuple(replace(t, text=f" better {t.id}") for t in again.translation or ())
    again = replace(again, translation=better)
    store_transcript(workbench.case, exhibit, again)
    assert _review(anna, exhibit)["earlier_edits"] == {"edits": 2, "transcripts": 1}

    reviewer = app_client("reviewer")
    assert reviewer.post(f"/api/exhibits/{exhibit}/carry", json={}).status_code == 403
    clara = app_client("editor", name="clara")
    bad = clara.post(f"/api/exhibits/{exhibit}/carry", json={"dry_run": "yes"})
    assert bad.status_code == 422 and "dry_run" in bad.json()["error"]

    dry = clara.post(f"/api/exhibits/{exhibit}/carry", json={"dry_run": True})
    assert dry.status_code == 200, dry.text
    assert dry.json()["edits"] == 2 and dry.json()["left"] == []
    assert _review(clara, exhibit)["earlier_edits"] == {"edits": 2, "transcripts": 1}

    done = clara.post(f"/api/exhibits/{exhibit}/carry", json={"dry_run": False})
    assert done.status_code == 200 and done.json()["edits"] == 2
    body = _review(app_client("viewer"), exhibit)
    assert body["earlier_edits"] == {
        "edits": 2,
        "transcripts": 1,
        "carried": 2,
        "left": 0,
        "carried_by": "clara",
    }
    assert body["segments"][1]["text"].strip() == "the money went through the bank"
    assert body["segments"][1]["translation"].strip() == "better 1"
    assert [(a["text"], a["account"]) for a in body["annotations"]] == [("ask", "boris")]
    assert body["provenance"] == "ASR + 1 correction by 1 reviewer"
    found = clara.get("/api/search", params={"q": "went"})
    assert found.status_code == 200 and exhibit in json.dumps(found.json())

    twice = clara.post(f"/api/exhibits/{exhibit}/carry", json={})
    assert twice.status_code == 409 and "already" in twice.json()["error"]


def test_what_a_carry_left_behind_is_listed_on_the_review(
    app_client: Client, exhibit: str, workbench: Workbench
):
    anna = app_client("editor", name="anna")
    assert _post(anna, exhibit, _correct(3, "call me after the trial"), {"3": 0}).status_code == 200
    # Transcribed again, the last sentence not heard at all.
    store_transcript(workbench.case, exhibit, make_transcript(exhibit, SENTENCES[:3]))
    assert "carried_by" not in _review(anna, exhibit)["earlier_edits"]  # read, and kept
    done = anna.post(f"/api/exhibits/{exhibit}/carry", json={})
    assert done.status_code == 200 and done.json()["edits"] == 0
    [item] = done.json()["left"]
    assert item == {
        "start": 1.5,
        "end": 2.0,
        "what": "the reviewed segment",
        "why": "the newer transcript has no speech there",
    }
    earlier = _review(app_client("viewer"), exhibit)["earlier_edits"]
    assert earlier["left"] == 1 and earlier["to_redo"] == [item]
