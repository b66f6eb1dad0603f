"""Evidence packages as BagIt bags (RFC 8493), written with the Library of Congress ``bagit``.

Layout of the payload (``data/``)::

    originals/<sha256>/<original file name>     the exhibits, bit for bit
    artefacts/<exhibit sha256>/<stage>/<object sha256>/<file name>
    custody/custody.jsonl                         the whole custody log, export event included
    custody/keys/<fingerprint>.pub                public keys of everyone who signed an event
    catalog.json                                  exhibits, intakes and artefacts, as recorded

``README.txt`` beside ``data/`` says how to check the package without Earwitness.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

import bagit
from sqlalchemy import select

from earwitness import __version__
from earwitness.errors import EarwitnessError, PackageError
from earwitness.vault.artefacts import ArtefactRecord, list_artefacts
from earwitness.vault.case import Case, read_key_folder
from earwitness.vault.catalog import Exhibit, Intake
from earwitness.vault.verify import Problem, VerifyReport, check_log, check_objects

CHECKSUMS = ["sha256", "sha512"]
_UNSAFE_NAME = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def safe_file_name(name: str) -> str:
    """A file name that means the same on every filesystem a bag may be copied to."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .") or "file"
    return cleaned[:200]


def export_bag(case: Case, exhibits: list[str] | None, destination: Path) -> Path:
    """Write the named exhibits (all when ``None``) and everything derived from them as a bag.

    ``destination`` ending in ``.zip`` gets a zipped bag; anything else is a new directory.
    The export is logged first, so the package's own log records that it was made.
    """
    destination = destination.expanduser().resolve()
    as_zip = destination.suffix.lower() == ".zip"
    if destination.exists() and (as_zip or any(destination.iterdir())):
        raise EarwitnessError(f"{destination}: already exists; choose a new path")
    with case.session() as session:
        query = select(Exhibit).order_by(Exhibit.first_seq)
        if exhibits is not None:
            query = query.where(Exhibit.sha256.in_(exhibits))
        chosen = list(session.scalars(query))
        intakes = list(
            session.scalars(
                select(Intake)
                .where(Intake.exhibit_sha256.in_([e.sha256 for e in chosen]))
                .order_by(Intake.seq)
            )
        )
    if not chosen:
        raise EarwitnessError("nothing to export: the case holds no exhibits")
    artefacts = [a for e in chosen for a in list_artefacts(case, e.sha256)]
    staging_parent = destination.parent
    staging_parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=staging_parent, prefix=".earwitness-bag-") as tmp:
        staging = Path(tmp) / (destination.stem if as_zip else destination.name)
        staging.mkdir()
        with case.writing():
            case.record(
                "export",
                None,
                {
                    "exhibits": [e.sha256 for e in chosen],
                    "artefacts": [a.object_sha256 for a in artefacts],
                    "destination": str(destination),
                    "format": "bagit-zip" if as_zip else "bagit",
                },
            )
            # The copied log ends with the export event and has no half-written line.
            _write_custody(case, staging / "custody")
        # Objects never change once stored, so copying and hashing them needs no lock.
        _write_payload(case, chosen, intakes, artefacts, staging)
        _make_bag(staging, case, len(chosen))
        if as_zip:
            _zip_directory(staging, destination)
        else:
            if destination.exists():
                destination.rmdir()
            os.replace(staging, destination)
    return destination


