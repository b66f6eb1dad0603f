"""Rebuild the catalog from the custody log: the index is thrown away, the record is not.

The new catalog is written beside the old one and moved into place with ``os.replace``, so a
crash leaves either the old catalog or the new one, never half of each. The old file is first
taken out of WAL mode: that folds its ``-wal`` into it and removes ``-wal`` and ``-shm``, so no
stale write-ahead log can be replayed onto the new file — and it fails while another process
still has the catalog open, which is then a refusal, not a risk.

The rebuild is itself logged (action ``reindex``), with the differences it repaired: the
catalog is what every command reads, so that it was replaced, by whom and why belongs in the
record. A catalog that holds events the log lacks is the only witness that the log lost them,
so it is rebuilt only when asked with ``force``.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from earwitness import __version__
from earwitness.errors import CaseCorrupt, EarwitnessError
from earwitness.vault import case_keys, catalog, custody
from earwitness.vault.case import Case, catalog_engine
from earwitness.vault.keys import remember_head
from earwitness.vault.verified_log import CustodyLogInvalid
from earwitness.vault.verify import Problem, check_catalog, check_log

# Problems that say the log, not the catalog, lost or changed an event.
_LOG_LOSS_KINDS = frozenset({"deleted", "edited"})
_LOGGED_DIFFERENCES = 100


@dataclass(frozen=True)
class Reindexed:
    events_indexed: int
    repaired: list[Problem]  # how the old catalog differed from the log
    event: custody.Event  # the ``reindex`` event that records the rebuild


def reindex_catalog(case: Case, *, force: bool = False) -> Reindexed:
    """Replace the catalog with the projection of the verified custody log, and log that."""
    # Recovery would apply events to the very catalog we distrust; rebuilding replaces it.
    with case.writing(recover=False):
        tail_repair = custody.repair_torn_tail(case.paths.custody, case.paths.quarantine)
        log = check_log(case.paths.custody, case.registered_keys())
        if log.problems:
            more = f" (and {len(log.problems) - 1} more)" if len(log.problems) > 1 else ""
            raise CustodyLogInvalid(
                f"{case.paths.custody}: the custody log does not verify: "
                f"{log.problems[0].message}{more}; the catalog was not rebuilt"
            )
        repaired = _old_catalog_problems(case, log.events)
        lost = [problem for problem in repaired if problem.kind in _LOG_LOSS_KINDS]
        if lost and not force:
            raise CaseCorrupt(
                f"{case.paths.catalog}: {lost[0].message}; the catalog is the only witness of "
                "that, so it was not rebuilt (copy the case aside, then 'reindex --force')"
            )
        case_id = log.authority.case_id
        rolled_back = case_keys.rollback_problem(case_id, log.events) if case_id else None
        if rolled_back and not force:
            raise CaseCorrupt(
                f"{case.paths.custody}: {rolled_back}; the catalog was not rebuilt (copy the "
                "case aside, then 'reindex --force' accepts the shorter log and logs that)"
            )
        if rolled_back and case_id and log.events:
            # Accepted by hand: the machine's memory of the head follows the log from here on,
            # and the reindex event below records what was given up.
            repaired.append(Problem("rolled_back", rolled_back))
            remember_head(case_id, log.events[-1].seq, log.events[-1].hash)
        fresh = _build(case.paths.catalog, log.events)
        _swap(case, fresh)
        if tail_repair is not None:
            case.record_tail_repair(tail_repair)
        messages = [problem.message for problem in repaired]
        event = case.record(
            "reindex",
            None,
            {
                "events_indexed": len(log.events),
                "differences_repaired": len(messages),
                "differences": messages[:_LOGGED_DIFFERENCES],
                "tool_version": __version__,
            },
        )
    return Reindexed(events_indexed=len(log.events), repaired=repaired, event=event)


def _old_catalog_problems(case: Case, events: list[custody.Event]) -> list[Problem]:
    try:
        with case.session() as session:
            problems, _ = check_catalog(session, events)
    except DatabaseError as exc:
        reason = str(exc.orig) if exc.orig is not None else str(exc)
        return [Problem("catalog_unreadable", f"{case.paths.catalog}: unreadable ({reason})")]
    finally:
        case.close_catalog()
    return problems


def _build(target: Path, events: list[custody.Event]) -> Path:
    """Write the catalog the events imply into a new file beside ``target``; returns its path."""
    fresh = target.with_name(target.name + ".rebuilding")
    _remove_with_journal(fresh)
    engine = catalog_engine(fresh)
    try:
        with Session(engine) as session:
            for committed in events:
                catalog.apply_event(session, committed)
            session.commit()
        with engine.connect() as connection:
            # A self-contained file: nothing of it may stay behind in a -wal when it is moved.
            connection.exec_driver_sql("PRAGMA journal_mode=DELETE")
    finally:
        engine.dispose()
    with open(fresh, "rb") as handle:
        os.fsync(handle.fileno())
    return fresh


def _swap(case: Case, fresh: Path) -> None:
    target = case.paths.catalog
    case.close_catalog()
    if target.exists():
        _leave_wal_mode(target)
    os.replace(fresh, target)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _leave_wal_mode(path: Path) -> None:
    """Fold the old catalog's -wal into it and remove -wal and -shm, or refuse if it is in use."""
    try:
        connection = sqlite3.connect(path, timeout=5)
        try:
            mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        finally:
            connection.close()
    except sqlite3.OperationalError:
        mode = "busy"  # locked by another process, which may be using -wal and -shm
    except sqlite3.DatabaseError:
        mode = None  # not a database at all: its journal files are as worthless as it is
    if mode is not None and mode.lower() != "delete":
        raise EarwitnessError(
            f"{path}: another process has the catalog open; run 'earwitness reindex' again "
            "when it has finished"
        )
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _remove_with_journal(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
