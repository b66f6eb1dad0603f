"""The job queue and the worker process, on a real SQLite database (and PostgreSQL where it
is installed), with real worker subprocesses and a real case."""

from __future__ import annotations

import dataclasses
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from earwitness.search import SearchIndex, SearchQuery
from earwitness.speech.types import Segment, Transcript, Word
from earwitness.vault import custody
from earwitness.vault.case import Case
from earwitness.vault.intake import ingest_paths
from earwitness.web import job_queue
from earwitness.web import worker as worker_module
from earwitness.web.db import database_url, make_engine, open_database
from earwitness.web.indexing import index_sources
from earwitness.web.worker import (
    index_beside,
    run_worker,
    start_worker,
    stop_worker,
    sweep_uploads,
    transcript_message,
    uploads_root,
)
from tests.conftest import REPO, write_wav
from tests.web.browser_support import store_transcript, transcript_dict


@pytest.fixture
def db_url(case: Case) -> str:
    return database_url(None, case.paths.meta)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    opened = open_database(db_url)
    yield opened
    opened.dispose()


def wait_for(
    engine: Engine, job_id: int, until: Callable[[job_queue.Job], bool], timeout: float = 60
) -> job_queue.Job:
    deadline = time.monotonic() + timeout
    while True:
        job = job_queue.get(engine, job_id)
        assert job is not None
        if until(job):
            return job
        assert time.monotonic() < deadline, f"job {job_id} stuck: {job.to_dict()}"
        time.sleep(0.02)


def finished(job: job_queue.Job) -> bool:
    return job.state in ("done", "failed")


def custody_events(case: Case, action: str, exhibit: str | None = None) -> list[custody.Event]:
    return [
        event
        for event in custody.iter_events(case.paths.custody)
        if event.action == action and (exhibit is None or event.exhibit == exhibit)
    ]


def _claim_all(engine: Engine, name: str, claimed: list[int]) -> None:
    while (job := job_queue.claim_next(engine, name)) is not None:
        claimed.append(job.id)


def check_atomic_claims(url: str) -> None:
    """Four threads, each with its own engine (its own connections), race for 40 jobs."""
    setup = open_database(url)
    queued = [job_queue.enqueue(setup, "examine", "alice", "a" * 64).id for _ in range(40)]
    engines = [make_engine(url) for _ in range(4)]
    results: list[list[int]] = [[] for _ in engines]
    threads = [
        threading.Thread(target=_claim_all, args=(engine, f"w{n}", results[n]))
        for n, engine in enumerate(engines)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [job_id for result in results for job_id in result]
    assert sorted(every) == sorted(queued)  # each job claimed exactly once
    assert len(set(every)) == len(every)
    rows = job_queue.list_jobs(setup, 100)
    assert {job.state for job in rows} == {"running"}
    assert all(job.attempts == 1 for job in rows)
    for engine in [*engines, setup]:
        engine.dispose()


def test_claims_are_atomic_between_threads(db_url: str) -> None:
    check_atomic_claims(db_url)


_CLAIMER = """
import sys
from earwitness.web import job_queue
from earwitness.web.db import make_engine
engine = make_engine(sys.argv[1])
claimed = []
while (job := job_queue.claim_next(engine, sys.argv[2])) is not None:
    claimed.append(job.id)
print(" ".join(map(str, claimed)))
"""


def test_claims_are_atomic_between_processes(engine: Engine, db_url: str) -> None:
    queued = [job_queue.enqueue(engine, "examine", "alice", "b" * 64).id for _ in range(60)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _CLAIMER, db_url, f"p{n}"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for n in range(2)
    ]
    outputs = [process.communicate(timeout=60)[0] for process in processes]
    every = [int(token) for output in outputs for token in output.split()]
    assert sorted(every) == queued


def test_postgresql_claims_are_atomic(postgresql_database: str) -> None:
    check_atomic_claims(postgresql_database)


def test_postgresql_queue_round_trip(postgresql_database: str) -> None:
    engine = open_database(postgresql_database)
    job = job_queue.enqueue(engine, "transcribe", "bob", "c" * 64, {"translate": "en"})
    claimed = job_queue.claim_next(engine, "host:1")
    assert claimed is not None and claimed.id == job.id and claimed.state == "running"
    assert job_queue.set_progress(engine, job.id, 0.4, "transcribing")
    assert job_queue.finish(engine, job.id, {"segments": 3}, "transcribed")
    done = job_queue.get(engine, job.id)
    assert done is not None and done.state == "done" and done.result == {"segments": 3}
    assert [changed.id for changed in job_queue.changed_since(engine, job.revision)] == [job.id]
    engine.dispose()


def finished_in_a_thread(case: Case, db_url: str, engine: Engine, job_id: int) -> job_queue.Job:
    """Run a worker in a thread of this process until the job is finished; return the job."""
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(case.paths.root, db_url, stop))
    thread.start()
    try:
        return wait_for(engine, job_id, finished)
    finally:
        stop.set()
        thread.join(timeout=30)


