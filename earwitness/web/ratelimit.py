"""Login rate limiting, per account name and per client address, kept in the database so a
restart (or a second server process on the same database) does not reset it.

Keys are stored as SHA-256 digests: people type passwords into the name field, and the
table should not collect them.
"""

from __future__ import annotations

import hashlib
import math
import time

from sqlalchemy import Float, Integer, String, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column

from earwitness.web.db import Base, session
from earwitness.web.state import Settings


class LoginAttempt(Base):
    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # "name" | "address"
    key_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[float] = mapped_column(Float, nullable=False)


def _key(kind: str, value: str) -> str:
    normal = value.strip().casefold() if kind == "name" else value
    return hashlib.sha256(f"{kind}\0{normal}".encode("utf-8", "surrogateescape")).hexdigest()


def retry_after(engine: Engine, name: str, address: str, settings: Settings) -> int | None:
    """Seconds until a login for ``name`` from ``address`` may be tried again, or None if it
    may be tried now."""
    now = time.time()
    since = now - settings.login_window_s
    waits = []
    with session(engine) as db:
        for kind, value, limit in (
            ("name", name, settings.login_failures_per_name),
            ("address", address, settings.login_failures_per_address),
        ):
            times = db.scalars(
                select(LoginAttempt.at)
                .where(
                    LoginAttempt.kind == kind,
                    LoginAttempt.key_sha256 == _key(kind, value),
                    LoginAttempt.at >= since,
                )
                .order_by(LoginAttempt.at.desc())
                .limit(limit)
            ).all()
            if len(times) >= limit:
                # Free again once the oldest of the last ``limit`` failures leaves the window.
                waits.append(times[-1] + settings.login_window_s - now)
    if not waits:
        return None
    return max(1, math.ceil(max(waits)))


def record_failure(engine: Engine, name: str, address: str, settings: Settings) -> None:
    now = time.time()
    with session(engine) as db:
        db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - settings.login_window_s))
        db.add(LoginAttempt(kind="name", key_sha256=_key("name", name), at=now))
        db.add(LoginAttempt(kind="address", key_sha256=_key("address", address), at=now))
        db.commit()


def clear_name(engine: Engine, name: str) -> None:
    """Forget a name's failures after a successful login (its address's stay counted)."""
    with session(engine) as db:
        db.execute(
            delete(LoginAttempt).where(
                LoginAttempt.kind == "name", LoginAttempt.key_sha256 == _key("name", name)
            )
        )
        db.commit()


def failures(engine: Engine) -> int:
    """All failures on record (for tests and the admin page)."""
    with session(engine) as db:
        return int(db.scalar(select(func.count()).select_from(LoginAttempt)) or 0)
