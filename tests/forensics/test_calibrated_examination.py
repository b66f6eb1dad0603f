"""The examination's calibrated evidence: the shipped calibration verified before use, every
edit point and the whole file given a bounded log10 LR with its ENFSI term, a conclusion that
never calls a recording authentic or fake, and limitations said for the file at hand."""

from __future__ import annotations

import json

import jsonschema
import numpy as np
import pytest

from earwitness.forensics.evaluation import calibration as calibration_module
from earwitness.forensics.evaluation.calibration import (
    EDIT_CHECKS,
    ENF_JOIN,
    JOIN_LEVEL_DB,
    POINT_SYSTEMS,
    CalibrationError,
    file_features,
    file_system,
    load_verified,
    point_feature_count,
    point_features,
    point_system,
    score_logit,
    shipped_calibration,
)
from earwitness.forensics.examine import conclusion, examine
from earwitness.forensics.findings import CheckResult, Finding
from earwitness.forensics.limits import file_limitations
from earwitness.schemas import load_schema
from tests.forensics.test_examine import RATE, facts, hum_recording

VERBAL = set(
    load_schema("examination")["properties"]["findings"]["items"]["properties"]["verbal"]["enum"]
)


def shipped_bytes() -> bytes:
    from importlib import resources

    return (
        resources.files(calibration_module.__package__).joinpath("calibration-v2.json").read_bytes()
    )


def test_shipped_calibration_is_the_pinned_one_and_names_its_data():
    calibration = shipped_calibration()
    assert calibration.sha256 == calibration_module.PINNED_SHA256
    assert set(calibration.files) == {"file-enf", "file-no-enf"}
    assert set(calibration.points) <= set(POINT_SYSTEMS) and calibration.points
    assert calibration.validation["systems"], "validation figures ship with the method"
    assert calibration.data["validation_files"] > 0


@pytest.mark.parametrize("where", [0, 100, -2])
def test_one_changed_byte_in_the_calibration_is_refused(where: int):
    raw = bytearray(shipped_bytes())
    raw[where] ^= 0x01
    with pytest.raises(CalibrationError, match=r"calibration-v2\.json.*not the pinned"):
        load_verified(bytes(raw))


def test_a_calibration_of_another_format_is_refused_even_when_pinned():
    import hashlib

    raw = json.dumps({"format": "something/else"}).encode()
    with pytest.raises(CalibrationError, match="unreadable"):
        load_verified(raw, hashlib.sha256(raw).hexdigest())


def test_calibrated_values_stay_within_their_elub_bounds():
    calibration = shipped_calibration()
    for check, model in calibration.points.items():
        for score in (0.0, 0.1, 0.5, 0.9, 0.99, 1.0):
            for narrowness in (-2.0, 0.0, 3.0):  # an ENF join's: 7.4 s, 1 s, 0.05 s wide
                features = [score_logit(score), narrowness][: point_feature_count(check)]
                value = calibration.point_log10_lr(check, features)
                assert value is not None and model.lower <= value <= model.upper
    for system, model in calibration.files.items():
        hum = [{"name": "enf", "status": "ok", "metrics": {"present": system == "file-enf"}}]
        assert file_system(hum) == system
        for score in (0.0, 0.6, 1.0):
            findings = [{"kind": "edit_point", "check": c, "score": score} for c in EDIT_CHECKS]
            value = calibration.file_log10_lr(hum, findings)
            assert value is not None and model.lower <= value <= model.upper


def test_point_lr_rises_with_the_score_for_every_check():
    calibration = shipped_calibration()
    for check in calibration.points:
        extra = [0.0] * (point_feature_count(check) - 1)
        low = calibration.point_log10_lr(check, [score_logit(0.2), *extra])
        high = calibration.point_log10_lr(check, [score_logit(0.99), *extra])
        assert low is not None and high is not None and high >= low


def _join(start_s: float, end_s: float, **possible: object) -> dict:
    evidence = {"phase_jump_rad": 1.0, "level_change_db": -12.0, **possible}
    return {
        "kind": "edit_point",
        "check": "enf",
        "score": 0.99,
        "start_s": start_s,
        "end_s": end_s,
        "evidence": evidence,
    }


def test_an_enf_join_placed_narrowly_weighs_more_than_one_left_open():
    """A join's score says how sure the hum's change is; how narrowly it is placed says
    whether "edited here" holds: the same score weighs more in a 0.5 s span than where the
    hum leaves 2.5 s open (``possible_from_s``), or where a damaged report gives no width."""
    calibration = shipped_calibration()
    narrow = calibration.finding_log10_lr(_join(40.0, 40.5), 60.0)
    left_open = _join(40.0, 40.5, possible_from_s=39.0, possible_to_s=41.5)
    assert point_features(left_open)[1] == pytest.approx(-np.log(2.5))
    wide = calibration.finding_log10_lr(left_open, 60.0)
    damaged = calibration.finding_log10_lr(_join(40.0, 40.5, possible_to_s="soon"), 60.0)
    assert narrow is not None and wide is not None and damaged is not None
    assert narrow > wide >= damaged