def test_worker_on_postgresql_ingests(case: Case, postgresql_database: str, tmp_path: Path) -> None:
    engine = open_database(postgresql_database)
    wav = write_wav(tmp_path / "pg.wav", seconds=0.5, seed=7)
    job = job_queue.enqueue(engine, "ingest", "alice", None, {"path": str(wav.resolve())})
    try:
        done = finished_in_a_thread(case, postgresql_database, engine, job.id)
    finally:
        engine.dispose()
    assert done.state == "done", done.error
    assert [event.details["original_name"] for event in custody_events(case, "ingest")] == [
        "pg.wav"
    ]


def test_unknown_kind_and_missing_exhibit_are_refused(engine: Engine) -> None:
    with pytest.raises(job_queue.JobRefused, match="not a kind of job"):
        job_queue.enqueue(engine, "delete-everything", "mallory")
    with pytest.raises(job_queue.JobRefused, match="which exhibit"):
        job_queue.enqueue(engine, "examine", "mallory")


def test_every_change_takes_a_new_revision(engine: Engine) -> None:
    first = job_queue.enqueue(engine, "examine", "alice", "d" * 64)
    second = job_queue.enqueue(engine, "examine", "alice", "e" * 64)
    assert second.revision > first.revision
    claimed = job_queue.claim_next(engine, "w")
    assert claimed is not None and claimed.id == first.id  # oldest first
    assert claimed.revision > second.revision
    job_queue.set_progress(engine, first.id, 0.5, "half")
    changed = job_queue.changed_since(engine, claimed.revision)
    assert [(job.id, job.progress, job.message) for job in changed] == [(first.id, 0.5, "half")]


def test_stale_job_is_requeued_then_given_up_after_three_tries(engine: Engine) -> None:
    job = job_queue.enqueue(engine, "examine", "alice", "f" * 64)
    for attempt in (1, 2):
        assert job_queue.claim_next(engine, f"lost:{attempt}") is not None
        assert job_queue.requeue_stale(engine, 3600) == []  # heartbeat fresh: left alone
        assert job_queue.requeue_stale(engine, 0) == [job.id]
        requeued = job_queue.get(engine, job.id)
        assert requeued is not None and requeued.state == "queued"
        assert requeued.attempts == attempt
    assert job_queue.claim_next(engine, "lost:3") is not None
    assert job_queue.requeue_stale(engine, 0) == []
    given_up = job_queue.get(engine, job.id)
    assert given_up is not None and given_up.state == "failed"
    assert "stopped 3 times" in (given_up.error or "")


def test_a_requeued_job_no_longer_takes_progress_from_its_old_worker(engine: Engine) -> None:
    job = job_queue.enqueue(engine, "examine", "alice", "0" * 64)
    assert job_queue.claim_next(engine, "old:1") is not None
    job_queue.requeue_stale(engine, 0)
    assert not job_queue.set_progress(engine, job.id, 0.9)  # the worker learns it lost the job
    assert not job_queue.heartbeat(engine, job.id, "old:1")
    assert not job_queue.finish(engine, job.id, {})


