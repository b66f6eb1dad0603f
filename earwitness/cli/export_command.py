"""The export command: a BagIt evidence package, or FollowTheMoney entities for Aleph."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.vault.case import Case
from earwitness.vault.package import export_bag
from earwitness.vault.refs import resolve_exhibit


@click.command()
@click.argument("exhibit_refs", nargs=-1, metavar="[EXHIBIT]...")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="bagit: a new folder, or a file ending in .zip; ftm: a JSON-lines file.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["bagit", "ftm"]),
    default="bagit",
    show_default=True,
    help="bagit: evidence package with custody; ftm: FollowTheMoney entities for Aleph.",
)
@case_option
def export(
    exhibit_refs: tuple[str, ...], output: Path, output_format: str, case_dir: Path | None
) -> None:
    """Write exhibits (all when none named), their artefacts and custody as a BagIt bag, or
    as FollowTheMoney entities (with transcripts) to load into OCCRP Aleph."""
    case = Case.open(case_dir)
    chosen = [resolve_exhibit(case, ref) for ref in exhibit_refs] or None
    if output_format == "ftm":
        from earwitness.jobs.export_ftm import export_ftm

        count = export_ftm(case, chosen, output)
        click.echo(f"Exported {count} entit{'y' if count == 1 else 'ies'} to {output}")
        click.echo(f"Load into Aleph with: alephclient write-entities -i {output} -f COLLECTION")
        return
    written = export_bag(case, chosen, output)
    click.echo(f"Exported to {written}")
    click.echo(f"Check it anywhere with: earwitness verify-package {written}")


COMMANDS = [export]
