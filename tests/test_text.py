"""Text from outside, made safe to record (``recordable``), to show (``shown``) and to give as a
shell word a reader can see whole (``shell_word``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from earwitness.text import recordable, shell_word, shown


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


@pytest.mark.parametrize(
    ("name", "word"),
    [
        ("leak 1.wav", "'leak 1.wav'"),
        ("leak\u202egpj.wav", "$'leak\\xe2\\x80\\xaegpj.wav'"),
        ("it's\\x\n.wav", "$'it\\'s\\\\x\\n.wav'"),
    ],
)
def test_a_shell_word_shows_what_it_holds(name: str, word: str) -> None:
    assert shell_word(name) == word
    assert shell_word(name).isprintable()


# No NUL: no shell word can hold one. Surrogates are names that did not decode; the shell
# gives back their bytes, checked in the test below.
C_LOCALE = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}  # the hardest case
_SHELL_TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
@settings(max_examples=60, deadline=None)
@given(st.lists(_SHELL_TEXT, min_size=1, max_size=6))
def test_bash_reads_each_shell_word_back_as_the_same_text(words: list[str]) -> None:
    script = "printf '%s\\0' " + " ".join(shell_word(w) for w in words)
    out = subprocess.run(
        ["bash", "-c", script], capture_output=True, check=True, env=C_LOCALE
    ).stdout
    assert out.split(b"\0")[:-1] == [w.encode("utf-8") for w in words]


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_a_name_that_did_not_decode_is_given_back_as_its_bytes() -> None:
    name = os.fsdecode(b"\xe7\xe0.wav")
    script = f"printf %s {shell_word(name)}"
    out = subprocess.run(["bash", "-c", script], capture_output=True, env=C_LOCALE)
    assert out.stdout == b"\xe7\xe0.wav"
