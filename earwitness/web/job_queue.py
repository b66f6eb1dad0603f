"""The queue of background jobs (ingest, examine, transcribe), kept in the workbench database.

The server enqueues; a worker process claims a job atomically, reports progress and a
heartbeat, and finishes or fails it. Nothing here is evidence: the work a job does goes
through the stage engine, which stores and logs its results in the case, so a job run twice
(after a crash) reuses what the first run stored.

Every change of a row takes the next value of a table-wide ``revision``: the event stream
sends the jobs whose revision is above the last one it sent, and a browser that reconnects
resumes from its Last-Event-ID. On PostgreSQL the writers take one advisory lock so that
revisions are committed in order (a stream never skips one committed late).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, Float, Integer, String, Text, bindparam, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from earwitness.errors import EarwitnessError
from earwitness.web.db import Base, is_postgresql, session

KINDS = ("ingest", "examine", "transcribe")
STATES = ("queued", "running", "done", "failed")
MAX_ATTEMPTS = 3  # a job whose worker died this many times is given up, not retried forever
_PG_LOCK = 0x16_0B5  # the advisory lock that orders job writes on PostgreSQL
_NEXT_REVISION = "(SELECT COALESCE(MAX(revision), 0) + 1 FROM jobs)"


class JobRefused(EarwitnessError):
    """A job that cannot be queued as asked (unknown kind, missing exhibit)."""


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    exhibit_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    progress: Mapped[float] = mapped_column(Float)
    message: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    revision: Mapped[int] = mapped_column(Integer)

    def to_dict(self) -> dict[str, Any]:
        """The job as the API shows it (params included: they hold no secrets)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "exhibit_sha256": self.exhibit_sha256,
            "params": public_params(self.params),
            "state": self.state,
            "progress": round(float(self.progress), 4),
            "message": self.message,
            "created_by": self.created_by,
            "created_at": _iso(self.created_at),
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "worker": self.worker,
            "attempts": self.attempts,
            "error": self.error,
            "result": self.result,
            "revision": self.revision,
        }


# An intake's path, source and note may name a person: the custody log holds only salted
# commitments to them (vault.private_fields), so the API never shows them and a finished job
# forgets them (the worker passes ``public_params`` to ``finish`` or ``fail``).
PRIVATE_PARAMS = frozenset({"path", "source", "note"})


def public_params(params: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in params.items() if key not in PRIVATE_PARAMS}


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime | None) -> datetime | None:
    # SQLite hands datetimes back without their zone; every one we store is UTC.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _iso(moment: datetime | None) -> str | None:
    aware = _aware(moment)
    return aware.isoformat() if aware else None


def _ordered(connection: Connection) -> None:
    """Serialise job writers on PostgreSQL (SQLite serialises every writer already)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})


def _bind(name: str, column: str | None = None) -> Any:
    """A bound parameter typed as the jobs column it fills (JSON and datetimes need it)."""
    return bindparam(name, type_=Job.__table__.c[column or name].type)


def _update(engine: Engine, job_id: int, where: str, values: dict[str, Any], **extra: Any) -> bool:
    """Set ``values`` on job ``job_id`` if ``where`` holds; True if the row changed.

    Column names and conditions come from this module only; every value is a bound parameter.
    """
    assignments = ", ".join(f"{column} = :{column}" for column in values)
    statement = text(
        f"UPDATE jobs SET {assignments}, revision = {_NEXT_REVISION} WHERE id = :job_id AND {where}"
    ).bindparams(*(_bind(name) for name in values))
    if "cutoff" in extra:
        statement = statement.bindparams(_bind("cutoff", "heartbeat_at"))
    with engine.begin() as connection:
        _ordered(connection)
        changed = connection.execute(statement, {**values, **extra, "job_id": job_id})
    return bool(changed.rowcount)


def enqueue(
    engine: Engine,
    kind: str,
    created_by: str,
    exhibit_sha256: str | None = None,
    params: dict[str, Any] | None = None,
) -> Job:
    """Queue a job; the worker takes jobs in the order they were queued."""
    if kind not in KINDS:
        raise JobRefused(f"{kind!r}: not a kind of job (one of {', '.join(KINDS)})")
    if kind != "ingest" and not exhibit_sha256:
        raise JobRefused(f"{kind} job: which exhibit? (exhibit_sha256 is missing)")
    values: dict[str, Any] = {
        "kind": kind,
        "exhibit_sha256": exhibit_sha256,
        "params": dict(params or {}),
        "state": "queued",
        "progress": 0.0,
        "message": "queued",
        "created_by": created_by,
        "created_at": _now(),
        "attempts": 0,
    }
    statement = text(
        f"INSERT INTO jobs ({', '.join(values)}, revision) "
        f"VALUES ({', '.join(':' + name for name in values)}, {_NEXT_REVISION}) RETURNING id"
    ).bindparams(*(_bind(name) for name in values))
    with engine.begin() as connection:
        _ordered(connection)
        job_id = int(connection.execute(statement, values).scalar_one())
    job = get(engine, job_id)
    assert job is not None
    return job


_CLAIM_SQLITE = f"""
UPDATE jobs SET state = 'running', worker = :worker, started_at = :now, heartbeat_at = :now,
    attempts = attempts + 1, message = 'started', revision = {_NEXT_REVISION}
