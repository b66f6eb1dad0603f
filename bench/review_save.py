"""Saving a correction in the workbench: p50/p95 with 10 concurrent editors (goal: p95 ≤ 100 ms).

    .venv/bin/python bench/review_save.py [--editors 10] [--saves 30] [--segments 500] [--quick]

What it measures. A fresh case holds one recording with a hand-made 500-segment transcript
(generated Russian and English words, two speakers, an English translation) stored where
``earwitness transcribe`` stores it. ``earwitness serve``'s app runs under uvicorn in its own
process (as it would in use: the clients never share its interpreter lock) on a free loopback
port, over the case's SQLite workbench database; each editor is its own HTTP client (its own
connection and session, logged in through the real login form) in its own thread here.

Each save is ``POST /api/exhibits/{sha}/edits`` with a ``correct_text`` of one of the editor's
own segments (editor k edits segments k, k+N, k+2N, …, so no save conflicts) and the version it
last saw, timed at the client from the request to the parsed answer: parsing, the role check,
the version check, storing the edit object, the signed custody event, the catalog row and the
search index update are all inside it.

Three phases, same run, same server. The baseline: one editor saving ``--saves`` corrections
one after another. Then ``--editors`` editors at the same time, twice:

- *at typing pace* (the goal's load): each editor saves, then pauses a random 0.5–1.5 s (as
  if typing the next correction; one save a second each is already more than people correct),
  so saves of different editors arrive independently and sometimes together;
- *back to back* (a stress test, not the goal's load): each editor sends its next save the
  moment the last one is answered. Every save holds the case's write lock while its custody
  event is signed and written (four fsyncs in the vault), so ten such editors queue behind each
  other and the p95 is about ten single saves.

A few saves before each phase are not timed (the first save of a process writes the exhibit's
whole search index). Printed: p50/p95 of each phase, the goal (judged on the typing-pace phase),
and the ratio of each concurrent p95 to the baseline p95.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

GOAL_MS = 100.0
PASSWORD = "bench password, long enough"
_HIDDEN = re.compile(r'name="csrf_token" value="([^"]*)"')
WORDS = [
    *("деньги", "банк", "встреча", "Минск", "завтра", "никто", "не", "должен", "знать"),
    *("позвони", "мне", "после", "the", "money", "goes", "through", "the", "bank", "nobody"),
    *("else", "must", "know", "call", "me", "after", "meeting"),
]


def write_wav(path: Path, seconds: float, rate: int = 8000) -> None:
    rng = np.random.default_rng(0)
    samples = 0.1 * rng.standard_normal(int(seconds * rate))
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())


def make_transcript(sha256: str, count: int, seconds_each: float = 2.0):  # type: ignore[no-untyped-def]
    from earwitness.speech.types import Segment, Transcript, Word

    rng = np.random.default_rng(1)
    segments, translation = [], []
    for index in range(count):
        start = index * seconds_each
        words = [WORDS[i] for i in rng.integers(0, len(WORDS), 12)]
        step = seconds_each / len(words)
        timed = tuple(
            Word(start + k * step, start + (k + 1) * step, " " + word, 0.9)
            for k, word in enumerate(words)
        )
        speaker = f"S{index % 2 + 1}"
        text = " " + " ".join(words)
        segments.append(Segment(index, start, start + seconds_each, text, timed, speaker))
        translation.append(
            Segment(index, start, start + seconds_each, f" segment {index}", (), speaker)
        )
    return Transcript(
        exhibit_sha256=sha256,
        language="ru",
        segments=tuple(segments),
        model_name="generated",
        model_sha256="0" * 64,
        translation_language="en",
        translation=tuple(translation),
        translation_method="generated",
        duration=count * seconds_each,
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Editor:
    """One browser: its own HTTP connection and session, its segments and their versions."""

    def __init__(self, base_url: str, name: str, sha256: str, segments: list[int]) -> None:
        import httpx

        self.client = httpx.Client(base_url=base_url, timeout=60)
        form = self.client.get("/login")
        token = _HIDDEN.search(form.text)
        assert token, "no CSRF field on the login page"
        answer = self.client.post(
            "/login",
            data={"name": name, "password": PASSWORD, "csrf_token": token.group(1), "next": "/"},
        )
        assert answer.status_code in (200, 303), answer.text
        me = self.client.get("/api/me")
        assert me.status_code == 200, me.text
        self.client.headers["X-CSRF-Token"] = me.json()["csrf_token"]
        self.sha256 = sha256
        self.segments = segments
        review = self.client.get(f"/api/exhibits/{sha256}/review").json()
        self.versions = {s["id"]: s["version"] for s in review["segments"]}
        self.saved = 0

    def save(self) -> float:
        """One correction of the editor's next segment; its wall time in milliseconds."""
        segment = self.segments[self.saved % len(self.segments)]
        self.saved += 1
        body = {
            "edit": {
                "kind": "correct_text",
                "segment_id": segment,
                "text": f"исправлено {self.saved} раз: деньги идут через банк",
            },
            "base_versions": {str(segment): self.versions[segment]},
        }
        started = time.perf_counter()
        answer = self.client.post(f"/api/exhibits/{self.sha256}/edits", json=body)
        payload = answer.json()
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200:
            raise RuntimeError(f"save refused: {answer.status_code} {payload}")
        for changed in payload["segments"]:
            self.versions[changed["id"]] = changed["version"]
        return elapsed


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(np.asarray(values), share))


