"""The index of a report over several recordings links each dossier, relative to itself."""

from __future__ import annotations

from pathlib import Path

from earwitness.forensics.truncation import Shortfall
from earwitness.reports.report_index import IndexRow, write_index


def test_index_links_every_dossier_and_escapes_names(tmp_path: Path) -> None:
    reports = [
        IndexRow(
            "<b>a</b>.mp3", "a" * 64, 61.0, 0.93, "ru", 2, tmp_path / "a-aaaa" / "index.html", -1.4
        ),
        IndexRow("b.wav", "b" * 64, 5.0, 0.0, None, 0, tmp_path / "b-bbbb" / "index.html"),
    ]
    page = write_index(tmp_path, reports).read_text()
    assert 'href="a-aaaa/index.html"' in page and 'href="b-bbbb/index.html"' in page
    assert "&lt;b&gt;a&lt;/b&gt;.mp3" in page and "<b>a</b>" not in page
    assert "0.93" in page and "61.0 s" in page
    assert "moderate support for unedited (-1.4)" in page
    assert "not calibrated" in page  # b.wav's report predates calibration
    assert not list(tmp_path.glob(".index*"))


def test_a_truncated_recording_says_so_beside_its_length(tmp_path: Path) -> None:
    """Half of a file missing is what a reader must see first, not only in its dossier."""
    rows = [
        IndexRow(
            "cut.m4a",
            "c" * 64,
            30.42,
            0.0,
            "ru",
            1,
            tmp_path / "c" / "index.html",
            -0.6,
            Shortfall(61.73, 30.42),
        ),
        IndexRow(
            "cut.aac",
            "d" * 64,
            9.0,
            0.0,
            "ru",
            1,
            tmp_path / "d" / "index.html",
            -0.6,
            Shortfall(None, 9.0),
        ),
    ]
    assert rows[0].length() == "30.4 s (truncated: 61.7 s declared)"
    assert rows[1].length() == "9.0 s (truncated, length meant unknown)"
    page = write_index(tmp_path, rows).read_text()
    assert "<td>30.4 s (truncated: 61.7 s declared)</td>" in page
    assert "<td>9.0 s (truncated, length meant unknown)</td>" in page