WHERE id = (SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1)
    AND state = 'queued'
RETURNING id
"""

_CLAIM_POSTGRESQL = f"""
WITH next AS (
    SELECT id FROM jobs WHERE state = 'queued' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
)
UPDATE jobs SET state = 'running', worker = :worker, started_at = :now, heartbeat_at = :now,
    attempts = jobs.attempts + 1, message = 'started', revision = {_NEXT_REVISION}
FROM next WHERE jobs.id = next.id
RETURNING jobs.id
"""


def claim_next(engine: Engine, worker: str) -> Job | None:
    """Take the oldest queued job for ``worker`` (running from now on), or None.

    One statement: two workers asking at once never get the same job.
    """
    sql = _CLAIM_POSTGRESQL if is_postgresql(engine) else _CLAIM_SQLITE
    statement = text(sql).bindparams(_bind("now", "started_at"))
    with engine.begin() as connection:
        _ordered(connection)
        claimed = connection.execute(statement, {"worker": worker, "now": _now()}).scalar()
    return None if claimed is None else get(engine, int(claimed))


def set_progress(engine: Engine, job_id: int, progress: float, message: str | None = None) -> bool:
    """Record how far a running job is (0..1) and beat its heart; False if it is not running
    any more (requeued meanwhile: the worker that lost it stops writing to it)."""
    values: dict[str, Any] = {
        "progress": min(1.0, max(0.0, float(progress))),
        "heartbeat_at": _now(),
    }
    if message is not None:
        values["message"] = message[:500]
    return _update(engine, job_id, "state = 'running'", values)


def heartbeat(engine: Engine, job_id: int, worker: str) -> bool:
    """Say the job's worker is alive (no new revision: nothing the page shows changed)."""
    statement = text(
        "UPDATE jobs SET heartbeat_at = :now WHERE id = :id AND state = 'running' "
        "AND worker = :worker"
    ).bindparams(_bind("now", "heartbeat_at"))
    with engine.begin() as connection:
        changed = connection.execute(statement, {"now": _now(), "id": job_id, "worker": worker})
    return bool(changed.rowcount)


def finish(
    engine: Engine,
    job_id: int,
    result: dict[str, Any] | None = None,
    message: str = "done",
    exhibit_sha256: str | None = None,
    params: dict[str, Any] | None = None,
) -> bool:
    """Mark a running job done (``params``, if given, replace its params)."""
    values: dict[str, Any] = {
        "state": "done",
        "progress": 1.0,
        "message": message[:500],
        "finished_at": _now(),
        "result": result or {},
    }
    if exhibit_sha256:
        values["exhibit_sha256"] = exhibit_sha256
    if params is not None:
        values["params"] = params
    return _update(engine, job_id, "state = 'running'", values)


