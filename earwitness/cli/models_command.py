"""``earwitness models``: list the models installed here, and carry larger ones in as packs.

``earwitness models`` (or ``models list``) hashes and lists what this machine can load.
``models pack NAME -o FILE`` runs on a connected machine and writes one archive;
``models import FILE`` runs on the air-gapped one and installs it only once every file has
been verified. Nothing here downloads except ``pack``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from earwitness.cli.terminal import echo
from earwitness.errors import EarwitnessError

_JSON_HELP = "Print as JSON lines."


def _progress(message: str) -> None:
    """Hashing gigabytes takes a while: say what is happening, on a terminal only (a script
    reading stderr gets just the result or the one-line error)."""
    if sys.stderr.isatty():
        echo(f"earwitness: {message}", err=True)


def _list(as_json: bool) -> None:
    from earwitness.speech.models import cache_root, installed_models

    rows = installed_models()
    if as_json:
        for row in rows:
            # JSON as stored: its escapes already keep controls off the terminal
            click.echo(json.dumps(row, ensure_ascii=False))
    else:
        for row in rows:
            echo(f"{row['name']}  [{row.get('kind', '')}]  {row['status']}")
            if row.get("languages"):
                echo(f"    langs   {' '.join(map(str, row['languages']))}")  # type: ignore[call-overload]
            if row.get("sha256"):
                echo(f"    sha256  {row['sha256']}")
            if row.get("path"):
                echo(f"    path    {row['path']}")
            if row.get("source"):
                echo(f"    from    {row['source']}")
            for entry in row.get("files", []):  # type: ignore[attr-defined]
                pinned = "pinned" if entry["pinned"] else "not pinned"
                echo(f"      {entry['sha256']}  {entry['path']}  ({pinned})")
        echo(
            "Earwitness never downloads a model. To bring a larger one: on a connected machine "
            "run 'earwitness models pack NAME -o NAME.ewpack', then 'earwitness models import "
            f"NAME.ewpack' here. A faster-whisper folder also works: --model DIR, or copy it "
            f"into {cache_root()} and pass --model FOLDER_NAME."
        )
    if any(not str(row["status"]).startswith(("verified", "hashed")) for row in rows):
        raise EarwitnessError("some models are missing or altered (see above)")


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
@click.pass_context
def models(context: click.Context, as_json: bool) -> None:
    """List the models installed here, each with its SHA-256 checked now; pack and import
    larger ones (see 'models pack --help')."""
    if context.invoked_subcommand is None:
        _list(as_json)


@models.command("list")
@click.option("--json", "as_json", is_flag=True, help=_JSON_HELP)
def list_models(as_json: bool) -> None:
    """List the models installed here, each with its SHA-256 checked now."""
    _list(as_json)


def _known_names() -> str:
    from earwitness.speech.catalogue import MODELS

    return ", ".join(model.name for model in MODELS)


@models.command("pack", epilog=f"Known models: {_known_names()}.")
@click.argument("name")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The pack to write (e.g. NAME.ewpack).",
)
@click.option(
    "--from",
    "source_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Take the model's files from this folder instead of Hugging Face.",
)
def pack_model(name: str, output: Path, source_dir: Path | None) -> None:
    """On a connected machine: write the known model NAME into one archive.

    Downloads NAME from Hugging Face at its pinned revision unless it is already on this disk
    (or given with --from), checks every file against the hashes pinned in Earwitness, converts
    a translation model for CTranslate2, and writes the files with a manifest.
    """
    from earwitness.speech.pack_builder import pack

    manifest = pack(name, output, source_dir=source_dir, report=_progress)
    total = sum(f.size for f in manifest.files)
    pinned = sum(f.pinned for f in manifest.files)
    model_bin = manifest.hashes()["model.bin"]
    echo(
        f"{output}: {manifest.name} packed, {len(manifest.files)} files, {total} bytes, "
        f"{pinned} of them checked against pinned hashes; model.bin sha256 {model_bin}"
    )
    echo(f"On the air-gapped machine: earwitness models import {output.name}")


@models.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_model(file: Path) -> None:
    """Verify the pack FILE completely, then install it into the model cache."""
    from earwitness.speech.packs import import_pack

    resolved = import_pack(file, report=_progress)
    echo(
        f"{resolved.name} [{resolved.kind}] installed in {resolved.directory}; model.bin "
        f"sha256 {resolved.sha256}; {len(resolved.pinned)} of {len(resolved.files)} files "
        f"matched pinned hashes"
    )
