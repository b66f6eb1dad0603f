"""``earwitness carry-review``: bring a review's corrections to a transcript made again."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.cli.terminal import echo
from earwitness.text import shown
from earwitness.vault.case import Case
from earwitness.vault.refs import resolve_exhibit


@click.command("carry-review")
@click.argument("exhibit")
@click.option("--by", "carried_by", required=True, help="Who carries the review (an account).")
@click.option(
    "--from",
    "source",
    default=None,
    help="The older transcript to carry from (a prefix of its hash); by default the newest "
    "older one with edits.",
)
@click.option("--dry-run", is_flag=True, help="Say what would be carried; record nothing.")
@case_option
def carry_review(
    exhibit: str, carried_by: str, source: str | None, dry_run: bool, case_dir: Path | None
) -> None:
    """Carry the review of an older transcript of EXHIBIT to its newest transcript.

    A transcript made again ('earwitness transcribe --force') starts a review of its own; the
    corrections, speakers, marks, annotations and quotes of the older review stay with the
    older transcript until they are carried. Each is made again on the newest transcript where
    its speech is there too, under the account of whoever made it, its custody event naming
    the older transcript and who carried it; words nobody corrected keep the newer
    transcript's. What cannot be carried is listed with its time and why, to be redone.
    Redactions apply to every transcript of a recording already.
    """
    from earwitness.jobs.carry_review import carry_review as carry
    from earwitness.text import timecode

    case = Case.open(case_dir)
    sha256 = resolve_exhibit(case, exhibit)
    made = carry(case, sha256, carried_by, source=source, dry_run=dry_run)
    verb = "Would carry" if dry_run else "Carried"
    count = len(made.plan.edits)
    echo(
        f"{verb} {count} edit{'' if count == 1 else 's'} from transcript "
        f"{made.source.object_sha256[:12]} to {made.target.object_sha256[:12]} of exhibit "
        f"{sha256[:12]}" + ("" if made.summary is None else f": custody event {made.summary.seq}")
    )
    if made.plan.left:
        echo(f"Left behind ({len(made.plan.left)}), to redo on the newer transcript:")
        for item in made.plan.left:
            where = f"{timecode(item.start)}–{timecode(item.end)}"
            echo(f"  {where}  {shown(item.what)}: {shown(item.why)}")


COMMANDS = [carry_review]