def fail(engine: Engine, job_id: int, error: str, params: dict[str, Any] | None = None) -> bool:
    values: dict[str, Any] = {
        "state": "failed",
        "message": "failed",
        "error": error[:2000],
        "finished_at": _now(),
    }
    if params is not None:
        values["params"] = params
    return _update(engine, job_id, "state IN ('queued', 'running')", values)


def requeue_stale(engine: Engine, older_than_s: float) -> list[int]:
    """Queue again each running job whose worker has not beaten for ``older_than_s`` seconds
    (killed, or the machine restarted); one tried ``MAX_ATTEMPTS`` times is failed instead.
    Returns the ids requeued."""
    cutoff = _now() - timedelta(seconds=older_than_s)
    with session(engine) as db:
        stale = db.scalars(
            select(Job).where(Job.state == "running", Job.heartbeat_at < cutoff)
        ).all()
    return [job.id for job in stale if _give_back(engine, job, cutoff)]


def requeue_orphans(engine: Engine, host: str, alive: Callable[[int], bool]) -> list[int]:
    """Requeue at once the running jobs of workers on ``host`` whose process is gone (a server
    restarted after a crash need not wait for their heartbeat to go stale)."""
    with session(engine) as db:
        running = db.scalars(select(Job).where(Job.state == "running")).all()
    orphans = []
    for job in running:
        name = job.worker or ""
        worker_host, _, pid = name.rpartition(":")
        if worker_host == host and pid.isdigit() and not alive(int(pid)):
            orphans.append(job)
    cutoff = _now() + timedelta(days=1)  # any heartbeat: the process is known to be dead
    requeued = []
    for job in orphans:
        if _give_back(engine, job, cutoff):
            requeued.append(job.id)
    return requeued


def _give_back(engine: Engine, job: Job, cutoff: datetime) -> bool:
    """Queue ``job`` again, or fail it once it has been tried ``MAX_ATTEMPTS`` times; True if
    it was queued again."""
    where = "state = 'running' AND worker = :worker AND heartbeat_at < :cutoff"
    if job.attempts >= MAX_ATTEMPTS:
        reason = f"its worker stopped {job.attempts} times (last: {job.worker}); given up"
        values: dict[str, Any] = {
            "state": "failed",
            "message": "failed",
            "error": reason,
            "finished_at": _now(),
        }
        _update(engine, job.id, where, values, cutoff=cutoff, worker=job.worker)
        return False
    values = {"state": "queued", "progress": 0.0, "message": "queued again (its worker stopped)"}
    return _update(engine, job.id, where, values, cutoff=cutoff, worker=job.worker)


def release(engine: Engine, worker: str) -> list[int]:
    """Put back the running jobs of ``worker``, asked to stop before finishing them (not
    counted as a try). Returns their ids."""
    statement = text(
        "UPDATE jobs SET state = 'queued', progress = 0, "
        "attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, "
        f"message = 'queued again (the worker was stopped)', revision = {_NEXT_REVISION} "
        "WHERE state = 'running' AND worker = :worker RETURNING id"
    )
    with engine.begin() as connection:
        _ordered(connection)
        return [int(row) for row in connection.execute(statement, {"worker": worker}).scalars()]


def get(engine: Engine, job_id: int) -> Job | None:
    with session(engine) as db:
        return db.get(Job, job_id)


def list_jobs(engine: Engine, limit: int = 200, state: str | None = None) -> Sequence[Job]:
    """The newest jobs first."""
    query = select(Job).order_by(Job.id.desc()).limit(max(1, min(limit, 1000)))
    if state is not None:
        query = query.where(Job.state == state)
    with session(engine) as db:
        return db.scalars(query).all()


def changed_since(engine: Engine, revision: int, limit: int = 500) -> Sequence[Job]:
    """Jobs changed after ``revision``, in the order they changed (for the event stream)."""
    query = select(Job).where(Job.revision > revision).order_by(Job.revision).limit(limit)
    with session(engine) as db:
        return db.scalars(query).all()


def latest_revision(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT COALESCE(MAX(revision), 0) FROM jobs")).scalar_one()
        )
