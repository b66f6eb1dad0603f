"""Background jobs in the API: queue them, list them, follow them live, upload files.

- ``POST /api/jobs`` (editor) ``{kind, exhibit_sha256?, translate?, path?}``: examine or
  transcribe an exhibit, or ingest a file or folder from the server's import folders
  (``Settings.import_roots``; nothing else on the server can be named).
- ``GET /api/jobs``, ``GET /api/jobs/{id}`` (viewer).
- ``GET /api/jobs/events`` (viewer): server-sent events, one ``job`` event per change of a
  job, its ``id:`` the change's revision, so a browser that reconnects resumes where it left.
- ``POST /api/uploads`` (editor): a multipart upload streamed to the case's uploads folder
  within a size limit, then an ingest job; the browser's file name is kept only as the name
  the intake records (basename, no control characters, never hidden).
- ``GET /jobs``: the page (templates/jobs.html, static/jobs.js).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import shutil
import time
import unicodedata
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Depends, Header, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from earwitness.errors import EarwitnessError, ExhibitNotFound
from earwitness.web import job_queue
from earwitness.web.accounts import Account
from earwitness.web.auth import CSRF_HEADER, current_account, login_session, require, workbench
from earwitness.web.state import Workbench
from earwitness.web.templating import page
from earwitness.web.worker import uploads_root

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

router = APIRouter()

EVENT_POLL_S = 0.5
KEEP_ALIVE_S = 15.0
_NAME_BYTES = 255  # the longest file name most file systems take
_FIELD_LIMIT = 2000  # the longest source or note an upload form may send

Viewer = Annotated[Account, Depends(require("viewer"))]
Editor = Annotated[Account, Depends(require("editor"))]
Bench = Annotated[Workbench, Depends(workbench)]


class UploadRefused(EarwitnessError):
    """An upload that cannot be taken (bad name, too large, not a file upload)."""


class JobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["ingest", "examine", "transcribe"]
    exhibit_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    translate: Literal["en"] | None = None
    # ingest only: a file or folder inside one of the server's import folders
    path: str | None = Field(default=None, max_length=4096)
    source: str | None = Field(default=None, max_length=_FIELD_LIMIT)
    note: str | None = Field(default=None, max_length=_FIELD_LIMIT)


def safe_upload_name(raw: str) -> str:
    """The browser's file name made safe to keep: its last path component, without control
    or invisible formatting characters (bidi overrides included); refused if nothing is left
    or if it would be hidden (``.name``, ``..``)."""
    name = unicodedata.normalize("NFC", raw.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in ("C", "Z") or ch == " ")
    name = name.strip()
    if not name:
        raise UploadRefused(f"{raw[:80]!r}: the upload has no usable file name")
    if name.startswith("."):
        raise UploadRefused(f"{name[:80]!r}: a hidden file name is refused; rename the file")
    while len(name.encode("utf-8")) > _NAME_BYTES:
        stem, dot, suffix = name.rpartition(".")
        keep = f"{dot}{suffix}" if dot and len(suffix) <= 16 else ""
        name = (stem if keep else name)[:-1] + keep
    return name


def allowed_import(path_text: str, roots: Sequence[Path | str]) -> Path:
    """``path_text`` resolved (symbolic links followed) if it lies in one of ``roots``."""
    if not roots:
        raise HTTPException(403, "no import folders are configured on this server")
    candidate = Path(path_text)
    if not candidate.is_absolute() or "\x00" in path_text:
        raise HTTPException(400, f"{path_text[:200]!r}: give an absolute path on the server")
    try:
        resolved = candidate.resolve()  # links followed as far as the path exists
    except (OSError, RuntimeError):
        resolved = None
    inside = resolved is not None and any(
        resolved == base or resolved.is_relative_to(base)
        for base in (Path(root).resolve() for root in roots)
    )
    # Outside, existing or not, is one answer: the API is no way to probe the server's files.
    if resolved is None or not inside:
        raise HTTPException(403, f"{path_text[:200]!r}: outside the server's import folders")
    if not resolved.exists():
        raise HTTPException(404, f"{path_text[:200]!r}: no such file or folder")
    return resolved


def _exhibit_known(bench: Workbench, sha256: str) -> bool:
    from earwitness.vault.catalog import Exhibit

    with bench.case.session() as db:
        return db.get(Exhibit, sha256) is not None


@router.post("/api/jobs", status_code=201, tags=["jobs"])
def create_job(body: JobRequest, account: Editor, bench: Bench) -> JSONResponse:
    """Queue an ingest (from an import folder), examine or transcribe job."""
    params: dict[str, Any] = {}
    exhibit = body.exhibit_sha256
    if body.kind == "ingest":
        if not body.path:
            raise HTTPException(422, "ingest: path is required (or upload the file)")
        resolved = allowed_import(body.path, bench.settings.import_roots)
        params = {"path": str(resolved), "name": resolved.name}
        params.update({k: v for k, v in (("source", body.source), ("note", body.note)) if v})
        exhibit = None
    else:
        if not exhibit:
            raise HTTPException(422, f"{body.kind}: exhibit_sha256 is required")
        if not _exhibit_known(bench, exhibit):
            raise ExhibitNotFound(f"{exhibit[:12]}: no such exhibit in this case")
        if body.kind == "transcribe" and body.translate:
            params["translate"] = body.translate
    job = job_queue.enqueue(bench.engine, body.kind, account.name, exhibit, params)
    return JSONResponse(job.to_dict(), status_code=201)


@router.get("/api/jobs", tags=["jobs"])
def list_jobs(
    _account: Viewer,
    bench: Bench,
    state: Annotated[Literal["queued", "running", "done", "failed"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[dict[str, Any]]:
    """The newest jobs first."""
    return [job.to_dict() for job in job_queue.list_jobs(bench.engine, limit, state)]


def _sse(job: job_queue.Job) -> str:
    data = json.dumps(job.to_dict(), ensure_ascii=False)
    return f"id: {job.revision}\nevent: job\ndata: {data}\n\n"


async def _job_events(
    request: Request, bench: Workbench, resume_from: int | None
) -> AsyncIterator[str]:
    engine = bench.engine
    yield "retry: 2000\n\n"
    if resume_from is None:
        # A new page: every recent job once, then only changes.
        cursor = await run_in_threadpool(job_queue.latest_revision, engine)
        recent = await run_in_threadpool(job_queue.list_jobs, engine, 200)
        for job in sorted(recent, key=lambda found: found.revision):
            yield _sse(job)
    else:
        cursor = resume_from
    quiet_since = time.monotonic()
    while not await request.is_disconnected():
        changed = await run_in_threadpool(job_queue.changed_since, engine, cursor)
        for job in changed:
            cursor = max(cursor, job.revision)
            yield _sse(job)
        if changed:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > KEEP_ALIVE_S:
            quiet_since = time.monotonic()
            yield ": keep-alive\n\n"  # proxies close a silent connection
        await asyncio.sleep(EVENT_POLL_S)


@router.get("/api/jobs/events", tags=["jobs"], response_class=StreamingResponse)
async def job_events(
    request: Request,
    _account: Viewer,
    bench: Bench,
    last_event_id: Annotated[str | None, Header()] = None,
) -> StreamingResponse:
    """Server-sent events: ``event: job`` with the job's JSON at every change."""
    resume_from = None
    if last_event_id is not None and last_event_id.strip().isdigit():
        resume_from = int(last_event_id.strip()[:18])
    return StreamingResponse(
        _job_events(request, bench, resume_from),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/api/jobs/{job_id}", tags=["jobs"])
def get_job(job_id: int, _account: Viewer, bench: Bench) -> dict[str, Any]:
    job = job_queue.get(bench.engine, job_id)
    if job is None:
        raise HTTPException(404, f"job {job_id}: no such job")
    return job.to_dict()


async def _upload_preconditions(request: Request) -> None:
    """Before ``require`` may read a form: refuse an upload without the CSRF header (the
    fallback would read the whole file into a temporary form first) or one declared larger
    than the limit."""
    if login_session(request) is None:
        raise HTTPException(401, "not logged in")
    if not request.headers.get(CSRF_HEADER):
        raise HTTPException(403, f"uploads need the {CSRF_HEADER} header")
    limit = workbench(request).settings.upload_limit_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        raise HTTPException(413, f"the upload is larger than the limit of {limit:,} bytes")


class _UploadReader:
    """Streams one multipart body: the ``file`` part into a file, small fields into memory."""

    def __init__(self, folder: Path, limit: int) -> None:
        self.folder = folder
        self.limit = limit
        self.partial = folder / "upload.part"
        self.file: BinaryIO | None = None
        self.name: str | None = None
        self.size = 0
        self.fields: dict[str, str] = {}
        self._headers: dict[str, bytes] = {}
        self._field = b""
        self._value = b""
        self._current: str | None = None
        self._text = bytearray()
        self.pending: list[bytes] = []

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": lambda data, start, end: self._add("_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _add(self, attribute: str, data: bytes) -> None:
        setattr(self, attribute, getattr(self, attribute) + data)

    def _part_begin(self) -> None:
        self._headers, self._current, self._text = {}, None, bytearray()

    def _header_end(self) -> None:
        field = self._field.decode("latin-1").lower()
        # Kept as bytes: browsers send a file name in UTF-8 ("запись.wav"), not Latin-1.
        self._headers[field] = self._value
        self._field, self._value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get("content-disposition", b""))
        part = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        if part == "file" and filename is not None:
            if self.file is not None:
                raise UploadRefused("one file per upload")
            self.name = safe_upload_name(filename.decode("utf-8", "replace"))
            self.file = open(self.partial, "xb")  # noqa: SIM115 - closed in finish/abort
            self._current = "file"
        elif part in ("source", "note"):
            self._current = part

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current == "file":
            self.size += end - start
            if self.size > self.limit:
                raise HTTPException(
                    413, f"the upload is larger than the limit of {self.limit:,} bytes"
                )
            self.pending.append(bytes(data[start:end]))
        elif self._current is not None:
            self._text += data[start:end]
            if len(self._text) > _FIELD_LIMIT * 4:
                raise UploadRefused(f"{self._current}: longer than {_FIELD_LIMIT} characters")

    def _part_end(self) -> None:
        if self._current in ("source", "note"):
            self.fields[self._current] = self._text.decode("utf-8", "replace")[:_FIELD_LIMIT]
        self._current = None

    def flush(self) -> None:
        if self.pending and self.file is not None:
            self.file.write(b"".join(self.pending))
        self.pending = []

    def finish(self) -> Path:
        """The uploaded file under its safe name."""
        if self.file is None or self.name is None:
            raise UploadRefused("no file in the upload (a multipart field named 'file')")
        self.flush()
        self.file.close()
        if self.size == 0:
            raise UploadRefused(f"{self.name}: the file is empty")
        target = self.folder / self.name
        self.partial.rename(target)
        return target


