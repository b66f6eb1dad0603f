"""The export command: a BagIt evidence package, or FollowTheMoney entities for Aleph; and
``disclose``, which opens a private intake field so that others can check its commitment."""

from __future__ import annotations

import json
from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.cli.terminal import echo
from earwitness.errors import EarwitnessError
from earwitness.vault.case import Case
from earwitness.vault.commitments import PRIVATE_FIELDS
from earwitness.vault.package_export import export_bag
from earwitness.vault.private_fields import (
    disclosure_document,
    disclosures,
    fields_in_clear,
)
from earwitness.vault.refs import resolve_exhibit
from earwitness.vault.verified_log import verified_events


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
@click.option(
    "--for-publication",
    is_flag=True,
    help="Leave out the private intake fields (original path, source, note): the package "
    "keeps only their commitments, and its custody log still verifies.",
)
@case_option
def export(
    exhibit_refs: tuple[str, ...],
    output: Path,
    output_format: str,
    for_publication: bool,
    case_dir: Path | None,
) -> None:
    """Write exhibits (all when none named), their artefacts and custody as a BagIt bag, or
    as FollowTheMoney entities (with transcripts) to load into OCCRP Aleph.

    A bag discloses the private intake fields (original path, source, note) in
    data/custody/private-fields.json, each with the salt that opens its commitment in the
    log; --for-publication leaves that file out.
    """
    case = Case.open(case_dir)
    chosen = [resolve_exhibit(case, ref) for ref in exhibit_refs] or None
    if output_format == "ftm":
        if for_publication:
            raise click.UsageError("--for-publication applies to bagit packages only")
        from earwitness.jobs.export_ftm import export_ftm

        count = export_ftm(case, chosen, output)
        echo(f"Exported {count} entit{'y' if count == 1 else 'ies'} to {output}")
        echo(f"Load into Aleph with: alephclient write-entities -i {output} -f COLLECTION")
        return
    events = verified_events(case)
    in_clear = fields_in_clear(events, chosen)
    _, unopened = disclosures(case, events, chosen) if not for_publication else ([], [])
    from earwitness.jobs.export_ftm import logged_exhibits
    from earwitness.jobs.redacted_export import withheld_by_redactions

    withheld = withheld_by_redactions(case, chosen or logged_exhibits(case))
    written = export_bag(case, chosen, output, for_publication=for_publication, withheld=withheld)
    echo(f"Exported to {written}")
    if withheld:
        echo(
            f"Redacted in review: {len(withheld)} object(s) withheld (the originals and "
            "what was made before); the package carries the redacted versions."
        )
    if for_publication:
        echo("Private intake fields left out: the package holds only their commitments.")
    for line in unopened:
        echo(f"earwitness: note: not disclosed in the package: {line}", err=True)
    for line in in_clear:
        echo(
            f"earwitness: warning: {line} (logged before commitments); it is in the package",
            err=True,
        )
    echo(f"Check it anywhere with: earwitness verify-package {written}")


@click.command()
@click.argument("exhibit_ref", metavar="EXHIBIT")
@click.option(
    "--field",
    "fields",
    multiple=True,
    type=click.Choice(PRIVATE_FIELDS),
    help="Disclose only this field (repeatable; default: all of them).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the disclosure here (default: print it).",
)
@case_option
def disclose(
    exhibit_ref: str, fields: tuple[str, ...], output: Path | None, case_dir: Path | None
) -> None:
    """Open the private fields of EXHIBIT's intakes: each value with the salt of its
    commitment in the custody log, as JSON, so that whoever holds the log can check it
    (README: "Private fields"). Only this machine, which keeps the case's side table key,
    can open them."""
    case = Case.open(case_dir)
    sha256 = resolve_exhibit(case, exhibit_ref)
    opened, unopened = disclosures(case, verified_events(case), [sha256])
    chosen = [d for d in opened if not fields or d.field in fields]
    if not chosen:
        reason = "cannot be opened on this machine" if unopened else "none was recorded"
        raise EarwitnessError(f"{sha256[:12]}: no private field to disclose ({reason})")
    for line in unopened:
        echo(f"earwitness: note: {line}", err=True)
    text = json.dumps(disclosure_document(chosen), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        # JSON as stored: its escapes already keep controls off the terminal
        click.echo(text, nl=False)
        return
    try:
        with open(output, "x", encoding="utf-8") as sink:
            sink.write(text)
    except FileExistsError:
        raise EarwitnessError(f"{output}: already exists; choose a new path") from None
    except OSError as exc:
        raise EarwitnessError(f"{output}: cannot be written ({exc.strerror})") from None
    echo(f"{len(chosen)} field(s) disclosed in {output}", err=True)


COMMANDS = [export, disclose]
