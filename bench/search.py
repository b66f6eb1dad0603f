"""Search over 1,000 hours of transcripts: p50/p95 per backend (goal: p95 ≤ 200 ms on each).

    nice -n 10 .venv/bin/python bench/search.py [--hours 1000] [--queries 300]
        [--db postgresql://…] [--work bench/work/search] [--quick]

What it measures. ``--hours`` of generated transcript text, one exhibit per hour (so 1,000
exhibits), each a 10-second segment of about 25 words (150 words a minute), 70 % of the
exhibits Russian and 30 % English, three speakers, 1 % of the segments under an "edit_point"
finding and five tagged annotations per exhibit. The words are drawn from a lexicon with a
Zipf-like frequency (rank r has weight 1/(r + 2.7)): function words first, then real Russian
and English lemmas, then generated ones (syllables with Russian case endings, English -s/-ed/
-ing), 12,000 Russian and 8,000 English lemmas, each word in a random inflected form. This is
the shape of real speech, where most words are rare and a few are everywhere; the text itself
is nonsense, which does not matter to an index.

The exhibits are indexed through ``SearchIndex.replace_exhibit`` (as the workbench does after a
transcription) into a SQLite file and into PostgreSQL (a throwaway server of the Debian package,
as in the tests, unless ``--db`` names one); the time per backend gives the indexing throughput.
PostgreSQL is ANALYZEd after the load (autovacuum would do it on a server); SQLite's FTS5 is
left as its automerge leaves it. Then ``--queries`` queries, the same on both backends, each
timed around ``SearchIndex.search`` (parsing, stemming in every language, the SQL, the rows, the
snippets): half single content words in a random inflected form (frequency ranks 30–3,000, log-
uniform), a quarter two words, a quarter one word with a filter (language, exhibit, speaker,
finding or kind). Twenty warm-up queries are not timed.

The baseline, same run, same file: an unindexed ``count(*) … WHERE text LIKE '%form%'`` scan of
SQLite's document table for 20 of the single words (what search costs without the index); the
ratio of its median to the FTS5 median is printed. Printed per backend: documents, indexing
time and hours of audio indexed per second, and p50/p95/max query time against the goal.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from earwitness.search import Document, SearchIndex, SearchQuery  # noqa: E402
from earwitness.web.db import database_url, open_database  # noqa: E402

GOAL_MS = 200.0
SEGMENT_S = 10.0
WORDS_PER_SEGMENT = 25  # 150 words a minute
SEGMENTS_PER_EXHIBIT = 360  # one hour


def _words(text: str) -> list[str]:
    return text.split()


RU_FUNCTION = _words("и в не на что я он с это а как по но она они мы ты к у же вы за бы так от")
EN_FUNCTION = _words("the and to of a in that it is was i you he for on we they but with be")
RU_NOUNS = _words(
    "протест город суд митинг адвокат журналист приказ документ разговор звонок телефон "
    "автобус задержан командир начальник список арест штаб отдел банк договор"
)
RU_FEM = _words("улица машина работа встреча власть площадь камера бригада граница")
RU_NOUN_ENDINGS = ["", "а", "у", "ом", "е", "ы", "ов", "ам", "ами", "ах"]
RU_FEM_ENDINGS = ["а", "ы", "е", "у", "ой", "ам", "ами", "ах"]
RU_SPECIAL = [["Минск", "Минска", "Минску", "Минском", "Минске"], ["Окрестина", "Окрестину"]]
EN_LEMMAS = _words(
    "protest arrest order call meet report detain command street bank money border "
    "document witness record police officer court transfer list camera"
)
SYLLABLES_RU = [c + v for c in "бвгджзклмнпрстфхцчш" for v in "аеиоуя"]
SYLLABLES_EN = [c + v for c in "bcdfghjklmnprstvwz" for v in "aeiou"]
CONSONANTS_RU = "бвгдклмнпрст"
CONSONANTS_EN = "bdgklmnprst"


def lexicon(rng: np.random.Generator, language: str, size: int) -> list[list[str]]:
    """``size`` lemmas, each the list of its surface forms, most frequent first."""
    if language == "ru":
        lemmas = [[w] for w in RU_FUNCTION] + [list(forms) for forms in RU_SPECIAL]
        lemmas += [[n + e for e in RU_NOUN_ENDINGS] for n in RU_NOUNS]
        lemmas += [[n[:-1] + e for e in RU_FEM_ENDINGS] for n in RU_FEM]
    else:
        lemmas = [[w] for w in EN_FUNCTION] + [[w, w + "s", w + "ed", w + "ing"] for w in EN_LEMMAS]
    syllables = SYLLABLES_RU if language == "ru" else SYLLABLES_EN
    consonants = CONSONANTS_RU if language == "ru" else CONSONANTS_EN
    seen = {forms[0] for forms in lemmas}
    while len(lemmas) < size:
        parts = rng.integers(0, len(syllables), int(rng.integers(2, 4)))
        stem = "".join(syllables[i] for i in parts) + consonants[int(rng.integers(len(consonants)))]
        if stem in seen:
            continue
        seen.add(stem)
        if language == "ru":
            lemmas.append([stem + e for e in RU_NOUN_ENDINGS])
        else:
            lemmas.append([stem, stem + "s", stem + "ed", stem + "ing"])
    return lemmas


class Corpus:
    """The generated lexicons and, per exhibit, its documents (the same for the same seed)."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.lemmas = {"ru": lexicon(rng, "ru", 12_000), "en": lexicon(rng, "en", 8_000)}
        self.weights = {}
        for language, lemmas in self.lemmas.items():
            weights = 1.0 / (np.arange(len(lemmas)) + 2.7)
            self.weights[language] = weights / weights.sum()

    @staticmethod
    def sha(exhibit: int) -> str:
        return f"{exhibit:064x}"

    @staticmethod
    def language(exhibit: int) -> str:
        return "en" if exhibit % 10 in (3, 6, 9) else "ru"

    def documents(self, exhibit: int) -> list[Document]:
        rng = np.random.default_rng(1000 + exhibit)
        language = self.language(exhibit)
        lemmas = self.lemmas[language]
        count = SEGMENTS_PER_EXHIBIT * WORDS_PER_SEGMENT
        chosen = rng.choice(len(lemmas), size=count, p=self.weights[language])
        picks = rng.integers(0, 1 << 30, size=count)
        words = [
            lemmas[i][p % len(lemmas[i])]
            for i, p in zip(chosen.tolist(), picks.tolist(), strict=True)
        ]
        sha = self.sha(exhibit)
        docs = []
        for n in range(SEGMENTS_PER_EXHIBIT):
            part = words[n * WORDS_PER_SEGMENT : (n + 1) * WORDS_PER_SEGMENT]
            text = " ".join(part).capitalize() + "."
            start = n * SEGMENT_S
            findings = ("edit_point",) if rng.random() < 0.01 else ()
            speaker = f"S{int(rng.integers(1, 4))}"
            docs.append(
                Document(
                    sha,
                    "segment",
                    str(n),
                    start,
                    start + SEGMENT_S,
                    language,
                    speaker,
                    (),
                    findings,
                    text,
                )
            )
        for n in range(5):
            start = float(rng.integers(0, 3600))
            note = " ".join(lemmas[int(i)][0] for i in rng.integers(30, 3000, 8))
            docs.append(
                Document(
                    sha,
                    "annotation",
                    str(n),
                    start,
                    start + 5,
                    None,
                    None,
                    ("check", f"tag{n}"),
                    (),
                    note,
                )
            )
        return docs

    def word(self, rng: np.random.Generator, language: str, low: int, high: int) -> str:
        rank = int(math.exp(rng.uniform(math.log(low), math.log(high))))
        forms = self.lemmas[language][rank]
        return forms[int(rng.integers(len(forms)))]


