"""The record of where the speech engine ran: read from /proc/cpuinfo, said in the dossier."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from earwitness.speech.runtime import (
    KERNEL_FEATURES,
    cpu_from_cpuinfo,
    engine_runtime,
    runtime_phrase,
)
from tests.strategies import json_values

X86 = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz
flags\t\t: fpu vme sse4_1 sse4_2 avx avx2 fma f16c avx512f avx512cd avx512bw avx512vl amx_int8

processor\t: 1
vendor_id\t: OtherVendor
model name\t: Not the first
"""
ARM = """processor\t: 0
BogoMIPS\t: 243.75
Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp asimddp sve
CPU implementer\t: 0x41
CPU part\t: 0xd40
"""


def test_the_first_processor_of_an_x86_machine() -> None:
    assert cpu_from_cpuinfo(X86) == {
        "model": "Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz",
        "vendor": "GenuineIntel",
        "features": [
            *("sse4_1", "avx", "avx2", "fma", "f16c"),
            *("avx512f", "avx512cd", "avx512bw", "avx512vl", "amx_int8"),
        ],
    }


def test_an_arm_machine_has_no_model_name_but_its_features() -> None:
    assert cpu_from_cpuinfo(ARM) == {"vendor": "0x41", "features": ["asimd", "asimddp", "sve"]}


@given(st.text(max_size=3000))
def test_any_cpuinfo_text_gives_a_bounded_record(text: str) -> None:
    found = cpu_from_cpuinfo(text)
    assert set(found) <= {"model", "vendor", "features"}
    assert set(found["features"]) <= set(KERNEL_FEATURES)
    assert len(found.get("model", "")) <= 200 and len(found.get("vendor", "")) <= 200


def test_this_machine_is_recorded_and_said() -> None:
    record = engine_runtime("cpu")
    assert record["engine"].startswith("ctranslate2 ") and record["device"] == "cpu"
    assert json.loads(json.dumps(record)) == record  # it goes into the transcript's JSON
    phrase = runtime_phrase(record)
    assert phrase is not None and phrase.startswith(record["engine"] + " on cpu")


def test_the_phrase_names_the_widest_instructions_and_any_override() -> None:
    record = {
        "engine": "ctranslate2 4.8.5",
        "device": "cpu",
        "machine": "x86_64",
        "cpu": cpu_from_cpuinfo(X86),
        "kernel_settings": {"CT2_FORCE_CPU_ISA": "GENERIC"},
    }
    assert runtime_phrase(record) == (
        "ctranslate2 4.8.5 on cpu, Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz "
        "(x86_64, AVX-512); CT2_FORCE_CPU_ISA=GENERIC"
    )
    assert runtime_phrase({"engine": "ctranslate2 4.8.5", "device": "cuda"}) == (
        "ctranslate2 4.8.5 on cuda"
    )


_JSON = json_values(text_size=300, key_size=20, items=6, leaves=20)


@given(
    _JSON
    | st.fixed_dictionaries(
        {"engine": st.text(max_size=300), "device": st.text(max_size=50)},
        optional={"machine": _JSON, "cpu": _JSON, "kernel_settings": _JSON},
    )
)
def test_a_stored_record_is_read_as_hostile(record: object) -> None:
    phrase = runtime_phrase(record)
    assert phrase is None or len(phrase) < 1200
