from earwitness.forensics.metadata import check_metadata


def media(**overrides):
    base = {
        "container": "wav",
        "container_long": "WAV / WAVE (Waveform Audio)",
        "codec": "pcm_s16le",
        "sample_rate": 16000,
        "channels": 1,
        "bit_rate": 256000,
        "duration_s": 10.0,
        "tags": {"ICRD": "2020-09-01", "model": "Zoom H1n"},
        "warnings": [],
        "streams": [
            {
                "index": 0,
                "type": "audio",
                "codec": "pcm_s16le",
                "sample_rate": 16000,
                "channels": 1,
                "duration_s": 10.0,
                "tags": {},
            }
        ],
    }
    base.update(overrides)
    return base


def test_consistent_file_has_no_findings() -> None:
    result = check_metadata(media(), size_bytes=320_044, received_at="2020-09-15T10:00:00Z")
    assert result.status == "ok"
    assert result.findings == []
    assert result.metrics["tag_count"] == 2


def test_editor_tags_duration_mismatch_and_size_are_reported() -> None:
    edited = media(tags={"encoder": "Lavf58.29.100", "ISFT": "Adobe Audition CC"})
    edited["streams"][0]["duration_s"] = 9.0
    result = check_metadata(edited, size_bytes=600_000)
    text = " ".join(f.description for f in result.findings)
    assert "Adobe Audition" in text and "FFmpeg" in text
    assert "differ by 1.000 s" in text
    assert "header describes" in text
    kinds = {f.kind for f in result.findings}
    assert kinds == {"metadata_inconsistency", "other"}
    assert all(0 < f.score <= 1 for f in result.findings)


def test_an_ffmpeg_encoder_tag_is_a_neutral_observation_not_an_inconsistency() -> None:
    """Every messenger-forwarded file carries one: re-encoding is not editing."""
    result = check_metadata(media(tags={"encoder": "Lavf60.16.100"}), size_bytes=320_044)
    [finding] = result.findings
    assert finding.kind == "other" and finding.score <= 0.2
    assert "Lavf60.16.100" in str(finding.evidence["software"])
    assert "says nothing about editing" in finding.description


def test_an_editor_tag_is_an_observation_below_an_indication() -> None:
    result = check_metadata(media(tags={"ISFT": "Audacity 3.4"}), size_bytes=320_044)
    [finding] = result.findings
    assert finding.kind == "other" and finding.score < 0.5
    assert "Audacity" in finding.description


def test_creation_time_after_receipt_is_reported() -> None:
    result = check_metadata(
        media(tags={"creation_time": "2021-01-01T00:00:00Z"}), received_at="2020-09-15T10:00:00Z"
    )
    assert any("later than the file was received" in f.description for f in result.findings)


def test_unreadable_file_is_not_applicable() -> None:
    assert check_metadata(None).status == "not_applicable"