def _write_payload(
    case: Case,
    exhibits: list[Exhibit],
    intakes: list[Intake],
    artefacts: list[ArtefactRecord],
    staging: Path,
) -> None:
    catalog: dict[str, Any] = {
        "tool": {"name": "earwitness", "version": __version__},
        "exhibits": [],
    }
    for exhibit in exhibits:
        received = [i for i in intakes if i.exhibit_sha256 == exhibit.sha256]
        name = safe_file_name(received[0].original_name if received else exhibit.sha256)
        original = PurePosixPath("originals", exhibit.sha256, name)
        _copy_object(case.store.path_for(exhibit.sha256), staging / original)
        entry = {
            "sha256": exhibit.sha256,
            "md5": exhibit.md5,
            "size_bytes": exhibit.size_bytes,
            "path": f"data/{original}",
            "media": exhibit.media,
            "probe_error": exhibit.probe_error,
            "intakes": [_intake_dict(i) for i in received],
            "artefacts": [],
        }
        for artefact in (a for a in artefacts if a.exhibit_sha256 == exhibit.sha256):
            relative = PurePosixPath(
                "artefacts",
                exhibit.sha256,
                safe_file_name(artefact.stage),
                artefact.object_sha256,
                safe_file_name(artefact.filename),
            )
            _copy_object(case.store.path_for(artefact.object_sha256), staging / relative)
            entry["artefacts"].append({**vars(artefact), "path": f"data/{relative}"})
        catalog["exhibits"].append(entry)
    (staging / "catalog.json").write_text(
        json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _write_custody(case: Case, folder: Path) -> None:
    (folder / "keys").mkdir(parents=True)
    shutil.copyfile(case.paths.custody, folder / "custody.jsonl")
    for key_file in sorted(case.paths.keys.glob("*.pub")):
        shutil.copyfile(key_file, folder / "keys" / key_file.name)


def _intake_dict(intake: Intake) -> dict[str, Any]:
    return {
        "seq": intake.seq,
        "original_name": intake.original_name,
        "original_path": intake.original_path,
        "file_times": intake.file_times,
        "received_at": intake.received_at,
        "actor": intake.actor,
        "source": intake.source,
        "note": intake.note,
    }


def _copy_object(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def _make_bag(staging: Path, case: Case, exhibit_count: int) -> None:
    bag = bagit.make_bag(
        str(staging),
        bag_info={
            "Source-Organization": "Earwitness case",
            "External-Description": f"{exhibit_count} exhibit(s) with derived artefacts "
            "and custody log, exported by Earwitness",
            "External-Identifier": case.head().hash if case.head() else "",
            "Bag-Software-Agent": f"earwitness {__version__} (bagit {bagit.VERSION})",
        },
        checksums=CHECKSUMS,
        processes=min(2, os.cpu_count() or 1),
    )
    readme = resources.files("earwitness.formats").joinpath("bag_readme.txt").read_text("utf-8")
    (staging / "README.txt").write_text(readme, encoding="utf-8")
    bag.save()


def _zip_directory(folder: Path, destination: Path) -> None:
    partial = destination.with_name(destination.name + ".part")
    with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
            stored = "/originals/" in name or "/artefacts/" in name
            archive.write(path, name, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
    os.replace(partial, destination)


def is_unsafe_member(name: str) -> bool:
    """True for a path that could land outside the folder it is unpacked in."""
    if not name or "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    parts = re.split(r"[\\/]+", name)
    return any(part == ".." for part in parts) or name.startswith("~")


@contextlib.contextmanager
def open_package(path: Path) -> Iterator[Path]:
    """The bag's folder: ``path`` itself, or a zip unpacked to a temporary folder after checking
    that no member name reaches outside it."""
    if path.is_dir():
        yield path
        return
    if not path.is_file():
        raise PackageError(f"{path}: no such file or directory")
    if not zipfile.is_zipfile(path):
        raise PackageError(f"{path}: neither a bag folder nor a zip file")
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if is_unsafe_member(info.filename):
                raise PackageError(f"{path}: refused, member {info.filename!r} points outside")
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise PackageError(f"{path}: refused, member {info.filename!r} is a symbolic link")
        with tempfile.TemporaryDirectory(prefix="earwitness-package-") as tmp:
            archive.extractall(tmp)
            tops = [p for p in Path(tmp).iterdir()]
            yield tops[0] if len(tops) == 1 and tops[0].is_dir() else Path(tmp)


def _unsafe_manifest_entries(bag_dir: Path) -> list[str]:
    unsafe = []
    for manifest in sorted(bag_dir.glob("*manifest-*.txt")):
        for line in manifest.read_text(encoding="utf-8", errors="replace").splitlines():
            _, _, name = line.strip().partition(" ")
            if name and is_unsafe_member(name.strip()):
                unsafe.append(f"{manifest.name}: {name.strip()!r}")
    if (bag_dir / "fetch.txt").exists():
        unsafe.append("fetch.txt: the bag asks to fetch content from elsewhere")
    return unsafe


def verify_package(path: Path) -> VerifyReport:
    """Check a bag made by ``export_bag`` anywhere, without a case: BagIt manifests, custody
    chain and signatures, and that every original and artefact is what the log says."""
    report = VerifyReport()
    with open_package(path) as bag_dir:
        unsafe = _unsafe_manifest_entries(bag_dir)
        if unsafe:
            raise PackageError(f"{path}: refused, unsafe path in {unsafe[0]}")
        try:
            bag = bagit.Bag(str(bag_dir))
            bag.validate(processes=1)
        except bagit.BagValidationError as exc:
            details = exc.details or [exc.message]
            report.problems.extend(Problem("bag_invalid", str(d)) for d in details)
        except bagit.BagError as exc:
            raise PackageError(f"{path}: not a valid bag ({exc})") from None
        data = bag_dir / "data"
        keys = read_key_folder(data / "custody" / "keys")
        log = check_log(data / "custody" / "custody.jsonl", keys)
        report.problems.extend(log.problems)
        report.notes.extend(log.notes)
        report.events_checked = len(log.events)
        report.head = log.events[-1] if log.events else None
        report.problems.extend(_check_catalog_objects(data, log.events))
        report.objects_checked = sum(1 for _ in (data / "originals").glob("*/*")) + sum(
            1 for _ in (data / "artefacts").glob("*/*/*/*")
        )
    return report


def _check_catalog_objects(data: Path, events: list[Any]) -> list[Problem]:
    """Every payload object must hash to its recorded SHA-256 and be named in the custody log."""
    try:
        catalog = json.loads((data / "catalog.json").read_text(encoding="utf-8"))
        entries = catalog["exhibits"]
    except (OSError, ValueError, KeyError, TypeError):
        return [Problem("catalog_missing", "data/catalog.json is missing or unreadable")]
    logged = {e.exhibit for e in events if e.action == "ingest"}
    logged_artefacts = {
        e.details["artefact"]["object_sha256"]
        for e in events
        if isinstance(e.details.get("artefact"), dict)
    }
    expected: dict[str, str] = {}
    paths: dict[str, Path] = {}
    problems: list[Problem] = []
    for entry in entries:
        items = [(entry["sha256"], entry["path"], logged, "original")]
        items += [
            (a["object_sha256"], a["path"], logged_artefacts, "artefact")
            for a in entry.get("artefacts", [])
        ]
        for digest, relative, in_log, kind in items:
            if is_unsafe_member(relative) or not relative.startswith("data/"):
                problems.append(Problem("unsafe_path", f"catalog.json: unsafe path {relative!r}"))
                continue
            label = f"{kind} {relative}"
            if digest not in in_log:
                problems.append(Problem("not_in_log", f"{label}: not recorded in the custody log"))
            expected[digest] = label
            paths[digest] = data.parent / relative
    problems.extend(check_objects(expected, paths.__getitem__))
    return problems