def queries(corpus: Corpus, count: int, exhibits: int, seed: int = 7) -> list[SearchQuery]:
    rng = np.random.default_rng(seed)
    out: list[SearchQuery] = []
    for n in range(count):
        language = "en" if rng.random() < 0.3 else "ru"
        word = corpus.word(rng, language, 30, 3000)
        kind = n % 4
        if kind in (0, 1):
            out.append(SearchQuery(word))
        elif kind == 2:
            out.append(SearchQuery(f"{word} {corpus.word(rng, language, 30, 1000)}"))
        else:
            choice = int(rng.integers(5))
            exhibit = corpus.sha(int(rng.integers(exhibits)))
            filters: list[dict[str, Any]] = [
                {"language": language},
                {"exhibit": exhibit},
                {"speaker": "S2"},
                {"finding": "edit_point"},
                {"kind": "segment"},
            ]
            out.append(SearchQuery(word, **filters[choice]))
    return out


def load(index: SearchIndex, corpus: Corpus, exhibits: int) -> float:
    """Index every exhibit; the seconds spent in ``replace_exhibit`` only."""
    spent = 0.0
    for exhibit in range(exhibits):
        docs = corpus.documents(exhibit)
        began = time.perf_counter()
        index.replace_exhibit(corpus.sha(exhibit), docs)
        spent += time.perf_counter() - began
        if exhibit % 100 == 99:
            print(f"  {exhibit + 1} exhibits, {spent:.0f} s", file=sys.stderr, flush=True)
    return spent


