"""Russian test clips with exact transcripts, spoken by Festival (festvox-ru).

    .venv/bin/python bench/speech/generate_ru.py [--out bench/work/speech] [--espeak]

Festival's ``voice_msu_ru_nsh_clunits`` (Debian ``festvox-ru``) is a unit-selection voice
recorded from a real speaker: synthetic, but Whisper base understands it well. espeak-ng's
Russian is not (WER about 0.9 with Whisper base), so it is not used for Russian.

Each sentence is synthesised on its own; clips are one to three sentences joined by pauses of
0.4–2.5 s of faint noise (a recording is rarely digitally silent), so that some clips have
pauses inside them as real speech does. Sentences avoid digits and abbreviations, whose
spelling a word error rate would otherwise measure instead of recognition.

``--espeak`` also writes short Belarusian and Ukrainian clips with espeak-ng: robotic formant
synthesis, reported separately and labelled synthetic; they say little about real speech.

Writes ``<out>/ru-festival/*.wav`` (16 kHz, 16-bit mono) with a ``.txt`` transcript beside each,
``<out>/be-espeak`` and ``<out>/uk-espeak`` likewise, and ``manifest.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import wave
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tamper"))  # its speakers

from voices import FESTIVAL_RU as FESTIVAL_VOICE
from voices import Voice, festival_russian_available, synthesize

RATE = 16000
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_OUT = ROOT / "bench" / "work" / "speech"

# Everyday talk and news-like sentences; no digits, abbreviations or foreign names.
RUSSIAN = [
    "Вчера вечером в центре города прошёл сильный дождь.",
    "Движение на нескольких улицах было перекрыто до самого утра.",
    "Я позвоню тебе завтра, когда вернусь с работы.",
    "Не забудь купить хлеб и молоко по дороге домой.",
    "Министерство финансов объявило о новых мерах поддержки малого бизнеса.",
    "По словам экспертов, цены на продукты в этом году вырастут незначительно.",
    "Где ты оставил ключи от машины?",
    "Они лежали на столе в прихожей.",
    "Встреча директоров перенесена на следующую неделю.",
    "Мы договорились, что никто не узнает об этом разговоре.",
    "Погода на выходные обещает быть тёплой и солнечной.",
    "Синоптики советуют взять с собой зонт, потому что возможен дождь.",
    "Он сказал, что документы уже подписаны и отправлены в банк.",
    "Это неправда, я никогда не видел этих бумаг.",
    "Поезд прибыл на вокзал с опозданием почти на час.",
    "Пассажиры долго ждали на холодной платформе.",
    "В школах города начались летние каникулы.",
    "Дети теперь могут отдыхать до самой осени.",
    "Позвони мне, как только получишь деньги.",
    "Хорошо, я всё понял.",
    "Городской совет утвердил план строительства нового моста через реку.",
    "Работы должны закончиться к концу следующего года.",
    "Мне кажется, нас кто-то подслушивает.",
    "Давай поговорим об этом не по телефону.",
    "На границе образовалась длинная очередь из грузовиков.",
    "Водители жалуются, что стоят там уже вторые сутки.",
    "Врачи рекомендуют больше гулять на свежем воздухе и пить воду.",
    "Музей откроется после ремонта в начале весны.",
    "Посетители смогут увидеть картины, которые раньше хранились в запасниках.",
    "Ты уверен, что за нами никто не следил?",
    "Абсолютно уверен, я проверил дважды.",
    "Полиция задержала двух подозреваемых в краже из магазина.",
    "Следствие продолжается, имена задержанных пока не называются.",
    "Скажи ему, чтобы он больше сюда не приходил.",
    "Компания планирует открыть новый завод на севере страны.",
    "Там будут работать несколько сотен человек.",
    "Я не помню точную сумму, но это было очень много.",
    "Завтра утром ожидается туман и гололёд на дорогах.",
    "Автомобилистов просят быть особенно внимательными.",
    "Спасибо, до свидания.",
    "Сегодня в парламенте обсуждали новый закон об образовании.",
    "Депутаты не смогли договориться и отложили голосование.",
    "Слушай, а кто ещё был в комнате, когда он это сказал?",
    "Кажется, его секретарь и ещё какой-то человек в сером костюме.",
    "На юге страны продолжается уборка урожая.",
    "Фермеры надеются, что погода не испортится.",
    "Передай ей, что я буду ждать у входа в метро.",
    "Ладно, только не опаздывай, как в прошлый раз.",
]

# Clips: indices into RUSSIAN, joined with pauses. Singles, pairs and a few triples.
CLIPS = [
    [0, 1],
    [2],
    [3],
    [4, 5],
    [6, 7],
    [8],
    [9],
    [10, 11],
    [12, 13],
    [14, 15],
    [16, 17],
    [18, 19],
    [20, 21],
    [22, 23],
    [24, 25],
    [26],
    [27, 28],
    [29, 30],
    [31, 32],
    [33],
    [34, 35, 36],
    [37, 38, 39],
    [40, 41],
    [42, 43],
    [44, 45],
    [46, 47],
]

BELARUSIAN = [
    "Добры дзень, як вашы справы?",
    "Я заўтра паеду ў горад па справах.",
    "Учора ўвечары ішоў моцны дождж.",
    "Мы дамовіліся сустрэцца каля вакзала.",
    "Не забудзь патэлефанаваць маці.",
    "Навіны кажуць, што цэны зноў выраслі.",
]

UKRAINIAN = [
    "Добрий день, як ваші справи?",
    "Я завтра поїду до міста у справах.",
    "Учора ввечері йшов сильний дощ.",
    "Ми домовилися зустрітися біля вокзалу.",
    "Не забудь зателефонувати матері.",
    "У новинах кажуть, що ціни знову зросли.",
]


def festival_sentences(texts: list[str]) -> list[np.ndarray]:
    """Each text spoken by Festival's Russian voice, 16 kHz float64, edge silence trimmed."""
    if not festival_russian_available():
        raise SystemExit(
            "festival with its Russian voice is not installed (Debian: festival festvox-ru)"
        )
    return synthesize(Voice("festival", FESTIVAL_VOICE, 1.0, 0, 1.0), texts, RATE)


