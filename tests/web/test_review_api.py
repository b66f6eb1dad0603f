"""The review JSON API against a real case, a real workbench database and real sessions: what
a page reads, what an edit writes into custody, who may do what, conflicts, audio and peaks.

The transcript is made by hand (no Whisper) and stored as the ``transcript`` stage's artefact,
exactly where ``earwitness transcribe`` would have put it.
"""

from __future__ import annotations

import io
import json
import os
import threading
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.formats.transcript_json import render_json
from earwitness.jobs.transcribe import TRANSCRIPT
from earwitness.speech.types import Segment, Transcript, Word
from earwitness.vault.artefacts import list_artefacts, store_artefact
from earwitness.vault.case import Case
from earwitness.vault.custody import iter_events
from earwitness.vault.intake import ingest_paths
from earwitness.web import review_service
from earwitness.web.review_audio import RangeNotSatisfiable, parse_range
from earwitness.web.state import Workbench
from tests.conftest import write_wav
from tests.strategies import json_values
from tests.web.conftest import WorkbenchClient

Client = Callable[..., WorkbenchClient]
SENTENCES = [
    "Vitya Aga guys we meet in Minsk",
    "the money goes through the bank",
    "nobody else must know about it",
    "call me after the meeting",
]


def make_transcript(sha256: str, texts: list[str], seconds_each: float = 0.5) -> Transcript:
    """A transcript with word times, two speakers and an English translation."""
    segments, translation = [], []
    for index, text in enumerate(texts):
        start = index * seconds_each
        words = text.split()
        step = seconds_each / len(words)
        timed = tuple(
            Word(round(start + k * step, 4), round(start + (k + 1) * step, 4), " " + word, 0.9)
            for k, word in enumerate(words)
        )
        speaker = f"S{index % 2 + 1}"
        segments.append(
            Segment(index, start, start + seconds_each, " " + text, timed, speaker=speaker)
        )
        translation.append(
            Segment(index, start, start + seconds_each, f" translated {index}", speaker=speaker)
        )
    return Transcript(
        exhibit_sha256=sha256,
        language="en",
        segments=tuple(segments),
        model_name="hand-made",
        model_sha256="0" * 64,
        translation_language="en",
        translation=tuple(translation),
        translation_method="hand",
        duration=len(texts) * seconds_each,
    )


def store_transcript(case: Case, sha256: str, transcript: Transcript) -> None:
    store_artefact(
        case,
        sha256,
        TRANSCRIPT.name,
        render_json(transcript),
        filename=TRANSCRIPT.filename,
        media_type=TRANSCRIPT.media_type,
        params={"hand_made": True},
        model_sha256=transcript.model_sha256,
        action="transcribe",
    )


@pytest.fixture
def exhibit(workbench: Workbench, tmp_path: Path) -> str:
    case = workbench.case
    (outcome,) = ingest_paths(case, [write_wav(tmp_path / "in" / "call.wav", seconds=2.0)])
    assert outcome.sha256
    store_transcript(case, outcome.sha256, make_transcript(outcome.sha256, SENTENCES))
    return outcome.sha256


def _review(client: WorkbenchClient, sha256: str) -> dict:
    answer = client.get(f"/api/exhibits/{sha256}/review")
    assert answer.status_code == 200, answer.text
    return answer.json()


def _post(client: WorkbenchClient, sha256: str, edit: dict, versions: dict | None = None):
    body = {"edit": edit, "base_versions": versions or {}}
    return client.post(f"/api/exhibits/{sha256}/edits", json=body)


def _correct(segment: int, text: str) -> dict:
    return {"kind": "correct_text", "segment_id": segment, "text": text}


def test_the_review_shows_segments_versions_and_provenance(app_client: Client, exhibit: str):
    viewer = app_client("viewer")
    body = _review(viewer, exhibit)
    assert body["provenance"] == "ASR (no corrections)"
    assert body["name"] == "call.wav" and body["language"] == "en"
    first = body["segments"][0]
    assert first["text"] == first["asr_text"] == " " + SENTENCES[0]
    assert first["version"] == 0 and first["translation"] == " translated 0"
    assert len(first["words"]) == 7 and set(body["speakers"]) == {"S1", "S2"}
    listed = viewer.get("/api/exhibits").json()
    assert [(e["sha256"], e["has_transcript"]) for e in listed] == [(exhibit, True)]


