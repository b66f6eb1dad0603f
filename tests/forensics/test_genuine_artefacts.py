"""Genuine recordings and their messenger transcodes: artefacts are not edits.

Real recordings from ../shared/data/real, encoded with PyAV as messengers send them (Opus 16
and 24 kbit/s, AAC 32 kbit/s, MP3 64 kbit/s, AAC then Opus), then examined whole: no edit
point may reach 0.5. The FLEURS clip and the pyannote meeting excerpt each hold one sample out
of line in the original, which is a dropout, in every copy; the FFmpeg encoder tag each copy
carries is an observation, not an inconsistency; mains hum under speech that starts after
silence stays continuous through the codecs.
"""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from scipy.signal import resample_poly

from earwitness.forensics.enf import check as enf_check
from earwitness.forensics.examine import examine
from earwitness.forensics.findings import Finding
from earwitness.forensics.recording import ExhibitFacts
from earwitness.media.decode import decode_audio
from earwitness.media.probe import probe
from tests.conftest import shared
from tests.forensics.transcode import MESSENGER, encode, messenger_copy

# (recording, where its original holds one sample out of line)
DROPOUTS = [
    ("speech/en/fleurs-en-cuttledoc/fleurs-en-002.ogg", 6.43),
    ("diarization/pyannote-audio/tests_data/tst01.wav", 12.49),
]


def copies(source: Path, folder: Path) -> list[Path]:
    """The original, its four messenger copies and an AAC copy forwarded again as Opus."""
    audio = decode_audio(source)
    samples = audio.samples.astype(np.float64)
    made = [source]
    for name in MESSENGER:
        made.append(messenger_copy(samples, audio.sample_rate, folder, name))
    aac = decode_audio(folder / "aac32.m4a")
    made.append(
        encode(
            aac.samples.astype(np.float64),
            aac.sample_rate,
            folder / "aac-opus16.ogg",
            "libopus",
            16_000,
        )
    )
    return made


def findings_of(path: Path) -> list[Finding]:
    audio = decode_audio(path)
    facts = ExhibitFacts("0" * 64, path.name, path.stat().st_size, probe(path).to_dict())
    return examine(audio.samples, audio.sample_rate, facts).findings


@pytest.mark.slow
@pytest.mark.parametrize(("name", "at"), DROPOUTS)
def test_a_dropout_in_the_original_is_no_edit_point_in_any_copy(
    name: str, at: float, tmp_path: Path
) -> None:
    found_dropout = 0
    for path in copies(shared(f"data/real/{name}"), tmp_path):
        findings = findings_of(path)
        strong = [f for f in findings if f.kind == "edit_point" and f.score >= 0.5]
        assert strong == [], f"{path.name}: {strong}"
        found_dropout += any(
            f.kind == "dropout" and abs(f.start_s + 0.01 - at) < 0.02 for f in findings
        )
        if path.parent == tmp_path:  # a copy, carrying FFmpeg's encoder tag
            tags = [f for f in findings if f.check == "container_metadata"]
            assert all(f.kind != "metadata_inconsistency" for f in tags), path.name
            assert any(f.kind == "other" and "Lavf" in str(f.evidence) for f in tags), path.name
            assert all(f.score <= 0.2 for f in tags if "Lavf" in str(f.evidence)), path.name
    # Low bit rates smear the lone sample until it no longer stands out; the others keep it.
    assert found_dropout >= 3


def real_hum(count: int, rate: int) -> np.ndarray:
    """Real mains hum (ENF-WHU's H1 reference, 400 Hz: the fundamental and its third
    harmonic), resampled to ``rate``, unit RMS."""
    path = shared("data/real/enf/enf-whu/H1_ref/001_ref.wav")
    with wave.open(str(path), "rb") as handle:
        handle.setpos(60 * 400)
        raw = np.frombuffer(handle.readframes(count * 400 // rate + 800), dtype="<i2")
    hum = resample_poly(raw.astype(np.float64), rate, 400)[:count]
    return hum / np.sqrt(np.mean(hum**2))


def test_hum_under_speech_that_starts_after_silence_stays_continuous_through_codecs(
    tmp_path: Path,
) -> None:
    """pyannote's tst00: 3.7 s of room before the first word, 30 s in all; hum 40 dB under
    the speech, continuous throughout, as a mains-powered recorder picks it up."""
    audio = decode_audio(shared("data/real/diarization/pyannote-audio/tests_data/tst00.wav"))
    speech = resample_poly(audio.samples.astype(np.float64), 3, 1)  # 48 kHz, as sent
    rate = 48_000
    mixed = speech + real_hum(len(speech), rate) * np.sqrt(np.mean(speech**2)) * 10 ** (-40 / 20)
    for name in ("opus16", "opus24", "aac32"):
        copy = decode_audio(messenger_copy(mixed, rate, tmp_path, name))
        tracks: dict = {}
        result = enf_check.check_enf(copy.samples, copy.sample_rate, None, tracks)
        assert result.status == "ok", name
        assert [f for f in result.findings if f.score >= 0.5] == [], name
        # No whole-cycle wraps drawn as jumps: the reliable points stay within half a cycle.
        _, phase = tracks["enf_phase"]
        finite = phase[np.isfinite(phase)]
        assert len(finite) > 0.3 * len(phase)
        assert np.max(np.abs(np.diff(finite))) < np.pi, name