def espeak_sentences(texts: list[str], voice: str) -> list[np.ndarray]:
    if not shutil.which("espeak-ng"):
        raise SystemExit("espeak-ng is not installed")
    return synthesize(Voice("espeak-ng", voice, 150, 50, 1.0), texts, RATE)


def noise(seconds: float, rng: np.random.Generator, level_db: float = -62.0) -> np.ndarray:
    """Faint low-passed noise: a room, not digital silence."""
    white = rng.standard_normal(round(seconds * RATE) + 64)
    smooth = np.convolve(white, np.ones(8) / 8, mode="same")[64:]
    return smooth / (smooth.std() + 1e-12) * 10 ** (level_db / 20)


def join(parts: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """Parts with a short lead-in, pauses of 0.4–2.5 s between them, and a short tail."""
    pieces = [noise(float(rng.uniform(0.2, 0.6)), rng)]
    for index, part in enumerate(parts):
        if index:
            pieces.append(noise(float(rng.uniform(0.4, 2.5)), rng))
        pieces.append(part)
    pieces.append(noise(float(rng.uniform(0.2, 0.6)), rng))
    audio = np.concatenate(pieces)
    return audio + noise(len(audio) / RATE, rng)[: len(audio)]


def write_wav(path: Path, samples: np.ndarray) -> None:
    peak = float(np.max(np.abs(samples))) or 1.0
    scaled = samples * min(1.0, 0.7 / peak)
    data = np.clip(np.round(scaled * 32767), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(RATE)
        handle.writeframes(data.tobytes())


def write_set(
    folder: Path, prefix: str, clips: list[list[int]], texts: list[str], spoken: list[np.ndarray]
) -> list[dict[str, object]]:
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob(f"{prefix}-*"):
        old.unlink()
    rng = np.random.default_rng(20261128)
    rows = []
    for number, indices in enumerate(clips):
        audio = join([spoken[i] for i in indices], rng)
        stem = folder / f"{prefix}-{number:03}"
        write_wav(stem.with_suffix(".wav"), audio)
        text = " ".join(texts[i] for i in indices)
        stem.with_suffix(".txt").write_text(text + "\n", encoding="utf-8")
        rows.append({"file": stem.with_suffix(".wav").name, "seconds": len(audio) / RATE})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--espeak", action="store_true", help="also Belarusian and Ukrainian")
    args = parser.parse_args(argv)
    manifest: dict[str, object] = {}

    spoken = festival_sentences(RUSSIAN)
    rows = write_set(args.out / "ru-festival", "ru-fest", CLIPS, RUSSIAN, spoken)
    manifest["ru-festival"] = {"engine": f"festival {FESTIVAL_VOICE}", "clips": rows}
    if args.espeak:
        for lang, texts in (("be", BELARUSIAN), ("uk", UKRAINIAN)):
            spoken = espeak_sentences(texts, lang)
            clips = [[i] for i in range(len(texts))]
            rows_l = write_set(args.out / f"{lang}-espeak", f"{lang}-espeak", clips, texts, spoken)
            manifest[f"{lang}-espeak"] = {"engine": f"espeak-ng {lang}", "clips": rows_l}
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    for name, entry in manifest.items():
        clips_info = entry["clips"]  # type: ignore[index]
        total = sum(row["seconds"] for row in clips_info)
        print(f"{name}: {len(clips_info)} clips, {total:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
