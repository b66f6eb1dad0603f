"""Workbench accounts: a name, a role and an Argon2id password hash.

Every account change (added, role changed, removed) is a signed custody event of the case
naming the account, its role and who made the change: the log says who could edit evidence
when; one the database then failed to commit is followed by a "not applied" event. The
accounts table itself is not evidence; it is where the server checks passwords.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import Float, Integer, String, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from earwitness.errors import EarwitnessError
from earwitness.web.db import Base, session

ROLES = ("viewer", "reviewer", "editor", "owner")
RANK = {role: rank for rank, role in enumerate(ROLES)}
NAME_PATTERN = re.compile(r"[A-Za-z0-9._@-]{1,64}")
MIN_PASSWORD = 10
# Argon2 reads the whole password; a megabyte one is a cheap way to tie up a core.
MAX_PASSWORD = 1024


class Recording(Protocol):
    """What an account change needs of the case: ``record`` under the write lock."""

    def record(self, action: str, exhibit: str | None, details: dict[str, Any]) -> object: ...


# The case's write lock: ``Workbench.writing`` (server threads) or ``Case.writing`` (CLI).
# It is taken BEFORE the database transaction, the order every workbench write uses, so an
# account change and a review edit never wait for each other in opposite orders.
Writing = Callable[[], AbstractContextManager[Recording]]


class AccountError(EarwitnessError):
    """An account name, role or password that cannot be used, or an account that is missing."""


class AccountNotFound(AccountError):
    http_status = 404


class AccountExists(AccountError):
    http_status = 409


class AccountRow(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)


@dataclass(frozen=True)
class Account:
    """A logged-in (or listed) account, as the routes see it."""

    id: int
    name: str
    role: str

    def may(self, role: str) -> bool:
        """True when this account's role ranks at least ``role``."""
        return RANK[self.role] >= RANK[role]


def _account(row: AccountRow) -> Account:
    return Account(id=row.id, name=row.name, role=row.role)


def check_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        shown = name[:70] + "…" if isinstance(name, str) and len(name) > 70 else name
        raise AccountError(
            f"account name {shown!r}: use 1–64 letters, digits, '.', '_', '-' or '@'"
        )
    return name


def check_role(role: str) -> str:
    if role not in RANK:
        raise AccountError(f"role {role!r}: use one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"password: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"password: use at most {MAX_PASSWORD} characters")
    return password


def _record_and_commit(db: Session, case: Recording, details: dict[str, Any]) -> None:
    """Log an account change, then commit it.

    Logged first: an account the log does not record must not exist. Where the commit then
    fails (the database server gone, a constraint it checks only at commit), a second event
    says the change did not take effect (change "not applied", ``of`` the change logged
    before), so the log never claims a change the accounts table does not hold. Should the
    log refuse that event too, the commit's error still stands, with a note saying so."""
    case.record("account", None, details)
    try:
        db.commit()
    except Exception as failure:
        db.rollback()
        reason = ": ".join([type(failure).__name__, *str(failure).splitlines()[:1]])
        undone = {
            **details,
            "change": "not applied",
            "of": details["change"],
            "reason": reason[:200],
        }
        try:
            case.record("account", None, undone)
        except Exception as unlogged:
            failure.add_note(
                f"the log could not record that the change was not applied: {unlogged}"
            )
        raise


def add_account(
    engine: Engine,
    writing: Writing,
    name: str,
    role: str,
    password: str,
    *,
    by: str,
    hasher: PasswordHasher,
) -> Account:
    """Create an account and log it ("account" event, change "added")."""
    check_name(name)
    check_role(role)
    password_hash = hasher.hash(check_password(password))
    now = time.time()
    with writing() as case, session(engine) as db:
        row = AccountRow(
            name=name, role=role, password_hash=password_hash, created_at=now, updated_at=now
        )
        db.add(row)
        try:
            db.flush()
        except IntegrityError:
            raise AccountExists(f"account {name!r} already exists") from None
        details = {"account": name, "role": role, "change": "added", "by": by}
        _record_and_commit(db, case, details)
        return _account(row)


def list_accounts(engine: Engine) -> list[Account]:
    with session(engine) as db:
        rows = db.scalars(select(AccountRow).order_by(AccountRow.name)).all()
        return [_account(row) for row in rows]


def get_account(engine: Engine, name: str) -> Account:
    with session(engine) as db:
        row = db.scalar(select(AccountRow).where(AccountRow.name == name))
        if row is None:
            raise AccountNotFound(f"account {name!r} does not exist")
        return _account(row)


def _owners(db: Session, exclude: int) -> int:
    """Owners other than the account ``exclude``."""
    count = db.scalar(
        select(func.count())
        .select_from(AccountRow)
        .where(AccountRow.role == "owner", AccountRow.id != exclude)
    )
    return int(count or 0)


def set_role(engine: Engine, writing: Writing, name: str, role: str, *, by: str) -> Account:
    """Change an account's role and log it (change "role"). The last owner stays an owner:
    otherwise nobody could manage accounts from the workbench again."""
    check_role(role)
    with writing() as case, session(engine) as db:
        row = db.scalar(select(AccountRow).where(AccountRow.name == name).with_for_update())
        if row is None:
            raise AccountNotFound(f"account {name!r} does not exist")
        if row.role == role:
            return _account(row)
        if row.role == "owner" and _owners(db, row.id) == 0:
            raise AccountError(f"account {name!r} is the last owner; make another owner first")
        row.role = role
        row.updated_at = time.time()
        db.flush()
        details = {"account": name, "role": role, "change": "role", "by": by}
        _record_and_commit(db, case, details)
        return _account(row)


def remove_account(engine: Engine, writing: Writing, name: str, *, by: str) -> None:
    """Delete an account and its sessions, and log it (change "removed")."""
    from earwitness.web.sessions import SessionRow

    with writing() as case, session(engine) as db:
        row = db.scalar(select(AccountRow).where(AccountRow.name == name).with_for_update())
        if row is None:
            raise AccountNotFound(f"account {name!r} does not exist")
        if row.role == "owner" and _owners(db, row.id) == 0:
            raise AccountError(f"account {name!r} is the last owner; make another owner first")
        role = row.role
        db.execute(delete(SessionRow).where(SessionRow.account_id == row.id))
        db.delete(row)
        db.flush()
        details = {"account": name, "role": role, "change": "removed", "by": by}
        _record_and_commit(db, case, details)


_DUMMY_HASHES: dict[tuple[int, int, int], str] = {}


def _dummy_hash(hasher: PasswordHasher) -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash("not a password: the name was unknown")
    return _DUMMY_HASHES[key]


def verify_password(
    engine: Engine, name: str, password: str, *, hasher: PasswordHasher
) -> Account | None:
    """The account if ``password`` is its password, else None.

    An unknown (or malformed) name costs one Argon2 verification all the same, so the time
    of a refusal does not say which names exist. A hash made with other parameters than
    ``hasher``'s is replaced after a successful check.
    """
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        password = ""
    row: AccountRow | None = None
    if isinstance(name, str) and NAME_PATTERN.fullmatch(name):
        with session(engine) as db:
            row = db.scalar(select(AccountRow).where(AccountRow.name == name))
    if row is None:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(hasher), password)
        return None
    try:
        hasher.verify(row.password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(row.password_hash):
        with session(engine) as db:
            stored = db.get(AccountRow, row.id)
            if stored is not None:
                stored.password_hash = hasher.hash(password)
                db.commit()
    return _account(row)
