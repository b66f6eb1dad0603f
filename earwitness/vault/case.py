"""A case folder: where it is, how to open it, and the one way to record an action in it.

``DIR/.earwitness/`` holds ``catalog.sqlite`` (SQLite, WAL), ``objects/`` (content-addressed,
read-only), ``custody.jsonl`` (the custody log), ``keys/`` (public keys of every actor who
signed an event here) and ``lock`` (serialises writers across processes).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from earwitness import __version__
from earwitness.errors import CaseCorrupt, CaseNotFound, EarwitnessError
from earwitness.vault import case_keys, catalog, custody
from earwitness.vault.keys import Signer, key_fingerprint
from earwitness.vault.lock import refuse_if_locked
from earwitness.vault.projection import EventNotProjectable
from earwitness.vault.store import ObjectStore

CASE_DIR_NAME = ".earwitness"
CASE_ENV = "EARWITNESS_CASE"
_MIGRATIONS = Path(__file__).with_name("migrations")


@dataclass(frozen=True)
class CasePaths:
    root: Path

    @property
    def meta(self) -> Path:
        return self.root / CASE_DIR_NAME

    @property
    def catalog(self) -> Path:
        return self.meta / "catalog.sqlite"

    @property
    def custody(self) -> Path:
        return self.meta / "custody.jsonl"

    @property
    def objects(self) -> Path:
        return self.meta / "objects"

    @property
    def keys(self) -> Path:
        return self.meta / "keys"

    @property
    def tmp(self) -> Path:
        return self.meta / "tmp"

    @property
    def lock(self) -> Path:
        return self.meta / "lock"

    @property
    def quarantine(self) -> Path:
        """Bytes cut from the custody log (a torn tail) are kept here, never deleted."""
        return self.meta / "quarantine"


def find_case_root(start: Path | None = None, explicit: Path | str | None = None) -> Path:
    """The case to act on: ``explicit``, else ``$EARWITNESS_CASE``, else walk up from ``start``."""
    chosen = explicit or os.environ.get(CASE_ENV) or None
    if chosen:
        root = Path(chosen).expanduser().resolve()
        if not (root / CASE_DIR_NAME).is_dir():
            raise CaseNotFound(f"{root}: not an Earwitness case (no {CASE_DIR_NAME}/ folder)")
        return root
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / CASE_DIR_NAME).is_dir():
            return candidate
    raise CaseNotFound(
        f"{here}: no Earwitness case here or in any parent folder "
        "(run 'earwitness init', or give --case DIR)"
    )


# The newest migration in migrations/versions/ (a test keeps the two equal). Knowing it here
# lets every command skip importing Alembic, a sixth of start-up, when nothing is to migrate.
CATALOG_REVISION = "0001"


def catalog_engine(path: Path) -> Engine:
    """An engine on the catalog at ``path``, its schema brought to the newest migration."""
    engine = catalog.make_engine(path)
    _migrate(engine)
    return engine


def _migrate(engine: Engine) -> None:
    """Bring the catalog schema to the newest Alembic migration (no-op when already there)."""
    with engine.connect() as connection:
        try:
            current = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError:
            current = None
    if current == CATALOG_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Case:
    """An open case. Reads need nothing; writes go through :meth:`record` under the lock."""

    def __init__(self, root: Path, signer: Signer | None = None) -> None:
        self.paths = CasePaths(root)
        self._signer = signer
        self._lock_depth = 0
        self._lock_fd: int | None = None

    @classmethod
    def open(cls, explicit: Path | str | None = None, start: Path | None = None) -> Case:
        case = cls(find_case_root(start, explicit))
        refuse_if_locked(case.paths.root)
        for required in (case.paths.custody, case.paths.objects):
            if not required.exists():
                raise CaseCorrupt(
                    f"{case.paths.meta}: case folder is incomplete ({required.name} missing)"
                )
        if not case.paths.catalog.exists():
            with case.writing():  # the catalog is an index of the log: rebuild it
                pass
        return case

    @classmethod
    def init(
        cls, root: Path, actor: str | None = None, passphrase: bytes | None = None
    ) -> tuple[Case, bool]:
        """Create a case in ``root`` (like ``git init``); returns (case, created).

        The case gets its own signing key (sealed with ``passphrase`` when given), kept in
        ``case_config_dir(case id)``, and ``actor`` as the pseudonym it signs with there.
        The init event names the case folder, never its path.
        """
        root = root.expanduser().resolve()
        paths = CasePaths(root)
        refuse_if_locked(root)  # a locked case has no readable log: never init over it
        if paths.custody.exists():
            return cls(root), False
        for folder in (paths.meta, paths.objects, paths.keys, paths.tmp):
            folder.mkdir(parents=True, exist_ok=True)
        pending = case_keys.new_case_key(actor, passphrase)
        case = cls(root, signer=pending.signer)
        try:
            with case.writing():
                if case.head() is None:
                    first = case.record(
                        "init", None, {"case": root.name, "tool_version": __version__}
                    )
                    case_keys.adopt_pending(pending.folder, first.hash, root)
                    case_keys.note_signed(first.hash, first, root)
        finally:
            # A key that signed nothing is dropped; one that signed the init event was adopted
            # above, or is adopted by the next command (it finds it by that event's signer).
            case_keys.drop_unused_pending(pending, case.paths.custody)
        return case, True

    @cached_property
    def engine(self) -> Engine:
        return catalog_engine(self.paths.catalog)

    def close_catalog(self) -> None:
        """Close every pooled catalog connection; the next use opens the file afresh."""
        engine = self.__dict__.pop("engine", None)
        if engine is not None:
            engine.dispose()

    @cached_property
    def store(self) -> ObjectStore:
        return ObjectStore(self.paths.objects, self.paths.tmp)

    @property
    def signer(self) -> Signer:
        """The case's own key on this machine (NoCaseKey, one line, if it holds none)."""
        if self._signer is None:
            self._signer = case_keys.case_signer(self.paths.custody)
        return self._signer

    def use_signer(self, signer: Signer) -> None:
        """Sign from now on with ``signer`` (after the case's key was rotated)."""
        self._signer = signer

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def head(self) -> custody.Event | None:
        return custody.last_event(self.paths.custody)

    @contextlib.contextmanager
    def writing(
        self, on_wait: Callable[[], None] | None = None, *, recover: bool = True
    ) -> Iterator[Case]:
        """Hold the case's write lock (re-entrant); other writers wait, nothing interleaves.

        Taking the lock first finishes what a crashed writer left (``_recover``), unless
        ``recover`` is false: rebuilding the catalog must not first trust the catalog.
        """
        if self._lock_depth == 0:
            fd = os.open(self.paths.lock, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                (on_wait or _say_waiting)()
                fcntl.flock(fd, fcntl.LOCK_EX)
            self._lock_fd = fd
            try:
                if recover:
                    self._recover()
            except BaseException:
                self._release()
                raise
        self._lock_depth += 1
        try:
            yield self
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                self._release()

    def _release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _recover(self) -> None:
        """Finish what a crashed writer left: torn log tail, stale temporaries, catalog lag.

        A torn tail is restored or quarantined (never deleted), and the repair is logged once
        the catalog has caught up, so the log itself says what was done to it.
        """
        if custody.find_torn_tail(self.paths.custody) is not None:
            _ = self.signer  # no key to sign the repair with: refuse before touching the log
        tail_repair = custody.repair_torn_tail(self.paths.custody, self.paths.quarantine)
        self.store.remove_stale_temporaries()
        try:
            self._catch_up_catalog()
        except IntegrityError:
            raise CaseCorrupt(
                f"{self.paths.catalog}: the catalog holds rows the custody log does not; "
                "run 'earwitness verify', then 'earwitness reindex'"
            ) from None
        except DatabaseError as exc:
            self.close_catalog()
            raise CaseCorrupt(
                f"{self.paths.catalog}: the catalog cannot be read ({exc.orig or exc}); "
                "'earwitness reindex' rebuilds it from the custody log"
            ) from None
        if tail_repair is not None:
            self.record_tail_repair(tail_repair)

    def record_tail_repair(self, repair: custody.TailRepair) -> custody.Event:
        """Log a torn-tail repair (the lock is held: called while taking it, or by reindex)."""
        self._lock_depth += 1  # recovery runs inside the lock, before writing() counts it
        try:
            committed = self.record(custody.LOG_REPAIR, None, repair.details())
        finally:
            self._lock_depth -= 1
        print(f"earwitness: note: custody log repaired: {repair.describe()}", file=sys.stderr)
        return committed

    def _catch_up_catalog(self) -> None:
        """Apply the events the catalog has not seen yet (a crash between log and catalog)."""
        log_head = self.head()
        with self.session() as session:
            catalog_head = catalog.head_seq(session)
            log_seq = log_head.seq if log_head else 0
            if catalog_head > log_seq:
                raise CaseCorrupt(
                    f"{self.paths.custody}: the catalog records {catalog_head - log_seq} event(s) "
                    "missing from the custody log; run 'earwitness verify'"
                )
            if catalog_head == log_seq:
                return
            try:
                for committed in custody.iter_events(self.paths.custody):
                    if committed.seq > catalog_head:
                        catalog.apply_event(session, committed)
            except (custody.MalformedLine, EventNotProjectable) as exc:
                raise CaseCorrupt(
                    f"{self.paths.custody}: cannot bring the catalog up to date ({exc}); "
                    "run 'earwitness verify'"
                ) from None
            session.commit()

    def record(self, action: str, exhibit: str | None, details: dict[str, Any]) -> custody.Event:
        """Commit one action: sign and append its event, then project it into the catalog."""
        if self._lock_depth == 0:
            raise RuntimeError("Case.record needs the write lock: use 'with case.writing():'")
        return self.record_prepared(
            custody.make_event(self.signer, action, exhibit, details, self.head())
        )

    def record_prepared(self, committed: custody.Event) -> custody.Event:
        """Commit an event made under this same lock by ``custody.make_event(self.signer, …,
        self.head())``: for an event that must also appear in a file written before it is
        logged (an export's own copy of the log). Refused if the log moved on since."""
        if self._lock_depth == 0:
            raise RuntimeError("Case.record needs the write lock: use 'with case.writing():'")
        head = self.head()
        if committed.prev != (head.hash if head else custody.GENESIS_PREV):
            raise RuntimeError("Case.record_prepared: the log moved on since the event was made")
        self._register_key()
        if committed.seq == 1 and committed.action != "init":
            raise CaseCorrupt(
                f"{self.paths.custody}: the custody log is empty (its events were removed); "
                "nothing was written (run 'earwitness verify')"
            )
        case_id = committed.hash if committed.seq == 1 else case_keys.case_id_of(self.paths.custody)
        if case_id is not None and committed.seq > 1:
            case_keys.refuse_if_rolled_back(case_id, self.paths.custody, head)
        custody.append_event(self.paths.custody, committed)
        if case_id is not None and committed.seq > 1:
            case_keys.note_signed(case_id, committed, self.paths.root)
        with self.session() as session:
            catalog.apply_event(session, committed)
            session.commit()
        return committed

    def signer_key_file(self) -> tuple[str, str]:
        """The name and content of the keys/ file that registers the signer's public key."""
        public = self.signer.public_key_b64
        return f"{key_fingerprint(public)}.pub", f"{public} {self.signer.actor}\n"

    def register_signer_key(self) -> None:
        """Write the signer's public key into keys/ (a package carries it to its readers)."""
        self._register_key()

    def _register_key(self) -> None:
        name, content = self.signer_key_file()
        path = self.paths.keys / name
        if path.is_file():
            return
        self.paths.keys.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(content, encoding="utf-8")
        os.replace(temporary, path)

    def registered_keys(self) -> dict[str, str]:
        """Public keys recorded in the case: base64 key -> actor named when it was registered."""
        return read_key_folder(self.paths.keys)


def read_key_folder(folder: Path) -> dict[str, str]:
    keys: dict[str, str] = {}
    if folder.is_dir():
        for path in sorted(folder.glob("*.pub")):
            key, _, actor = path.read_text(encoding="utf-8").strip().partition(" ")
            keys[key] = actor
    return keys


def _say_waiting() -> None:
    print(
        "earwitness: another earwitness process is writing to this case; waiting…", file=sys.stderr
    )


__all__ = [
    "Case",
    "CasePaths",
    "EarwitnessError",
    "catalog_engine",
    "find_case_root",
    "read_key_folder",
]