def timed(index: SearchIndex, batch: list[SearchQuery]) -> tuple[list[float], list[int]]:
    for query in batch[:20]:  # warm-up
        index.search(query)
    times, found = [], []
    for query in batch:
        began = time.perf_counter()
        hits = index.search(query)
        times.append((time.perf_counter() - began) * 1000)
        found.append(len(hits))
    return times, found


def like_baseline(engine: Any, words: list[str]) -> list[float]:
    from sqlalchemy import text

    times = []
    with engine.connect() as connection:
        for word in words:
            began = time.perf_counter()
            connection.execute(
                text("SELECT count(*) FROM search_documents WHERE text LIKE :p"),
                {"p": f"%{word}%"},
            ).scalar()
            times.append((time.perf_counter() - began) * 1000)
    return times


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def report(name: str, docs: int, hours: float, load_s: float, times: list[float]) -> None:
    p95 = percentile(times, 95)
    verdict = "meets" if p95 <= GOAL_MS else "MISSES"
    print(
        f"{name:<11} {docs:>9} docs, indexed in {load_s:7.1f} s ({hours / load_s:6.2f} h/s); "
        f"query p50 {percentile(times, 50):6.1f} ms, p95 {p95:6.1f} ms, max {max(times):7.1f} ms"
        f" — {verdict} the goal p95 <= {GOAL_MS:.0f} ms"
    )


def _postgres(args: argparse.Namespace) -> Iterator[str]:
    if args.db:
        yield database_url(args.db, Path("."))
        return
    from tests.postgres_server import PostgresServer, binaries

    found = binaries()
    if found is None:
        print("PostgreSQL server not installed: apt-get install postgresql", file=sys.stderr)
        return
    server = PostgresServer(found, settings="-c shared_buffers=512MB -c work_mem=16MB")
    server.start()
    try:
        yield server.create_database("search_bench")
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--hours", type=float, default=1000.0, help="hours of transcripts")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--db", help="an existing PostgreSQL database (else a throwaway one)")
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "work" / "search")
    parser.add_argument("--quick", action="store_true", help="10 hours, 60 queries (smoke run)")
    args = parser.parse_args(argv)
    if args.quick:
        args.hours, args.queries = 10.0, 60
    exhibits = max(1, round(args.hours))
    hours = exhibits * SEGMENTS_PER_EXHIBIT * SEGMENT_S / 3600
    corpus = Corpus()
    batch = queries(corpus, args.queries, exhibits)
    args.work.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="search-", dir=args.work))
    print(f"{hours:.0f} h of transcripts, {exhibits} exhibits, {len(batch)} queries, "
          f"load average {os.getloadavg()[0]:.1f} at the start")  # fmt: skip
    results: dict[str, tuple[int, float, list[float], list[int]]] = {}
    try:
        sqlite = open_database(f"sqlite:///{folder / 'workbench.sqlite'}")
        index = SearchIndex(sqlite)
        print("indexing into SQLite", file=sys.stderr)
        load_s = load(index, corpus, exhibits)
        times, found = timed(index, batch)
        results["SQLite"] = (index.count(), load_s, times, found)
        words = [q.text for q in batch if " " not in q.text][:20]
        base = like_baseline(sqlite, words)
        fts = [t for q, t in zip(batch, times, strict=True) if q.text in words]
        sqlite.dispose()
        for url in _postgres(args):
            engine = open_database(url)
            index = SearchIndex(engine)
            print("indexing into PostgreSQL", file=sys.stderr)
            load_s = load(index, corpus, exhibits)
            from sqlalchemy import text

            with engine.begin() as connection:
                connection.execute(text("ANALYZE search_documents"))
                connection.execute(text("ANALYZE search_labels"))
            times, found_pg = timed(index, batch)
            results["PostgreSQL"] = (index.count(), load_s, times, found_pg)
            differ = sum(a != b for a, b in zip(found, found_pg, strict=True))
            print(f"queries answered with a different number of hits: {differ}")
            engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"hits per query (limit 50): median {statistics.median(found):.0f}, "
        f"with none: {sum(n == 0 for n in found)}"
    )
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    for name, (docs, load_s, times, _) in results.items():
        report(name, docs, hours, load_s, times)
    print(
        f"baseline: unindexed LIKE scan of SQLite for {len(words)} words: median "
        f"{statistics.median(base):.0f} ms; FTS5 median for the same words "
        f"{statistics.median(fts):.1f} ms; ratio scan / index = "
        f"{statistics.median(base) / statistics.median(fts):.0f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
