"""Encryption at rest: lock and unlock a case with a passphrase."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.errors import CaseCorrupt, EarwitnessError
from earwitness.vault.case import Case, find_case_root
from earwitness.vault.case_keys import case_id_of as custody_case_id
from earwitness.vault.keys import PASSPHRASE_ENV, case_config_dir
from earwitness.vault.lock import (
    is_encrypted,
    is_locked,
    lock_case,
    recorded_case_id,
    set_up_encryption,
    unlock_case,
)


def ask_passphrase(new: bool) -> str:
    """``$EARWITNESS_PASSPHRASE`` if set (for scripts), else a hidden prompt (twice when new)."""
    given = os.environ.get(PASSPHRASE_ENV)
    if given:
        return given
    if not sys.stdin.isatty():
        raise EarwitnessError(f"no passphrase: set {PASSPHRASE_ENV} or run in a terminal")
    return str(
        click.prompt(
            "New passphrase for this case" if new else "Passphrase",
            hide_input=True,
            confirmation_prompt=new,
            err=True,
        )
    )


def case_id_of(root: Path) -> str:
    """The case's id: the hash of its first custody event (the init event)."""
    log = Case(root).paths.custody
    case_id = custody_case_id(log)
    if case_id is None:
        raise CaseCorrupt(f"{log}: no readable first event, so no case id")
    return case_id


def encrypt_case(root: Path, passphrase: str) -> None:
    """Give a case its passphrase, without locking it (``earwitness init --encrypt``)."""
    if not is_encrypted(root):
        set_up_encryption(root, passphrase, case_id_of(root))


@click.command()
@case_option
def lock(case_dir: Path | None) -> None:
    """Seal the whole case (evidence, catalog, log, keys) under its passphrase.

    Afterwards the case folder holds nothing readable without the passphrase, and every
    command refuses until 'earwitness unlock'. A case made without --encrypt gets a
    passphrase now.
    """
    root = find_case_root(explicit=case_dir)
    if is_locked(root):
        click.echo(f"Already locked: {root}")
        return
    with Case(root).writing(recover=False):
        if is_encrypted(root):
            passphrase = ask_passphrase(new=False)
        else:
            passphrase = ask_passphrase(new=True)
            set_up_encryption(root, passphrase, case_id_of(root))
        done = lock_case(root, passphrase, case_config_dir(recorded_case_id(root)))
    click.echo(f"Locked {root}: {done.files} file(s), {done.bytes:,} bytes sealed")


@click.command()
@case_option
def unlock(case_dir: Path | None) -> None:
    """Restore a locked case with its passphrase, bit for bit."""
    root = find_case_root(explicit=case_dir)
    if not is_locked(root):
        click.echo(f"Not locked: {root}")
        return
    passphrase = ask_passphrase(new=False)
    with Case(root).writing(recover=False):
        done = unlock_case(root, passphrase, case_config_dir(recorded_case_id(root)))
    click.echo(f"Unlocked {root}: {done.files} file(s) restored")


COMMANDS = [lock, unlock]
