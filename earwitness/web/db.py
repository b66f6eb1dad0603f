"""The workbench database: SQLite in the case folder by default, PostgreSQL for a team server.

Both run the same Alembic migrations (``web/migrations``). Each concern (accounts, review,
search, jobs) is its own migration branch from the base, so ``upgrade heads`` brings a new or
old database to the newest schema of every concern. Nothing here is evidence: the custody log
is, and the review tables are a projection of it that can be rebuilt.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session

_MIGRATIONS = Path(__file__).with_name("migrations")
DEFAULT_FILE_NAME = "workbench.sqlite"


class Base(DeclarativeBase):
    """Every workbench table's ORM class derives from this one (one metadata for Alembic)."""


class DatabaseUrlError(ValueError):
    """A ``--db`` value that names no database Earwitness can use."""


def database_url(db: str | None, case_meta: Path) -> str:
    """The SQLAlchemy URL for ``--db`` (``postgresql://…`` or a path), SQLite in the case by
    default. ``postgresql://`` gets the psycopg (3) driver, the one installed."""
    if not db:
        return f"sqlite:///{case_meta / DEFAULT_FILE_NAME}"
    if db.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    if db.startswith(("postgresql+psycopg://", "sqlite:///")):
        return db
    if "://" in db:
        raise DatabaseUrlError(f"{db!r}: --db takes postgresql://… or a path to a SQLite file")
    return f"sqlite:///{Path(db).expanduser().resolve()}"


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite gets WAL and a busy timeout so the server and the worker
    process can write the same file."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            json_serializer=lambda value: json.dumps(value, ensure_ascii=False),
            connect_args={"check_same_thread": False, "timeout": 30},
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(
        url,
        json_serializer=lambda value: json.dumps(value, ensure_ascii=False),
        pool_size=20,
        max_overflow=10,
        pool_pre_ping=True,
    )


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def migrate(engine: Engine) -> None:
    """Bring every branch of the workbench schema to its newest migration."""
    from alembic import command
    from alembic.config import Config

    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")


def open_database(url: str) -> Engine:
    """An engine on the workbench database at ``url``, its schema brought up to date."""
    engine = make_engine(url)
    migrate(engine)
    return engine


def session(engine: Engine) -> Session:
    return Session(engine, expire_on_commit=False)
