"""Server-side login sessions.

The browser holds only a random 32-byte token (cookie ``earwitness_session``: HttpOnly,
SameSite=Strict, Path=/, Secure unless the server is on loopback only); the table holds its
SHA-256, so a copy of the database does not let anyone log in. Each session has its own CSRF
token, which pages carry in ``<meta name="csrf-token">`` and scripts send as X-CSRF-Token.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import Float, ForeignKey, Integer, String, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, mapped_column
from starlette.responses import Response

from earwitness.web.accounts import Account, AccountRow
from earwitness.web.db import Base, session
from earwitness.web.state import Settings

COOKIE = "earwitness_session"
TOKEN_BYTES = 32


class SessionRow(Base):
    __tablename__ = "sessions"

    token_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[float] = mapped_column(Float, nullable=False)
    expires_at: Mapped[float] = mapped_column(Float, nullable=False)


@dataclass(frozen=True)
class LoginSession:
    account: Account
    csrf_token: str
    expires_at: float


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogateescape")).hexdigest()


def create_session(engine: Engine, account: Account, hours: float) -> tuple[str, LoginSession]:
    """A new session for ``account``: (the cookie's token, the session). Always a fresh token,
    never one the browser brought (no session fixation). Expired sessions are dropped."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    csrf = secrets.token_urlsafe(TOKEN_BYTES)
    now = time.time()
    expires = now + hours * 3600
    with session(engine) as db:
        db.execute(delete(SessionRow).where(SessionRow.expires_at < now))
        db.add(
            SessionRow(
                token_sha256=_digest(token),
                account_id=account.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=expires,
            )
        )
        db.commit()
    return token, LoginSession(account, csrf, expires)


def lookup_session(engine: Engine, token: str | None) -> LoginSession | None:
    """The live session whose token is ``token``, with its account as it is now (a changed
    role applies at once), or None."""
    if not token or len(token) > 128:
        return None
    with session(engine) as db:
        found = db.execute(
            select(SessionRow, AccountRow)
            .join(AccountRow, AccountRow.id == SessionRow.account_id)
            .where(SessionRow.token_sha256 == _digest(token))
        ).first()
    if found is None:
        return None
    row, account = found
    if row.expires_at < time.time():
        end_session(engine, token)
        return None
    return LoginSession(
        Account(id=account.id, name=account.name, role=account.role),
        row.csrf_token,
        row.expires_at,
    )


def end_session(engine: Engine, token: str | None) -> None:
    if not token:
        return
    with session(engine) as db:
        db.execute(delete(SessionRow).where(SessionRow.token_sha256 == _digest(token)))
        db.commit()


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        path="/",
        secure=settings.cookies_secure,
        httponly=True,
        samesite="strict",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        COOKIE, path="/", secure=settings.cookies_secure, httponly=True, samesite="strict"
    )
