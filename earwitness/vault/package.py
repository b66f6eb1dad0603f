"""Evidence packages as BagIt bags (RFC 8493), written with the Library of Congress ``bagit``.

Layout of the payload (``data/``)::

    originals/<sha256>/<original file name>     the exhibits, bit for bit
    artefacts/<exhibit sha256>/<stage>/<object sha256>/<file name>
    custody/custody.jsonl                         the whole custody log, export event included
    custody/keys/<fingerprint>.pub                public keys of everyone who signed an event
    catalog.json                                  exhibits, intakes and artefacts, as logged

``README.txt`` beside ``data/`` says how to check the package without Earwitness.
``catalog.json`` and every file name are built from the verified custody log (its projection),
never from the case's catalog, which is only an index and could have been edited; every object
is hashed as it is copied, so the bag holds only what the log vouches for.
"""

from __future__ import annotations

import contextlib
import hashlib
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

from earwitness import __version__
from earwitness.errors import EarwitnessError, ExhibitNotFound, PackageError
from earwitness.vault.artefacts import ArtefactRecord
from earwitness.vault.case import Case, read_key_folder
from earwitness.vault.hashing import CHUNK_BYTES
from earwitness.vault.projection import LoggedExhibit, LoggedIntake
from earwitness.vault.verified_log import verified_projection
from earwitness.vault.verify import (
    Problem,
    VerifyReport,
    check_log,
    check_objects,
    count_signers,
)

CHECKSUMS = ["sha256", "sha512"]
_UNSAFE_NAME = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def safe_file_name(name: str) -> str:
    """A file name that means the same on every filesystem a bag may be copied to."""
    cleaned = _UNSAFE_NAME.sub("_", name).strip(" .") or "file"
    return cleaned[:200]


class ExportRefused(EarwitnessError):
    """An object to be exported is not what the custody log says; nothing was exported."""


def export_bag(case: Case, exhibits: list[str] | None, destination: Path) -> Path:
    """Write the named exhibits (all when ``None``) and everything derived from them as a bag.

    ``destination`` ending in ``.zip`` gets a zipped bag; anything else is a new directory.
    Every object is hashed while it is copied, and the export is refused (ExportRefused, one
    line naming the object and its custody event) when one is not what the log says; only
    then is the export logged, so the package's own log records that it was made. A refused or
    failed export leaves no output, no staging folder and no folder it created. (A failure
    after the export was logged, such as a full disk while bagging, leaves the event logged.)
    """
    destination = destination.expanduser().resolve()
    as_zip = destination.suffix.lower() == ".zip"
    if destination.exists() and (as_zip or any(destination.iterdir())):
        raise EarwitnessError(f"{destination}: already exists; choose a new path")
    # What goes into the bag, and under which names, is what the signed log says: an edited
    # catalog cell must not reach catalog.json or a file name.
    logged = verified_projection(case)
    if exhibits is not None:
        unknown = [sha256 for sha256 in exhibits if sha256 not in logged.exhibits]
        if unknown:
            raise ExhibitNotFound(f"{unknown[0]}: no such exhibit in the custody log of this case")
    chosen = sorted(
        (e for e in logged.exhibits.values() if exhibits is None or e.sha256 in exhibits),
        key=lambda exhibit: exhibit.first_seq,
    )
    if not chosen:
        raise EarwitnessError("nothing to export: the case holds no exhibits")
    intakes = [i for e in chosen for i in logged.intakes_of(e.sha256)]
    artefacts = [ArtefactRecord.from_row(a) for e in chosen for a in logged.artefacts_of(e.sha256)]
    staging_parent = destination.parent
    created = _missing_folders(staging_parent)
    staging_parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=staging_parent, prefix=".earwitness-bag-") as tmp:
            staging = Path(tmp) / (destination.stem if as_zip else destination.name)
            staging.mkdir()
            _write_payload(case, chosen, intakes, artefacts, staging)
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
            _make_bag(staging, case, len(chosen))
            if as_zip:
                _zip_directory(staging, destination)
            else:
                if destination.exists():
                    destination.rmdir()
                os.replace(staging, destination)
    except BaseException:
        _remove_empty(created)
        raise
    return destination