def test_worker_process_ingests_a_wav_into_custody(
    case: Case, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    wav = write_wav(tmp_path / "incoming" / "call.wav", seconds=1.0)
    job = job_queue.enqueue(engine, "ingest", "alice", None, {"path": str(wav.resolve())})
    worker = start_worker(case.paths.root, db_url)
    try:
        done = wait_for(engine, job.id, finished)
    finally:
        stop_worker(worker)
    assert done.state == "done", done.error
    assert done.progress == 1.0 and done.exhibit_sha256
    assert done.worker and done.worker.endswith(f":{worker.pid}")
    events = custody_events(case, "ingest", done.exhibit_sha256)
    assert len(events) == 1
    assert events[0].details["original_name"] == "call.wav"
    assert wav.exists()  # a file from an import folder is not the worker's to delete
    assert worker.returncode is not None


def test_job_of_a_killed_worker_is_finished_by_the_next(
    case: Case, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """SIGKILL mid-examination: the job stays "running"; the next worker (a restarted
    server's) sees its worker's process is gone, queues it again and finishes it."""
    wav = write_wav(tmp_path / "long.wav", seconds=30.0)
    [outcome] = ingest_paths(case, [wav])
    assert outcome.sha256
    job = job_queue.enqueue(engine, "examine", "alice", outcome.sha256)
    first = start_worker(case.paths.root, db_url)
    try:
        wait_for(engine, job.id, lambda found: found.state != "queued", timeout=30)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        stop_worker(first)
    left = job_queue.get(engine, job.id)
    assert left is not None
    assert left.state == "running", "the examination ended before the kill: make it longer"
    assert left.worker and left.worker.endswith(f":{first.pid}")
    second = start_worker(case.paths.root, db_url)
    try:
        done = wait_for(engine, job.id, finished)
    finally:
        stop_worker(second)
    assert done.state == "done", done.error
    assert done.attempts == 2
    # The job says what the examination found in the calibrated scale's words.
    assert done.result and done.result["conclusion"].startswith("The findings provide")
    assert re.fullmatch(r"examined: .*(support|calibrated).*\([+-]\d\.\d\)", done.message)
    assert done.worker and done.worker.endswith(f":{second.pid}")
    stored = [
        event
        for event in custody_events(case, "examine", outcome.sha256)
        if event.details["artefact"]["stage"] == "examination"
    ]
    assert len(stored) == 1  # made once, by the second worker; the killed one stored nothing


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_puts_the_running_job_back(
    case: Case, engine: Engine, db_url: str, tmp_path: Path, stop_signal: int
) -> None:
    """SIGTERM is the server's stop; SIGINT is Ctrl+C on ``serve``, which reaches the worker
    too."""
    wav = write_wav(tmp_path / "long.wav", seconds=30.0, seed=3)
    [outcome] = ingest_paths(case, [wav])
    job = job_queue.enqueue(engine, "examine", "alice", outcome.sha256)
    worker = start_worker(case.paths.root, db_url)
    try:
        wait_for(engine, job.id, lambda found: found.state != "queued", timeout=30)
        worker.send_signal(stop_signal)
        assert worker.wait(timeout=20) == 0
    finally:
        stop_worker(worker)
    back = job_queue.get(engine, job.id)
    assert back is not None
    assert (back.state, back.attempts) == ("queued", 0)


def test_failed_job_says_why_and_the_worker_goes_on(
    case: Case, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    missing = job_queue.enqueue(engine, "examine", "alice", "9" * 64)
    wav = write_wav(tmp_path / "ok.wav", seconds=0.5)
    after = job_queue.enqueue(engine, "ingest", "alice", None, {"path": str(wav.resolve())})
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(case.paths.root, db_url, stop))
    thread.start()
    try:
        failed = wait_for(engine, missing.id, finished)
        done = wait_for(engine, after.id, finished)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert failed.state == "failed" and failed.error and "9999999999" in failed.error
    assert done.state == "done"


def test_examining_a_truncated_file_says_what_is_missing(
    case: Case, engine: Engine, db_url: str, tmp_path: Path
) -> None:
    whole = write_wav(tmp_path / "whole.wav", seconds=12.0)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: 44 + 8000 * 2 * 5])  # the header still says 12 s
    [outcome] = ingest_paths(case, [cut])
    assert outcome.sha256
    job = job_queue.enqueue(engine, "examine", "alice", outcome.sha256)
    done = finished_in_a_thread(case, db_url, engine, job.id)
    assert done.state == "done", done.error
    assert done.message.endswith("; truncated: 12.0 s declared"), done.message


