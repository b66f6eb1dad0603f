"""A real workbench server and a real browser for the browser tests and the review-page bench.

``start_server(folder, spec)`` runs ``python -m tests.web.browser_support`` in a subprocess:
it makes a case in ``folder`` (signed with a key in ``folder/config``, never the user's), takes
each recording of the spec in with the ordinary intake, stores its hand-made transcript as the
TRANSCRIPT artefact (no Whisper), indexes it and stores its waveform peaks as the worker would,
adds the accounts, then serves the app with uvicorn on a free localhost port. A subprocess
keeps the server's signing identity apart from the per-test identities ``tests/conftest.py``
sets in this process; the tests read the custody log from outside, as an auditor would.

``launch_chromium(playwright)`` starts Debian's Chromium (``CHROMIUM_SKIP`` says why a test
skips where it is absent); ``Watched`` opens a context that records every request its pages
make and every script error, so a test can assert that nothing left the server's origin.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import numpy as np

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_SKIP = (
    "/usr/bin/chromium is missing (as root, `make test` installs it: apt-get install -y chromium)"
)
CHROMIUM_ARGS = [
    "--mute-audio",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
PASSWORD = "correct horse battery staple"
ACTOR = "browser-test@lab"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def words_of(text: str, start: float, end: float) -> list[dict[str, Any]]:
    """Whisper-shaped words (leading spaces) spread evenly over [start, end]."""
    parts = text.split()
    step = (end - start) / max(1, len(parts))
    return [
        {
            "start": round(start + i * step, 3),
            "end": round(start + (i + 1) * step, 3),
            "word": " " + part,
            "probability": 0.9,
        }
        for i, part in enumerate(parts)
    ]


def transcript_dict(
    lines: list[tuple[float, float, str, str]], language: str = "ru", duration: float | None = None
) -> dict[str, Any]:
    """A transcript JSON (transcript.schema.json) from (start, end, speaker, text) lines; the
    exhibit's SHA-256 is filled in by the server process once the recording is taken in."""
    segments = [
        {
            "id": i,
            "start": start,
            "end": end,
            "speaker": speaker,
            "text": " " + text,
            "avg_logprob": -0.2,
            "no_speech_prob": 0.01,
            "words": words_of(text, start, end),
        }
        for i, (start, end, speaker, text) in enumerate(lines)
    ]
    return {
        "exhibit_sha256": "0" * 64,
        "language": language,
        "language_probability": 0.99,
        "model": {"name": "hand-made", "sha256": "f" * 64},
        "segments": segments,
        "translation": None,
        "duration": duration if duration is not None else (lines[-1][1] if lines else 0.0),
        "processing": {},
    }


@dataclass
class Server:
    url: str
    case_root: Path
    exhibits: dict[str, str]  # the spec's key -> SHA-256
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


def start_server(folder: Path, spec: dict[str, Any], timeout: float = 90.0) -> Server:
    """Set up the case of ``spec`` and serve it; returns once the login page answers.

    ``spec``: ``{"exhibits": [{"key", "audio" (a file path), "name" (the file name to take it
    in under), "transcript" (transcript_dict), "peaks_seconds" (optional: store synthetic peaks
    of that length instead of decoding), "findings" (optional: an examination's findings)}],
    "accounts": [[name, role], …]}``; every account's password is ``PASSWORD``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    spec_path = folder / "spec.json"
    spec_path.write_text(json.dumps({**spec, "case": str(folder / "case")}), encoding="utf-8")
    ready = folder / "ready.json"
    ready.unlink(missing_ok=True)
    log = folder / "server.log"
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(folder / "config"),
        "EARWITNESS_ACTOR": ACTOR,
        "PYTHONPATH": str(REPO),
    }
    env.pop("EARWITNESS_CASE", None)
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.web.browser_support", str(spec_path), str(port)],
            cwd=REPO,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    server = Server(url, folder / "case", {}, process, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the workbench server exited:\n{server.log_tail()}")
        if ready.exists():
            try:
                with urllib.request.urlopen(url + "/login", timeout=2) as answer:
                    if answer.status == 200:
                        server.exhibits = json.loads(ready.read_text(encoding="utf-8"))
                        return server
            except OSError:
                pass
        time.sleep(0.1)
    server.stop()
    raise RuntimeError(
        f"the workbench server did not start in {timeout:.0f} s:\n{server.log_tail()}"
    )


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@dataclass
class Watched:
    """A browser context on one server that records what its pages ask for and what breaks."""

    context: Any
    origin: str
    requests: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, browser: Any, origin: str) -> Watched:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        watched = cls(context, origin)

        def refuse(route: Any) -> None:  # never let a request out, whatever the test asserts
            watched.outside.append(route.request.url)
            route.abort()

        context.route(lambda url: not url.startswith(origin + "/"), refuse)
        context.on("request", lambda request: watched.requests.append(request.url))
        context.on("page", watched._watch)
        return watched

    def _watch(self, page: Any) -> None:
        page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))

        def console(message: Any) -> None:
            # A refused API call (403, 409) shows as "Failed to load resource": expected here.
            if message.type == "error" and "Failed to load resource" not in message.text:
                self.errors.append(f"console: {message.text}")

        page.on("console", console)

    def page(self) -> Any:
        return self.context.new_page()

    def login(self, name: str, password: str = PASSWORD, next_path: str = "/") -> Any:
        """A new page, logged in through the login form."""
        page = self.page()
        page.goto(f"{self.origin}/login?next={quote(next_path, safe='')}")
        page.fill('input[name="name"]', name)
        page.fill('input[name="password"]', password)
        page.click('form[action="/login"] button[type="submit"]')
        page.wait_for_url(lambda url: "/login" not in url, timeout=15000)
        return page

    def close(self) -> None:
        self.context.close()

    def foreign(self) -> list[str]:
        """Every request a page made that was not to the server's origin (data: and blob:
        URLs never leave the browser)."""
        local = (self.origin + "/", "data:", "blob:")
        return [url for url in self.requests if not url.startswith(local)] + self.outside


def review_ready(page: Any, timeout: float = 15000) -> None:
    # Right after a click that navigates, the predicate can run before the new page has a body.
    page.wait_for_function("() => document.body?.dataset.ready === '1'", timeout=timeout)


# ---- the server process -------------------------------------------------------------------


def store_transcript(case: Any, sha256: str, data: dict[str, Any]) -> None:
    """``data`` (``transcript_dict``) stored as the exhibit's newest ASR transcript."""
    from earwitness.jobs.transcribe import TRANSCRIPT
    from earwitness.speech.types import Transcript
    from earwitness.vault.artefacts import store_artefact

    transcript = Transcript.from_dict({**data, "exhibit_sha256": sha256})
    store_artefact(
        case,
        sha256,
        TRANSCRIPT.name,
        TRANSCRIPT.serialise(transcript),
        filename=TRANSCRIPT.filename,
        media_type=TRANSCRIPT.media_type,
        params={"hand_made": "browser test fixture"},
        model_sha256=transcript.model_sha256,
        action=TRANSCRIPT.action,
    )


