"""Where the catalog departs from the custody log: every row and every cell, compared.

``read_catalog`` reads the tables as they are on disk, without trusting them to be well formed
(a cell edited by hand may hold any SQLite value, or JSON that no longer parses).
``catalog_differences`` compares them with the projection of the log and names each row, and
each column, that differs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import JSON
from sqlalchemy.orm import Session

from earwitness.vault.catalog import TABLES
from earwitness.vault.projection import Projection, comparable

Rows = dict[Any, dict[str, Any]]
"""One table: primary key -> column name -> value."""


@dataclass(frozen=True)
class Unreadable:
    """A JSON cell whose text does not parse (it was edited by hand)."""

    text: str


@dataclass(frozen=True)
class Difference:
    """One way the catalog differs from the log; ``kind`` is stable, ``message`` is for people."""

    kind: str
    table: str
    key: Any
    column: str | None
    message: str


def read_catalog(session: Session) -> dict[str, Rows]:
    """Every row of the four catalog tables, JSON cells parsed, nothing else interpreted."""
    tables: dict[str, Rows] = {}
    connection = session.connection()
    for name, mapped in TABLES.items():
        table = mapped.__table__
        columns = [column.name for column in table.columns]
        json_columns = {column.name for column in table.columns if isinstance(column.type, JSON)}
        [key] = [column.name for column in table.columns if column.primary_key]
        quoted = ", ".join(f'"{column}"' for column in columns)
        rows: Rows = {}
        for raw in connection.exec_driver_sql(f'SELECT {quoted} FROM "{name}"'):
            values = dict(zip(columns, raw, strict=True))
            for column in json_columns:
                values[column] = _parse_json(values[column])
            rows[values[key]] = values
        tables[name] = rows
    return tables


def _parse_json(cell: Any) -> Any:
    if not isinstance(cell, str):
        return cell
    try:
        return json.loads(cell)
    except ValueError:
        return Unreadable(cell)


def projected_tables(projection: Projection) -> dict[str, Rows]:
    """The projection in the shape ``read_catalog`` returns."""
    return {
        name: {key: asdict(row) for key, row in rows.items()}
        for name, rows in projection.tables().items()
    }


def catalog_differences(catalog: dict[str, Rows], logged: dict[str, Rows]) -> list[Difference]:
    """Each row the catalog has and the log lacks, the reverse, and each differing cell."""
    differences: list[Difference] = []
    for table in TABLES:
        ours, theirs = catalog.get(table, {}), logged.get(table, {})
        for key in sorted(set(ours) | set(theirs), key=_sort_key):
            if key not in theirs:
                differences.append(_extra_row(table, key, ours[key], logged))
            elif key not in ours:
                label = _label(table, key, theirs[key], logged)
                differences.append(
                    Difference(
                        "catalog_missing_row",
                        table,
                        key,
                        None,
                        f"{label}: in the custody log but missing from the catalog",
                    )
                )
            else:
                differences.extend(_cell_differences(table, key, ours[key], theirs[key], logged))
    return differences


def _extra_row(table: str, key: Any, row: dict[str, Any], logged: dict[str, Rows]) -> Difference:
    if table == "events":
        # Nobody but the log's writer adds event rows, so the log most likely lost this event.
        return Difference(
            "deleted",
            table,
            key,
            None,
            f"event {key} ({row.get('action')}, {row.get('time')}) is recorded in the catalog "
            "but missing from the custody log; deleted",
        )
    label = _label(table, key, row, logged)
    return Difference(
        "catalog_extra_row", table, key, None, f"{label}: in the catalog but not in the custody log"
    )


def _cell_differences(
    table: str, key: Any, ours: dict[str, Any], theirs: dict[str, Any], logged: dict[str, Rows]
) -> list[Difference]:
    label = _label(table, key, theirs, logged)
    differences = []
    for column, expected in theirs.items():
        found = ours.get(column)
        if _canonical(found) == _canonical(expected):
            continue
        if table == "events" and column == "hash":
            differences.append(
                Difference(
                    "edited",
                    table,
                    key,
                    column,
                    f"event {key}: the log's event differs from the one the catalog recorded",
                )
            )
            continue
        differences.append(
            Difference(
                "catalog_differs",
                table,
                key,
                column,
                f"{label}: column {column} is {_show(found)} in the catalog "
                f"but {_show(expected)} in the custody log",
            )
        )
    return differences


def _label(table: str, key: Any, row: dict[str, Any], logged: dict[str, Rows]) -> str:
    """Name a row for people, by its key and what it is about (as the log says, when it can)."""
    if table == "events":
        return f"catalog events row seq {key} ({row.get('action')})"
    if table == "exhibits":
        intakes = logged.get("intakes", {})
        names = [
            intakes[seq]["original_name"]
            for seq in sorted(intakes, key=_sort_key)
            if intakes[seq]["exhibit_sha256"] == key
        ]
        about = f" ({names[0]!r})" if names else ""
        return f"catalog exhibits row sha256 {str(key)[:12]}{about}"
    if table == "intakes":
        return f"catalog intakes row seq {key} ({row.get('original_name')!r})"
    return (
        f"catalog artefacts row seq {key} ({row.get('filename')!r}, {row.get('stage')}, "
        f"object {str(row.get('object_sha256'))[:12]})"
    )


def _canonical(value: Any) -> str:
    if isinstance(value, Unreadable):
        return f"unreadable:{value.text}"
    return comparable(value)


def _show(value: Any, limit: int = 80) -> str:
    shown = f"unreadable JSON {value.text!r}" if isinstance(value, Unreadable) else None
    shown = shown or json.dumps(value, ensure_ascii=False, default=repr)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _sort_key(key: Any) -> tuple[str, str]:
    """Keys of mixed SQLite types (a hand-edited key) still sort, integers in numeric order."""
    if isinstance(key, int):
        return ("0", f"{key:020d}")
    return (type(key).__name__, str(key))