def test_a_finished_transcription_says_what_it_holds_and_what_to_check() -> None:
    def word(text: str, probability: float) -> Word:
        return Word(0.0, 0.5, text, probability)

    segments = (
        Segment(0, 0.0, 1.0, "Раз два", (word("Раз", 0.9), word(" два", 0.3)), speaker="S1"),
        Segment(1, 1.0, 2.0, "три", (word("три", 0.95),), speaker="S2"),
    )
    english = tuple(Segment(s.id, s.start, s.end, "one two") for s in segments)
    made = Transcript("a" * 64, "ru", segments, "whisper-base", "b" * 64)
    assert transcript_message(made) == (
        "transcribed: Russian (ru), 2 segments, 2 speakers; 1 of 3 words unsure"
    )
    both = dataclasses.replace(made, translation=english, translation_language="en")
    assert transcript_message(both, reused=True) == (
        "transcribed (taken from the case): Russian (ru), 2 segments, 2 speakers, "
        "English (en) beside it; 1 of 3 words unsure"
    )
    silent = dataclasses.replace(made, segments=())
    assert transcript_message(silent) == "transcribed: no speech found"


def _transcribed_beside(case: Case, tmp_path: Path) -> str:
    """An exhibit transcribed as `earwitness transcribe` would, not by a job."""
    [outcome] = ingest_paths(case, [write_wav(tmp_path / "beside.wav", seconds=2.0)])
    assert outcome.sha256
    lines = [(0.0, 2.0, "S1", "Встречаемся в Пинске в полдень.")]
    store_transcript(case, outcome.sha256, transcript_dict(lines))
    return outcome.sha256


def test_an_idle_worker_indexes_a_transcript_made_beside_the_workbench(
    case: Case, engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_module, "INDEX_LOOK_S", 0.2)
    stop = threading.Event()
    thread = threading.Thread(target=run_worker, args=(case.paths.root, db_url, stop))
    thread.start()
    try:
        exhibit = _transcribed_beside(case, tmp_path)  # while the worker runs
        index, deadline = SearchIndex(engine), time.monotonic() + 30
        while not index.search(SearchQuery("Пинск")) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert [hit.exhibit_sha256 for hit in index.search(SearchQuery("Пинск"))] == [exhibit]


def test_the_index_is_brought_up_to_date_on_postgresql(
    case: Case, postgresql_database: str, tmp_path: Path
) -> None:
    engine = open_database(postgresql_database)  # the migrations, search_sources included
    try:
        exhibit = _transcribed_beside(case, tmp_path)
        assert index_beside(case.paths.root, engine) >= 1
        assert index_beside(case.paths.root, engine) == 0  # nothing new since
        assert SearchIndex(engine).sources() == index_sources(case)
        assert [h.exhibit_sha256 for h in SearchIndex(engine).search(SearchQuery("Пинск"))] == [
            exhibit
        ]
    finally:
        engine.dispose()


