"""Model packs: one archive that carries a model from a connected machine to an air-gapped one.

``pack_builder.pack`` runs on the connected machine: it takes a model the catalogue knows
(downloading it from Hugging Face only there, only if it is not already on disk, or taking
``--from DIR``), checks every file against the hashes pinned in ``speech.catalogue``, converts
a translation model for CTranslate2 when it is not one yet, and writes an uncompressed tar
holding ``manifest.json`` first, then ``model/FILE`` for each file.

``import_pack`` runs on the air-gapped machine and treats the archive as hostile: only plain
files with flat names under ``model/``, each listed in the manifest, with the size the manifest
gives, hashed while it is copied and compared with the manifest *and* with the catalogue's pins
when the name is known. Everything is written to a staging folder beside its final place and
renamed into place only when all of it has been verified; any failure removes the staging folder
and leaves the cache as it was. The installed folder carries ``SHA256SUMS`` and the manifest, so
every later load hashes every file again (``open_installed``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path

from earwitness.speech.models import (
    ModelError,
    ResolvedModel,
    cache_root,
    read_sums,
    sha256_of,
)
from earwitness.speech.pack_manifest import (
    MANIFEST,
    MAX_MANIFEST_BYTES,
    MEMBER_PREFIX,
    RESERVED,
    SUMS,
    VALID_FILE,
    VALID_NAME,
    check_against_catalogue,
    parse_manifest,
)

Report = Callable[[str], None]
_CHUNK = 4 * 1024 * 1024
PACKS_DIR = "packs"  # installed packs live in cache_root()/packs/NAME


# --- installed packs -----------------------------------------------------------------------


def packs_root(root: Path | None = None) -> Path:
    return (root or cache_root()) / PACKS_DIR


def installed_names(root: Path | None = None) -> list[str]:
    """Names of the packs installed under ``root`` (not yet verified)."""
    folder = packs_root(root)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and VALID_NAME.fullmatch(p.name))


def open_installed(directory: Path) -> ResolvedModel:
    """An installed pack, every file hashed now against its SHA256SUMS and the catalogue."""
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise ModelError(f"{directory}: not an installed model pack (no {MANIFEST})")
    manifest = parse_manifest(read_bounded(manifest_path), str(manifest_path))
    if manifest.name != directory.name:
        raise ModelError(f"{manifest_path}: names model {manifest.name!r}, not {directory.name!r}")
    manifest = check_against_catalogue(manifest, str(manifest_path))
    expected = manifest.hashes()
    sums_path = directory / SUMS
    if not sums_path.is_file() or read_sums(sums_path) != expected:
        raise ModelError(f"{sums_path}: missing, or does not match {MANIFEST}; refusing to load")
    for path in sorted(directory.iterdir()):
        if path.name not in expected and path.name not in RESERVED:
            raise ModelError(f"{path}: not part of the installed pack {manifest.name!r}")
    hashes = {}
    for name, digest in sorted(expected.items()):
        path = directory / name
        if path.is_symlink() or not path.is_file():
            raise ModelError(f"{path}: missing from the installed pack {manifest.name!r}")
        found = sha256_of(path)
        if found != digest:
            raise ModelError(f"{path}: SHA-256 is {found}, expected {digest}; refusing to load")
        hashes[name] = found
    return ResolvedModel(
        manifest.name,
        directory,
        hashes["model.bin"],
        "pack",
        hashes,
        kind=manifest.kind,
        pinned=tuple(sorted(f.path for f in manifest.files if f.pinned)),
        languages=manifest.languages,
        target_language=manifest.target_language,
    )


def read_bounded(path: Path) -> bytes:
    with open(path, "rb") as handle:
        raw = handle.read(MAX_MANIFEST_BYTES + 1)
    return raw


# --- import --------------------------------------------------------------------------------


def import_pack(
    path: Path | str, root: Path | None = None, report: Report | None = None
) -> ResolvedModel:
    """Verify the pack at ``path`` completely, then install it under ``root`` (the model cache).

    Raises a one-line ``ModelError`` naming the pack and the file inside it for anything that
    is not exactly what the manifest and the catalogue say; nothing is installed then.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelError(f"{path}: no such model pack")
    root = root or cache_root()
    try:
        tar = tarfile.open(path, mode="r:")  # noqa: SIM115 (closed by the with below)
    except (tarfile.TarError, OSError):
        raise ModelError(f"{path}: not an Earwitness model pack (not a tar archive)") from None
    with tar:
        try:
            return _import(tar, path, root, report)
        except (tarfile.TarError, EOFError) as exc:
            reason = (str(exc).splitlines() or [type(exc).__name__])[0][:80]
            raise ModelError(
                f"{path}: truncated or damaged ({reason}); nothing installed"
            ) from None