def test_a_calibration_whose_join_model_takes_the_score_alone_is_refused():
    import hashlib

    document = json.loads(shipped_bytes())
    document["points"][ENF_JOIN]["model"]["coefficients"] = [0.2]
    raw = json.dumps(document).encode()
    with pytest.raises(CalibrationError, match=r"enf_join.*weighs 1 feature\(s\), not 2"):
        load_verified(raw, hashlib.sha256(raw).hexdigest())


def test_an_enf_join_weighs_by_its_own_calibration():
    def enf(level_db: object) -> dict:
        evidence = {"phase_jump_rad": 1.0, "level_change_db": level_db}
        return {"kind": "edit_point", "check": "enf", "score": 1.0, "evidence": evidence}

    assert point_system(enf(-20.6)) == point_system(enf(3.0)) == ENF_JOIN
    assert point_system(enf(2.9)) == point_system(enf("loud")) == point_system(enf(None)) == "enf"
    assert point_system({"check": "discontinuities", "evidence": {"level_change_db": 9}}) == (
        "discontinuities"
    )
    calibration = shipped_calibration()
    assert ENF_JOIN in calibration.points
    # A join's place is less sure than a turn's: a strong one weighs less.
    assert calibration.finding_log10_lr(enf(-20.6), 60.0) < calibration.finding_log10_lr(
        enf(0.2), 60.0
    )


def test_the_join_level_is_the_enf_checks_own():
    from earwitness.forensics.enf.search import JOIN_DB

    assert JOIN_LEVEL_DB == JOIN_DB


def test_file_features_count_only_edit_points_as_scores_and_others_as_observations():
    findings = [
        {"kind": "edit_point", "check": "enf", "score": 0.9},
        {"kind": "edit_point", "check": "enf", "score": 0.4},
        {"kind": "other", "check": "container_metadata", "score": 0.1},
        {"kind": "truncation", "check": "container_metadata", "score": 0.95},
    ]
    features = file_features(findings)
    assert len(features) == len(EDIT_CHECKS) + 1
    assert features[0] == pytest.approx(np.log(0.9 / 0.1))
    assert features[1] == features[2] == pytest.approx(np.log(0.01 / 0.99))
    assert features[-1] == pytest.approx(np.log(2))  # one observation at or above 0.5


def test_an_examination_carries_calibrated_fields_that_validate():
    exam = examine(hum_recording(40.0), RATE, facts())
    report = exam.report
    jsonschema.validate(report, load_schema("examination"))
    summary = report["summary"]
    assert isinstance(summary["log10_lr"], float)
    assert summary["conclusion"] and summary["limitations"]
    assert report["tool"]["parameters"]["calibration"]["sha256"] == shipped_calibration().sha256
    for finding in report["findings"]:
        if finding["kind"] == "edit_point":
            assert finding["verbal"] in VERBAL
            assert isinstance(finding["log10_lr"], float)
        else:
            assert "log10_lr" not in finding
    text = json.dumps(summary).lower()
    assert "authentic" not in text and "fake" not in text


@pytest.mark.parametrize(
    ("log10_lr", "words"),
    [
        (2.5, "moderately strong support for the proposition that the recording was edited"),
        (-1.5, "moderate support for the proposition that it is an unedited original"),
        (0.0, "no support"),
    ],
)
def test_conclusion_states_the_scale_term_for_the_favoured_proposition(log10_lr, words):
    text = conclusion(log10_lr)
    assert words in text
    assert "verdict" in text and "authentic" not in text.lower()


def _point(log10_lr: float) -> Finding:
    return Finding("edit_point", "discontinuities", 1.0, 1.5, 0.45, "", {}, log10_lr)


@pytest.mark.parametrize(
    ("file_lr", "points", "explained"),
    [
        (0.55, [-0.56], True),  # a room change under speech: no place supports editing
        (0.55, [], True),
        (0.55, [-0.56, 0.9], False),  # one place does
        (-0.12, [-0.56], False),  # the file does not lean towards editing
    ],
)
def test_conclusion_says_why_a_file_leans_to_editing_where_no_place_does(
    file_lr, points, explained
):
    text = conclusion(file_lr, [_point(value) for value in points])
    assert ("No single place supports editing on its own" in text) is explained


def _enf(present: bool, snr: float = 8.0) -> CheckResult:
    return CheckResult(
        "enf", "ok" if present else "not_applicable", "", {"present": present, "snr_db": snr}
    )


def test_limits_name_the_smallest_enf_turn_for_this_hum_level():
    limits = {
        "enf_turn_deg_by_snr": [
            {"snr_db_from": -100.0, "turn_deg": 60.0},
            {"snr_db_from": 10.0, "turn_deg": 15.0},
        ]
    }
    weak = " ".join(file_limitations(120, [_enf(True, 4.0)], [], {"codec": "pcm_s16le"}, limits))
    strong = " ".join(file_limitations(120, [_enf(True, 14.0)], [], {"codec": "pcm_s16le"}, limits))
    assert "about 60°" in weak and "about 15°" in strong
    assert "whole number of mains cycles" in weak


