"""The examinations, in the order they run and are reported: the one list of them.

To add an examination, write its module (ending in a ``Declaration``) and add one line to
``EXAMINATIONS``. Titles, finding labels and the kinds a report may carry are read from here,
at call time, so a test may extend the tuple with ``monkeypatch.setattr``.
"""

from __future__ import annotations

from collections.abc import Iterable

from earwitness.forensics import compression, duplicates, levels, metadata, splices
from earwitness.forensics.declaration import Declaration
from earwitness.forensics.enf import check as enf_check
from earwitness.schemas import load_schema

EXAMINATIONS: tuple[Declaration, ...] = (
    metadata.EXAMINATION,
    enf_check.EXAMINATION,
    splices.EXAMINATION,
    duplicates.EXAMINATION,
    compression.EXAMINATION,
    levels.EXAMINATION,
)


class RegistryError(ValueError):
    """A declaration that breaks the shared contract (a programming error, not bad input)."""


def schema_finding_kinds() -> frozenset[str]:
    """The finding kinds ``examination.schema.json`` allows."""
    schema = load_schema("examination")
    return frozenset(schema["properties"]["findings"]["items"]["properties"]["kind"]["enum"])


def validate(declarations: Iterable[Declaration]) -> tuple[Declaration, ...]:
    """The declarations, checked: unique names, a title, kinds within the schema's enum, and one
    label per kind across all checks. Raises ``RegistryError`` naming the first problem."""
    allowed = schema_finding_kinds()
    checked: tuple[Declaration, ...] = tuple(declarations)
    names: set[str] = set()
    labels: dict[str, str] = {}
    for declared in checked:
        if not declared.name or declared.name in names:
            raise RegistryError(f"examination name {declared.name!r} is empty or used twice")
        names.add(declared.name)
        if not declared.title:
            raise RegistryError(f"examination {declared.name!r} has no title")
        unknown = sorted(set(declared.kinds) - allowed)
        if unknown:
            raise RegistryError(
                f"examination {declared.name!r} declares finding kind(s) {unknown} that "
                "examination.schema.json does not allow"
            )
        for kind, label in declared.kinds.items():
            if labels.setdefault(kind, label) != label:
                raise RegistryError(
                    f"finding kind {kind!r} is labelled {labels[kind]!r} and {label!r}"
                )
    return checked


def examinations() -> tuple[Declaration, ...]:
    """The registered examinations, validated, in report order."""
    return validate(EXAMINATIONS)


def check_titles() -> dict[str, str]:
    """Check name → the words reports use for it."""
    return {declared.name: declared.title for declared in EXAMINATIONS}


def kind_labels() -> dict[str, str]:
    """Finding kind → the label reports print for it (first declaration wins; ``validate``
    keeps them consistent)."""
    labels: dict[str, str] = {}
    for declared in EXAMINATIONS:
        for kind, label in declared.kinds.items():
            labels.setdefault(kind, label)
    return labels


def check_title(name: str) -> str:
    """The title of check ``name``; the name itself for a check this version does not know."""
    return check_titles().get(name, name)


def kind_label(kind: str) -> str:
    """The label of finding kind ``kind``; its words for a kind no check declares."""
    return kind_labels().get(kind, kind.replace("_", " "))
