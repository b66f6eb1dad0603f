"""Evidence packages as BagIt bags (RFC 8493), written straight to a partial file and renamed.

Layout of the payload (``data/``)::

    originals/<sha256>/<original file name>     the exhibits, bit for bit
    artefacts/<exhibit sha256>/<stage>/<object sha256>/<file name>
    custody/custody.jsonl                         the whole custody log, export event included
    custody/keys/<fingerprint>.pub                public keys of everyone who signed an event
    catalog.json                                  exhibits, intakes and artefacts, as logged

``README.txt`` beside ``data/`` says how to check the package without Earwitness; it is listed
in the tag manifests like every other tag file, so an edited instruction is caught.
``catalog.json`` and every file name are built from the verified custody log (its projection),
never from the case's catalog, which is only an index and could have been edited.

The export never stages a copy of the evidence: each object is streamed from the store into
``DEST.zip.part-*`` (or a hidden ``.DEST.part-*`` folder) beside the destination (``bag_sinks``),
hashed as it is copied, and the finished bag is fsynced and renamed into place. The export
event is signed first, under the case's write lock, and ends the bag's own copy of the log; it
is appended to the case's log only once the bag is complete. Any failure removes the partial
output and any folder the export created, and logs nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from earwitness import __version__
from earwitness.errors import EarwitnessError, ExhibitNotFound
from earwitness.vault import custody
from earwitness.vault.artefacts import ArtefactRecord
from earwitness.vault.bag_format import (
    ALGORITHMS,
    BAG_INFO,
    BAGIT_DECLARATION,
    BAGIT_TXT,
    README,
    Digests,
    manifest_line,
    manifest_name,
    payload_oxum,
    tag_file,
    tagmanifest_name,
)
from earwitness.vault.bag_sinks import (
    Sink,
    missing_folders,
    partial_output,
    remove_empty,
    remove_output,
)
from earwitness.vault.case import Case
from earwitness.vault.hashing import CHUNK_BYTES
from earwitness.vault.private_fields import DISCLOSURE_FILE, disclosure_file
from earwitness.vault.projection import LoggedIntake, Projection
from earwitness.vault.verified_log import verified_projection

_UNSAFE_NAME = frozenset('/\\:*?"<>|')


def safe_file_name(name: str) -> str:
    """A file name that means the same on every filesystem a bag may be copied to, and reads
    the same in every file manager: separators, reserved characters and every character that
    does not show (controls, a right-to-left override, zero widths) become "_". The name as
    received stays in the custody log the bag carries."""
    cleaned = "".join(
        "_" if ch in _UNSAFE_NAME or not (ch.isprintable() or ch == " ") else ch for ch in name
    )
    return cleaned.strip(" .")[:200] or "file"


class ExportRefused(EarwitnessError):
    """An object to be exported is not what the custody log says; nothing was exported."""


class ExportFailed(EarwitnessError):
    """The package could not be written (disk full, folder not writable); nothing was logged."""


@dataclass(frozen=True)
class _Item:
    """One stored object and where it goes in the bag."""

    sha256: str
    name: str  # relative to the bag root: data/...
    what: str  # for people: which original or artefact, which custody event


def export_bag(
    case: Case,
    exhibits: list[str] | None,
    destination: Path,
    *,
    for_publication: bool = False,
    withheld: Mapping[str, str] | None = None,
) -> Path:
    """Write the named exhibits (all when ``None``) and everything derived from them as a bag.

    The bag discloses the private intake fields of its exhibits (value and salt of each
    commitment, ``data/custody/private-fields.json``) unless ``for_publication``.

    ``withheld`` (object SHA-256 -> reason, e.g. a redaction) names originals and artefacts
    left out: catalog.json lists each with its reason and no file, and the signed export
    event records the same list, so a reader can tell a withheld object from a removed one.

    ``destination`` ending in ``.zip`` gets a zipped bag; anything else is a new directory.
    Every object is hashed while it is copied, and the export is refused (ExportRefused, one
    line naming the object and its custody event) when one is missing or not what the log
    says. A refused or failed export (ExportFailed on a disk or permission error, or an
    interrupt) leaves no output, no partial file and no folder it created, and logs nothing;
    a finished one ends with its own export event, in the bag's log and the case's.
    """
    destination = destination.expanduser().resolve()
    as_zip = destination.suffix.lower() == ".zip"
    if destination.exists() and (as_zip or not destination.is_dir() or any(destination.iterdir())):
        raise EarwitnessError(f"{destination}: already exists; choose a new path")
    created = missing_folders(destination.parent)
    try:
        with case.writing():
            # What goes into the bag, and under which names, is what the signed log says: an
            # edited catalog cell must not reach catalog.json or a file name.
            catalog, items, event = _plan(case, exhibits, destination, as_zip, withheld or {})
            exported = event.details["exhibits"]
            disclosed = None if for_publication else disclosure_file(case, exported)
            destination.parent.mkdir(parents=True, exist_ok=True)
            with partial_output(destination, as_zip) as sink:
                _write_bag(case, sink, items, catalog, event, disclosed)
                sink.commit()
            try:
                case.record_prepared(event)
            except BaseException as exc:
                if not _logged(case, event):
                    remove_output(destination, as_zip)
                    raise
                # The event is in the log (only the catalog or a final fsync failed): the
                # package stays, and the error must not claim that nothing was logged.
                raise ExportFailed(
                    f"{destination}: exported and logged as event {event.seq}, but "
                    f"finishing failed ({exc}); run 'earwitness verify'"
                ) from None
    except OSError as exc:
        remove_empty(created)
        where = exc.filename or destination
        raise ExportFailed(
            f"export failed: {where}: {exc.strerror or exc}; nothing was exported or logged"
        ) from None
    except BaseException:
        remove_empty(created)
        raise
    return destination


def _plan(
    case: Case,
    exhibits: list[str] | None,
    destination: Path,
    as_zip: bool,
    withheld: Mapping[str, str],
) -> tuple[dict[str, Any], list[_Item], custody.Event]:
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
    catalog, items, left_out = _catalog_and_items(logged, [e.sha256 for e in chosen], withheld)
    event = custody.make_event(
        case.signer,
        "export",
        None,
        {
            "exhibits": [e.sha256 for e in chosen],
            "artefacts": [i.sha256 for i in items if i.name.startswith("data/artefacts/")],
            "destination": destination.name,  # the log travels: a full path can name its owner
            "format": "bagit-zip" if as_zip else "bagit",
            # The signed log vouches for the instructions too: a README rewritten with its
            # tag manifests regenerated still fails verify-package.
            "readme_sha256": hashlib.sha256(_readme()).hexdigest(),
            **({"withheld": left_out} if left_out else {}),
        },
        case.head(),
    )
    return catalog, items, event


def _catalog_and_items(
    logged: Projection, chosen: list[str], withheld: Mapping[str, str]
) -> tuple[dict[str, Any], list[_Item], dict[str, str]]:
    catalog: dict[str, Any] = {"tool": {"name": "earwitness", "version": __version__}}
    entries: list[dict[str, Any]] = []
    items: list[_Item] = []
    left_out: dict[str, str] = {}
    for sha256 in chosen:
        exhibit = logged.exhibits[sha256]
        received = logged.intakes_of(sha256)
        logged_name = received[0].original_name if received else sha256
        original: PurePosixPath | None = None
        if sha256 in withheld:
            left_out[sha256] = withheld[sha256]
        else:
            original = PurePosixPath("data", "originals", sha256, safe_file_name(logged_name))
            items.append(
                _Item(
                    sha256,
                    str(original),
                    f"original {logged_name!r} (object {sha256[:12]}, "
                    f"custody event {exhibit.first_seq})",
                )
            )
        derived: list[dict[str, Any]] = []
        for artefact in (ArtefactRecord.from_row(a) for a in logged.artefacts_of(sha256)):
            if artefact.object_sha256 in withheld:
                left_out[artefact.object_sha256] = withheld[artefact.object_sha256]
                reason = withheld[artefact.object_sha256]
                derived.append({**vars(artefact), "path": None, "withheld": reason})
                continue
            relative = PurePosixPath(
                "data",
                "artefacts",
                sha256,
                safe_file_name(artefact.stage),
                artefact.object_sha256,
                safe_file_name(artefact.filename),
            )
            items.append(
                _Item(
                    artefact.object_sha256,
                    str(relative),
                    f"artefact {artefact.filename!r} ({artefact.stage}, object "
                    f"{artefact.object_sha256[:12]}, custody event {artefact.seq})",
                )
            )
            derived.append({**vars(artefact), "path": str(relative)})
        entries.append(
            {
                "sha256": sha256,
                "md5": exhibit.md5,
                "size_bytes": exhibit.size_bytes,
                "path": None if original is None else str(original),
                **({"withheld": withheld[sha256]} if original is None else {}),
                "media": exhibit.media,
                "probe_error": exhibit.probe_error,
                "intakes": [_intake_dict(i) for i in received],
                "artefacts": derived,
            }
        )
    catalog["exhibits"] = entries
    return catalog, items, left_out


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


# -- writing ---------------------------------------------------------------------------------


def _write_bag(
    case: Case,
    sink: Sink,
    items: list[_Item],
    catalog: dict[str, Any],
    event: custody.Event,
    disclosed: bytes | None = None,
) -> None:
    payload: dict[str, dict[str, str]] = {}
    total = 0

    def put(
        name: str, chunks: Iterable[bytes], stored: bool = False, size: int | None = None
    ) -> Digests:
        nonlocal total
        digests = sink.write(name, chunks, stored=stored, size=size)
        payload[name] = digests.hexdigests()
        total += digests.size
        return digests

    for item in items:
        if item.name in payload:  # the same artefact logged twice: one copy is enough
            continue
        with _open_object(case, item) as source:
            size = os.fstat(source.fileno()).st_size
            written = put(item.name, _object_chunks(source, item), stored=True, size=size)
        actual = written.hexdigests()["sha256"]
        if actual != item.sha256:
            raise _refused(item, f"the stored object now hashes to {actual[:12]}; it was altered")
    catalog_text = json.dumps(catalog, indent=2, ensure_ascii=False) + "\n"
    put("data/catalog.json", [catalog_text.encode()])
    log_size = case.paths.custody.stat().st_size + len(event.to_line())
    put("data/custody/custody.jsonl", _log_chunks(case, event), size=log_size)
    for name, content in _key_files(case):
        put(f"data/custody/keys/{name}", [content])
    if disclosed is not None:
        put(f"data/custody/{DISCLOSURE_FILE}", [disclosed])

    tags: dict[str, dict[str, str]] = {}

    def put_tag(name: str, content: bytes) -> None:
        tags[name] = sink.write(name, [content], stored=False, size=None).hexdigests()

    for algorithm in ALGORITHMS:
        lines = b"".join(manifest_line(d[algorithm], n) for n, d in sorted(payload.items()))
        put_tag(manifest_name(algorithm), lines)
    put_tag(BAGIT_TXT, BAGIT_DECLARATION)
    put_tag(BAG_INFO, _bag_info(len(catalog["exhibits"]), event, total, len(payload)))
    put_tag(README, _readme())
    for algorithm in ALGORITHMS:
        lines = b"".join(manifest_line(d[algorithm], n) for n, d in sorted(tags.items()))
        sink.write(tagmanifest_name(algorithm), [lines], stored=False, size=None)


def _readme() -> bytes:
    return resources.files("earwitness.vault").joinpath("package_readme.txt").read_bytes()


def _bag_info(exhibit_count: int, event: custody.Event, total: int, count: int) -> bytes:
    return tag_file(
        [
            ("Source-Organization", "Earwitness case"),
            (
                "External-Description",
                f"{exhibit_count} exhibit(s) with derived artefacts and custody log, "
                "exported by Earwitness",
            ),
            ("External-Identifier", event.hash),
            ("Bag-Software-Agent", f"earwitness {__version__}"),
            ("Bagging-Date", datetime.now(UTC).strftime("%Y-%m-%d")),
            ("Payload-Oxum", payload_oxum(total, count)),
        ]
    )


def _refused(item: _Item, problem: str) -> ExportRefused:
    return ExportRefused(
        f"export refused: {item.what}: {problem}; nothing was exported or logged "
        "(run 'earwitness verify')"
    )


def _open_object(case: Case, item: _Item) -> BinaryIO:
    try:
        return open(case.store.path_for(item.sha256), "rb")
    except FileNotFoundError:
        raise _refused(item, "the stored object is missing") from None
    except OSError as exc:
        raise _refused(item, f"the stored object cannot be read ({exc.strerror})") from None


def _object_chunks(source: BinaryIO, item: _Item) -> Iterator[bytes]:
    while True:
        try:
            chunk = source.read(CHUNK_BYTES)
        except OSError as exc:
            raise _refused(item, f"the stored object cannot be read ({exc.strerror})") from None
        if not chunk:
            return
        yield chunk


def _log_chunks(case: Case, event: custody.Event) -> Iterator[bytes]:
    """The case's log as it stands under the lock, then the export event's line."""
    last = b"\n"
    with open(case.paths.custody, "rb") as log:
        while chunk := log.read(CHUNK_BYTES):
            last = chunk[-1:]
            yield chunk
    if last != b"\n":  # the lock's recovery leaves no torn tail; refuse rather than guess
        raise EarwitnessError(
            f"{case.paths.custody}: last line is incomplete; run 'earwitness verify'"
        )
    yield event.to_line()


def _key_files(case: Case) -> list[tuple[str, bytes]]:
    """The case's registered keys, and the signer's (registered only once the export is)."""
    keys = {path.name: path.read_bytes() for path in sorted(case.paths.keys.glob("*.pub"))}
    name, content = case.signer_key_file()
    keys.setdefault(name, content.encode())
    return sorted(keys.items())


def _logged(case: Case, event: custody.Event) -> bool:
    with contextlib.suppress(Exception):
        head = case.head()
        return head is not None and head.hash == event.hash
    return False
