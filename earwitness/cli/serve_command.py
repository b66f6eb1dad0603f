"""``earwitness serve``: the team workbench over one case, in the browser."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from earwitness.cli.options import case_option
from earwitness.cli.terminal import echo
from earwitness.cli.user_commands import db_option

if TYPE_CHECKING:
    from earwitness.web.state import Workbench


def _start_background_worker(workbench: Workbench) -> Callable[[], None]:
    """Start the jobs worker process (ingest, examine, transcribe in the background) and
    return the function that stops it."""
    from earwitness.web import worker

    # The worker opens the same database: the full URL (with its password, if any) goes to
    # it through its environment, never on a command line.
    url = workbench.engine.url.render_as_string(hide_password=False)
    process = worker.start_worker(workbench.case.paths.root, url)
    return lambda: worker.stop_worker(process)


def _refresh_index(workbench: Workbench) -> None:
    """Bring the search index up to the case: all of it in a new database, else the exhibits
    transcribed, examined or reviewed since (a command run while no workbench was)."""
    from earwitness.web.indexing import refresh_index

    written = refresh_index(workbench.case, workbench.engine)
    if written:
        echo(f"Search index brought up to date: {written} document(s)", err=True)


@click.command("serve")
@case_option
@db_option
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on. Keep the default and put a TLS reverse proxy in front for a "
    "team (README: 'The team workbench').",
)
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Mark the session cookie Secure (HTTPS only). Default: on, unless listening on "
    "loopback only; behind a TLS reverse proxy pass --secure-cookies.",
)
@click.option(
    "--session-hours",
    default=12.0,
    show_default=True,
    type=click.FloatRange(0.1, 24 * 30),
    help="How long a login lasts.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A name clients reach the server by (repeatable), e.g. the reverse proxy's public "
    "name; other Host headers are refused (DNS rebinding). The listening address and, on "
    "loopback, localhost are always accepted; '*' accepts any.",
)
@click.option(
    "--upload-limit-mib",
    default=4096,
    show_default=True,
    type=click.IntRange(1, 1024 * 1024),
    help="Largest recording an editor may upload, in MiB.",
)
@click.option(
    "--import-root",
    "import_roots",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A server folder editors may ingest from by path (repeatable); without it, "
    "recordings come in only as uploads.",
)
def serve(
    case_dir: Path | None,
    db: str | None,
    host: str,
    port: int,
    secure_cookies: bool | None,
    session_hours: float,
    allowed_hosts: tuple[str, ...],
    upload_limit_mib: int,
    import_roots: tuple[Path, ...],
) -> None:
    """Serve the team workbench: review, correct, annotate, redact and search the case's
    recordings in the browser, every change a signed custody event naming its account.

    Accounts: 'earwitness user add NAME --role owner|editor|reviewer|viewer'.
    """
    import uvicorn

    from earwitness.web.accounts import list_accounts
    from earwitness.web.app import create_app
    from earwitness.web.state import Settings, is_loopback, open_workbench

    settings = Settings(
        host=host,
        port=port,
        secure_cookies=secure_cookies,
        session_hours=session_hours,
        import_roots=tuple(str(root.resolve()) for root in import_roots),
        upload_limit_bytes=upload_limit_mib * 1024**2,
        allowed_hosts=allowed_hosts,
    )
    bench = open_workbench(case_dir, db, settings)
    if not is_loopback(host):
        echo(
            f"earwitness: warning: listening on {host} without TLS: passwords and evidence "
            "cross the network in clear; put a TLS reverse proxy in front (README: 'The team "
            "workbench')",
            err=True,
        )
    if settings.accepted_hosts is None:
        echo(
            "earwitness: note: any Host header is accepted; name the server's names with "
            "--allowed-host to refuse the others",
            err=True,
        )
    if not settings.cookies_secure:
        echo(
            "earwitness: note: session cookies are not marked Secure (loopback); behind a "
            "TLS reverse proxy pass --secure-cookies",
            err=True,
        )
    if not list_accounts(bench.engine):
        echo(
            "earwitness: note: no accounts yet; add one with "
            "'earwitness user add NAME --role owner'",
            err=True,
        )
    _refresh_index(bench)
    app = create_app(bench)
    stop_worker = _start_background_worker(bench)
    shown = f"[{host}]" if ":" in host else host
    echo(f"Workbench of {bench.case_name} on http://{shown}:{port}/ (Ctrl+C stops it)")
    # uvicorn stops gracefully on SIGINT/SIGTERM, then restores the handlers it found and
    # raises the signal again; with the defaults that kills the process before the worker is
    # stopped. Handlers that only note the signal let it return, and the worker stops.
    previous = {sig: signal.signal(sig, _note_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            # X-Forwarded-For only from a proxy on this machine: the login rate limit counts
            # the real client, and nobody else can choose the address it is counted under.
            proxy_headers=True,
            forwarded_allow_ips="127.0.0.1,::1",
            server_header=False,
            log_level="info",
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stop_worker()
        bench.engine.dispose()
    echo("Workbench stopped", err=True)


def _note_signal(_signum: int, _frame: FrameType | None) -> None:
    """Nothing to do: uvicorn has already shut down when it hands the signal on."""


COMMANDS = [serve]
