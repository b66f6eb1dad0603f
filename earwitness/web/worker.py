"""The worker process: runs the queued jobs (ingest, examine, transcribe) one at a time.

It is a child process of the server (``start_worker``), so a crash in decoding or in a
model never takes the server down. Jobs live in the workbench database: a server that
restarts starts a new worker, which first puts back the jobs of a worker that died (same
host, process gone) and later any job whose heartbeat went stale; running a job again is
cheap because the stage engine reuses every artefact the first run stored and verified.

    python -m earwitness.web.worker --case DIR [--db URL]

The database URL may also come from ``EARWITNESS_WORKER_DB`` (how the server passes it, so
that a PostgreSQL password never shows in the process list).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine

from earwitness.errors import EarwitnessError
from earwitness.vault.case import Case
from earwitness.vault.store import process_alive
from earwitness.web import job_queue
from earwitness.web.db import open_database

if TYPE_CHECKING:
    from earwitness.speech.types import Transcript

DB_ENV = "EARWITNESS_WORKER_DB"
UPLOADS_DIR_NAME = "uploads"
POLL_S = 0.5
HEARTBEAT_S = 2.0
# How often an idle worker looks for artefacts made beside the workbench (a transcript or an
# examination from the command line) that the search index has not read yet.
INDEX_LOOK_S = 30.0
STALE_AFTER_S = 60.0  # no heartbeat for this long: the worker is taken for dead
_PROGRESS_EVERY_S = 0.25  # write progress at most this often (the page polls every 0.5 s)

# Where each speech stage's progress falls on the job's single bar.
_SPEECH_SPAN = {"transcribe": (0.0, 0.8), "translate": (0.8, 0.9), "speakers": (0.9, 1.0)}
_SPEECH_WORDS = {
    "transcribe": "transcribing",
    "translate": "translating",
    "speakers": "separating speakers",
}


class WorkerStopped(BaseException):
    """Raised in the worker's main thread by SIGTERM or SIGINT: the job is put back, not
    failed."""


class _Termination:
    """The stop asked by SIGTERM (the server's) or SIGINT (Ctrl+C on ``serve`` reaches its
    worker too), raised in the main thread again and again until it lands.

    An exception raised by a signal handler surfaces in whatever the main thread runs next,
    and Python swallows it when that is a finaliser or a weakref callback ("Exception ignored
    in ..."): the worker then went on with its job and its loop, deaf to the signal. So the
    first signal also starts a thread that sends it again every ``RESEND_S`` until
    ``run_worker`` has caught the stop (``land``); later signals are then ignored, so none
    can break into the release of the worker's jobs."""

    RESEND_S = 0.5

    def __init__(self) -> None:
        self.landed = threading.Event()
        self.resender: threading.Thread | None = None

    def on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.landed.is_set():
            return
        if self.resender is None:
            self.resender = threading.Thread(
                target=self._resend, args=(signum,), name="resend-sigterm", daemon=True
            )
            self.resender.start()
        raise WorkerStopped

    def _resend(self, signum: int) -> None:
        while not self.landed.wait(self.RESEND_S):
            os.kill(os.getpid(), signum)

    def land(self) -> None:
        self.landed.set()
        if self.resender is not None:
            self.resender.join()


_TERMINATION = _Termination()


def uploads_root(case_meta: Path) -> Path:
    """Where uploads wait for their ingest job: beside ``tmp``, never in it (every writer of
    the case deletes from ``tmp`` what no live process named)."""
    return case_meta / UPLOADS_DIR_NAME


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _Reporter:
    """The progress callback of one job: throttled writes, never going backwards."""

    def __init__(self, engine: Engine, job_id: int) -> None:
        self.engine = engine
        self.job_id = job_id
        self.best = 0.0
        self.last_write = 0.0
        self.message = ""

    def __call__(self, fraction: float, message: str, *, force: bool = False) -> None:
        fraction = max(self.best, min(1.0, fraction))
        now = time.monotonic()
        changed = message != self.message
        if not (force or changed) and now - self.last_write < _PROGRESS_EVERY_S:
            return
        self.best, self.message, self.last_write = fraction, message, now
        job_queue.set_progress(self.engine, self.job_id, fraction, message)


@contextlib.contextmanager
def _heartbeat(engine: Engine, job_id: int, worker: str, every_s: float) -> Any:
    """Beat the job's heart from a thread while the main thread works (a long Whisper batch
    reports no progress for minutes)."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            with contextlib.suppress(Exception):  # a busy database: the next beat will do
                job_queue.heartbeat(engine, job_id, worker)

    thread = threading.Thread(target=beat, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=every_s + 5)


def _ingest(case: Case, job: job_queue.Job, report: _Reporter) -> tuple[dict, str | None, str]:
    from earwitness.vault.intake import Status, expand_inputs, ingest_paths

    params = job.params
    path = Path(str(params.get("path", "")))
    shown = str(params.get("name") or path.name)
    if not path.exists():
        raise EarwitnessError(f"{shown}: the file to ingest is gone")
    if path.resolve() != path:
        # Checked against the import folders when queued, resolved; a link put in its way
        # since then could point anywhere.
        raise EarwitnessError(f"{shown}: the path changed since the job was queued; queue again")
    files, _ = expand_inputs([path])
    total = sum(_size(item) for item in files) or 1
    done = 0

    def on_bytes(count: int) -> None:
        nonlocal done
        done += count
        report(0.95 * done / total, f"ingesting {shown}")

    outcomes = ingest_paths(
        case, [path], _text(params.get("source")), _text(params.get("note")), on_bytes=on_bytes
    )
    listed = [
        {
            "status": outcome.status.value,
            # An upload's place on the server is replaced by the name the browser sent.
            "message": outcome.message.replace(str(path), shown),
            "sha256": outcome.sha256,
            "new_exhibit": outcome.new_exhibit,
        }
        for outcome in outcomes
    ]
    preserved = [o for o in outcomes if o.status in (Status.INGESTED, Status.WARNING) and o.sha256]
    if not preserved:
        problems = "; ".join(str(item["message"]) for item in listed)
        problems = problems or f"{shown}: nothing ingested"
        raise EarwitnessError(problems)
    first = preserved[0].sha256
    summary = f"{len(preserved)} file(s) preserved" + (
        f", {len(outcomes) - len(preserved)} not" if len(outcomes) > len(preserved) else ""
    )
    return {"outcomes": listed}, first, summary


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _text(value: object) -> str | None:
    return str(value)[:2000] if isinstance(value, str) and value.strip() else None


def _examine(case: Case, job: job_queue.Job, report: _Reporter) -> tuple[dict, str | None, str]:
    from earwitness.forensics.evaluation.verbal import finite_log10_lr, support_phrase
    from earwitness.forensics.options import ExamOptions
    from earwitness.forensics.truncation import shortfall
    from earwitness.jobs.examine import examine_exhibit

    sha256 = str(job.exhibit_sha256)
    report(0.05, "examining")

    def progress(check: str, done: int, total: int) -> None:
        if check:
            report(0.05 + 0.9 * done / total, f"examining: {check.replace('_', ' ')}")

    outcome = examine_exhibit(case, sha256, ExamOptions(), want_html=False, progress=progress)
    if outcome.failed:
        raise EarwitnessError(
            f"{sha256[:12]}: the examination is incomplete ({outcome.failed}); not stored"
        )
    summary = outcome.report.get("summary", {})
    result = {
        "reused": outcome.reused,
        "summary": summary.get("text", ""),
        "conclusion": summary.get("conclusion"),
        "log10_lr": summary.get("log10_lr"),
    }
    message = "examined" + (" (taken from the case)" if outcome.reused else "")
    log10_lr = finite_log10_lr(result["log10_lr"])
    if log10_lr is not None:  # the evidence, not a bare score
        message += f": {support_phrase(log10_lr)}"
    cut_short = shortfall(outcome.report.get("findings") or [])
    if cut_short is not None:  # what was never there to examine
        message += f"; {cut_short.phrase()}"
    return result, sha256, message


def _transcribe(
    case: Case, job: job_queue.Job, report: _Reporter, engine: Engine
) -> tuple[dict, str | None, str]:
    from earwitness.jobs.transcribe import transcribe_exhibit
    from earwitness.speech.options import TranscribeOptions

    sha256 = str(job.exhibit_sha256)
    translate = job.params.get("translate")
    options = TranscribeOptions(translate_to="en" if translate == "en" else None)

    def progress(stage: str, done: float, total: float) -> None:
        low, high = _SPEECH_SPAN.get(stage, (0.0, 1.0))
        share = done / total if total > 0 else 0.0
        report(low + (high - low) * min(1.0, share), _SPEECH_WORDS.get(stage, stage))

    report(0.0, "loading the speech model")
    outcome = transcribe_exhibit(case, sha256, options, None, progress, output_format="json")
    transcript = outcome.transcript
    result = {
        "reused": outcome.reused,
        "language": transcript.language,
        "segments": len(transcript.segments),
        "translation_language": transcript.translation_language,
    }
    try:
        _after_transcript(case, engine, sha256)
    except Exception as problem:  # the transcript is stored; the index can be rebuilt later
        traceback.print_exc(file=sys.stderr)
        result["indexing_error"] = f"{type(problem).__name__}: {problem}"[:500]
    return result, sha256, transcript_message(transcript, outcome.reused)


def transcript_message(transcript: Transcript, reused: bool = False) -> str:
    """What a finished transcribe job says in the jobs list: "transcribed: Russian (ru), 3
    segments, 2 speakers, English beside it; 2 of 25 words unsure". The reviewer learns
    from the list whether it is worth opening, and how much to check."""
    from earwitness.reports.dossier_transcript import language_label
    from earwitness.speech.confidence import needs_checking

    said = "transcribed" + (" (taken from the case)" if reused else "")
    count = len(transcript.segments)
    if not count:
        return f"{said}: no speech found"
    parts = [language_label(transcript.language), f"{count} segment{'s' if count != 1 else ''}"]
    speakers = {s.speaker for s in transcript.segments if s.speaker}
    if speakers:
        parts.append(f"{len(speakers)} speaker{'s' if len(speakers) != 1 else ''}")
    if transcript.translation is not None:
        parts.append(f"{language_label(transcript.translation_language)} beside it")
    checking = needs_checking(transcript.segments)
    unsure = f"; {checking.unsure_words} of {checking.words} words unsure" if checking.words else ""
    return f"{said}: {', '.join(parts)}{unsure}"


def _after_transcript(case: Case, engine: Engine, sha256: str) -> None:
    """Let the search index take the new transcript, where the workbench has one."""
    try:
        indexing = importlib.import_module("earwitness.web.indexing")
    except ModuleNotFoundError as missing:
        if missing.name not in ("earwitness.web.indexing", "earwitness.web"):
            raise
        return
    hook: Callable[..., object] | None = getattr(indexing, "after_transcript", None)
    if hook is not None:
        hook(case, engine, sha256)


def _remove_upload(job: job_queue.Job, case: Case) -> None:
    """Delete an uploaded file (and its folder) once its ingest is over, done or failed."""
    if not job.params.get("upload"):
        return
    root = uploads_root(case.paths.meta).resolve()
    folder = Path(str(job.params.get("path", ""))).parent.resolve()
    if folder != root and folder.is_relative_to(root):
        shutil.rmtree(folder, ignore_errors=True)


def sweep_uploads(case_meta: Path, engine: Engine, older_than_s: float = 6 * 3600) -> int:
    """Delete upload folders no queued or running ingest needs (an upload cut off by a server
    crash, an ingest whose case could not be opened); recent ones may still be arriving."""
    root = uploads_root(case_meta)
    if not root.is_dir():
        return 0
    wanted = {
        Path(str(job.params.get("path", ""))).parent.name
        for state in ("queued", "running")
        for job in job_queue.list_jobs(engine, 1000, state)
        if job.kind == "ingest" and job.params.get("upload")
    }
    removed = 0
    for folder in root.iterdir():
        try:
            age = time.time() - folder.stat().st_mtime
        except OSError:
            continue
        if folder.name not in wanted and age > older_than_s:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


def run_job(case_root: Path, engine: Engine, job: job_queue.Job) -> None:
    """Run one claimed job to its end: done or failed (a stopped worker's ``run_worker``
    puts it back in the queue)."""
    report = _Reporter(engine, job.id)
    kept = job_queue.public_params(job.params)  # what the job keeps once it is over
    case: Case | None = None
    try:
        case = Case.open(case_root)
        if job.kind == "ingest":
            result, sha256, message = _ingest(case, job, report)
        elif job.kind == "examine":
            result, sha256, message = _examine(case, job, report)
        elif job.kind == "transcribe":
            result, sha256, message = _transcribe(case, job, report, engine)
        else:
            raise EarwitnessError(f"job {job.id}: unknown kind {job.kind!r}")
    except EarwitnessError as problem:
        job_queue.fail(engine, job.id, str(problem), kept)
    except Exception as crash:  # a bug, not the user's: keep the worker alive, say what broke
        traceback.print_exc(file=sys.stderr)
        job_queue.fail(engine, job.id, f"internal error: {type(crash).__name__}: {crash}", kept)
    else:
        job_queue.finish(engine, job.id, result, message, exhibit_sha256=sha256, params=kept)
    if case is not None:
        _remove_upload(job, case)
        case.close_catalog()


def run_worker(
    case_root: Path | str,
    db_url: str,
    stop: threading.Event | None = None,
    *,
    poll_s: float = POLL_S,
    heartbeat_s: float = HEARTBEAT_S,
    stale_after_s: float = STALE_AFTER_S,
) -> None:
    """Claim and run jobs until ``stop`` is set (or the parent server is gone)."""
    stop = stop or threading.Event()
    engine = open_database(db_url)
    name = worker_name()
    parent = os.getppid()
    # Our own pid on a dead worker's job: a restarted container hands out the same pids.
    job_queue.requeue_orphans(
        engine, socket.gethostname(), lambda pid: pid != os.getpid() and process_alive(pid)
    )
    with contextlib.suppress(OSError):
        sweep_uploads(Case(Path(case_root)).paths.meta, engine)
    next_look = time.monotonic() + INDEX_LOOK_S  # the server brought the index up at its start
    try:
        while not stop.is_set():
            if os.getppid() != parent:  # the server died: a new one starts its own worker
                break
            job_queue.requeue_stale(engine, stale_after_s)
            job = job_queue.claim_next(engine, name)
            if job is None:
                if time.monotonic() >= next_look:
                    index_beside(Path(case_root), engine)
                    next_look = time.monotonic() + INDEX_LOOK_S
                stop.wait(poll_s)
                continue
            with _heartbeat(engine, job.id, name, heartbeat_s):
                run_job(Path(case_root), engine, job)
    except WorkerStopped:
        # Stopped at any point, even between claiming a job and starting it: every job this
        # worker holds goes back to the queue.
        _TERMINATION.land()
        job_queue.release(engine, name)
        raise
    finally:
        engine.dispose()


def index_beside(case_root: Path, engine: Engine) -> int:
    """Index what was made beside the workbench since (``web.indexing.refresh_index``); a
    failure is written to the log and the worker goes on. Returns documents written."""
    from sqlalchemy.exc import SQLAlchemyError

    from earwitness.web.indexing import refresh_index

    try:
        return refresh_index(Case(case_root), engine)
    except (EarwitnessError, OSError, SQLAlchemyError) as problem:
        print(f"earwitness worker: search index not refreshed: {problem}", file=sys.stderr)
        return 0


def start_worker(case_root: Path | str, db_url: str) -> subprocess.Popen[bytes]:
    """Start the worker as a child process of the server (its output goes to the server's)."""
    environment = {**os.environ, DB_ENV: db_url}
    return subprocess.Popen(
        [sys.executable, "-m", "earwitness.web.worker", "--case", str(case_root)],
        env=environment,
        stdin=subprocess.DEVNULL,
    )


def stop_worker(process: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    """Ask the worker to stop (its job is queued again), then make sure it has."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m earwitness.web.worker")
    parser.add_argument("--case", required=True, type=Path, help="the case folder")
    parser.add_argument("--db", help=f"the workbench database URL (else ${DB_ENV})")
    parser.add_argument("--poll", type=float, default=POLL_S, help="seconds between looks")
    parser.add_argument("--stale", type=float, default=STALE_AFTER_S)
    args = parser.parse_args(argv)
    db_url = args.db or os.environ.get(DB_ENV)
    if not db_url:
        parser.error(f"--db or ${DB_ENV} is required")
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, _TERMINATION.on_signal)
    try:
        run_worker(args.case, db_url, poll_s=args.poll, stale_after_s=args.stale)
    except WorkerStopped:
        return 0
    except EarwitnessError as problem:
        print(f"earwitness worker: {problem}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