def _missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders an export created, deepest first, unless something else is in them."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _write_payload(
    case: Case,
    exhibits: list[LoggedExhibit],
    intakes: list[LoggedIntake],
    artefacts: list[ArtefactRecord],
    staging: Path,
) -> None:
    catalog: dict[str, Any] = {
        "tool": {"name": "earwitness", "version": __version__},
        "exhibits": [],
    }
    for exhibit in exhibits:
        received = [i for i in intakes if i.exhibit_sha256 == exhibit.sha256]
        logged_name = received[0].original_name if received else exhibit.sha256
        original = PurePosixPath("originals", exhibit.sha256, safe_file_name(logged_name))
        _copy_checked(
            case,
            exhibit.sha256,
            staging / original,
            f"original {logged_name!r} (object {exhibit.sha256[:12]}, "
            f"custody event {exhibit.first_seq})",
        )
        derived: list[dict[str, Any]] = []
        entry = {
            "sha256": exhibit.sha256,
            "md5": exhibit.md5,
            "size_bytes": exhibit.size_bytes,
            "path": f"data/{original}",
            "media": exhibit.media,
            "probe_error": exhibit.probe_error,
            "intakes": [_intake_dict(i) for i in received],
            "artefacts": derived,
        }
        for artefact in (a for a in artefacts if a.exhibit_sha256 == exhibit.sha256):
            relative = PurePosixPath(
                "artefacts",
                exhibit.sha256,
                safe_file_name(artefact.stage),
                artefact.object_sha256,
                safe_file_name(artefact.filename),
            )
            _copy_checked(
                case,
                artefact.object_sha256,
                staging / relative,
                f"artefact {artefact.filename!r} ({artefact.stage}, object "
                f"{artefact.object_sha256[:12]}, custody event {artefact.seq})",
            )
            derived.append({**vars(artefact), "path": f"data/{relative}"})
        catalog["exhibits"].append(entry)
    (staging / "catalog.json").write_text(
        json.dumps(catalog, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _copy_checked(case: Case, sha256: str, target: Path, what: str) -> None:
    """Copy the stored object to ``target``, hashing the very bytes written (one read of the
    store); raise ExportRefused naming ``what`` unless they hash to ``sha256``."""

    def refused(problem: str) -> ExportRefused:
        return ExportRefused(
            f"export refused: {what}: {problem}; nothing was exported or logged "
            "(run 'earwitness verify')"
        )

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        source = open(case.store.path_for(sha256), "rb")  # noqa: SIM115 (the with below closes it)
    except FileNotFoundError:
        raise refused("the stored object is missing") from None
    except OSError as exc:
        raise refused(f"the stored object cannot be read ({exc.strerror})") from None
    digest = hashlib.sha256()
    with source, open(target, "xb") as sink:
        while chunk := source.read(CHUNK_BYTES):
            digest.update(chunk)
            sink.write(chunk)
    actual = digest.hexdigest()
    if actual != sha256:
        raise refused(f"the stored object now hashes to {actual[:12]}; it was altered")


def _write_custody(case: Case, folder: Path) -> None:
    (folder / "keys").mkdir(parents=True)
    shutil.copyfile(case.paths.custody, folder / "custody.jsonl")
    for key_file in sorted(case.paths.keys.glob("*.pub")):
        shutil.copyfile(key_file, folder / "keys" / key_file.name)


def _intake_dict(intake: LoggedIntake) -> dict[str, Any]:
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


def _make_bag(staging: Path, case: Case, exhibit_count: int) -> None:
    head = case.head()
    bag = bagit.make_bag(
        str(staging),
        bag_info={
            "Source-Organization": "Earwitness case",
            "External-Description": f"{exhibit_count} exhibit(s) with derived artefacts "
            "and custody log, exported by Earwitness",
            "External-Identifier": head.hash if head else "",
            "Bag-Software-Agent": f"earwitness {__version__} (bagit {bagit.VERSION})",
        },
        checksums=CHECKSUMS,
        processes=min(2, os.cpu_count() or 1),
    )
    readme = resources.files("earwitness.vault").joinpath("package_readme.txt").read_text("utf-8")
    (staging / "README.txt").write_text(readme, encoding="utf-8")
    bag.save()


def _zip_directory(folder: Path, destination: Path) -> None:
    partial = destination.with_name(destination.name + ".part")
    try:
        with zipfile.ZipFile(partial, "w", allowZip64=True) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
                stored = "/originals/" in name or "/artefacts/" in name
                archive.write(path, name, zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)
        os.replace(partial, destination)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


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
        count_signers(log.events, report.signers)
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
