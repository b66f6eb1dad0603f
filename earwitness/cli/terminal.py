"""Everything the CLI prints goes through ``echo``: text from outside (file names, tags,
transcripts, probe warnings) reaches the terminal with its control and invisible characters
shown as escapes (``earwitness.text.shown``), never acted on. Messages meant to be one line
(an error, an intake outcome, a summary line per file) pass names through ``shown`` first."""

from __future__ import annotations

import click

from earwitness.text import shown


def echo(message: object = "", err: bool = False, nl: bool = True) -> None:
    click.echo(shown(message, keep_lines=True), err=err, nl=nl)
