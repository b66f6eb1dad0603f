"""Text from outside (file names, paths, tags), made safe to record and to show.

A leak arrives as files named by whoever made them. A zip made on a Russian-language Windows
machine and unpacked on Linux gives names in CP1251 bytes, which are no UTF-8: Python hands
them over with each undecodable byte as a lone surrogate, which no JSON log or terminal takes.
A name may also hold a newline, a terminal escape sequence or a right-to-left override, and
so break a one-line message, recolour or rewrite the terminal, or make one name look like
another. ``recordable`` keeps the name as it is wherever Unicode can carry it; ``shown``
makes it one line that shows every character that is there.
"""

from __future__ import annotations

import shlex

# Lone surrogates U+DC80–U+DCFF are the bytes 0x80–0xFF that did not decode
# (``os.fsdecode``'s surrogateescape).
_ESCAPED_BYTES = range(0xDC80, 0xDD00)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def recordable(text: str) -> str:
    """``text`` with each byte that did not decode written as ``\\xNN`` (its value): valid
    Unicode, so any log or catalog can hold it, and the same as ``text`` for every name that
    was valid UTF-8. Everything else, newlines and overrides included, is kept as it is."""
    if text.isascii():
        return text
    return "".join(_escape(ch) if _is_surrogate(ch) else ch for ch in text)


def shown(text: object, keep_lines: bool = False) -> str:
    """``text`` as a terminal or a one-line message may show it: every character Python
    calls unprintable (controls; invisible format characters such as bidirectional overrides
    and zero widths; separators but the space; private-use and unassigned code points), and
    every byte that did not decode, written as a Python escape
    (``\\n``, ``\\u001b``, ``\\u202e``; ``\\xff`` for a byte that did not decode), so
    what is shown is what is there.
    ``keep_lines``: newlines and tabs stay, for text that is meant to span lines."""
    text = str(text)
    if text.isprintable():
        return text
    kept = ("\n", "\t") if keep_lines else ()
    return "".join(ch if ch.isprintable() or ch in kept else _escape(ch) for ch in text)


def shell_word(text: str) -> str:
    """``text`` as one word of a POSIX shell command that a reader can see whole: quoted as
    ``shlex.quote`` does, or, where it holds a character that does not show, in bash's
    ``$'…'`` quoting with that character written as its UTF-8 bytes
    (``$'leak\\xe2\\x80\\xaegpj.wav'`` for a right-to-left override), which bash, zsh and
    ksh read back as the same bytes whatever the locale (``\\u202e`` would not be, in a C
    locale). A byte that did not decode is written as that byte."""
    if text.isprintable():
        return shlex.quote(text)
    return "$'" + "".join(_shell_char(ch) for ch in text) + "'"


def _shell_char(ch: str) -> str:
    if ch in "\\'":
        return "\\" + ch
    if ch.isprintable():
        return ch
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    raw = bytes([code - 0xDC00]) if code in _ESCAPED_BYTES else ch.encode("utf-8", "surrogatepass")
    return "".join(f"\\x{byte:02x}" for byte in raw)


def _is_surrogate(ch: str) -> bool:
    return 0xD800 <= ord(ch) <= 0xDFFF


def _escape(ch: str) -> str:
    code = ord(ch)
    if ch in _NAMED:
        return _NAMED[ch]
    if code in _ESCAPED_BYTES:
        return f"\\x{code - 0xDC00:02x}"
    # A character is written \uNNNN even below 0x100, so "\xNN" always means a byte that
    # did not decode, never a character that is there.
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def timecode(seconds: float) -> str:
    """``HH:MM:SS.s``, as reports and the command line show a time in a recording."""
    hours, rest = divmod(max(seconds, 0.0), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{int(hours):02}:{int(minutes):02}:{secs:04.1f}"
