"""Second readings on speech they were not chosen on: a held-out check of the reread threshold.

    .venv/bin/python bench/speech/reread_heldout.py [--noise-snr-db 3]

``asr.REREAD_BELOW_LOGPROB`` (a weak window read again with the text before it as its prompt)
was chosen on bench/speech's long recordings and measured on the same ones. This builds a long
Russian recording from sentences written for this check alone (``HELD_OUT``: none is in
``generate_ru.py`` or the tamper texts), spoken by Festival's Russian voice at other speeds and
tape rates than the tuning set's, laid out as ``run.long_recording`` lays out ``long-ru``, and
played clean and under white noise. Each is decoded three ways: ours without second readings,
ours with them, and plain faster-whisper (one window after another, beam 5, leaning on the text
before as our batches cannot). Prints corpus WER (numbers normalised as bench/speech does) and
how many windows were read again and kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# bench/speech's run.py before generate_ru.py puts bench/tamper (which has a run.py too) first.
from run import Item, long_recording, wer  # noqa: E402, I001
from generate_ru import RATE, join  # noqa: E402
from voices import FESTIVAL_RU, Voice, festival_russian_available, synthesize  # noqa: E402

# Written for this check; kept out of every set the threshold was chosen on. No digits or
# abbreviations, as in generate_ru.py.
HELD_OUT = [
    "Соседи жаловались на шум почти каждую ночь.",
    "Управляющая компания обещала разобраться, но ничего не изменилось.",
    "Скажи честно, ты читал это письмо до того, как его отправили?",
    "Нет, мне его переслали только вечером.",
    "На границе снова образовалась длинная очередь из грузовиков.",
    "Водители провели там больше суток без воды и еды.",
    "Приказ пришёл сверху, обсуждать его никто не стал.",
    "Мы должны были просто выполнить его и молчать.",
    "Библиотеку в нашем районе закрыли на ремонт ещё весной.",
    "Читатели до сих пор не знают, когда она откроется.",
    "Ты помнишь, кто стоял тогда у входа?",
    "Двое в форме и один в штатском, больше никого.",
    "Завод сократил почти половину рабочих в конце осени.",
    "Профсоюз потребовал объяснений от руководства.",
    "Это было сказано при всех, а потом все сделали вид, что ничего не слышали.",
    "Запись разговора сохранилась у одного из участников.",
    "Вода в реке поднялась выше обычного уровня.",
    "Жителей прибрежных домов попросили подготовиться к эвакуации.",
    "Я не подпишу протокол, пока не прочитаю его полностью.",
    "Адвокат сказал, что имеет право присутствовать на допросе.",
    "Цены на жильё в столице продолжают расти.",
    "Молодые семьи всё чаще уезжают в пригороды.",
    "Кто дал распоряжение перекрыть площадь?",
    "Мне сказали, что решение приняли ещё накануне.",
    "Концерт отменили за час до начала без всяких объяснений.",
    "Зрители долго не расходились и требовали вернуть деньги.",
    "Больница получила новое оборудование для отделения реанимации.",
    "Врачи говорят, что ждали его несколько лет.",
    "Никто не будет наказан, это я вам обещаю лично.",
    "Делайте то, что считаете нужным, ответственность беру на себя.",
    "Утром на дорогах был сильный гололёд.",
    "Аварийные службы работали без перерыва до самого вечера.",
    "Журналистов к зданию суда не пустили.",
    "Фотографии всё равно появились в сети через несколько минут.",
    "Я перезвоню, когда закончится совещание.",
    "Передай ему, что документы лежат в верхнем ящике стола.",
]
# Sentences per clip: singles, pairs and a triple, as in generate_ru.py.
CLIP_SIZES = [2, 1, 2, 2, 2, 1, 2, 3, 2, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2]
# Festival's voice at other speeds and tape rates than generate_ru.py's (1.0 and 1.0).
SPEAKERS = [(0.9, 1.03), (1.12, 0.97)]


def clips(seed: int = 11) -> list[Item]:
    """``HELD_OUT`` cut into clips of ``CLIP_SIZES`` sentences, each clip one speaker."""
    if not festival_russian_available():
        raise SystemExit("festival with its Russian voice is not installed (festival festvox-ru)")
    rng = np.random.default_rng(seed)
    spoken = {
        speaker: synthesize(Voice("festival", FESTIVAL_RU, speed, 0, tape), HELD_OUT, RATE)
        for speaker, (speed, tape) in enumerate(SPEAKERS)
    }
    items, start = [], 0
    for number, size in enumerate(CLIP_SIZES):
        picked = range(start, start + size)
        voice = spoken[number % len(SPEAKERS)]
        samples = join([voice[i] for i in picked], rng).astype(np.float32)
        items.append(Item(f"held-{number:02}", samples, " ".join(HELD_OUT[i] for i in picked)))
        start += size
    assert start == len(HELD_OUT)
    return items


def with_noise(samples: np.ndarray, snr_db: float, seed: int = 5) -> np.ndarray:
    """White noise at ``snr_db`` below the speech's level (the RMS of its loud half)."""
    loud = np.sort(np.abs(samples))[len(samples) // 2 :]
    level = float(np.sqrt(np.mean(np.square(loud, dtype=np.float64))))
    noise = np.random.default_rng(seed).standard_normal(len(samples)) * level * 10 ** (-snr_db / 20)
    return (samples + noise).astype(np.float32)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--noise-snr-db", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)

    from faster_whisper import WhisperModel

    from earwitness.speech import asr
    from earwitness.speech.asr import DecodeOptions, Recognizer
    from earwitness.speech.models import resolve_model
    from earwitness.speech.transcribe import TranscribeOptions, transcribe

    model = resolve_model()
    recognizer = Recognizer(model, device="cpu", compute_type="int8", cpu_threads=args.threads)
    plain = WhisperModel(
        str(model.directory), device="cpu", compute_type="int8", cpu_threads=args.threads
    )
    chosen = asr.REREAD_BELOW_LOGPROB
    recording = long_recording(
        "heldout-ru", "ru", clips(), 2, 7, "held-out sentences x2 shuffled, pauses, 2 x 30 s"
    ).items[0]
    print(f"held-out recording: {len(recording.samples) / RATE:.0f} s, threshold {chosen}")
    print(
        "| recording | ours, no second readings | ours, second readings | read again (kept) "
        "| plain faster-whisper |"
    )
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, samples in (
        ("clean", recording.samples),
        (f"white noise {args.noise_snr_db:g} dB", with_noise(recording.samples, args.noise_snr_db)),
    ):
        figures = []
        again = ""
        for threshold in (None, chosen):
            asr.REREAD_BELOW_LOGPROB = threshold
            options = TranscribeOptions(decode=DecodeOptions(language="ru"), diarize=False)
            made = transcribe(samples, recognizer, options, exhibit_sha256="0" * 64)
            text = " ".join(segment.text for segment in made.segments)
            figures.append(wer([recording.reference], [text], "ru")[0])
            readings = made.processing["second_readings"]
            again = f"{readings['windows']} ({readings['kept']})"
        asr.REREAD_BELOW_LOGPROB = chosen
        segments, _ = plain.transcribe(samples, beam_size=5, language="ru")
        figures.append(wer([recording.reference], [" ".join(s.text for s in segments)], "ru")[0])
        print(f"| {name} | {figures[0]:.3f} | {figures[1]:.3f} | {again} | {figures[2]:.3f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