def test_edits_on_an_earlier_transcript_are_counted_not_shown(
    app_client: Client, exhibit: str, workbench: Workbench
):
    editor = app_client("editor", name="anna")
    assert _review(editor, exhibit)["earlier_edits"] == {"edits": 0, "transcripts": 0}
    assert _post(editor, exhibit, _correct(0, "said by hand"), {"0": 0}).status_code == 200
    assert _post(editor, exhibit, {"kind": "redact", "start": 0.5, "end": 0.7}).status_code == 200
    # The recording is transcribed again (another model): a new review starts.
    store_transcript(workbench.case, exhibit, make_transcript(exhibit, SENTENCES[::-1]))
    body = _review(app_client("viewer"), exhibit)
    assert body["provenance"] == "ASR + 1 correction by 1 reviewer"  # the redaction
    assert "said by hand" not in json.dumps(body, ensure_ascii=False)
    assert body["earlier_edits"] == {"edits": 1, "transcripts": 1}  # the redaction carries
    assert body["redactions"] == [[0.5, 0.7]]


def test_a_correction_is_saved_in_custody_and_the_asr_stays_visible(
    app_client: Client, exhibit: str, workbench: Workbench
):
    editor = app_client("editor", name="anna")
    answer = _post(editor, exhibit, _correct(0, "Бедняга, ребят, we meet in Minsk"), {"0": 0})
    assert answer.status_code == 200, answer.text
    saved = answer.json()
    assert saved["provenance"] == "ASR + 1 correction by 1 reviewer"
    assert [s["id"] for s in saved["segments"]] == [0] and saved["segments"][0]["version"] == 1
    events = [e for e in iter_events(workbench.case.paths.custody) if e.action == "review"]
    assert len(events) == 1 and events[0].details["artefact"]["params"]["account"] == "anna"
    assert "Бедняга" not in json.dumps(events[0].details, ensure_ascii=False)  # words stay out
    # A fresh process (no cache) reads the same thing back from the case.
    review_service.forget(workbench)
    again = _review(app_client("viewer"), exhibit)["segments"][0]
    assert again["text"].strip() == "Бедняга, ребят, we meet in Minsk"
    assert again["asr_text"] == " " + SENTENCES[0]


def test_the_same_segment_from_an_old_version_is_a_conflict(app_client: Client, exhibit: str):
    first, second = app_client("editor"), app_client("editor")
    assert _post(first, exhibit, _correct(1, "the money goes via the bank"), {"1": 0}).is_success
    late = _post(second, exhibit, _correct(1, "the honey goes through the bank"), {"1": 0})
    assert late.status_code == 409
    assert late.json()["current"][0]["text"].strip() == "the money goes via the bank"
    assert _review(second, exhibit)["segments"][1]["text"].strip() == "the money goes via the bank"


