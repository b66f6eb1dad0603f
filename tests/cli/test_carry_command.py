"""``earwitness carry-review``: what it says, and its one-line refusal."""

from __future__ import annotations

import pytest

from earwitness.cli import main
from earwitness.jobs.review import record_edit
from earwitness.review.edits import CorrectText
from earwitness.vault.artefacts import ArtefactRecord
from earwitness.vault.case import Case
from tests.jobs.test_carry_review import exhibit, remade

__all__ = ["exhibit", "remade"]  # fixtures


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_command_lists_what_is_left_behind(
    case: Case,
    exhibit: str,
    remade: tuple[ArtefactRecord, ArtefactRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _older, newer = remade
    # Someone corrected segment 1 on the newer transcript before the carry.
    record_edit(case, exhibit, newer, CorrectText(1, "how are you Viktor"), "dmitri")
    args = ["carry-review", exhibit[:12], "--by", "clara", "--case", str(case.paths.root)]
    code, out, _ = run(capsys, *args, "--dry-run")
    assert code == 0, out
    assert "Would carry 2 edits" in out
    assert (
        "00:00:03.0–00:00:04.9  the reviewed segment: edited on the newer transcript already" in out
    )
    code, out, _ = run(capsys, *args)
    assert code == 0 and "Carried 2 edits" in out
    code, out, err = run(capsys, *args)
    assert code != 0 and "carried to" in err and "Traceback" not in err
    assert err.count("\n") == 1
