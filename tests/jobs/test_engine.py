"""The stage engine on a real case: computed once, reused only after verification, never
cached when it fails, recomputed on --force."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from earwitness.errors import CaseNotWritable
from earwitness.jobs.engine import (
    Request,
    Run,
    Stage,
    StageIncomplete,
    run_side_by_side,
    run_stage,
)
from earwitness.vault.artefacts import ArtefactTampered, list_artefacts
from earwitness.vault.case import Case
from earwitness.vault.custody import iter_events
from earwitness.vault.intake import ingest_paths
from earwitness.vault.keys import NoCaseKey
from tests.conftest import write_wav


@dataclass(frozen=True)
class Words:
    text: str
    complete: bool = True

    def parameters(self) -> dict[str, Any]:
        return {"text": self.text, "complete": self.complete}


calls: list[str] = []


def _say(run: Run, request: Request[dict[str, Any]]) -> dict[str, Any]:
    assert isinstance(request.params, Words)
    calls.append(request.params.text)
    return {"said": request.params.text, "complete": request.params.complete}


def _json(value: dict[str, Any]) -> bytes:
    return json.dumps(value, sort_keys=True).encode()


SAY: Stage[dict[str, Any]] = Stage(
    name="say",
    version=1,
    action="examine",
    filename="say.json",
    media_type="application/json",
    compute=_say,
    serialise=_json,
    deserialise=json.loads,
    is_complete=lambda value: value["complete"],
)


def _shout(run: Run, request: Request[dict[str, Any]]) -> dict[str, Any]:
    said = run.value(Request(SAY, request.params))
    return {"shouted": said["said"].upper()}


SHOUT: Stage[dict[str, Any]] = Stage(
    name="shout",
    version=1,
    action="examine",
    filename="shout.json",
    media_type="application/json",
    compute=_shout,
    serialise=_json,
    deserialise=json.loads,
    inputs=lambda request: (Request(SAY, request.params),),
)


@pytest.fixture
def exhibit(case: Case, tmp_path: Path) -> str:
    calls.clear()
    (outcome,) = ingest_paths(case, [write_wav(tmp_path / "in" / "a.wav")])
    assert outcome.sha256
    return outcome.sha256


def _run(case: Case, sha256: str, force: bool = False) -> Run:
    return Run(case=Case.open(case.paths.root), exhibit_sha256=sha256, force=force)


def _events(case: Case, action: str) -> int:
    return sum(1 for event in iter_events(case.paths.custody) if event.action == action)


def test_a_result_is_computed_once_then_reused_after_verification(case: Case, exhibit: str):
    first = run_stage(_run(case, exhibit), Request(SAY, Words("hello")))
    second = run_stage(_run(case, exhibit), Request(SAY, Words("hello")))
    assert (first.reused, second.reused) == (False, True)
    assert second.value == {"said": "hello", "complete": True}
    assert second.data == first.data
    assert calls == ["hello"]
    assert _events(case, "examine") == 1


def test_side_by_side_a_follow_up_runs_on_its_stage_worker_before_the_return(
    case: Case, exhibit: str
):
    """``report`` draws the dossier's plots this way once the examination is done, while
    the speech stage still runs; the dossier must find them finished."""
    followed: list[tuple[Any, str]] = []

    def follow(result: Any) -> None:
        time.sleep(0.2)  # longer than the other request: the call must still wait for it
        followed.append((result.value, threading.current_thread().name))

    said, shouted = run_side_by_side(
        _run(case, exhibit),
        [Request(SAY, Words("hi")), Request(SHOUT, Words("yo"))],
        then={SAY.name: follow},
    )
    assert said.value == {"said": "hi", "complete": True} and shouted.value == {"shouted": "YO"}
    assert [value for value, _ in followed] == [said.value]  # once, for its stage only
    assert followed[0][1] != threading.main_thread().name


def test_other_parameters_are_another_result(case: Case, exhibit: str):
    run_stage(_run(case, exhibit), Request(SAY, Words("hello")))
    other = run_stage(_run(case, exhibit), Request(SAY, Words("bye")))
    assert not other.reused
    assert calls == ["hello", "bye"]


def test_force_recomputes_and_logs_again(case: Case, exhibit: str):
    run_stage(_run(case, exhibit), Request(SAY, Words("hello")))
    again = run_stage(_run(case, exhibit, force=True), Request(SAY, Words("hello")))
    assert not again.reused
    assert calls == ["hello", "hello"]
    assert _events(case, "examine") == 2


def test_an_incomplete_result_is_shown_but_never_stored(case: Case, exhibit: str):
    with pytest.raises(StageIncomplete) as raised:
        run_stage(_run(case, exhibit), Request(SAY, Words("half", complete=False)))
    assert raised.value.value == {"said": "half", "complete": False}
    assert "nothing was stored" in str(raised.value)
    assert list_artefacts(case, exhibit) == []


def test_a_stage_that_runs_out_of_memory_caches_nothing(case: Case, exhibit: str):
    def exhausted(run: Run, request: Request[dict[str, Any]]) -> dict[str, Any]:
        raise MemoryError

    greedy = Stage(
        name="greedy",
        version=1,
        action="examine",
        filename="greedy.json",
        media_type="application/json",
        compute=exhausted,
        serialise=_json,
        deserialise=json.loads,
    )
    with pytest.raises(MemoryError):
        run_stage(_run(case, exhibit), Request(greedy, Words("x")))
    assert list_artefacts(case, exhibit) == []
    assert _events(case, "examine") == 0


def test_a_log_that_cannot_take_the_result_refuses_before_the_work(
    case: Case, exhibit: str, tmp_path: Path
) -> None:
    calls.clear()
    log = case.paths.custody
    kept = tmp_path / "custody.jsonl"
    os.replace(log, kept)
    log.mkdir()  # any write to the log now fails, as on a read-only or immutable file
    try:
        with pytest.raises(CaseNotWritable, match="cannot be written"):
            run_stage(_run(case, exhibit), Request(SAY, Words("unheard")))
    finally:
        log.rmdir()
        os.replace(kept, log)
    assert calls == []  # refused before computing anything


def test_a_machine_without_the_cases_key_refuses_before_the_work(
    case: Case, exhibit: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The case copied to another machine: a transcription of hours must not run first and
    fail when its result is to be signed."""
    calls.clear()
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "another-machine"))
    elsewhere = Case.open(case.paths.root)
    with pytest.raises(NoCaseKey, match="holds no signing key for this case"):
        run_stage(_run(elsewhere, exhibit), Request(SAY, Words("unsigned")))
    assert calls == []  # refused before computing anything