def test_concurrent_edits_of_different_segments_both_survive(app_client: Client, exhibit: str):
    editors = [app_client("editor") for _ in range(4)]
    answers: list[int] = [0] * 4

    def save(k: int) -> None:
        answers[k] = _post(
            editors[k], exhibit, _correct(k, f"edited by {k}"), {str(k): 0}
        ).status_code

    threads = [threading.Thread(target=save, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200] * 4
    texts = [s["text"].strip() for s in _review(editors[0], exhibit)["segments"]]
    assert texts == [f"edited by {k}" for k in range(4)]


def test_roles_are_enforced_by_the_api(app_client: Client, exhibit: str):
    viewer, reviewer = app_client("viewer"), app_client("reviewer")
    assert _post(viewer, exhibit, _correct(0, "x"), {"0": 0}).status_code == 403
    note = {
        "kind": "add_annotation",
        "start": 0.1,
        "end": 0.4,
        "text": "<b>check</b>",
        "tags": ["bank"],
    }
    answer = _post(reviewer, exhibit, note)
    assert answer.status_code == 200, answer.text
    assert answer.json()["annotations"][0]["text"] == "<b>check</b>"
    refused = _post(reviewer, exhibit, _correct(0, "x"), {"0": 0})
    assert refused.status_code == 403 and "editor" in refused.json()["error"]
    reviewer.headers.pop("X-CSRF-Token")
    assert _post(reviewer, exhibit, note).status_code == 403


MALFORMED = [
    b"{not json",
    b"[]",
    b'{"edit": {"kind": "correct_text", "segment_id": "0", "text": "x"}, "base_versions": {}}',
    b'{"edit": {"kind": "drop_table"}, "base_versions": {}}',
    b'{"edit": {"kind": "correct_text", "segment_id": 0, "text": "x"}, "base_versions": {}}',
    b'{"edit": {"kind": "correct_text", "segment_id": 0, "text": "x"}, "base_versions": {"a": 1}}',
    b'{"edit": {"kind": "split_segment", "segment_id": 0, "at_word": 50}, '
    b'"base_versions": {"0": 0}}',
    b'{"edit": {"kind": "correct_text", "segment_id": 0, "text": "x"}, '
    b'"base_versions": {"0": 0}, "x": 1}',
]


def test_a_malformed_edit_is_refused_in_one_line(app_client: Client, exhibit: str):
    editor = app_client("editor")
    for body in MALFORMED:
        answer = editor.post(
            f"/api/exhibits/{exhibit}/edits",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert answer.status_code == 422, (body, answer.text)
        error = answer.json()["error"]
        assert error and "\n" not in error
    huge = {"edit": _correct(0, "x" * 200_000), "base_versions": {"0": 0}}
    answer = editor.post(f"/api/exhibits/{exhibit}/edits", json=huge)
    assert answer.status_code == 422 and "larger than" in answer.json()["error"]
    assert _review(editor, exhibit)["version"] == 0


def test_the_audio_is_the_original_with_ranges(
    app_client: Client, exhibit: str, workbench: Workbench
):
    viewer = app_client("viewer")
    original = workbench.case.store.path_for(exhibit).read_bytes()
    whole = viewer.get(f"/api/exhibits/{exhibit}/audio")
    assert whole.status_code == 200 and whole.content == original
    assert whole.headers["content-type"] == "audio/wav"
    part = viewer.get(f"/api/exhibits/{exhibit}/audio", headers={"Range": "bytes=100-1099"})
    assert part.status_code == 206 and part.content == original[100:1100]
    assert part.headers["content-range"] == f"bytes 100-1099/{len(original)}"
    tail = viewer.get(f"/api/exhibits/{exhibit}/audio", headers={"Range": "bytes=-10"})
    assert tail.content == original[-10:]
    for bad in (f"bytes={len(original)}-", "bytes=5-2", "bytes=0-1,4-5", "pages=1-2"):
        refused = viewer.get(f"/api/exhibits/{exhibit}/audio", headers={"Range": bad})
        assert refused.status_code == 416, bad
        assert refused.headers["content-range"] == f"bytes */{len(original)}"


def test_after_a_redaction_every_role_hears_the_muted_copy(app_client: Client, exhibit: str):
    editor = app_client("editor")
    before = editor.get(f"/api/exhibits/{exhibit}/audio")
    assert _post(editor, exhibit, {"kind": "redact", "start": 0.5, "end": 1.0}).status_code == 200
    for client in (editor, app_client("viewer")):
        answer = client.get(f"/api/exhibits/{exhibit}/audio")
        assert answer.status_code == 200 and answer.headers["content-type"] == "audio/wav"
        assert answer.content != before.content
        with wave.open(io.BytesIO(answer.content)) as reader:
            rate = reader.getframerate()
            samples = np.frombuffer(reader.readframes(reader.getnframes()), dtype="<i2")
        assert not samples[int(0.5 * rate) + 1 : int(1.0 * rate) - 1].any()
        assert np.abs(samples[: int(0.5 * rate)]).max() > 100  # the rest is still heard
    part = editor.get(f"/api/exhibits/{exhibit}/audio", headers={"Range": "bytes=0-43"})
    assert part.status_code == 206 and part.content[:4] == b"RIFF"


def test_peaks_are_served_and_stored_once(app_client: Client, exhibit: str, workbench: Workbench):
    viewer = app_client("viewer")
    first = viewer.get(f"/api/exhibits/{exhibit}/peaks")
    assert first.status_code == 200, first.text
    assert first.json()["rate"] == 100 and len(first.json()["peaks"]) == 400
    assert viewer.get(f"/api/exhibits/{exhibit}/peaks").content == first.content
    stored = [a for a in list_artefacts(workbench.case, exhibit) if a.stage == "waveform_peaks"]
    assert len(stored) == 1


def test_a_bad_exhibit_name_is_not_found(app_client: Client, exhibit: str):
    viewer = app_client("viewer")
    for path in ("review", "audio", "peaks", "diff"):
        for name in (exhibit.upper(), exhibit[:-1], "f" * 64, f"{'0' * 63}g"):
            answer = viewer.get(f"/api/exhibits/{name}/{path}")
            assert answer.status_code == 404, (name, path, answer.status_code)
            assert "error" in answer.json()
        traversal = viewer.get(f"/api/exhibits/{'x' * 64}%2F..%2F{exhibit}/{path}")
        assert traversal.status_code in (400, 404)
    editor = app_client("editor")
    assert _post(editor, "f" * 64, _correct(0, "x"), {"0": 0}).status_code == 404


def test_a_tampered_edit_is_named_and_never_served(
    app_client: Client, exhibit: str, workbench: Workbench
):
    editor = app_client("editor")
    assert _post(editor, exhibit, _correct(2, "a secret correction"), {"2": 0}).is_success
    [edit] = [a for a in list_artefacts(workbench.case, exhibit) if a.stage == "review_edit"]
    path = workbench.case.store.path_for(edit.object_sha256)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes().replace(b"a secret correction", b"a planted correction"))
    review_service.forget(workbench)  # as a server started after the tampering
    answer = editor.get(f"/api/exhibits/{exhibit}/review")
    assert answer.status_code == 500
    assert edit.object_sha256[:12] in answer.json()["error"]
    assert "planted" not in answer.text
    assert "planted" not in editor.get(f"/api/exhibits/{exhibit}/diff").text


def test_the_diff_shows_what_changed(app_client: Client, exhibit: str):
    editor = app_client("editor")
    assert _post(editor, exhibit, _correct(3, "call me before the meeting"), {"3": 0}).is_success
    changes = editor.get(f"/api/exhibits/{exhibit}/diff").json()
    assert (
        changes[3]["asr"] == SENTENCES[3] and changes[3]["reviewed"] == "call me before the meeting"
    )
    assert {"op": "replace", "asr": ["after"], "reviewed": ["before"]} in changes[3]["ops"]


def test_a_corrected_word_is_found_by_search_after_the_edit(
    app_client: Client, exhibit: str, workbench: Workbench
):
    from earwitness.search import SearchIndex, SearchQuery

    editor = app_client("editor")
    assert _post(editor, exhibit, _correct(0, "we are meeting in Pinsk"), {"0": 0}).is_success
    hits = SearchIndex(workbench.engine).search(SearchQuery("meet Pinsk"))
    assert [(h.exhibit_sha256, h.kind, h.key) for h in hits] == [(exhibit, "segment", "0")]
    rename = {"kind": "rename_speaker", "label": "S2", "name": "Lukashenko"}
    assert _post(editor, exhibit, rename).is_success
    found = SearchIndex(workbench.engine).search(SearchQuery("Lukashenko", kind="speaker"))
    assert [h.key for h in found] == ["S2"]


def test_the_review_page_names_the_exhibit(app_client: Client, exhibit: str):
    viewer = app_client("viewer")
    answer = viewer.get(f"/exhibits/{exhibit}")
    assert answer.status_code == 200 and exhibit in answer.text and "call.wav" in answer.text
    assert viewer.get(f"/exhibits/{'a' * 64}").status_code == 404
    # The prefix the command line prints leads to the page; what names no exhibit does not.
    short = viewer.get(f"/exhibits/{exhibit[:12]}", follow_redirects=False)
    assert short.status_code == 307 and short.headers["location"] == f"/exhibits/{exhibit}"
    other = next(c for c in "0123456789abcdef" if c != exhibit[0])
    for unknown in (other * 12, exhibit[:3], "call.wav", exhibit[:12].upper()):
        assert viewer.get(f"/exhibits/{unknown}", follow_redirects=False).status_code == 404


def test_an_edit_saved_by_another_server_process_is_seen(
    app_client: Client, exhibit: str, workbench: Workbench
):
    viewer = app_client("viewer")
    assert _review(viewer, exhibit)["version"] == 0  # this process now caches the review
    other = Workbench(case=Case.open(workbench.case.paths.root), engine=workbench.engine)
    account = app_client("editor", name="boris").account
    review_service.apply_edit(other, exhibit, _correct(2, "only boris knows"), {"2": 0}, account)
    body = _review(viewer, exhibit)
    assert body["version"] == 1 and body["segments"][2]["text"].strip() == "only boris knows"
    # The next save here replays it first: the version check sees boris's edit.
    editor = app_client("editor")
    stale = _post(editor, exhibit, _correct(2, "overwrite"), {"2": 0})
    assert stale.status_code == 409


def test_the_workers_hook_fills_the_index_and_a_refresh_takes_only_what_changed(
    app_client: Client, exhibit: str, workbench: Workbench
):
    from earwitness.search import SearchIndex, SearchQuery
    from earwitness.web.indexing import after_transcript, index_is_empty, refresh_index

    assert index_is_empty(workbench.engine)
    assert after_transcript(workbench.case, workbench.engine, exhibit) > len(SENTENCES)
    stored = [a.stage for a in list_artefacts(workbench.case, exhibit)]
    assert "waveform_peaks" in stored  # the page will not wait for a decoding
    index = SearchIndex(workbench.engine)
    assert [h.key for h in index.search(SearchQuery("bank", kind="segment"))] == ["1"]
    assert refresh_index(workbench.case, workbench.engine) == 0  # the hook recorded its source
    # A transcript made on the command line while the workbench runs: the next refresh (at
    # the next `serve`, or the idle worker's look) indexes it; the one after has nothing to do.
    store_transcript(
        workbench.case, exhibit, make_transcript(exhibit, ["we meet in Pinsk at noon"])
    )
    assert not index.search(SearchQuery("Pinsk"))
    written = refresh_index(workbench.case, workbench.engine)
    assert written == index.count() >= 1
    assert [h.exhibit_sha256 for h in index.search(SearchQuery("Pinsk"))] == [exhibit]
    assert not index.search(SearchQuery("bank"))  # the earlier transcript's words are gone
    assert refresh_index(workbench.case, workbench.engine) == 0
    # An examination made beside it changes the findings the documents carry: indexed again.
    store_examination(workbench.case, exhibit, [{"kind": "edit_point", "start_s": 0.1}])
    assert refresh_index(workbench.case, workbench.engine) >= 1
    assert index.search(SearchQuery("Pinsk", finding="edit_point"))


def test_the_index_follows_every_kind_of_edit_exactly(
    app_client: Client, exhibit: str, workbench: Workbench
):
    """Each save writes only the documents that changed; after a run of different edits the
    index holds exactly what indexing the reviewed transcript from scratch gives."""
    import sqlalchemy as sa

    from earwitness.search.tables import documents
    from earwitness.web.indexing import documents_for

    editor = app_client("editor")
    edits = [
        (_correct(0, "we meet in Pinsk"), {"0": 0}),
        ({"kind": "split_segment", "segment_id": 1, "at_word": 3}, {"1": 0}),
        ({"kind": "merge_segments", "first_id": 2, "second_id": 3}, {"2": 0, "3": 0}),
        ({"kind": "rename_speaker", "label": "S1", "name": "Anna"}, {}),
        ({"kind": "set_speaker", "segment_id": 0, "speaker": "S3"}, {"0": 1}),
        ({"kind": "add_annotation", "start": 0.0, "end": 0.6, "text": "money", "tags": ["t1"]}, {}),
        ({"kind": "redact", "start": 0.1, "end": 0.3}, {}),
    ]
    for edit, versions in edits:
        answer = _post(editor, exhibit, edit, versions)
        assert answer.status_code == 200, (edit, answer.text)
    state = review_service.reviewed(workbench, exhibit).state  # type: ignore[union-attr]
    expected = sorted(
        (d.kind, d.key, d.text, d.speaker, ",".join(d.tags)) for d in documents_for(exhibit, state)
    )
    with workbench.engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                documents.c.kind, documents.c.key, documents.c.text, documents.c.speaker,
                documents.c.tags,
            ).where(documents.c.exhibit_sha256 == exhibit)
        ).all()  # fmt: skip
    stored = sorted((k, key, text, speaker, tags) for k, key, text, speaker, tags in rows)
    assert [row[:4] for row in stored] == [row[:4] for row in expected]
    assert any(row[0] == "speaker" and row[3] == "Anna" for row in stored)
    assert any(row[0] == "segment" and "t1" in row[4] for row in stored)


