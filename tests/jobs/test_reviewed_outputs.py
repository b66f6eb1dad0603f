"""Corrections and redactions made in review reach every output made afterwards: the dossier,
its subtitles and DOCX, the published video, the evidence package and the Aleph export — and
the original in the vault stays as it was received.

One real report (Whisper base on the bundled English sample), then one correction, one speaker
rename and one redaction recorded as the workbench records them, then every output again.
"""

from __future__ import annotations

import io
import json
import re
import wave
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest

from earwitness.jobs.export_ftm import export_ftm
from earwitness.jobs.publish import publish_exhibit
from earwitness.jobs.redacted_export import REASON, withheld_by_redactions
from earwitness.jobs.report import ReportOptions, report_paths
from earwitness.jobs.review import record_edit
from earwitness.jobs.transcribe import TRANSCRIPT, transcribe_exhibit
from earwitness.review.edits import CorrectText, Redact, RenameSpeaker
from earwitness.review.redaction import REDACTED
from earwitness.speech.transcribe import TranscribeOptions, no_progress
from earwitness.vault.artefacts import list_artefacts, read_verified
from earwitness.vault.case import Case
from earwitness.vault.hashing import sha256_file
from earwitness.vault.package_export import export_bag
from earwitness.vault.package_read import verify_package
from tests.conftest import REPO

SAMPLE = REPO / "samples" / "briefing-en.wav"
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Reviewed:
    case: Case
    sha256: str
    redacted: tuple[float, float]
    corrected_text: str
    redacted_words: list[str]
    before: Path  # the dossier folder made before the review
    after: Path  # the same recording's dossier made after it
    video: Path
    bag: Path
    ftm: Path
    printed: str  # what `earwitness transcribe EXHIBIT --format srt` prints afterwards


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reviewed]:
    folder = tmp_path_factory.mktemp("reviewed")
    with pytest.MonkeyPatch.context() as env:  # module-scoped: its own identity
        env.setenv("XDG_CONFIG_HOME", str(folder / "config"))
        env.setenv("EARWITNESS_ACTOR", "tester@lab")
        env.setenv("CI", "true")
        env.delenv("EARWITNESS_CASE", raising=False)
        case, _ = Case.init(folder / "case")
        [made] = report_paths(case, [SAMPLE], folder / "before", ReportOptions())
        before = made.dossier.parent
        sha256 = made.sha256
        [base] = [r for r in list_artefacts(case, sha256) if r.stage == TRANSCRIPT.name]
        asr = json.loads(read_verified(case, base))
        first, second = asr["segments"][0], asr["segments"][1]
        corrected = "Corrected by the reviewer, word for word."
        record_edit(case, sha256, base, CorrectText(first["id"], corrected), "anna")
        record_edit(
            case, sha256, base, RenameSpeaker(first["speaker"] or "S1", "Witness A"), "anna"
        )
        span = (float(second["start"]), float(second["end"]))
        record_edit(case, sha256, base, Redact(*span), "boris")
        elsewhere = " ".join(s["text"] for s in asr["segments"] if s is not second).lower()
        # The range's own words: those said nowhere else, so their absence can be checked.
        words = [
            word
            for word in (w["word"].strip(" .,;:!?\"'") for w in second["words"])
            if len(word) > 3 and word.lower() not in elsewhere
        ]
        assert words, "the sample's second segment has no word of its own"
        [again] = report_paths(case, [SAMPLE], folder / "after", ReportOptions())
        video = folder / "published.mp4"
        publish_exhibit(case, sha256, "original", video)
        bag = folder / "bag.zip"
        export_bag(case, None, bag, withheld=withheld_by_redactions(case, [sha256]))
        ftm = folder / "aleph.json"
        export_ftm(case, None, ftm)
        printed = transcribe_exhibit(
            case, sha256, TranscribeOptions(), None, no_progress, output_format="srt"
        ).body.decode()
        yield Reviewed(
            case, sha256, span, corrected, words, before, again.dossier.parent, video, bag, ftm,
            printed,
        )  # fmt: skip


def _wav(data: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(data)) as reader:
        frames = reader.readframes(reader.getnframes())
        return np.frombuffer(frames, dtype="<i2"), reader.getframerate()


def _said(transcript: dict) -> str:
    """Every text and word of a transcript's JSON, both tracks."""
    tracks = [transcript["segments"], (transcript.get("translation") or {}).get("segments", [])]
    return " ".join(
        " ".join([segment["text"], *(w["word"] for w in segment.get("words", []))])
        for track in tracks
        for segment in track
    )


def _any_word(words: list[str], text: str) -> bool:
    return any(re.search(rf"\b{re.escape(word)}\b", text) for word in words)


def test_the_dossier_plays_a_muted_copy_with_exact_zeros_in_the_range(reviewed: Reviewed) -> None:
    names = {path.name for path in reviewed.after.iterdir()}
    assert "audio-redacted.wav" in names
    assert not any(name.startswith("original") for name in names)  # the original stays home
    samples, rate = _wav((reviewed.after / "audio-redacted.wav").read_bytes())
    start, end = (round(t * rate) for t in reviewed.redacted)
    assert not samples[start + 1 : end - 1].any()
    assert np.abs(samples[:start]).max() > 100  # speech outside the range is untouched
    page = (reviewed.after / "index.html").read_text()
    assert 'src="audio-redacted.wav"' in page or "audio-redacted.wav" in page