def test_limits_without_hum_low_bit_rate_short_and_truncated():
    truncation = Finding(
        "truncation", "container_metadata", 4.1, 13.97, 0.99, "", {"missing_s": 9.87}
    )
    limits = {"low_bit_rate": {"located_low": 0.4, "located_pcm": 0.8}}
    media = {"codec": "opus", "bit_rate": 16000}
    text = " ".join(file_limitations(20, [_enf(False)], [truncation], media, limits))
    assert "No mains hum" in text
    assert "16 kbit/s" in text and "40%" in text and "80%" in text
    assert "short (20 s)" in text
    assert "about 9.9 s" in text


def test_limits_give_the_located_share_that_fits_the_file():
    limits = {
        "untraceable": {"located": 18, "count": 63},
        "without_hum": {
            "located": 78,
            "count": 110,
            "kinds": {"deletion": [4, 32], "insertion": [48, 52], "splice": [26, 26]},
        },
    }
    media = {"codec": "pcm_s16le"}
    quiet = " ".join(file_limitations(120, [_enf(False)], [], media, limits))
    assert "on recordings without mains hum, 78 of 110 edit points were located" in quiet
    assert "4 of 32 deletions" in quiet and "26 of 26 joins of two recordings" in quiet
    assert "18 of 63" not in quiet  # the ceiling of recordings with hum is not this file's
    hummed = " ".join(file_limitations(120, [_enf(True, 14.0)], [], media, limits))
    assert "18 of 63 edits that left no ENF trace" in hummed and "78 of 110" not in hummed
    older = {"untraceable": limits["untraceable"]}  # a calibration made before the figure
    assert "18 of 63" in " ".join(file_limitations(120, [_enf(False)], [], media, older))


def test_limits_say_where_speech_hides_how_fast_the_background_changed():
    hidden = Finding(
        "edit_point",
        "discontinuities",
        29.6,
        30.1,
        0.45,
        "",
        {"transition_s": 0.0, "seen_within_s": 1.4},
    )
    seen = Finding(
        "edit_point",
        "discontinuities",
        40.0,
        40.5,
        0.99,
        "",
        {"transition_s": 0.02, "seen_within_s": 0.04},
    )
    media = {"codec": "pcm_s16le"}
    text = " ".join(file_limitations(120, [_enf(False)], [hidden, seen], media, {}))
    assert "Near 29.9 s the background changes under speech" in text
    assert "40.2 s" not in text
    assert "under speech" not in " ".join(file_limitations(120, [_enf(False)], [seen], media, {}))


def _slip(score: float = 1.0, turn_deg: float = 178.0, level_db: float = 0.05, turns=None) -> dict:
    evidence = {"phase_jump_rad": np.radians(turn_deg), "level_change_db": level_db}
    if turns is not None:
        evidence["harmonic_turns_deg"] = turns
    return {"kind": "edit_point", "check": "enf", "score": score, "evidence": evidence}


def test_a_half_cycle_step_is_told_from_other_enf_steps():
    from earwitness.forensics.evaluation.calibration import half_cycle_like

    assert half_cycle_like(_slip())
    assert half_cycle_like(_slip(turn_deg=-172.0))
    assert not half_cycle_like(_slip(turn_deg=95.0))  # an ordinary cut's turn
    assert not half_cycle_like(_slip(level_db=19.0))  # the hum's level jumps too: not a slip
    assert not half_cycle_like({**_slip(), "check": "discontinuities"})
    # 031_ref's genuine slip at 177 s, and b009's deletion in the tamper benchmark, whose
    # fifth harmonic turned 64°: a shift by 160°, not by half a cycle.
    assert half_cycle_like(_slip(turn_deg=-173.0, turns={"1": -173, "2": 11, "3": -162}))
    assert not half_cycle_like(_slip(turn_deg=-160.0, turns={"1": -160, "3": -113, "5": -64}))
    assert half_cycle_like(_slip(turns={"1": 178, "2": 40}))  # even harmonics say nothing
    assert half_cycle_like(_slip(turns={"3": "x", "x": 1, "5": None}))  # hostile evidence


def test_a_half_cycle_step_weighs_by_the_rates_not_as_enf_evidence():
    from earwitness.forensics.evaluation.calibration import HalfCycle

    calibration = shipped_calibration()
    assert calibration.half_cycle is not None, "the shipped calibration weighs slips apart"
    assert file_features([_slip()]) == file_features([])  # not counted as an ENF step
    rates = HalfCycle(edited_share=0.08, slips_per_hour=1.0)
    # A slip is less surprising in a long genuine recording: it weighs less there.
    assert rates.log10_lr(10) > rates.log10_lr(600) > rates.log10_lr(7200) > 0
    hum = [{"name": "enf", "status": "ok", "metrics": {"present": True}}]
    with_slip = calibration.file_log10_lr(hum, [_slip()], 600.0)
    without = calibration.file_log10_lr(hum, [], 600.0)
    assert with_slip == pytest.approx(without + calibration.half_cycle.log10_lr(600.0), abs=1e-9)
    assert calibration.finding_log10_lr(_slip(), 600.0) < 1.0  # never beyond weak support
