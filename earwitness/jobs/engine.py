"""The stage engine: the one place where a result is computed, stored, reused and checked.

A ``Stage`` is a name, a version, typed hashable parameters, its inputs (the exhibit's
recording, or other stages' results), a pure compute function and a serialiser. A
``Request`` is a stage with its parameters. ``run_stage`` answers a request for one exhibit:

* it looks the request up in the catalog (stage, tool version, parameters incl. the stage's
  version and the object hashes of its inputs, model hash);
* before reusing what it finds it reads the stored bytes once, re-hashes them and checks that
  a signed custody event of this case produced exactly that artefact
  (``vault.artefacts.read_verified``); any mismatch is an ``ArtefactTampered`` error naming the
  artefact and the event — never a silent reuse and never a silent recomputation;
* otherwise (or with ``force``) it computes, and stores and logs the result only if the
  computation finished and the result is complete. A stage that raises (MemoryError
  included) or returns an incomplete result caches nothing.

Everything a command shows, renders or exports from a case comes through here, so nothing is
served from the case that was not just verified.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from earwitness import __version__
from earwitness.errors import EarwitnessError
from earwitness.vault import custody
from earwitness.vault.artefacts import (
    ArtefactRecord,
    find_artefact,
    params_sha256,
    read_verified,
    store_artefact,
)
from earwitness.vault.case import Case

T = TypeVar("T")


class StageParameters(Protocol, Hashable):
    """Typed, frozen (hashable) parameters of a stage; ``parameters()`` is what is recorded."""

    def parameters(self) -> dict[str, Any]: ...


class StageIncomplete(EarwitnessError):
    """A stage finished but its result is not whole (e.g. a check failed); nothing was stored.

    ``value`` is the partial result, so a command can still show what was found.
    """

    def __init__(self, message: str, value: Any) -> None:
        super().__init__(message)
        self.value = value


@dataclass(frozen=True, eq=False)
class Stage(Generic[T]):
    """What a kind of result is and how it is made. Stages are module-level constants."""

    name: str  # the artefact's stage name in the catalog; unique
    version: int  # raised when the same parameters would now give a different result
    action: str  # the custody action that logs it (examine, transcribe, report, publish)
    filename: str
    media_type: str
    compute: Callable[[Run, Request[T]], T]
    serialise: Callable[[T], bytes]
    deserialise: Callable[[bytes], T]
    # Other stages' results this one is made from, for the given parameters.
    inputs: Callable[[Request[T]], Sequence[Request[Any]]] = lambda _request: ()
    # The model a result depends on (its SHA-256), for the given parameters.
    model_sha256: Callable[[Request[T]], str | None] = lambda _request: None
    # Whether a computed result is whole enough to be kept and reused.
    is_complete: Callable[[T], bool] = lambda _value: True
    incomplete_reason: Callable[[T], str] = lambda _value: "the result is incomplete"


@dataclass(frozen=True)
class Request(Generic[T]):
    stage: Stage[T]
    params: StageParameters


@dataclass(frozen=True)
class StageResult(Generic[T]):
    value: T
    data: bytes  # exactly the stored (or, for a file outside a case, computed) bytes
    record: ArtefactRecord | None  # None outside a case
    reused: bool


@dataclass
class Run:
    """One command's work on one exhibit: the case (None for a loose file), the shared decoded
    recording, and the results already answered in this run."""

    case: Case | None
    exhibit_sha256: str
    force: bool = False
    # Lazily made inputs every stage may read (the decoded recording, the speech engine, …),
    # each made once per run; see ``Run.resource``.
    resources: dict[str, Callable[[], Any]] = field(default_factory=dict)
    _made: dict[str, Any] = field(default_factory=dict)
    _making: dict[str, threading.Lock] = field(default_factory=dict)
    _results: dict[tuple[str, str], StageResult[Any]] = field(default_factory=dict)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def resource(self, name: str) -> Any:
        """The run's ``name`` input, made on first use. Thread-safe and made once; each
        resource has its own lock, so loading a model never holds up a decoding."""
        with self._lock:
            making = self._making.setdefault(name, threading.Lock())
        with making:
            if name not in self._made:
                self._made[name] = self.resources[name]()
            return self._made[name]

    def forget(self, name: str) -> None:
        """Drop the made ``name`` input (it is made again if asked for), to free its memory."""
        with self._lock:
            self._made.pop(name, None)

    def value(self, request: Request[T]) -> T:
        """The result of another stage, for use inside a stage's ``compute``."""
        return run_stage(self, request).value