# What the stored examination concludes of the whole file (the review page's findings panel).
EXAMINATION_SUMMARY = {
    "log10_lr": 1.3,
    "conclusion": "The findings provide moderate support for the proposition that the "
    "recording was edited rather than that it is an unedited original.",
}


def _store_examination(case: Any, sha256: str, findings: list[dict[str, Any]]) -> None:
    """An examination report holding ``findings``, stored where the examination stage would."""
    from earwitness.jobs.examine import EXAMINATION, report_bytes
    from earwitness.vault.artefacts import store_artefact

    store_artefact(
        case,
        sha256,
        EXAMINATION.name,
        report_bytes({"checks": [], "findings": findings, "summary": EXAMINATION_SUMMARY}),
        filename=EXAMINATION.filename,
        media_type=EXAMINATION.media_type,
        params={"hand_made": "browser test fixture"},
        action=EXAMINATION.action,
    )


def synthetic_speech(seconds: float, rate: int = 1000, seed: int = 0) -> np.ndarray:
    """Bursts of noise with pauses, like speech seen from far: what a waveform shows."""
    rng = np.random.default_rng(seed)
    count = int(seconds * rate)
    envelope = np.repeat(rng.uniform(0.05, 0.8, count // rate + 1), rate)[:count]
    envelope[np.repeat(rng.random(count // rate + 1) < 0.2, rate)[:count]] = 0.01
    return (envelope * rng.uniform(-1, 1, count)).astype(np.float32)


def _store_peaks(case: Any, sha256: str, seconds: float | None) -> None:
    """The exhibit's waveform peaks through the real stage; with ``seconds``, of a synthetic
    recording that long (the bench's 2-hour waveform over a short audio file)."""
    from earwitness.jobs.peaks import ensure_peaks
    from earwitness.jobs.recording import exhibit_run

    run = exhibit_run(case, sha256)
    if seconds:
        fake = SimpleNamespace(samples=synthetic_speech(seconds), sample_rate=1000)
        run.resources["decoded"] = lambda: fake
    ensure_peaks(case, sha256, run)


def _serve(spec_path: Path, port: int) -> None:
    import uvicorn

    from earwitness.vault.case import Case
    from earwitness.vault.intake import ingest_paths
    from earwitness.web.accounts import add_account
    from earwitness.web.app import create_app
    from earwitness.web.db import database_url, open_database
    from earwitness.web.indexing import refresh_index
    from earwitness.web.state import PasswordCost, Settings, Workbench

    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    case, _ = Case.init(Path(spec["case"]))
    incoming = spec_path.parent / "incoming"
    exhibits: dict[str, str] = {}
    for item in spec["exhibits"]:
        staged = incoming / item["key"] / item["name"]
        staged.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(item["audio"], staged)
        (outcome,) = ingest_paths(case, [staged])
        assert outcome.sha256, outcome.message
        store_transcript(case, outcome.sha256, item["transcript"])
        _store_peaks(case, outcome.sha256, item.get("peaks_seconds"))
        if item.get("findings"):
            _store_examination(case, outcome.sha256, item["findings"])
        exhibits[item["key"]] = outcome.sha256
    engine = open_database(database_url(None, case.paths.meta))
    cheap = PasswordCost(time_cost=1, memory_kib=8192, parallelism=1)
    settings = Settings(host="127.0.0.1", port=port, secure_cookies=False, password_cost=cheap)
    workbench = Workbench(case=case, engine=engine, settings=settings)
    for name, role in spec.get("accounts", []):
        add_account(
            engine,
            workbench.writing,
            name,
            role,
            PASSWORD,
            by="browser-fixture",
            hasher=cheap.hasher(),
        )
    refresh_index(case, engine)
    (spec_path.parent / "ready.json").write_text(json.dumps(exhibits), encoding="utf-8")
    uvicorn.run(create_app(workbench), host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    _serve(Path(sys.argv[1]), int(sys.argv[2]))
