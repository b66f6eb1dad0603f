"""The ``earwitness`` command: a thin layer that parses arguments and prints results.

User mistakes (``EarwitnessError``) become one line on stderr and a non-zero exit, never a
traceback. Exit codes: 0 all went well; 1 something failed; 2 usage error; 3 everything was
preserved but some files carry warnings (e.g. not decodable as media); 4 signatures valid,
signer not trusted (verify, verify-package); 130 interrupted.
"""

from __future__ import annotations

import sys

import click
from sqlalchemy.exc import DatabaseError

from earwitness import __version__
from earwitness.cli import (
    case_commands,
    export_command,
    keys_commands,
    lock_commands,
    serve_command,
    user_commands,
    verify_commands,
)
from earwitness.cli.carry_command import carry_review
from earwitness.cli.examine_command import examine
from earwitness.cli.models_command import models
from earwitness.cli.publish_command import publish
from earwitness.cli.report_command import report
from earwitness.cli.signoff_command import signoff
from earwitness.cli.terminal import echo
from earwitness.cli.transcribe_command import transcribe
from earwitness.errors import EarwitnessError
from earwitness.text import shown


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="earwitness")
def cli() -> None:
    """Earwitness: preserve, examine, transcribe and package recordings as evidence.

    Commands act on the case found by walking up from the current folder, or on the one given
    with --case DIR or the EARWITNESS_CASE environment variable.
    """


VAULT_COMMANDS = [
    *case_commands.COMMANDS,
    *verify_commands.COMMANDS,
    *export_command.COMMANDS,
    *lock_commands.COMMANDS,
    *keys_commands.COMMANDS,
]
WORKBENCH_COMMANDS = [*serve_command.COMMANDS, *user_commands.COMMANDS]

for command in [
    *VAULT_COMMANDS,
    examine,
    transcribe,
    models,
    report,
    publish,
    signoff,
    carry_review,
    *WORKBENCH_COMMANDS,
]:
    cli.add_command(command)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="earwitness", standalone_mode=False)
    except click.exceptions.Abort:
        echo("earwitness: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except EarwitnessError as exc:
        echo(f"earwitness: error: {shown(exc)}", err=True)  # one line, whatever the names
        sys.exit(exc.exit_code)
    except OSError as exc:
        # The last net for what the file system refuses (a full disk, a vanished folder):
        # one line naming the file. Commands turn the failures they expect into
        # EarwitnessErrors first, with the advice that goes with them.
        where = f"{exc.filename}: " if exc.filename else ""
        echo(f"earwitness: error: {shown(where)}{exc.strerror or exc}", err=True)
        sys.exit(1)
    except DatabaseError as exc:
        reason = exc.orig if exc.orig is not None else exc
        echo(
            f"earwitness: error: the case's catalog cannot be read ({reason}); "
            "'earwitness verify' says what is wrong, 'earwitness reindex' rebuilds it",
            err=True,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        echo("earwitness: interrupted", err=True)
        sys.exit(130)
