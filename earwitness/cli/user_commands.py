"""``earwitness user …``: the workbench's accounts (add, list, role, remove).

Each change is a signed custody event of the case ("account": the account, its role, the
change and who made it: here "command-line", with the case key's actor as the signer).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from earwitness.cli.options import case_option
from earwitness.cli.terminal import echo
from earwitness.errors import EarwitnessError

if TYPE_CHECKING:
    from earwitness.web.state import Workbench

F = TypeVar("F", bound=Callable[..., Any])

ROLES = ["owner", "editor", "reviewer", "viewer"]
BY = "command-line"


def db_option(function: F) -> F:
    """``--db URL`` as ``db``."""
    return click.option(
        "--db",
        help="The workbench database: postgresql://… or a SQLite file (default: "
        "workbench.sqlite in the case's .earwitness folder).",
    )(function)


class PasswordInputError(EarwitnessError):
    """No usable password was given."""


def _open(case_dir: Path | None, db: str | None) -> Workbench:
    from earwitness.web.state import open_workbench

    return open_workbench(case_dir, db)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.removesuffix("\n").removesuffix("\r")
        if not password:
            raise PasswordInputError("--password-stdin: standard input held no password")
        return password
    value = click.prompt("Password", hide_input=True, confirmation_prompt="Repeat the password")
    return str(value)


@click.group("user")
def user() -> None:
    """Accounts of the team workbench ('earwitness serve') and their roles.

    Roles, each with the rights of the one before: viewer (read, search, listen), reviewer
    (+ comments, annotations, quotes), editor (+ corrections, speakers, redaction, uploads),
    owner (+ accounts).
    """


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="The account's role.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (else it is asked twice).",
)
@case_option
@db_option
def add(name: str, role: str, password_stdin: bool, case_dir: Path | None, db: str | None) -> None:
    """Add the account NAME (1–64 letters, digits, '.', '_', '-', '@')."""
    from earwitness.web.accounts import add_account, check_name, check_role

    check_name(name)
    check_role(role)
    bench = _open(case_dir, db)
    password = _read_password(password_stdin)
    account = add_account(
        bench.engine,
        bench.writing,
        name,
        role,
        password,
        by=BY,
        hasher=bench.settings.password_cost.hasher(),
    )
    echo(f"Added account {account.name} ({account.role})")


@user.command("list")
@case_option
@db_option
def list_command(case_dir: Path | None, db: str | None) -> None:
    """List the accounts and their roles."""
    from earwitness.web.accounts import list_accounts

    bench = _open(case_dir, db)
    accounts = list_accounts(bench.engine)
    if not accounts:
        echo("No accounts yet: 'earwitness user add NAME --role owner' makes the first.")
    for account in accounts:
        echo(f"{account.name}\t{account.role}")


@user.command("role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
@case_option
@db_option
def role(name: str, role: str, case_dir: Path | None, db: str | None) -> None:
    """Give the account NAME the role ROLE (its open sessions get it at once)."""
    from earwitness.web.accounts import check_name, set_role

    check_name(name)
    bench = _open(case_dir, db)
    account = set_role(bench.engine, bench.writing, name, role, by=BY)
    echo(f"Account {account.name} is now {account.role}")


@user.command("remove")
@click.argument("name")
@case_option
@db_option
def remove(name: str, case_dir: Path | None, db: str | None) -> None:
    """Remove the account NAME and end its sessions."""
    from earwitness.web.accounts import check_name, remove_account

    check_name(name)
    bench = _open(case_dir, db)
    remove_account(bench.engine, bench.writing, name, by=BY)
    echo(f"Removed account {name}")


COMMANDS = [user]