def _member_path(member: tarfile.TarInfo, pack: Path) -> str:
    name = member.name
    if name.startswith("/") or re.match(r"[A-Za-z]:", name):
        raise ModelError(f"{pack}: {name!r} is an absolute path; refused, nothing installed")
    if ".." in name.replace("\\", "/").split("/"):
        raise ModelError(f"{pack}: {name!r} climbs out with '..'; refused, nothing installed")
    if not member.isreg():
        what = (
            "a symbolic link"
            if member.issym()
            else "a hard link"
            if member.islnk()
            else "a directory"
            if member.isdir()
            else "a device or other special file"
        )
        raise ModelError(f"{pack}: {name!r} is {what}, not a plain file; refused")
    relative = name[len(MEMBER_PREFIX) :] if name.startswith(MEMBER_PREFIX) else ""
    if not VALID_FILE.fullmatch(relative) or relative in RESERVED:
        raise ModelError(f"{pack}: {name!r} is not a model file of a pack; refused")
    return relative


def _import(tar: tarfile.TarFile, pack: Path, root: Path, report: Report | None) -> ResolvedModel:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isreg():
        raise ModelError(f"{pack}: not an Earwitness model pack ({MANIFEST} must come first)")
    if first.size > MAX_MANIFEST_BYTES:
        raise ModelError(f"{pack}: {MANIFEST} is larger than {MAX_MANIFEST_BYTES} bytes")
    where = f"{pack}: {MANIFEST}"
    handle = tar.extractfile(first)
    assert handle is not None  # a regular member always has data
    manifest = parse_manifest(handle.read(first.size), where)
    manifest = check_against_catalogue(manifest, where)
    expected = {f.path: f for f in manifest.files}
    total = sum(f.size for f in manifest.files)

    folder = packs_root(root)
    created = [p for p in (root, folder) if not p.exists()]
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".import-{manifest.name}-", dir=folder))
    target = folder / manifest.name
    installed = False
    try:
        free = shutil.disk_usage(folder).free
        if free < total:
            raise ModelError(f"{folder}: {total} bytes needed for {manifest.name}, {free} free")
        seen: set[str] = set()
        while (member := tar.next()) is not None:
            relative = _member_path(member, pack)
            if relative not in expected:
                raise ModelError(f"{pack}: {member.name!r} is not listed in the manifest; refused")
            if relative in seen:
                raise ModelError(f"{pack}: {member.name!r} appears twice; refused")
            entry = expected[relative]
            if member.size != entry.size:
                raise ModelError(
                    f"{pack}: {member.name} is {member.size} bytes, the manifest says "
                    f"{entry.size}; refused, nothing installed"
                )
            if report:
                report(f"checking {relative} ({entry.size} bytes)")
            found = _extract(tar, member, staging / relative)
            if found != entry.sha256:
                raise ModelError(
                    f"{pack}: {member.name} has SHA-256 {found}, the manifest says "
                    f"{entry.sha256}; refused, nothing installed"
                )
            seen.add(relative)
        missing = sorted(set(expected) - seen)
        if missing:
            raise ModelError(f"{pack}: model/{missing[0]} is in the manifest but not in the pack")
        _write_synced(
            staging / SUMS,
            "".join(f"{d}  {p}\n" for p, d in sorted(manifest.hashes().items())).encode(),
        )
        _write_synced(staging / MANIFEST, manifest.to_json())
        _sync_directory(staging)
        _swap_into_place(staging, target)
        installed = True
    finally:
        if not installed:
            shutil.rmtree(staging, ignore_errors=True)
            for made in reversed(created):  # leave the cache as it was found
                with contextlib.suppress(OSError):
                    made.rmdir()
    return ResolvedModel(
        manifest.name,
        target,
        expected["model.bin"].sha256,
        "pack",
        dict(sorted(manifest.hashes().items())),
        kind=manifest.kind,
        pinned=tuple(sorted(f.path for f in manifest.files if f.pinned)),
        languages=manifest.languages,
        target_language=manifest.target_language,
    )


def _extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> str:
    source = tar.extractfile(member)
    assert source is not None
    digest = hashlib.sha256()
    left = member.size
    with open(target, "xb") as out:  # a fresh staging folder: "x" never follows a planted link
        while left:
            block = source.read(min(_CHUNK, left))
            if not block:
                raise tarfile.ReadError("unexpected end of data")
            digest.update(block)
            out.write(block)
            left -= len(block)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _sync_directory(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be synced
        descriptor = os.open(path, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _swap_into_place(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``; an older install of the name goes only once it has."""
    if not target.exists():
        staging.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".replaced-{target.name}-", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        staging.rename(target)
    except OSError:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