def run_phase(
    editors: list[Editor], saves: int, warm: int, pause: tuple[float, float] | None = None
) -> list[float]:
    """Each editor's timed saves; with ``pause`` (seconds, low and high) a random pause after
    each save, else none."""
    times: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(len(editors))

    def work(editor: Editor) -> None:
        try:
            timed(editor)
        except Exception as exc:  # a refused save is a result to print, not a silent thread
            start.abort()  # the others stop waiting for this one
            with lock:
                failures.append(f"{type(exc).__name__}: {exc}")

    def timed(editor: Editor) -> None:
        rng = np.random.default_rng(editor.segments[0])
        for _ in range(warm):
            editor.save()
        start.wait()
        mine = []
        for _ in range(saves):
            if pause is not None:
                time.sleep(float(rng.uniform(*pause)))
            mine.append(editor.save())
        with lock:
            times.extend(mine)

    threads = [threading.Thread(target=work, args=(editor,)) for editor in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(f"{len(failures)} editor(s) failed; first: {failures[0]}")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--editors", type=int, default=10)
    parser.add_argument("--saves", type=int, default=30, help="timed saves per editor")
    parser.add_argument("--segments", type=int, default=500)
    parser.add_argument("--quick", action="store_true", help="5 saves per editor (a smoke run)")
    args = parser.parse_args(argv)
    saves = 5 if args.quick else args.saves
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        os.environ["XDG_CONFIG_HOME"] = str(root / "config")
        os.environ["EARWITNESS_ACTOR"] = "bench@lab"
        os.environ.pop("EARWITNESS_CASE", None)
        return measure(root, args.editors, saves, args.segments)


def serve(root: Path, port: int, cost_args: tuple[int, int, int]) -> None:
    """The server process: ``earwitness serve``'s app over the case at ``root``."""
    import uvicorn

    from earwitness.vault.case import Case
    from earwitness.web.app import create_app
    from earwitness.web.db import database_url, open_database
    from earwitness.web.state import PasswordCost, Settings, Workbench

    case = Case.open(root / "case")
    engine = open_database(database_url(None, case.paths.meta))
    settings = Settings(
        port=port, password_cost=PasswordCost(*cost_args), login_failures_per_address=1000
    )
    app = create_app(Workbench(case=case, engine=engine, settings=settings))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


def wait_for(port: int, server: multiprocessing.process.BaseProcess) -> None:
    for _ in range(600):
        if not server.is_alive():
            raise SystemExit("the server process stopped before it listened")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise SystemExit("the server did not listen within 30 s")


def measure(root: Path, count: int, saves: int, segments: int) -> int:
    from earwitness.formats.transcript_json import render_json
    from earwitness.jobs.transcribe import TRANSCRIPT
    from earwitness.vault.artefacts import store_artefact
    from earwitness.vault.case import Case
    from earwitness.vault.intake import ingest_paths
    from earwitness.web.accounts import add_account
    from earwitness.web.db import database_url, open_database
    from earwitness.web.state import PasswordCost

    case, _ = Case.init(root / "case")
    write_wav(root / "call.wav", 10.0)
    (outcome,) = ingest_paths(case, [root / "call.wav"])
    sha256 = str(outcome.sha256)
    transcript = make_transcript(sha256, segments)
    store_artefact(
        case, sha256, TRANSCRIPT.name, render_json(transcript), filename=TRANSCRIPT.filename,
        media_type=TRANSCRIPT.media_type, params={"generated": True},
        model_sha256=transcript.model_sha256, action="transcribe",
    )  # fmt: skip
    engine = open_database(database_url(None, case.paths.meta))
    cost = PasswordCost(time_cost=1, memory_kib=8192, parallelism=1)  # logins are not measured
    names = [f"editor{k}" for k in range(count + 1)]
    hasher = cost.hasher()

    for name in names:
        add_account(engine, case.writing, name, "editor", PASSWORD, by="bench", hasher=hasher)
    engine.dispose()
    case.close_catalog()
    port = free_port()
    # Its own process, as `earwitness serve` is: the clients here never share its GIL.
    context = multiprocessing.get_context("spawn")
    server = context.Process(
        target=serve, args=(root, port, (cost.time_cost, cost.memory_kib, cost.parallelism))
    )
    server.start()
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_for(port, server)
        alone = Editor(base_url, names[-1], sha256, list(range(count, segments, count + 1)))
        baseline = run_phase([alone], saves, warm=3)
        editors = [
            Editor(base_url, names[k], sha256, list(range(k, segments, count + 1)))
            for k in range(count)
        ]
        paced = run_phase(editors, saves, warm=2, pause=(0.5, 1.5))
        concurrent = run_phase(editors, saves, warm=0)
    finally:
        server.terminate()
        server.join(timeout=10)
    print(
        f"review save: {segments}-segment transcript, correct_text over HTTP (uvicorn in its "
        f"own process, loopback), SQLite workbench database, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    p95_1 = percentile(baseline, 95)
    rows = [
        ("baseline, 1 editor, back to back", baseline),
        (f"{count} editors at typing pace", paced),
        (f"{count} editors back to back (stress)", concurrent),
    ]
    for label, times in rows:
        print(
            f"{label:38s} {len(times):4d} saves  p50 {percentile(times, 50):6.1f} ms  "
            f"p95 {percentile(times, 95):6.1f} ms  mean {statistics.fmean(times):6.1f} ms  "
            f"p95 ratio to baseline {percentile(times, 95) / p95_1:5.2f}"
        )
    p95_paced = percentile(paced, 95)
    verdict = "met" if p95_paced <= GOAL_MS else "NOT met"
    print(
        f"goal: p95 <= {GOAL_MS:.0f} ms with {count} concurrent editors (typing pace): "
        f"{p95_paced:.1f} ms, {verdict}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
