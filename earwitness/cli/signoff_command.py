"""``earwitness signoff``: an examiner endorses the examination of an exhibit."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.cli.terminal import echo
from earwitness.vault.case import Case
from earwitness.vault.refs import resolve_exhibit


@click.command("signoff")
@click.argument("exhibit")
@click.option("--name", required=True, help="The examiner's name, as it is to appear in reports.")
@click.option("--role", required=True, help="The examiner's role, e.g. 'forensic audio examiner'.")
@click.option("--statement", default=None, help="What the examiner states with the sign-off.")
@case_option
def signoff(
    exhibit: str, name: str, role: str, statement: str | None, case_dir: Path | None
) -> None:
    """Sign off the examination of EXHIBIT (hash prefix, name or path) as its examiner.

    The sign-off is a signed custody event naming the exhibit, the stored examination report it
    endorses (its SHA-256), that report's conclusion and log10 likelihood ratio, and the name
    and role given here, which every later report and dossier prints. The exhibit must have
    been examined in the case ('earwitness examine EXHIBIT').
    """
    from earwitness.jobs.signoff import sign_off

    case = Case.open(case_dir)
    sha256 = resolve_exhibit(case, exhibit)
    event, examination = sign_off(case, sha256, name=name, role=role, statement=statement)
    echo(
        f"Signed off examination {examination.record.object_sha256[:12]} of exhibit "
        f"{sha256[:12]}: custody event {event.seq}, hash {event.hash}"
    )
