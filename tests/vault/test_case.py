import sqlite3
from pathlib import Path

import pytest

from earwitness.errors import CaseNotFound
from earwitness.vault import custody
from earwitness.vault.case import Case, find_case_root


def test_init_lays_out_the_case_and_logs_it(tmp_path: Path) -> None:
    case, created = Case.init(tmp_path / "c")
    assert created
    meta = tmp_path / "c" / ".earwitness"
    for name in ("catalog.sqlite", "custody.jsonl", "objects", "keys", "lock"):
        assert (meta / name).exists(), name
    events = list(custody.iter_events(case.paths.custody))
    assert [e.action for e in events] == ["init"]
    assert len(list((meta / "keys").glob("*.pub"))) == 1


def test_init_twice_changes_nothing(tmp_path: Path) -> None:
    Case.init(tmp_path)
    before = (tmp_path / ".earwitness" / "custody.jsonl").read_bytes()
    _, created = Case.init(tmp_path)
    assert not created
    assert (tmp_path / ".earwitness" / "custody.jsonl").read_bytes() == before


def test_catalog_is_sqlite_in_wal_mode_at_the_newest_migration(case: Case) -> None:
    with sqlite3.connect(case.paths.catalog) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0001"
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"events", "exhibits", "intakes", "artefacts"} <= tables


def test_catalog_revision_constant_is_alembics_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from earwitness.vault.case import _MIGRATIONS, CATALOG_REVISION

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    assert ScriptDirectory.from_config(config).get_current_head() == CATALOG_REVISION


def test_case_is_found_from_a_subfolder_by_option_and_by_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Case.init(tmp_path / "c")
    deep = tmp_path / "c" / "a" / "b"
    deep.mkdir(parents=True)
    assert find_case_root(start=deep) == (tmp_path / "c").resolve()
    assert find_case_root(explicit=tmp_path / "c") == (tmp_path / "c").resolve()
    monkeypatch.setenv("EARWITNESS_CASE", str(tmp_path / "c"))
    assert find_case_root(start=Path("/")) == (tmp_path / "c").resolve()


def test_no_case_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CaseNotFound, match="no Earwitness case"):
        find_case_root(start=tmp_path)
    with pytest.raises(CaseNotFound, match="not an Earwitness case"):
        find_case_root(explicit=tmp_path)


def test_catalog_that_fell_behind_is_rebuilt_from_the_log(case: Case, tmp_path: Path) -> None:
    """A crash between the log append and the catalog commit: the log wins."""
    from earwitness.vault.intake import ingest_paths
    from tests.conftest import write_wav

    ingest_paths(case, [write_wav(tmp_path / "a.wav", 0.2)])
    case.paths.catalog.unlink()
    for suffix in ("-wal", "-shm"):
        Path(f"{case.paths.catalog}{suffix}").unlink(missing_ok=True)
    reopened = Case.open(case.paths.root)
    with reopened.writing():
        pass
    from earwitness.vault.verify import verify_case

    report = verify_case(reopened)
    assert report.ok, report.problems
    from earwitness.vault.refs import resolve_exhibit

    assert resolve_exhibit(reopened, "a.wav")