def test_worker_main_needs_a_database(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "EARWITNESS_WORKER_DB"}
    answer = subprocess.run(
        [sys.executable, "-m", "earwitness.web.worker", "--case", str(tmp_path)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPO,
        timeout=60,
    )
    assert answer.returncode == 2 and "EARWITNESS_WORKER_DB" in answer.stderr


def test_sweep_keeps_uploads_a_job_still_needs(case: Case, engine: Engine) -> None:
    root = uploads_root(case.paths.meta)
    needed, orphan, fresh = (root / name for name in ("needed", "orphan", "fresh"))
    for folder in (needed, orphan, fresh):
        folder.mkdir(parents=True)
        (folder / "a.wav").write_bytes(b"RIFF")
    for folder in (needed, orphan):
        os.utime(folder, (time.time() - 86400, time.time() - 86400))
    params = {"path": str(needed / "a.wav"), "upload": True}
    job_queue.enqueue(engine, "ingest", "alice", None, params)
    assert sweep_uploads(case.paths.meta, engine) == 1
    assert sorted(path.name for path in root.iterdir()) == ["fresh", "needed"]


@pytest.mark.timeout(120)  # without the resending, the worker never stops
def test_a_sigterm_whose_raise_is_swallowed_still_puts_the_job_back(
    case: Case, engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What happened in CI: the signal arrived while a weakref callback ran, Python printed
    # "Exception ignored in ..." and the worker went on with its job and its loop, deaf to it.
    termination = worker_module._Termination()
    monkeypatch.setattr(worker_module, "_TERMINATION", termination)
    swallowed: list[type[BaseException] | None] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda info: swallowed.append(info.exc_type))

    class Finalised:
        def __del__(self) -> None:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.1)  # the handler runs here, inside the finaliser

    set_progress = job_queue.set_progress

    def signalled_mid_job(
        engine: Engine, job_id: int, fraction: float, message: str | None
    ) -> bool:
        written = set_progress(engine, job_id, fraction, message)
        if not swallowed:
            Finalised()
            time.sleep(30)  # a long stretch of work: the stop must break into it
        return written

    monkeypatch.setattr(job_queue, "set_progress", signalled_mid_job)
    wav = write_wav(tmp_path / "short.wav", seconds=1.0, seed=3)
    [outcome] = ingest_paths(case, [wav])
    job = job_queue.enqueue(engine, "examine", "alice", outcome.sha256)
    previous = signal.signal(signal.SIGTERM, termination.on_signal)
    started = time.monotonic()
    try:
        with pytest.raises(worker_module.WorkerStopped):
            run_worker(case.paths.root, db_url, poll_s=0.05)
    finally:
        termination.land()  # no more signals to this process before its handler goes back
        signal.signal(signal.SIGTERM, previous)
    assert swallowed == [worker_module.WorkerStopped]
    assert time.monotonic() - started < 10
    back = job_queue.get(engine, job.id)
    assert back is not None
    assert (back.state, back.attempts) == ("queued", 0)


def test_an_examine_job_reports_each_check_as_it_runs(
    case: Case, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wav = write_wav(tmp_path / "call.wav", seconds=2.0, seed=4)
    [outcome] = ingest_paths(case, [wav])
    job_queue.enqueue(engine, "examine", "alice", outcome.sha256)
    claimed = job_queue.claim_next(engine, "here")
    assert claimed is not None
    reported: list[tuple[float, str | None]] = []
    set_progress = job_queue.set_progress

    def recorded(engine: Engine, job_id: int, fraction: float, message: str | None) -> bool:
        reported.append((fraction, message))
        return set_progress(engine, job_id, fraction, message)

    monkeypatch.setattr(job_queue, "set_progress", recorded)
    monkeypatch.setattr(worker_module, "_PROGRESS_EVERY_S", 0.0)
    worker_module.run_job(case.paths.root, engine, claimed)
    messages = [message for _fraction, message in reported]
    assert messages[0] == "examining"
    assert "examining: duplicated material" in messages and "examining: levels" in messages
    fractions = [fraction for fraction, _message in reported]
    assert fractions == sorted(fractions) and fractions[-1] < 1.0
    done = job_queue.get(engine, claimed.id)
    assert done is not None and done.state == "done"
