"""The projection of the log and what apply_event writes into the catalog are one definition."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from earwitness.vault import catalog, custody
from earwitness.vault.artefacts import params_sha256
from earwitness.vault.case import catalog_engine
from earwitness.vault.catalog_diff import catalog_differences, projected_tables, read_catalog
from earwitness.vault.keys import Signer
from earwitness.vault.projection import (
    EventNotProjectable,
    LoggedArtefact,
    LoggedEvent,
    LoggedExhibit,
    LoggedIntake,
    Projection,
    project,
)

SIGNER = Signer("tester@lab", Ed25519PrivateKey.generate())
EXHIBITS = ["a" * 64, "b" * 64, "c" * 64]


def test_each_row_class_has_exactly_its_tables_columns() -> None:
    pairs = {
        "events": LoggedEvent,
        "exhibits": LoggedExhibit,
        "intakes": LoggedIntake,
        "artefacts": LoggedArtefact,
    }
    assert set(pairs) == set(catalog.TABLES) == set(Projection().tables())
    for name, row_class in pairs.items():
        columns = {column.name for column in catalog.TABLES[name].__table__.columns}
        assert {field.name for field in dataclasses.fields(row_class)} == columns, name


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**60), 2**60), st.floats(allow_nan=False), text
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)
ingest = st.fixed_dictionaries(
    {
        "exhibit": st.sampled_from(EXHIBITS),
        "original_name": text,
        "original_path": text,
        "file_times": st.dictionaries(text, text, max_size=2),
        "size_bytes": st.integers(0, 2**53),
        "md5": st.text("0123456789abcdef", min_size=32, max_size=32),
        "source": st.none() | text,
        "note": st.none() | text,
        "media": st.none() | st.dictionaries(text, json_value, max_size=3),
        "probe_error": st.none() | text,
    }
)
artefact = st.fixed_dictionaries(
    {
        "exhibit": st.sampled_from(EXHIBITS),
        "stage": text,
        "filename": text,
        "media_type": text,
        "size_bytes": st.integers(0, 2**53),
        "tool_version": text,
        "params": st.dictionaries(text, json_value, max_size=3),
        "model_sha256": st.none() | st.sampled_from(["d" * 64, "e" * 64]),
        "object_sha256": st.sampled_from(["f" * 64, "0" * 64]),
    }
)
steps = st.lists(st.tuples(st.sampled_from(["ingest", "artefact", "verify"]), ingest, artefact))


def signed_log(plan: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[custody.Event]:
    """Real signed events for the plan, skipping artefacts of exhibits not ingested yet."""
    events: list[custody.Event] = []
    ingested: set[str] = set()

    def add(action: str, exhibit: str | None, details: dict[str, Any]) -> None:
        previous = events[-1] if events else None
        events.append(custody.make_event(SIGNER, action, exhibit, details, previous))

    add("init", None, {"case": "/case"})
    for action, intake, made in plan:
        if action == "ingest":
            exhibit = intake["exhibit"]
            details = {k: v for k, v in intake.items() if k != "exhibit"}
            if exhibit in ingested:  # as intake.record_intake does: a repeat is not probed
                details = {k: v for k, v in details.items() if k not in ("media", "probe_error")}
            ingested.add(exhibit)
            add("ingest", exhibit, details)
        elif action == "artefact" and made["exhibit"] in ingested:
            record = {k: v for k, v in made.items() if k != "exhibit"}
            record |= {"params_sha256": params_sha256(made["params"])}
            record |= {"input_sha256": made["exhibit"]}
            add(record["stage"] or "artefact", made["exhibit"], {"artefact": record})
        elif action == "verify":
            add("verify", None, {"ok": True, "problems": []})
    return events


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=steps)
def test_projection_equals_what_apply_event_writes(plan: list[Any]) -> None:
    events = signed_log(plan)
    with tempfile.TemporaryDirectory() as folder:
        engine = catalog_engine(Path(folder) / "catalog.sqlite")
        try:
            with Session(engine) as session:
                for committed in events:
                    catalog.apply_event(session, committed)
                session.commit()
                written = read_catalog(session)
        finally:
            engine.dispose()
    projected = projected_tables(project(events))
    assert catalog_differences(written, projected) == []
    assert written == projected  # not only "no difference found": the very same values
    assert len(written["events"]) == len(events)


def test_an_artefact_of_an_exhibit_never_ingested_cannot_be_projected() -> None:
    [init] = signed_log([])
    record = {"object_sha256": "f" * 64, "stage": "x"}
    orphan = custody.make_event(SIGNER, "x", "a" * 64, {"artefact": record}, init)
    with pytest.raises(EventNotProjectable, match=r"event 2 .*never ingested"):
        project([init, orphan])


def test_an_intake_lacking_a_field_cannot_be_projected() -> None:
    [init] = signed_log([])
    broken = custody.make_event(SIGNER, "ingest", "a" * 64, {"md5": "0" * 32}, init)
    with pytest.raises(EventNotProjectable, match="event 2 \\(ingest\\): details lack"):
        project([init, broken])
    partial = Projection()
    partial.add(init)
    with pytest.raises(EventNotProjectable):
        partial.add(broken)
    assert list(partial.events) == [1] and not partial.exhibits  # left as it was
