"""The jobs API and page: queueing by role, import folders, uploads, the live event stream."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from earwitness.vault import custody
from earwitness.vault.intake import ingest_paths
from earwitness.web import job_queue
from earwitness.web.job_routes import UploadRefused, allowed_import, safe_upload_name
from earwitness.web.state import Workbench
from earwitness.web.worker import run_worker, uploads_root
from tests.conftest import write_wav
from tests.web.conftest import WorkbenchClient
from tests.web.test_worker import finished, wait_for

Client = Callable[..., WorkbenchClient]


@pytest.fixture
def exhibit(workbench: Workbench, tmp_path: Path) -> str:
    [outcome] = ingest_paths(workbench.case, [write_wav(tmp_path / "exhibit.wav")])
    assert outcome.sha256
    return outcome.sha256


@pytest.fixture
def worker_thread(workbench: Workbench) -> Iterator[None]:
    """A real worker loop (in a thread: the same code the worker process runs)."""
    url = workbench.engine.url.render_as_string(hide_password=False)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(workbench.case.paths.root, url, stop))
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)


def _settings(workbench: Workbench, **changes: object) -> None:
    workbench.settings = dataclasses.replace(workbench.settings, **changes)  # type: ignore[arg-type]


def test_viewer_reads_jobs_but_cannot_queue_or_upload(app_client: Client, exhibit: str) -> None:
    viewer = app_client("viewer")
    answer = viewer.post("/api/jobs", json={"kind": "examine", "exhibit_sha256": exhibit})
    assert answer.status_code == 403 and "editor" in answer.json()["error"]
    upload = viewer.post("/api/uploads", files={"file": ("a.wav", b"RIFF....")})
    assert upload.status_code == 403
    assert viewer.get("/api/jobs").json() == []


def test_editor_queues_an_examination(app_client: Client, exhibit: str) -> None:
    editor = app_client("editor", name="erin")
    answer = editor.post("/api/jobs", json={"kind": "examine", "exhibit_sha256": exhibit})
    assert answer.status_code == 201, answer.text
    job = answer.json()
    assert (job["kind"], job["state"], job["created_by"]) == ("examine", "queued", "erin")
    viewer = app_client("viewer")
    assert viewer.get(f"/api/jobs/{job['id']}").json()["exhibit_sha256"] == exhibit
    assert [found["id"] for found in viewer.get("/api/jobs").json()] == [job["id"]]
    assert viewer.get("/api/jobs/999").status_code == 404
    english = {"kind": "transcribe", "exhibit_sha256": exhibit, "translate": "en"}
    queued = editor.post("/api/jobs", json=english).json()
    assert (queued["kind"], queued["params"]) == ("transcribe", {"translate": "en"})
    assert [found["id"] for found in viewer.get("/api/jobs?state=queued").json()] == [
        queued["id"],
        job["id"],
    ]


def test_queueing_is_checked(app_client: Client, exhibit: str) -> None:
    editor = app_client("editor")
    unknown = editor.post("/api/jobs", json={"kind": "examine", "exhibit_sha256": "0" * 64})
    assert unknown.status_code == 404
    bad = [
        {"kind": "rm -rf", "exhibit_sha256": exhibit},
        {"kind": "examine", "exhibit_sha256": "../../etc/passwd"},
        {"kind": "transcribe", "exhibit_sha256": exhibit, "translate": "fr"},
        {"kind": "examine", "exhibit_sha256": exhibit, "extra": 1},
        {"kind": "examine"},
    ]
    for body in bad:
        assert editor.post("/api/jobs", json=body).status_code == 422, body
    editor.headers.pop("X-CSRF-Token")
    refused = editor.post("/api/jobs", json={"kind": "examine", "exhibit_sha256": exhibit})
    assert refused.status_code == 403


def test_ingest_by_path_only_inside_the_import_folders(
    app_client: Client, workbench: Workbench, tmp_path: Path
) -> None:
    editor = app_client("editor")
    inside = write_wav(tmp_path / "imports" / "batch" / "a.wav")
    outside = write_wav(tmp_path / "private" / "b.wav")
    body = {"kind": "ingest", "path": str(inside)}
    assert editor.post("/api/jobs", json=body).status_code == 403  # no import folders yet
    _settings(workbench, import_roots=(str(tmp_path / "imports"),))
    link = tmp_path / "imports" / "sneaky.wav"
    link.symlink_to(outside)
    for path in (outside, link, tmp_path / "imports" / ".." / "private" / "b.wav", "/etc/passwd"):
        answer = editor.post("/api/jobs", json={"kind": "ingest", "path": str(path)})
        assert answer.status_code == 403, path
    assert editor.post("/api/jobs", json={"kind": "ingest", "path": "rel/a.wav"}).status_code == 400
    missing = {"kind": "ingest", "path": str(tmp_path / "imports" / "nothing.wav")}
    assert editor.post("/api/jobs", json=missing).status_code == 404
    elsewhere = {"kind": "ingest", "path": str(tmp_path / "private" / "nothing.wav")}
    assert editor.post("/api/jobs", json=elsewhere).status_code == 403  # no existence oracle
    answer = editor.post("/api/jobs", json=body)
    assert answer.status_code == 201, answer.text
    job = answer.json()
    assert job["params"] == {"name": "a.wav"}  # the server path is not shown
    stored = job_queue.get(workbench.engine, job["id"])
    assert stored is not None and stored.params["path"] == str(inside.resolve())


def test_allowed_import_resolves_links(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "inner").mkdir()
    (root / "escape").symlink_to(tmp_path)
    assert allowed_import(str(root / "inner"), [root]) == (root / "inner").resolve()
    with pytest.raises(Exception, match="outside"):
        allowed_import(str(root / "escape"), [root])


def test_upload_is_kept_under_a_safe_name_and_ingested(
    app_client: Client, workbench: Workbench, tmp_path: Path, worker_thread: None
) -> None:
    editor = app_client("editor", name="uma")
    data = write_wav(tmp_path / "x.wav").read_bytes()
    answer = editor.post(
        "/api/uploads",
        files={"file": ("../../evil<script>.wav", data, "audio/wav")},
        data={"source": "a drop box", "note": "first batch"},
    )
    assert answer.status_code == 201, answer.text
    job = answer.json()
    assert job["name"] == "evil<script>.wav" and job["size_bytes"] == len(data)
    assert job["params"] == {"name": "evil<script>.wav", "upload": True}  # no path, no source
    done = wait_for(workbench.engine, job["id"], finished)
    assert done.state == "done", done.error
    assert done.params == {"name": "evil<script>.wav", "upload": True}  # forgotten once over
    [event] = [
        event
        for event in custody.iter_events(workbench.case.paths.custody)
        if event.action == "ingest" and event.exhibit == done.exhibit_sha256
    ]
    assert event.details["original_name"] == "evil<script>.wav"
    assert event.details["size_bytes"] == len(data)
    root = uploads_root(workbench.case.paths.meta)
    # The worker marks the job done, then removes the copy (a crash between them leaves a copy
    # for the sweep, never a queued job whose upload is gone): wait for the second step.
    deadline = time.monotonic() + 30
    while any(root.iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(root.iterdir()) == []  # the uploaded copy is gone once ingested
    assert not (workbench.case.paths.root.parent / "evil<script>.wav").exists()


def test_upload_names_that_are_refused(app_client: Client, workbench: Workbench) -> None:
    editor = app_client("editor")
    for name in (".htaccess", "../..", "dir/.hidden.wav"):
        answer = editor.post("/api/uploads", files={"file": (name, b"RIFF data")})
        assert answer.status_code == 400, name
        assert "error" in answer.json()
    # Browsers percent-encode control characters; a hostile client need not.
    answer = _raw_upload(editor, "\x01\x02\u202e".encode(), b"RIFF data")
    assert answer.status_code == 400 and "no usable file name" in answer.json()["error"]
    empty = editor.post("/api/uploads", files={"file": ("a.wav", b"")})
    assert empty.status_code == 400 and "empty" in empty.json()["error"]
    no_file = editor.post("/api/uploads", files={"other": ("a.wav", b"abc")})
    assert no_file.status_code == 400
    assert list(uploads_root(workbench.case.paths.meta).iterdir()) == []
    assert job_queue.list_jobs(workbench.engine) == []


def _raw_upload(client: WorkbenchClient, filename: bytes, data: bytes) -> Any:
    boundary = b"x1x2x3boundary"
    body = b"".join(
        [
            b"--" + boundary + b"\r\n",
            b'Content-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n",
            data,
            b"\r\n--" + boundary + b"--\r\n",
        ]
    )
    content_type = "multipart/form-data; boundary=" + boundary.decode()
    return client.post("/api/uploads", content=body, headers={"Content-Type": content_type})


def test_control_characters_are_dropped_from_an_upload_name(
    app_client: Client, workbench: Workbench
) -> None:
    editor = app_client("editor")
    answer = _raw_upload(editor, "..\\..\\a\x1b[31m\u202egnp.wav\x00".encode(), b"RIFF data")
    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == "a[31mgnp.wav"
    cyrillic = editor.post("/api/uploads", files={"file": ("запись Минск.wav", b"RIFF data")})
    assert cyrillic.status_code == 201 and cyrillic.json()["name"] == "запись Минск.wav"
    stored = sorted(
        p.name
        for folder in uploads_root(workbench.case.paths.meta).iterdir()
        for p in folder.iterdir()
    )
    assert stored == ["a[31mgnp.wav", "запись Минск.wav"]


def test_upload_over_the_limit_is_refused_and_removed(
    app_client: Client, workbench: Workbench
) -> None:
    _settings(workbench, upload_limit_bytes=1000)
    editor = app_client("editor")
    answer = editor.post("/api/uploads", files={"file": ("big.wav", os.urandom(50_000))})
    assert answer.status_code == 413
    declared = editor.post("/api/uploads", files={"file": ("huge.wav", b"\0" * 200_000)})
    assert declared.status_code == 413
    assert list(uploads_root(workbench.case.paths.meta).iterdir()) == []


def test_upload_needs_the_csrf_header(app_client: Client) -> None:
    editor = app_client("editor")
    token = editor.headers.pop("X-CSRF-Token")
    answer = editor.post(
        "/api/uploads", files={"file": ("a.wav", b"RIFF")}, data={"csrf_token": token}
    )
    assert answer.status_code == 403 and "X-CSRF-Token" in answer.json()["error"]


@given(st.text(max_size=300))
def test_safe_upload_name_never_leaves_its_folder(raw: str) -> None:
    try:
        name = safe_upload_name(raw)
    except UploadRefused:
        return
    assert name and not name.startswith(".") and name == name.strip()
    assert "/" not in name and "\\" not in name and "\x00" not in name
    assert all(ch == " " or ch.isprintable() for ch in name)
    assert len(name.encode("utf-8")) <= 255
    folder = Path("/uploads/token")
    assert (folder / name).parent == folder


def _events(lines: Iterator[str], wanted: int) -> list[tuple[int, dict]]:
    """Read ``wanted`` job events (their id and JSON) from an event stream."""
    found: list[tuple[int, dict]] = []
    event_id = None
    for line in lines:
        if line.startswith("id: "):
            event_id = int(line[4:])
        elif line.startswith("data: "):
            assert event_id is not None
            found.append((event_id, json.loads(line[6:])))
            if len(found) == wanted:
                return found
    raise AssertionError("the stream ended")


def test_event_stream_sends_progress_and_resumes(
    app_client: Client, workbench: Workbench, exhibit: str
) -> None:
    engine = workbench.engine
    job = job_queue.enqueue(engine, "examine", "alice", exhibit)
    assert job_queue.claim_next(engine, "test:1") is not None
    job_queue.set_progress(engine, job.id, 0.25, "examining")
    viewer = app_client("viewer")
    with viewer.stream("GET", "/api/jobs/events") as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines()
        [(first_id, first)] = _events(lines, 1)  # the snapshot of recent jobs
        assert (first["id"], first["state"], first["progress"]) == (job.id, "running", 0.25)
        job_queue.set_progress(engine, job.id, 0.5, "halfway")
        [(second_id, second)] = _events(lines, 1)  # a change, polled live
        assert (second["progress"], second["message"]) == (0.5, "halfway")
        assert second_id > first_id
    job_queue.finish(engine, job.id, {"ok": True})
    resumed_from = {"Last-Event-ID": str(second_id)}
    with viewer.stream("GET", "/api/jobs/events", headers=resumed_from) as stream:
        [(third_id, third)] = _events(stream.iter_lines(), 1)
        assert (third["state"], third["progress"], third_id) == ("done", 1.0, second_id + 1)


def test_jobs_page(app_client: Client) -> None:
    editor_page = app_client("editor").get("/jobs")
    assert editor_page.status_code == 200
    assert '<script src="/static/jobs.js"></script>' in editor_page.text
    assert 'id="ew-upload"' in editor_page.text
    assert "<script>" not in editor_page.text and " style=" not in editor_page.text
    viewer_page = app_client("viewer").get("/jobs")
    assert viewer_page.status_code == 200 and 'id="ew-upload"' not in viewer_page.text
    assert app_client("viewer").get("/static/jobs.js").status_code == 200