def recorded_parameters(run: Run, request: Request[Any]) -> dict[str, Any]:
    """What the artefact records as its parameters: the stage's own, its version, and the
    object hashes of the inputs it was made from (so its key changes when they do)."""
    params = dict(request.params.parameters())
    params["stage_version"] = request.stage.version
    inputs = request.stage.inputs(request)
    if inputs:
        params["inputs"] = {
            item.stage.name: _object_sha256(run_stage(run, item)) for item in inputs
        }
    return params


def _object_sha256(result: StageResult[Any]) -> str:
    if result.record is not None:
        return result.record.object_sha256
    return hashlib.sha256(result.data).hexdigest()


def _key(request: Request[Any]) -> tuple[str, str]:
    return request.stage.name, params_sha256(request.params.parameters())


def run_stage(run: Run, request: Request[T]) -> StageResult[T]:
    """The result of ``request`` for the run's exhibit: verified from the case, or computed
    (and, in a case, stored and logged). The only code path that does either."""
    key = _key(request)
    with run._lock:
        done = run._results.get(key)
    if done is not None:
        return done
    result = _lookup(run, request) if not run.force else None
    if result is None:
        result = _compute(run, request)
    with run._lock:
        run._results.setdefault(key, result)
        return run._results[key]


def _lookup(run: Run, request: Request[T]) -> StageResult[T] | None:
    if run.case is None:
        return None
    stage = request.stage
    params = recorded_parameters(run, request)
    found = find_artefact(
        run.case,
        run.exhibit_sha256,
        stage.name,
        params,
        tool_version=__version__,
        model_sha256=stage.model_sha256(request),
        filename=stage.filename,
    )
    if found is None:
        return None
    data = read_verified(run.case, found)  # raises ArtefactTampered: never reused unverified
    return StageResult(stage.deserialise(data), data, found, reused=True)


def _compute(run: Run, request: Request[T]) -> StageResult[T]:
    stage = request.stage
    if run.case is not None:  # a log that cannot take the result refuses before the work,
        custody.ensure_appendable(run.case.paths.custody)
        _ = run.case.signer  # and so does a machine without the case's key (NoCaseKey)
    value = stage.compute(run, request)
    if not stage.is_complete(value):
        raise StageIncomplete(
            f"{stage.name} of exhibit {run.exhibit_sha256[:12]}: {stage.incomplete_reason(value)}; "
            "nothing was stored (run it again, or see the report for the failing part)",
            value,
        )
    data = stage.serialise(value)
    if run.case is None:
        return StageResult(value, data, None, reused=False)
    params = recorded_parameters(run, request)
    with run._lock:  # one writer per case object: the custody log takes one event at a time
        record = store_artefact(
            run.case,
            run.exhibit_sha256,
            stage.name,
            data,
            filename=stage.filename,
            media_type=stage.media_type,
            params=params,
            model_sha256=stage.model_sha256(request),
            action=stage.action,
        )
    return StageResult(value, data, record, reused=False)


def run_side_by_side(
    run: Run,
    requests: Sequence[Request[Any]],
    seconds: dict[str, float] | None = None,
    *,
    then: Mapping[str, Callable[[StageResult[Any]], object]] | None = None,
) -> list[StageResult[Any]]:
    """Answer independent requests at once (two workers: CTranslate2 and NumPy release the
    GIL, so an examination and a transcription overlap on two cores). ``seconds`` receives
    each request's wall-clock time under its stage's action. ``then[stage name]`` is called
    with that stage's result in the same worker, while the other request may still run; the
    call returns when it is done too (its time is not the stage's)."""

    def timed(request: Request[Any]) -> StageResult[Any]:
        started = time.perf_counter()
        try:
            result = run_stage(run, request)
        finally:
            if seconds is not None:
                seconds[request.stage.action] = round(time.perf_counter() - started, 3)
        follow = (then or {}).get(request.stage.name)
        if follow is not None:
            follow(result)
        return result

    if len(requests) < 2:
        return [timed(request) for request in requests]
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="earwitness-stage") as pool:
        futures = [pool.submit(timed, request) for request in requests]
        return [future.result() for future in futures]