def test_an_input_is_recorded_by_its_object_hash(case: Case, exhibit: str):
    shouted = run_stage(_run(case, exhibit), Request(SHOUT, Words("hi")))
    said = next(r for r in list_artefacts(case, exhibit) if r.stage == "say")
    assert shouted.value == {"shouted": "HI"}
    assert shouted.record is not None
    assert shouted.record.params["inputs"] == {"say": said.object_sha256}
    assert shouted.record.params["stage_version"] == 1
    again = run_stage(_run(case, exhibit), Request(SHOUT, Words("hi")))
    assert again.reused and calls == ["hi"]


def test_an_object_altered_in_the_store_is_never_reused(case: Case, exhibit: str):
    made = run_stage(_run(case, exhibit), Request(SAY, Words("hello")))
    assert made.record is not None
    stored = case.store.path_for(made.record.object_sha256)
    os.chmod(stored, 0o644)
    stored.write_bytes(b'{"said": "forged", "complete": true}')
    with pytest.raises(ArtefactTampered) as raised:
        run_stage(_run(case, exhibit), Request(SAY, Words("hello")))
    message = str(raised.value)
    assert "say.json" in message and f"event {made.record.seq}" in message
    assert calls == ["hello"]  # not silently recomputed either


def test_a_planted_object_behind_a_changed_catalog_cell_is_never_reused(case: Case, exhibit: str):
    made = run_stage(_run(case, exhibit), Request(SAY, Words("hello")))
    assert made.record is not None
    planted = case.store.put_bytes(b'{"said": "planted", "complete": true}').sha256
    with sqlite3.connect(case.paths.catalog) as db:
        db.execute(
            "UPDATE artefacts SET object_sha256 = ? WHERE seq = ?", (planted, made.record.seq)
        )
    with pytest.raises(ArtefactTampered) as raised:
        run_stage(_run(case, exhibit), Request(SAY, Words("hello")))
    assert "say.json" in str(raised.value)


def test_outside_a_case_nothing_is_stored(tmp_path: Path):
    calls.clear()
    run = Run(case=None, exhibit_sha256="0" * 64)
    made = run_stage(run, Request(SHOUT, Words("loose")))
    assert made.value == {"shouted": "LOOSE"} and made.record is None and not made.reused
