"""What the running workbench holds: the case, the workbench database and the settings.

One ``Workbench`` per server process, reachable from every request through the
``earwitness.web.auth.workbench`` dependency. The case is opened with its signer before the
server starts, so a machine without the case's key fails at ``earwitness serve``, not at the
first correction.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy.engine import Engine

from earwitness.errors import EarwitnessError
from earwitness.vault import custody
from earwitness.vault.case import Case

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_ADDRESSES = frozenset({"", "0.0.0.0", "::"})


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in {"localhost", "localhost.localdomain"}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class PasswordCost:
    """Argon2id parameters. The default is RFC 9106's second recommendation (t=3, 64 MiB,
    p=4), above OWASP's minimum; tests pass a cheaper one explicitly, never through the
    environment, so a deployed server cannot be talked into weak hashes."""

    time_cost: int = RFC_9106_LOW_MEMORY.time_cost
    memory_kib: int = RFC_9106_LOW_MEMORY.memory_cost
    parallelism: int = RFC_9106_LOW_MEMORY.parallelism

    def hasher(self) -> PasswordHasher:
        return PasswordHasher(
            time_cost=self.time_cost, memory_cost=self.memory_kib, parallelism=self.parallelism
        )


@dataclass(frozen=True)
class Settings:
    """How the server listens and guards its door.

    ``secure_cookies`` None means: Secure unless the server listens on a loopback address only
    (then plain http://127.0.0.1 must work; behind a TLS reverse proxy pass True).
    """

    host: str = "127.0.0.1"
    port: int = 8765
    secure_cookies: bool | None = None
    session_hours: float = 12.0
    # Failed logins allowed in the window, per account name and per client address (an
    # office behind one NAT shares an address, so that limit is wider).
    login_failures_per_name: int = 5
    login_failures_per_address: int = 20
    login_window_s: int = 15 * 60
    password_cost: PasswordCost = field(default_factory=PasswordCost)
    # Server folders an editor may ingest from by path (POST /api/jobs, kind "ingest"); none
    # by default: only uploads. And the largest upload taken (bytes).
    import_roots: tuple[str, ...] = ()
    upload_limit_bytes: int = 4 * 1024**3
    # Names the Host header may carry besides the listening address (a reverse proxy's
    # public name); "*" accepts any.
    allowed_hosts: tuple[str, ...] = ()

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return not is_loopback(self.host)

    @property
    def accepted_hosts(self) -> frozenset[str] | None:
        """The Host header values (lower case, without port) a request may carry; None when
        any is accepted (``*``, or a wildcard address with no names given: the server cannot
        know which names reach it).

        A page on another site can point a name of its own at 127.0.0.1 (DNS rebinding) and
        then talk to a workbench on loopback as "its own origin"; the browser still sends that
        site's name as Host, which is refused here."""
        names = {name.strip().lower().strip("[]") for name in self.allowed_hosts}
        if "*" in names:
            return None
        host = self.host.strip().lower().strip("[]")
        if host in WILDCARD_ADDRESSES:
            return frozenset(names | LOOPBACK_NAMES) if names else None
        names.add(host)
        if is_loopback(host):
            names |= LOOPBACK_NAMES
        return frozenset(names)


@dataclass
class Workbench:
    """The open case (with its signer), the workbench database and the settings.

    Case writes from request threads must go through :meth:`writing`: ``Case.writing`` is
    re-entrant per ``Case`` object (a depth counter), so two threads sharing one ``Case``
    would otherwise both believe they hold the file lock.
    """

    case: Case
    engine: Engine
    settings: Settings = field(default_factory=Settings)
    _write_lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def case_name(self) -> str:
        return self.case.paths.root.name

    @contextlib.contextmanager
    def writing(self) -> Iterator[Case]:
        """Hold this process's case-write lock, then the case's own file lock."""
        with self._write_lock, self.case.writing() as case:
            yield case

    def record(self, action: str, exhibit: str | None, details: dict[str, Any]) -> custody.Event:
        """Sign and append one custody event (taking the write locks)."""
        with self.writing() as case:
            return case.record(action, exhibit, details)


class WorkbenchDatabaseError(EarwitnessError):
    """The workbench database named by --db cannot be opened."""


def open_workbench(
    case_dir: Path | str | None, db: str | None, settings: Settings | None = None
) -> Workbench:
    """Open the case (with its signer: a machine without the case's key fails here, one
    line) and its workbench database (migrated to the newest schema)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    from earwitness.web.db import DatabaseUrlError, database_url, open_database

    case = Case.open(case_dir)
    case.signer  # noqa: B018 (loads the key now, so a missing one is reported at start)
    try:
        url = database_url(db, case.paths.meta)
    except DatabaseUrlError as exc:
        raise WorkbenchDatabaseError(str(exc)) from None
    try:
        engine = open_database(url)
    except SQLAlchemyError as exc:
        # The password of a postgresql:// URL never goes into a message.
        shown = make_url(url).render_as_string(hide_password=True)
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())[:300]
        raise WorkbenchDatabaseError(
            f"{shown}: cannot open the workbench database ({reason})"
        ) from None
    return Workbench(case=case, engine=engine, settings=settings or Settings())