def test_a_long_review_is_sent_compressed_to_who_accepts_it(
    app_client: Client, workbench: Workbench, tmp_path: Path
):
    (outcome,) = ingest_paths(workbench.case, [write_wav(tmp_path / "long.wav", seed=3)])
    sha256 = str(outcome.sha256)
    texts = [f"{SENTENCES[k % 4]} number {k}" for k in range(300)]
    store_transcript(workbench.case, sha256, make_transcript(sha256, texts, 0.003))
    viewer = app_client("viewer")
    plain = viewer.get(f"/api/exhibits/{sha256}/review", headers={"Accept-Encoding": "identity"})
    packed = viewer.get(f"/api/exhibits/{sha256}/review", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers and len(plain.content) > 32 * 1024
    assert packed.headers["content-encoding"] == "gzip"
    assert int(packed.headers["content-length"]) < len(plain.content) / 3
    assert packed.json() == plain.json() and len(plain.json()["segments"]) == 300


@settings(max_examples=300, deadline=None)
@given(
    size=st.integers(0, 5000),
    first=st.one_of(st.none(), st.integers(0, 6000)),
    last=st.one_of(st.none(), st.integers(0, 6000)),
    noise=st.sampled_from(["", " ", ",0-1", "x", "bytes=", "--"]),
)
def test_a_range_header_is_read_exactly_or_refused(
    size: int, first: int | None, last: int | None, noise: str
):
    header = f"bytes={'' if first is None else first}-{'' if last is None else last}"
    if noise:
        header = noise + header if noise in ("x", "bytes=") else header + noise
    start: int | None
    end: int | None
    try:
        start, end = parse_range(header, size)
    except RangeNotSatisfiable:
        start = end = None
    expected: tuple[int, int] | None
    if noise.strip() or size == 0 or (first is None and last is None):
        expected = None
    elif first is None:
        expected = None if last == 0 else (max(0, size - last), size - 1)  # type: ignore[operator]
    elif first >= size or (last is not None and last < first):
        expected = None
    else:
        expected = (first, size - 1 if last is None else min(last, size - 1))
    assert (None if start is None else (start, end)) == expected, header


def test_the_api_is_described_in_openapi(app_client: Client):
    paths = app_client("viewer").get("/api/openapi.json").json()["paths"]
    for path in ("/api/exhibits", "/api/exhibits/{sha256}/review", "/api/exhibits/{sha256}/edits"):
        assert path in paths
    body = paths["/api/exhibits/{sha256}/edits"]["post"]["requestBody"]
    assert "base_versions" in body["content"]["application/json"]["schema"]["properties"]


def store_examination(case: Case, sha256: str, findings: list, summary: object = None) -> str:
    """An examination report as the ``examination`` stage stores it; returns its object hash."""
    from earwitness.jobs.examine import EXAMINATION, report_bytes

    report = {"exhibit": {"sha256": sha256}, "checks": [], "findings": findings}
    if summary is not None:
        report["summary"] = summary
    return store_artefact(
        case,
        sha256,
        EXAMINATION.name,
        report_bytes(report),
        filename=EXAMINATION.filename,
        media_type=EXAMINATION.media_type,
        params={"hand_made": len(findings)},
        action=EXAMINATION.action,
    ).object_sha256


def test_the_review_shows_the_examinations_findings_read_as_hostile(
    app_client: Client, exhibit: str, workbench: Workbench
):
    from earwitness.forensics.registry import check_title, kind_label
    from earwitness.search import SearchIndex, SearchQuery
    from earwitness.web.indexing import after_transcript

    viewer = app_client("viewer")
    assert _review(viewer, exhibit)["findings"] == []  # no examination yet
    nothing = {"log10_lr": None, "evidence": None, "conclusion": None}
    assert _review(viewer, exhibit)["examination"] == nothing
    edit = {"kind": "edit_point", "check": "enf", "start_s": 0.7, "end_s": 0.9, "score": 0.8}
    edit |= {"log10_lr": 1.4}
    planted = {"kind": "clipping", "check": "x" * 500, "start_s": -5, "end_s": 1e308}
    planted |= {"log10_lr": -1e308, "verbal": "authentic"}
    malformed = ["edit_point", {"start_s": 1}, {"kind": "dropout", "start_s": "1"}, None]
    summary = {"log10_lr": 1e308, "conclusion": "  " + "x" * 5000}
    store_examination(workbench.case, exhibit, [planted, *malformed, edit], summary)
    review = _review(viewer, exhibit)  # the cached review is made again
    assert review["examination"] == {
        "log10_lr": 10.0,
        "evidence": "extremely strong support for edited (+10.0)",
        "conclusion": "x" * 2000,
    }
    findings = review["findings"]
    # Each with the dossier's words for its kind and check, and its severity class: only an
    # edit point may be drawn as an alarm; a clipping is an observation whatever its score.
    assert findings == [
        {"start_s": 0.0, "end_s": 7 * 24 * 3600.0, "kind": "clipping", "check": "x" * 80}
        | {"check_title": "x" * 80, "title": kind_label("clipping"), "score": 0.0}
        | {"severity": "sev-obs", "log10_lr": -10.0, "verbal": "no support"},
        {**edit, "check_title": check_title("enf"), "title": kind_label("edit_point")}
        | {"severity": "sev-hi", "verbal": "moderate support"},
    ]
    # The search index reads the same findings: segment 1 (0.5–1.0 s) overlaps the edit point.
    after_transcript(workbench.case, workbench.engine, exhibit)
    hits = SearchIndex(workbench.engine).search(SearchQuery("bank", finding="edit_point"))
    assert [h.key for h in hits] == ["1"]
    assert not SearchIndex(workbench.engine).search(SearchQuery("Minsk", finding="edit_point"))


def test_a_tampered_examination_is_named_and_never_served(
    app_client: Client, exhibit: str, workbench: Workbench
):
    finding = {"kind": "edit_point", "check": "enf", "start_s": 0.2, "end_s": 0.3, "score": 0.5}
    finding["description"] = "tamper test's own finding"  # an object no other test stores
    made = store_examination(workbench.case, exhibit, [finding])
    path = workbench.case.store.path_for(made)
    os.chmod(path, 0o644)
    path.write_bytes(path.read_bytes().replace(b'"enf"', b'"xyz"'))
    answer = app_client("viewer").get(f"/api/exhibits/{exhibit}/review")
    assert answer.status_code >= 400 and made[:12] in answer.json()["error"]
    assert "xyz" not in answer.text and "segments" not in answer.json()


_JSON = json_values(text_size=5, key_size=7, items=None, leaves=20)
_FIELD = st.sampled_from(["kind", "check", "start_s", "end_s", "score", "log10_lr"])


@settings(max_examples=200, deadline=None)
@given(
    entries=st.lists(st.dictionaries(_FIELD, _JSON) | _JSON, max_size=8),
    extra=st.integers(0, 600),
)
def test_any_examination_json_gives_bounded_findings(entries: list, extra: int):
    from earwitness.web.findings import MAX_FINDINGS, MAX_SECONDS, parse_findings

    many = [{"kind": "dropout", "start_s": float(i), "score": i / 600} for i in range(extra)]
    found = parse_findings({"findings": entries + many})
    assert len(found) <= MAX_FINDINGS
    assert [f.start_s for f in found] == sorted(f.start_s for f in found)
    for item in found:
        assert 0 <= item.start_s <= item.end_s <= MAX_SECONDS and 0 <= item.score <= 1
        assert item.log10_lr is None or abs(item.log10_lr) <= 10
        assert item.kind and len(item.kind) <= 80 and len(item.check) <= 80
        json.dumps(item.to_dict(), allow_nan=False)  # always valid JSON for the page
    if extra > MAX_FINDINGS:  # the strongest are kept
        assert min(f.score for f in found if f.kind == "dropout") >= (extra - MAX_FINDINGS) / 600
    assert parse_findings(entries) == () and parse_findings({"findings": "x"}) == ()


def test_stored_words_that_would_reverse_the_page_are_escaped() -> None:
    from earwitness.web.findings import parse_findings, parse_summary

    planted = {"kind": "odd\u202ekind", "check": "enf\u200b", "start_s": 1.0}
    [found] = parse_findings({"findings": [planted]})
    assert (found.kind, found.check) == ("odd\\u202ekind", "enf\\u200b")
    conclusion = parse_summary({"summary": {"conclusion": "Moderate\u202e support."}}).conclusion
    assert conclusion == "Moderate\\u202e support."


@settings(max_examples=200, deadline=None)
@given(summary=st.dictionaries(st.sampled_from(["log10_lr", "conclusion"]), _JSON) | _JSON)
def test_any_examination_summary_gives_a_bounded_one(summary: object):
    from earwitness.web.findings import MAX_CONCLUSION, NO_SUMMARY, parse_summary

    found = parse_summary({"summary": summary})
    assert found.log10_lr is None or abs(found.log10_lr) <= 10
    assert found.conclusion is None or 0 < len(found.conclusion) <= MAX_CONCLUSION
    json.dumps(found.to_dict(), allow_nan=False)  # always valid JSON for the page
    assert parse_summary(["summary", summary]) is NO_SUMMARY  # a report that is no object


def test_review_conflicts_and_search_on_postgresql(
    case: Case, postgresql_database: str, tmp_path: Path
):
    """The same edit path on a team server's database: saves, a conflict, search."""
    from earwitness.search import SearchIndex, SearchQuery
    from earwitness.web.accounts import add_account
    from earwitness.web.app import create_app
    from earwitness.web.db import open_database
    from earwitness.web.state import Settings
    from tests.web.conftest import CHEAP, PASSWORD, login

    engine = open_database(postgresql_database)
    bench = Workbench(
        case=case,
        engine=engine,
        settings=Settings(password_cost=CHEAP, allowed_hosts=("testserver",)),
    )
    (outcome,) = ingest_paths(case, [write_wav(tmp_path / "in" / "call.wav", seconds=2.0)])
    assert outcome.sha256
    store_transcript(case, outcome.sha256, make_transcript(outcome.sha256, SENTENCES))
    app = create_app(bench)
    clients = []
    for name in ("anna", "boris"):
        add_account(engine, bench.writing, name, "editor", PASSWORD, by="test",
                    hasher=CHEAP.hasher())  # fmt: skip
        client = WorkbenchClient(app, base_url="https://testserver")
        assert login(client, name, PASSWORD).status_code == 303
        client.headers["X-CSRF-Token"] = client.get("/api/me").json()["csrf_token"]
        clients.append(client)
    anna, boris = clients
    assert _post(anna, outcome.sha256, _correct(1, "the money goes to Gomel"), {"1": 0}).is_success
    late = _post(boris, outcome.sha256, _correct(1, "the money stays here"), {"1": 0})
    assert late.status_code == 409 and "Gomel" in json.dumps(late.json()["current"])
    hits = SearchIndex(engine).search(SearchQuery("Gomel"))
    assert [(h.exhibit_sha256, h.key) for h in hits] == [(outcome.sha256, "1")]
    for client in clients:
        client.close()
    engine.dispose()
