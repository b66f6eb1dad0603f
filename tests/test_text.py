"""Text from outside, made safe to record (``recordable``) and to show (``shown``)."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from earwitness.text import recordable, shown


@pytest.mark.parametrize(
    ("raw", "recorded", "displayed"),
    [
        ("запись.wav", "запись.wav", "запись.wav"),
        (os.fsdecode(b"\xe7\xe0.wav"), r"\xe7\xe0.wav", r"\xe7\xe0.wav"),
        ("a\nb\x1b[31m.wav", "a\nb\x1b[31m.wav", r"a\nb\u001b[31m.wav"),
        ("evil\u202egnp.exe", "evil\u202egnp.exe", r"evil\u202egnp.exe"),
        ("zero\u200bwidth\u0085", "zero\u200bwidth\u0085", r"zero\u200bwidth\u0085"),
        (
            "no-break\u00a0space and tab\t",
            "no-break\u00a0space and tab\t",
            "no-break\\u00a0space and tab\\t",
        ),
    ],
)
def test_names_are_recorded_as_they_are_and_shown_with_escapes(
    raw: str, recorded: str, displayed: str
) -> None:
    assert recordable(raw) == recorded
    assert shown(raw) == displayed


def test_lines_and_tabs_may_stay_where_text_spans_lines() -> None:
    assert shown("one\ntwo\tthree\x1b", keep_lines=True) == "one\ntwo\tthree\\u001b"


@given(st.text())
def test_anything_shown_is_one_printable_line(text: str) -> None:
    assert shown(text).isprintable()


@given(st.binary(max_size=40))
def test_any_file_name_bytes_can_be_logged(name: bytes) -> None:
    recorded = recordable(os.fsdecode(name))
    assert json.loads(json.dumps(recorded, ensure_ascii=False)) == recorded
    recorded.encode("utf-8")  # no lone surrogate left
    try:
        assert recorded == name.decode("utf-8")  # a valid UTF-8 name is kept unchanged
    except UnicodeDecodeError:
        assert "\\x" in recorded
