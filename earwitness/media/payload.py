"""What a file's own headers declare about its length, against the bytes it holds.

FFmpeg reads a truncated file without complaint and reports the length it could read: a WAV
whose data chunk declares 14 s but holds 4 s is "4.1 s" to it, and an Ogg stream cut between
pages simply ends. Whether a file ends before its header says it should is a fact of the
bytes, so it is read from the bytes: the RIFF and data chunk sizes of a WAV, the frame headers
of MPEG audio (and the frame count of a Xing/Info or VBRI header), the frame lengths of ADTS
AAC, the pages of Ogg and the top-level boxes of MP4. Pure reading, no decoding; one pass over
frame or page headers, through a memory map.

``payload_facts`` returns plain data (it is written into the probe result), or None for a
format it does not read or a file whose structure it cannot follow (then it says nothing).
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}
_BITRATES = {  # kbit/s by (MPEG-1?, layer) and index
    (True, 1): (0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448),
    (True, 2): (0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384),
    (True, 3): (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320),
    (False, 1): (0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256),
    (False, 2): (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160),
}
_ADTS_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000)


def payload_facts(path: Path, container: str) -> dict[str, Any] | None:
    """Declared against present length of ``path``, whose demuxer FFmpeg named ``container``.

    Keys (those that apply): ``format``; ``file_bytes``; ``declared_bytes`` and
    ``present_bytes`` (of the payload the header sizes: the WAV data chunk, an MP4 box);
    ``declared_s`` and ``present_s`` (durations those imply); ``declared_frames`` and
    ``present_frames``; ``incomplete_unit`` (``"sample frame"``, ``"frame"``, ``"page"``,
    ``"box"``) with ``unit_declared_bytes`` and ``unit_present_bytes`` for a final unit cut
    short; ``end_of_stream`` (Ogg: whether the last page carries the end-of-stream mark).
    """
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, 2)
            if size == 0:
                return None
            with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                reader = _READERS.get(container)
                facts = reader(data) if reader else None
    except (OSError, ValueError, struct.error):
        return None
    if facts is not None:
        facts = {"format": container.split(",")[0], "file_bytes": size, **facts}
    return facts


def _wav(data: mmap.mmap) -> dict[str, Any] | None:
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        return None
    facts: dict[str, Any] = {"riff_declared_bytes": struct.unpack("<I", data[4:8])[0] + 8}
    at, byte_rate, align = 12, 0, 0
    while at + 8 <= len(data):
        chunk, declared = data[at : at + 4], struct.unpack("<I", data[at + 4 : at + 8])[0]
        body = at + 8
        if chunk == b"fmt " and body + 14 <= len(data):
            byte_rate, align = struct.unpack("<IH", data[body + 8 : body + 14])
        elif chunk == b"data":
            if declared in (0, 0xFFFFFFFF) or not byte_rate:
                return None  # a streaming writer's placeholder: no length declared
            present = min(declared, len(data) - body)
            facts.update(
                declared_bytes=declared,
                present_bytes=present,
                declared_s=round(declared / byte_rate, 6),
                present_s=round(present / byte_rate, 6),
            )
            if align and present % align:
                facts.update(
                    incomplete_unit="sample frame",
                    unit_declared_bytes=align,
                    unit_present_bytes=present % align,
                )
            return facts
        at = body + declared + (declared & 1)
    return None


def _mpeg_header(data: mmap.mmap, at: int) -> tuple[int, int, int] | None:
    """(frame bytes, samples per frame, sample rate) of an MPEG audio frame header at ``at``."""
    if at + 4 > len(data):
        return None
    b1, b2 = data[at + 1], data[at + 2]
    if data[at] != 0xFF or (b1 & 0xE0) != 0xE0:
        return None
    version, layer_bits = (b1 >> 3) & 3, (b1 >> 1) & 3
    rate_index, bit_index = (b2 >> 2) & 3, b2 >> 4
    if version == 1 or layer_bits == 0 or rate_index == 3 or bit_index in (0, 15):
        return None
    layer = 4 - layer_bits
    mpeg1 = version == 3
    table = _BITRATES[(mpeg1, layer if mpeg1 or layer == 1 else 2)]
    bit_rate, rate, padding = (
        table[bit_index] * 1000,
        _MPEG_RATES[version][rate_index],
        (b2 >> 1) & 1,
    )
    if layer == 1:
        return (12 * bit_rate // rate + padding) * 4, 384, rate
    samples = 1152 if layer == 2 or mpeg1 else 576
    return samples // 8 * bit_rate // rate + padding, samples, rate


def _mp3(data: mmap.mmap) -> dict[str, Any] | None:
    at = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        tag = data[6:10]
        at = 10 + ((tag[0] << 21) | (tag[1] << 14) | (tag[2] << 7) | tag[3])
        at += 10 if data[5] & 0x10 else 0
    end = len(data)
    if end >= 128 and data[end - 128 : end - 125] == b"TAG":
        end -= 128  # an ID3v1 tag closes the file
    first = _mpeg_header(data, at)
    if first is None:
        return None
    declared_frames = _xing_frames(data, at)
    facts: dict[str, Any] = {}
    frames = 0
    while at < end:
        header = _mpeg_header(data, at)
        if header is None:
            if data[at : at + 8] == b"APETAGEX" or data[at : at + 3] == b"TAG":
                break  # trailing tags
            return None  # sync lost: a structure this reader does not follow
        length, samples, rate = header
        if at + length > end:
            facts.update(
                incomplete_unit="frame", unit_declared_bytes=length, unit_present_bytes=end - at
            )
            break
        frames += 1
        at += length
    _, samples, rate = first
    if declared_frames is not None:
        frames -= 1  # the Xing/Info or VBRI frame is silent and not counted in its own total
        facts.update(
            declared_frames=declared_frames, declared_s=round(declared_frames * samples / rate, 6)
        )
    facts.update(present_frames=frames, present_s=round(frames * samples / rate, 6))
    return facts


def _xing_frames(data: mmap.mmap, at: int) -> int | None:
    """The frame count of a Xing/Info or VBRI header in the frame at ``at``, if it has one."""
    mpeg1, mono = (data[at + 1] >> 3) & 3 == 3, (data[at + 3] >> 6) == 3
    side = (17 if mono else 32) if mpeg1 else (9 if mono else 17)
    xing = at + 4 + side
    if data[xing : xing + 4] in (b"Xing", b"Info"):
        flags = struct.unpack(">I", data[xing + 4 : xing + 8])[0]
        if flags & 1:
            return int(struct.unpack(">I", data[xing + 8 : xing + 12])[0])
    vbri = at + 36
    if data[vbri : vbri + 4] == b"VBRI":
        return int(struct.unpack(">I", data[vbri + 14 : vbri + 18])[0])
    return None


def _adts(data: mmap.mmap) -> dict[str, Any] | None:
    at = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        tag = data[6:10]
        at = 10 + ((tag[0] << 21) | (tag[1] << 14) | (tag[2] << 7) | tag[3])
    frames, rate = 0, 0
    facts: dict[str, Any] = {}
    while at + 7 <= len(data):
        if data[at] != 0xFF or (data[at + 1] & 0xF6) != 0xF0:
            return None if not frames else facts | {"present_frames": frames}
        rate_index = (data[at + 2] >> 2) & 0xF
        rate = _ADTS_RATES[rate_index] if rate_index < len(_ADTS_RATES) else 0
        length = ((data[at + 3] & 3) << 11) | (data[at + 4] << 3) | (data[at + 5] >> 5)
        if length < 7:
            return None
        if at + length > len(data):
            facts.update(
                incomplete_unit="frame",
                unit_declared_bytes=length,
                unit_present_bytes=len(data) - at,
            )
            break
        frames += 1
        at += length
    facts["present_frames"] = frames
    if rate:
        facts["present_s"] = round(frames * 1024 / rate, 6)
    return facts


def _ogg(data: mmap.mmap) -> dict[str, Any] | None:
    at, pages, last_flags = 0, 0, 0
    facts: dict[str, Any] = {}
    while at + 27 <= len(data):
        if data[at : at + 4] != b"OggS":
            return None
        count = data[at + 26]
        length = 27 + count + sum(data[at + 27 : at + 27 + count])
        if at + length > len(data):
            facts.update(
                incomplete_unit="page",
                unit_declared_bytes=length,
                unit_present_bytes=len(data) - at,
            )
            break
        pages += 1
        last_flags = data[at + 5]
        at += length
    else:
        if at < len(data):  # fewer than a page header's bytes left over
            facts.update(incomplete_unit="page", unit_present_bytes=len(data) - at)
    if not pages:
        return None
    facts.update(pages=pages, end_of_stream=bool(last_flags & 4))
    return facts


def _mp4(data: mmap.mmap) -> dict[str, Any] | None:
    at, boxes = 0, []
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        header = 8
        if size == 1 and at + 16 <= len(data):
            size, header = struct.unpack(">Q", data[at + 8 : at + 16])[0], 16
        elif size == 0:
            size = len(data) - at  # the box runs to the end of the file, by definition
        if size < header:
            return None
        name = kind.decode("latin-1")
        boxes.append(name)
        if at + size > len(data):
            return {
                "boxes": boxes,
                "incomplete_unit": "box",
                "incomplete_box": name,
                "unit_declared_bytes": size,
                "unit_present_bytes": len(data) - at,
            }
        at += size
    return {"boxes": boxes}


_READERS = {
    "wav": _wav,
    "mp3": _mp3,
    "aac": _adts,
    "ogg": _ogg,
    "mov,mp4,m4a,3gp,3g2,mj2": _mp4,
}