_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "source": {"type": "string", "maxLength": _FIELD_LIMIT},
                        "note": {"type": "string", "maxLength": _FIELD_LIMIT},
                    },
                }
            }
        },
    }
}


@router.post("/api/uploads", status_code=201, tags=["jobs"], openapi_extra=_UPLOAD_BODY)
async def upload(
    request: Request,
    _checked: Annotated[None, Depends(_upload_preconditions)],
    account: Editor,
    bench: Bench,
) -> JSONResponse:
    """Upload one file (multipart field ``file``; optional ``source``, ``note``) and queue
    its ingest. The file is removed once the ingest is over."""
    content_type = request.headers.get("content-type", "")
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise UploadRefused("an upload is multipart/form-data with a field named 'file'")
    limit = bench.settings.upload_limit_bytes
    root = uploads_root(bench.case.paths.meta)
    folder = root / secrets.token_hex(16)
    await run_in_threadpool(folder.mkdir, 0o700, True)
    reader = _UploadReader(folder, limit)
    try:
        parser = MultipartParser(boundary, reader.callbacks())
        async for chunk in request.stream():
            parser.write(chunk)
            if reader.pending:
                await run_in_threadpool(reader.flush)
        parser.finalize()
        stored = await run_in_threadpool(reader.finish)
    except BaseException as problem:
        if reader.file is not None:
            reader.file.close()
        await run_in_threadpool(shutil.rmtree, folder, True)
        if isinstance(problem, ValueError) and not isinstance(problem, EarwitnessError):
            raise UploadRefused(f"the upload is not well-formed multipart ({problem})") from None
        raise
    params: dict[str, Any] = {"path": str(stored.resolve()), "name": stored.name, "upload": True}
    params.update({key: value for key, value in reader.fields.items() if value.strip()})
    job = job_queue.enqueue(bench.engine, "ingest", account.name, None, params)
    return JSONResponse({**job.to_dict(), "name": stored.name, "size_bytes": reader.size}, 201)


@router.get("/jobs", response_class=HTMLResponse, include_in_schema=False)
def jobs_page(
    request: Request, account: Annotated[Account, Depends(current_account)]
) -> HTMLResponse:
    return page(request, "jobs.html", may_edit=account.may("editor"))
