"""What the custody log says the catalog holds: a pure projection of events into rows.

The catalog is an index of the log, never a second truth. This module is the one definition of
what each catalog row holds: ``catalog.apply_event`` writes the rows ``rows_of_event`` makes,
``verify`` compares the catalog with ``project(log)``, and the bag's ``catalog.json`` is built
from ``project(log)``. Each row class has exactly the columns of its catalog table, by name (a
test holds the two together), so a row is written as ``Table(**asdict(row))``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from earwitness.vault.commitments import cell
from earwitness.vault.custody import Event


class EventNotProjectable(ValueError):
    """A committed event that cannot become catalog rows (missing fields, unknown exhibit)."""

    def __init__(self, committed: Event, reason: str) -> None:
        self.seq = committed.seq
        super().__init__(f"event {committed.seq} ({committed.action}): {reason}")


@dataclass(frozen=True)
class LoggedEvent:
    """Row of ``events``: one committed custody event."""

    seq: int
    hash: str
    time: str
    actor: str
    action: str
    exhibit_sha256: str | None


@dataclass(frozen=True)
class LoggedExhibit:
    """Row of ``exhibits``: what the first intake of this content recorded."""

    sha256: str
    md5: str
    size_bytes: int
    first_seq: int
    media: dict[str, Any] | None
    probe_error: str | None


@dataclass(frozen=True)
class LoggedIntake:
    """Row of ``intakes``: one receipt of an exhibit."""

    seq: int
    exhibit_sha256: str
    original_name: str
    original_path: str  # this and source and note: "commitment:C", or in clear in an old log
    file_times: dict[str, Any]
    received_at: str
    actor: str
    source: str | None
    note: str | None


@dataclass(frozen=True)
class LoggedArtefact:
    """Row of ``artefacts``: something computed from an exhibit and stored as an object. Also
    what callers get for an artefact (``vault.artefacts.ArtefactRecord``), whether it was read
    from the catalog or projected from the log."""

    seq: int
    exhibit_sha256: str
    object_sha256: str
    stage: str
    filename: str
    media_type: str
    size_bytes: int
    tool_version: str
    params_sha256: str
    params: dict[str, Any]
    input_sha256: str
    model_sha256: str | None
    created_at: str

    @classmethod
    def from_row(cls, row: Any) -> LoggedArtefact:
        """From anything with the artefacts table's columns as attributes (a catalog row)."""
        return cls(**{name: getattr(row, name) for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class EventRows:
    """The rows one event adds. ``exhibit`` is set only by the first intake of its content."""

    event: LoggedEvent
    exhibit: LoggedExhibit | None = None
    intake: LoggedIntake | None = None
    artefact: LoggedArtefact | None = None


def rows_of_event(committed: Event, exhibit_known: bool) -> EventRows:
    """The rows ``committed`` adds to a catalog in which its exhibit is (or is not) known yet.

    Raises EventNotProjectable for an event the catalog could not hold.
    """
    event_row = LoggedEvent(
        seq=committed.seq,
        hash=committed.hash,
        time=committed.time,
        actor=committed.actor,
        action=committed.action,
        exhibit_sha256=committed.exhibit,
    )
    details = committed.details
    try:
        exhibit = intake = artefact = None
        if committed.action == "ingest":
            exhibit, intake = _intake_rows(committed, details, exhibit_known)
            exhibit_known = True
        if "artefact" in details:
            if not exhibit_known:
                raise EventNotProjectable(
                    committed, f"artefact of exhibit {committed.exhibit}, which was never ingested"
                )
            artefact = _artefact_row(committed, details["artefact"])
    except (KeyError, TypeError) as exc:
        raise EventNotProjectable(committed, f"details lack {exc}") from None
    return EventRows(event_row, exhibit, intake, artefact)


def _intake_rows(
    committed: Event, details: dict[str, Any], exhibit_known: bool
) -> tuple[LoggedExhibit | None, LoggedIntake]:
    sha256 = committed.exhibit
    if sha256 is None:
        raise EventNotProjectable(committed, "an intake that names no exhibit")
    exhibit = None
    if not exhibit_known:
        exhibit = LoggedExhibit(
            sha256=sha256,
            md5=details["md5"],
            size_bytes=details["size_bytes"],
            first_seq=committed.seq,
            media=details.get("media"),
            probe_error=details.get("probe_error"),
        )
    intake = LoggedIntake(
        seq=committed.seq,
        exhibit_sha256=sha256,
        original_name=details["original_name"],
        original_path=_private_cell(committed, details, "original_path", required=True),
        file_times=details["file_times"],
        received_at=committed.time,
        actor=committed.actor,
        source=_private_cell(committed, details, "source"),
        note=_private_cell(committed, details, "note"),
    )
    return exhibit, intake


def _private_cell(
    committed: Event, details: dict[str, Any], name: str, required: bool = False
) -> Any:
    """A private field as its catalog cell: ``commitment:C`` for a salted commitment, the text
    itself in a log written before commitments (both verify; see ``vault.commitments``)."""
    value = cell(details[name] if required else details.get(name))
    if not (isinstance(value, str) or (value is None and not required)):
        raise EventNotProjectable(committed, f"{name} is neither text nor a commitment")
    return value


def _artefact_row(committed: Event, record: dict[str, Any]) -> LoggedArtefact:
    if committed.exhibit is None:
        raise EventNotProjectable(committed, "an artefact that names no exhibit")
    return LoggedArtefact(
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


@dataclass
class Projection:
    """The catalog the log implies, table by table, keyed like the catalog's primary keys."""

    events: dict[int, LoggedEvent] = field(default_factory=dict)
    exhibits: dict[str, LoggedExhibit] = field(default_factory=dict)
    intakes: dict[int, LoggedIntake] = field(default_factory=dict)
    artefacts: dict[int, LoggedArtefact] = field(default_factory=dict)

    def add(self, committed: Event) -> None:
        """Project one more event (raises EventNotProjectable, leaving the projection as it was)."""
        exhibit_known = committed.exhibit is not None and committed.exhibit in self.exhibits
        rows = rows_of_event(committed, exhibit_known)
        self.events[committed.seq] = rows.event
        if rows.exhibit is not None:
            self.exhibits[rows.exhibit.sha256] = rows.exhibit
        if rows.intake is not None:
            self.intakes[rows.intake.seq] = rows.intake
        if rows.artefact is not None:
            self.artefacts[rows.artefact.seq] = rows.artefact

    def tables(self) -> dict[str, dict[Any, Any]]:
        """Rows by catalog table name, in the order the tables depend on each other."""
        return {
            "events": self.events,
            "exhibits": self.exhibits,
            "intakes": self.intakes,
            "artefacts": self.artefacts,
        }

    def intakes_of(self, sha256: str) -> list[LoggedIntake]:
        """Every receipt of the exhibit, oldest first."""
        return sorted((i for i in self.intakes.values() if i.exhibit_sha256 == sha256), key=_seq)

    def artefacts_of(self, sha256: str) -> list[LoggedArtefact]:
        """Everything derived from the exhibit, oldest first."""
        return sorted((a for a in self.artefacts.values() if a.exhibit_sha256 == sha256), key=_seq)


def _seq(row: LoggedIntake | LoggedArtefact) -> int:
    return row.seq


def comparable(value: Any) -> str:
    """A form of a cell's value in which only equal values of the same JSON type are equal.

    ``1``, ``1.0``, ``True`` and ``"1"`` all differ, and dict key order does not matter; a value
    JSON cannot hold (a BLOB written into the catalog by hand) still compares, by its repr.
    """
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=repr)


def project(events: Iterable[Event]) -> Projection:
    """The catalog the events imply; raises EventNotProjectable at the first that cannot be."""
    projection = Projection()
    for committed in events:
        projection.add(committed)
    return projection