def test_the_original_in_the_vault_is_untouched(reviewed: Reviewed) -> None:
    assert sha256_file(reviewed.case.store.path_for(reviewed.sha256)) == reviewed.sha256
    assert any(p.name.startswith("original") for p in reviewed.before.iterdir())


def _cue_words(subtitles: str) -> str:
    """The words of an SRT or WebVTT file, cue after cue, without numbers, times and speaker
    labels (``S1: `` or ``<v S1>``): a long segment is cut into several cues, where the words
    fall depending on the recogniser's timing (which moves with the CPU's instruction set)."""
    kept = [
        re.sub(r"^(<v [^>]{1,40}>|[^:]{1,40}: )", "", line.strip())  # WebVTT's or SRT's
        for line in subtitles.splitlines()
        if line.strip()
        and "-->" not in line
        and not line.strip().isdigit()
        and line.strip() != "WEBVTT"
    ]
    return " ".join(" ".join(kept).split())


def test_every_text_output_shows_the_correction_and_blanks_the_range(reviewed: Reviewed) -> None:
    transcript = json.loads((reviewed.after / "transcript.json").read_text())
    assert transcript["processing"]["review"]["corrections"] == 3
    texts = [s["text"] for s in transcript["segments"]]
    assert reviewed.corrected_text in texts[0]
    assert REDACTED in texts[1]
    shown = {
        name: (reviewed.after / name).read_text() for name in ("transcript.srt", "transcript.vtt")
    }
    page = (reviewed.after / "index.html").read_text()  # its transcript table: words only
    shown["index.html"] = page[page.index('<table class="transcript"') :].split("</table>")[0]
    shown["transcript.json"] = _said(transcript)
    for name, text in shown.items():
        if name == "index.html":  # one element per word, for the player
            assert all(word in text for word in reviewed.corrected_text.split()), name
        else:
            said = _cue_words(text) if name != "transcript.json" else " ".join(text.split())
            assert reviewed.corrected_text in said, name
        assert not _any_word(reviewed.redacted_words, text), name
    before = (reviewed.before / "transcript.srt").read_text()
    assert _any_word(reviewed.redacted_words, before)  # the check can fail
    assert "Witness A" in (reviewed.after / "transcript.srt").read_text()


def test_the_dossier_and_docx_say_which_version_they_show(reviewed: Reviewed) -> None:
    page = (reviewed.after / "index.html").read_text()
    assert "ASR + 3 corrections by 2 reviewers" in page
    assert "ASR (no corrections)" in (reviewed.before / "index.html").read_text()
    with zipfile.ZipFile(reviewed.after / "transcript.docx") as docx:
        assert "ASR + 3 corrections by 2 reviewers" in docx.read("word/document.xml").decode()


def test_the_published_video_is_muted_in_the_range(reviewed: Reviewed) -> None:
    with av.open(str(reviewed.video)) as container:
        stream = container.streams.audio[0]
        rate = stream.rate
        chunks = [frame.to_ndarray().reshape(-1) for frame in container.decode(stream)]
    audio = np.concatenate(chunks).astype(np.float64)
    start, end = (round(t * rate) for t in reviewed.redacted)
    margin = rate // 20  # a lossy codec's frame may smear 50 ms over the edge
    inside = audio[start + margin : end - margin]
    assert inside.size > 0 and np.abs(inside).max() < 1e-3 * max(np.abs(audio).max(), 1e-9)


def test_the_package_withholds_the_original_and_verifies(reviewed: Reviewed) -> None:
    with zipfile.ZipFile(reviewed.bag) as bag:
        names = bag.namelist()
        catalog = json.loads(next(bag.read(n) for n in names if n.endswith("data/catalog.json")))
        texts = [bag.read(n) for n in names if "/artefacts/" in n and n.endswith(".json")]
    assert not any("/originals/" in name and not name.endswith("/") for name in names)
    [entry] = catalog["exhibits"]
    assert entry["path"] is None and entry["withheld"] == REASON
    assert any(a.get("withheld") for a in entry["artefacts"])
    assert any("audio-redacted.wav" in name for name in names)
    for body in texts:
        data = json.loads(body)
        if isinstance(data, dict) and "segments" in data:
            assert not _any_word(reviewed.redacted_words, _said(data))
    report = verify_package(reviewed.bag)
    assert not report.problems, report.problems
    assert any("withheld" in note for note in report.notes)


def test_a_package_claiming_an_unlogged_withholding_fails(
    reviewed: Reviewed, tmp_path: Path
) -> None:
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(reviewed.bag) as source, zipfile.ZipFile(forged, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("data/catalog.json"):
                catalog = json.loads(data)
                catalog["exhibits"][0]["artefacts"][-1]["withheld"] = "something else"
                catalog["exhibits"][0]["artefacts"][-1]["path"] = None
                data = json.dumps(catalog).encode()
            out.writestr(item, data)
    kinds = {problem.kind for problem in verify_package(forged).problems}
    assert "withheld_not_logged" in kinds


def test_the_aleph_export_carries_the_reviewed_text(reviewed: Reviewed) -> None:
    text = reviewed.ftm.read_text()
    assert reviewed.corrected_text in text
    assert REDACTED in text


def test_transcribe_prints_the_reviewed_version_never_the_redacted_words(
    reviewed: Reviewed,
) -> None:
    assert reviewed.corrected_text in _cue_words(reviewed.printed)
    assert not _any_word(reviewed.redacted_words, reviewed.printed)
