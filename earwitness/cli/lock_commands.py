"""Encryption at rest: lock and unlock a case with a passphrase."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.cli.terminal import echo
from earwitness.errors import CaseCorrupt
from earwitness.vault.case import Case, find_case_root
from earwitness.vault.case_keys import case_id_of as custody_case_id
from earwitness.vault.keys import case_config_dir, read_passphrase
from earwitness.vault.lock import (
    is_encrypted,
    is_locked,
    lock_case,
    recorded_case_id,
    set_up_encryption,
    unlock_case,
)


def ask_passphrase(root: Path, *, new: bool) -> str:
    """The case's passphrase: ``$EARWITNESS_PASSPHRASE``, else asked (twice when new)."""
    needed_for = "the case is to be encrypted" if new else "the case is encrypted"
    return read_passphrase(root, confirm=new, needed_for=needed_for).decode("utf-8")


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
        echo(f"Already locked: {root}")
        return
    with Case(root).writing(recover=False):
        if is_encrypted(root):
            passphrase = ask_passphrase(root, new=False)
        else:
            passphrase = ask_passphrase(root, new=True)
            set_up_encryption(root, passphrase, case_id_of(root))
        done = lock_case(root, passphrase, case_config_dir(recorded_case_id(root)))
    echo(f"Locked {root}: {done.files} file(s), {done.bytes:,} bytes sealed")


@click.command()
@case_option
def unlock(case_dir: Path | None) -> None:
    """Restore a locked case with its passphrase, bit for bit."""
    root = find_case_root(explicit=case_dir)
    if not is_locked(root):
        echo(f"Not locked: {root}")
        return
    passphrase = ask_passphrase(root, new=False)
    with Case(root).writing(recover=False):
        done = unlock_case(root, passphrase, case_config_dir(recorded_case_id(root)))
    echo(f"Unlocked {root}: {done.files} file(s) restored")


COMMANDS = [lock, unlock]
