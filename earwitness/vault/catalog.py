"""The catalog: an SQLite index of the custody log, for fast look-ups.

The custody log is the record; the catalog is a projection of it. Every row is written by
``apply_event`` from one committed event, so a catalog that fell behind (a crash between the
log append and the catalog commit) is brought up to date by applying the missing events.
"""

from __future__ import annotations

import json
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
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
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
    """Project one committed event into the catalog (caller commits)."""
    session.add(
        EventRow(
            seq=committed.seq,
            hash=committed.hash,
            time=committed.time,
            actor=committed.actor,
            action=committed.action,
            exhibit_sha256=committed.exhibit,
        )
    )
    session.flush()
    details = committed.details
    if committed.action == "ingest":
        _apply_intake(session, committed, details)
    if "artefact" in details:
        _apply_artefact(session, committed, details["artefact"])


def _apply_intake(session: Session, committed: Event, details: dict[str, Any]) -> None:
    sha256 = committed.exhibit
    assert sha256 is not None
    if session.get(Exhibit, sha256) is None:
        session.add(
            Exhibit(
                sha256=sha256,
                md5=details["md5"],
                size_bytes=details["size_bytes"],
                first_seq=committed.seq,
                media=details.get("media"),
                probe_error=details.get("probe_error"),
            )
        )
        session.flush()
    session.add(
        Intake(
            seq=committed.seq,
            exhibit_sha256=sha256,
            original_name=details["original_name"],
            original_path=details["original_path"],
            file_times=details["file_times"],
            received_at=committed.time,
            actor=committed.actor,
            source=details.get("source"),
            note=details.get("note"),
        )
    )


def _apply_artefact(session: Session, committed: Event, record: dict[str, Any]) -> None:
    session.add(
        Artefact(
            seq=committed.seq,
            exhibit_sha256=committed.exhibit,
            object_sha256=record["object_sha256"],
            stage=record["stage"],
            filename=record["filename"],
            media_type=record["media_type"],
            size_bytes=record["size_bytes"],
            tool_version=record["tool_version"],
            params_sha256=record["params_sha256"],
            params=record["params"],
            input_sha256=record["input_sha256"],
            model_sha256=record.get("model_sha256"),
            created_at=committed.time,
        )
    )
