"""Adding an examination takes one module and one registry line (CONTRIBUTING's recipe): a toy
check, written here as its own module file, shows up in the JSON report (schema-valid), in the
examination's HTML page and in the dossier."""

from __future__ import annotations

import importlib.util
import textwrap
from dataclasses import replace
from pathlib import Path
from types import ModuleType

import jsonschema
import numpy as np
import pytest

from earwitness.forensics import registry
from earwitness.forensics.examine import ExamOptions, ExhibitFacts, Recording, examine
from earwitness.reports.dossier import render_dossier
from earwitness.reports.examination_html import render_examination_html
from earwitness.schemas import load_schema
from tests.reports.test_dossier import MEDIA, RATE, SHA, dossier_inputs, parse, synthetic_audio

TOY_MODULE = '''
"""A toy examination: the loudest tenth of a second, reported as a dropout."""

import numpy as np

from earwitness.forensics.declaration import Declaration
from earwitness.forensics.findings import CheckResult, Finding, Series
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording

NAME = "toy_loudest"


def run(recording: Recording, options: ExamOptions) -> CheckResult:
    rate = recording.sample_rate
    block = rate // 10
    count = len(recording.samples) // block
    if count == 0:
        return CheckResult(NAME, "not_applicable", "Shorter than 0.1 s.")
    blocks = np.asarray(recording.samples[: count * block]).reshape(count, block)
    rms = np.sqrt(np.mean(blocks.astype(np.float64) ** 2, axis=1))
    loudest = int(np.argmax(rms))
    finding = Finding(
        "dropout", NAME, loudest * 0.1, loudest * 0.1 + 0.1, 0.75,
        "Toy observation: the loudest tenth of a second.", {"rms": float(rms[loudest])},
    )
    series = {
        "rms": Series(
            (np.arange(count) + 0.5) * 0.1, rms, title="Toy RMS",
            caption="RMS level in 0.1 s blocks.", value_label="RMS", colour="#ff6f00",
        )
    }
    return CheckResult(NAME, "ok", "Toy check ran.", {"blocks": count}, [finding], series)


# The label must be the one the real checks give the kind: one kind, one label.
EXAMINATION = Declaration(NAME, "loudest moment (toy)", {"dropout": "Dropout"}, run)
'''


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("toy_loudest", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def toy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    path = tmp_path / "toy_loudest.py"
    path.write_text(textwrap.dedent(TOY_MODULE), encoding="utf-8")
    module = _load(path)  # step 1: the module
    # step 2: the registry line (in the code base: one more entry in EXAMINATIONS)
    monkeypatch.setattr(registry, "EXAMINATIONS", (*registry.EXAMINATIONS, module.EXAMINATION))
    return module


def toy_facts() -> ExhibitFacts:
    return ExhibitFacts(SHA, "toy.wav", 256044, MEDIA)


def test_a_toy_examination_appears_in_json_html_and_dossier(toy: ModuleType) -> None:
    samples = synthetic_audio()
    exam = examine(Recording(samples, RATE, toy_facts()))
    report = exam.report
    jsonschema.validate(report, load_schema("examination"))
    assert report["checks"][-1]["name"] == "toy_loudest"
    assert report["checks"][-1]["status"] == "ok"
    [found] = [f for f in report["findings"] if f["check"] == "toy_loudest"]
    assert found["kind"] == "dropout" and found["score"] == 0.75
    assert "loudest moment (toy)" in report["summary"]["text"]

    page = render_examination_html(exam, samples, RATE)
    assert "<td>loudest moment (toy)</td>" in page and "Toy observation" in page
    assert "<b>Toy RMS.</b> RMS level in 0.1 s blocks." in page

    tree = parse(render_dossier(dossier_inputs(examination=exam)))
    cards = tree.find_all("article", "finding")
    toy_cards = [c for c in cards if "Toy observation" in c.text()]
    assert len(toy_cards) == 1
    assert toy_cards[0].find_all("h3")[0].text() == "Dropout"
    assert "sev-obs" in toy_cards[0].classes  # an observation: the neutral colour
    assert "loudest moment (toy)" in toy_cards[0].text()
    checks = tree.find_all("table", "checks-table")[0].text()
    assert "loudest moment (toy)" in checks and "Toy check ran." in checks


def test_the_toy_is_gone_without_its_registry_line() -> None:
    exam = examine(Recording(np.zeros(RATE, np.float32), RATE, toy_facts()), ExamOptions())
    assert "toy_loudest" not in [check.name for check in exam.checks]


def test_a_toy_declaring_a_kind_outside_the_schema_is_refused(
    toy: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = replace(toy.EXAMINATION, kinds={"deepfake": "Deepfake"})
    monkeypatch.setattr(registry, "EXAMINATIONS", (*registry.EXAMINATIONS[:-1], bad))
    with pytest.raises(registry.RegistryError, match="deepfake"):
        examine(Recording(np.zeros(RATE, np.float32), RATE, toy_facts()))
