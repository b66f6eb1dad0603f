"""The catalog: an SQLite index of the custody log, for fast look-ups.

The custody log is the record; the catalog is a projection of it. Every row is written by
``apply_event`` from one committed event, so a catalog that fell behind (a crash between the
log append and the catalog commit) is brought up to date by applying the missing events. What
each row holds is defined once, in ``projection``; ``verify`` compares the two.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    create_engine,
    event,
    func,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from earwitness.vault.custody import Event
from earwitness.vault.projection import rows_of_event


class Base(DeclarativeBase):
    pass


class EventRow(Base):
    """One committed custody event, by sequence number (mirrors the log, checked by verify)."""

    __tablename__ = "events"
    seq: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    time: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(32), index=True)
    exhibit_sha256: Mapped[str | None] = mapped_column(String(64), index=True)


class Exhibit(Base):
    """A distinct original, identified by its content."""

    __tablename__ = "exhibits"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    md5: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    first_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    media: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    probe_error: Mapped[str | None] = mapped_column(Text)


class Intake(Base):
    """One receipt of an exhibit: the same content received twice is two intakes."""

    __tablename__ = "intakes"
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)
    exhibit_sha256: Mapped[str] = mapped_column(ForeignKey("exhibits.sha256"), index=True)
    original_name: Mapped[str] = mapped_column(Text, index=True)
    original_path: Mapped[str] = mapped_column(Text)
    file_times: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)


class Artefact(Base):
    """Something computed from an exhibit, stored as an object, with what is needed to redo it."""

    __tablename__ = "artefacts"
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)
    exhibit_sha256: Mapped[str] = mapped_column(ForeignKey("exhibits.sha256"))
    object_sha256: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(Text)
    media_type: Mapped[str] = mapped_column(String(128))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    tool_version: Mapped[str] = mapped_column(String(64))
    params_sha256: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    input_sha256: Mapped[str] = mapped_column(String(64))
    model_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        Index(
            "ix_artefact_key",
            "exhibit_sha256",
            "stage",
            "tool_version",
            "params_sha256",
            "model_sha256",
        ),
    )


def make_engine(path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        json_serializer=lambda value: json.dumps(value, ensure_ascii=False),
    )

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def head_seq(session: Session) -> int:
    return session.scalar(select(func.max(EventRow.seq))) or 0


def apply_event(session: Session, committed: Event) -> None:
    """Project one committed event into the catalog (caller commits).

    The rows are those ``projection.rows_of_event`` makes, so the catalog and the projection
    ``verify`` compares it with are one definition. Raises EventNotProjectable.
    """
    exhibit_known = committed.exhibit is not None and (
        session.get(Exhibit, committed.exhibit) is not None
    )
    rows = rows_of_event(committed, exhibit_known)
    session.add(EventRow(**asdict(rows.event)))
    session.flush()
    if rows.exhibit is not None:
        session.add(Exhibit(**asdict(rows.exhibit)))
        session.flush()
    if rows.intake is not None:
        session.add(Intake(**asdict(rows.intake)))
    if rows.artefact is not None:
        session.add(Artefact(**asdict(rows.artefact)))


TABLES: dict[str, type[Base]] = {
    "events": EventRow,
    "exhibits": Exhibit,
    "intakes": Intake,
    "artefacts": Artefact,
}
"""Each catalog table's mapped class, by table name (the names ``Projection.tables`` uses)."""
