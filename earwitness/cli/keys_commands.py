"""Key commands: keys show, list, trust, untrust, rotate."""

from __future__ import annotations

from pathlib import Path

import click

from earwitness.cli.options import case_option
from earwitness.cli.terminal import echo
from earwitness.vault.case import Case
from earwitness.vault.case_keys import rotate_key
from earwitness.vault.keys import full_fingerprint, grouped, new_protection_passphrase
from earwitness.vault.trust import trust_file, trust_key, trusted_keys, untrust_key
from earwitness.vault.verify import check_log


@click.group()
def keys() -> None:
    """The case's signing keys, and the keys you trust.

    Every case has its own key, kept outside the case on the machine that created it. Publish
    its fingerprint ('keys show'): whoever receives a package can then check it was signed by
    that key ('verify-package --trust FINGERPRINT').
    """


@keys.command("show")
@case_option
def show(case_dir: Path | None) -> None:
    """Print this case's public key and its fingerprint, for publishing."""
    case = Case.open(case_dir)
    signer = case.signer
    echo(f"actor: {signer.actor}")
    echo(f"public key: {signer.public_key_b64}")
    echo(f"fingerprint: {grouped(signer.fingerprint)}")


@keys.command("list")
@case_option
def list_keys(case_dir: Path | None) -> None:
    """This case's key history (from its custody log) and the keys you trust."""
    case = Case.open(case_dir)
    log = check_log(case.paths.custody, case.registered_keys())
    authority = log.authority
    if authority.case_id:
        echo(f"case id: {authority.case_id}")
    echo("case keys (from the custody log):")
    for index, epoch in enumerate(authority.history):
        current = " (current)" if index == len(authority.history) - 1 else ""
        origin = "case key, signed event 1" if index == 0 else f"from event {epoch.since_seq}"
        echo(f"  {grouped(full_fingerprint(epoch.key))}  {origin}, {epoch.reason}{current}")
    for problem in log.problems:
        echo(f"  PROBLEM [{problem.kind}]: {problem.message}")
    listed = trusted_keys()
    echo(f"trusted keys ({trust_file()}):" if listed else "trusted keys: none")
    for key in listed:
        name = f"  {key.name}" if key.name else ""
        echo(f"  {grouped(key.fingerprint)}{name}")


@keys.command("trust")
@click.argument("key", metavar="FINGERPRINT|PUBKEY_FILE")
@click.option("--name", help="Whose key it is, for your own list (e.g. 'Anna, The Courier').")
def trust(key: str, name: str | None) -> None:
    """Trust KEY from now on when verifying packages and cases.

    Check the fingerprint with its owner by another channel (in person, by phone, a
    published page) first: trusting a forger's key makes their forgeries verify.
    """
    added = trust_key(key, name)
    echo(f"Trusted {grouped(added.fingerprint)}" + (f" ({added.name})" if added.name else ""))


@keys.command("untrust")
@click.argument("key", metavar="FINGERPRINT|PUBKEY_FILE|NAME")
def untrust(key: str) -> None:
    """Remove KEY from your trusted keys."""
    removed = untrust_key(key)
    echo(f"No longer trusted: {grouped(removed.fingerprint)}")


@keys.command("rotate")
@click.option("--reason", default="rotation", show_default=True, help="Why the key changes.")
@click.option(
    "--protect",
    is_flag=True,
    help="Protect the new key with a passphrase ($EARWITNESS_PASSPHRASE, or asked).",
)
@case_option
def rotate(reason: str, protect: bool, case_dir: Path | None) -> None:
    """Give the case a new signing key; the change is logged and signed by the old key.

    Do it when the old key may have leaked, or to protect the key with a passphrase. Readers
    who trust the old key's fingerprint trust the new one through the logged change.
    """
    case = Case.open(case_dir)
    old = case.signer
    passphrase = new_protection_passphrase(case.paths.root) if protect else None
    event = rotate_key(case, reason, passphrase)
    echo(f"old key: {grouped(old.fingerprint)}")
    echo(f"new key: {grouped(case.signer.fingerprint)}")
    echo(f"logged as event {event.seq} (key_change), signed by the old key")


COMMANDS = [keys]
