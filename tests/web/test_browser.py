"""The workbench in a real browser: Debian's Chromium driven by Playwright against a real
server (uvicorn in a subprocess, a real case, SQLite, Argon2id), one server and one browser for
the module, a fresh browser context per person. Every context records its requests: none may
leave the server's origin, and no page may throw."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from earwitness.forensics.registry import check_title
from earwitness.jobs.review import newest_transcript, record_edit
from earwitness.review.edits import AddAnnotation
from earwitness.vault.case import Case
from earwitness.vault.custody import iter_events
from tests.conftest import write_wav
from tests.web.browser_support import (
    CHROMIUM,
    CHROMIUM_SKIP,
    Server,
    Watched,
    launch_chromium,
    review_ready,
    start_server,
    store_transcript,
    transcript_dict,
)

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not CHROMIUM.exists(), reason=CHROMIUM_SKIP)]
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a dev dependency")

LINES = [
    (0.0, 2.0, "S1", "Добрый день, ребята."),
    (2.0, 4.0, "S2", "Мы поедем в Минск завтра утром."),
    (4.0, 6.0, "S1", "Витя ага, всё понял."),
    (6.0, 8.0, "S2", "Документы лежат у меня дома."),
    (8.0, 10.0, "S1", "Никому не говори об этом."),
    (10.0, 12.0, "S2", "Хорошо, до встречи."),
]
TURNS = [
    (0.0, 4.0, "S1", "Раз два три четыре"),
    (4.0, 8.0, "S2", "Пять шесть семь восемь"),
    (8.0, 12.0, "S2", "Девять десять"),
]
AGAIN = [  # "again.wav" as first transcribed, and as transcribed again by another model
    (0.0, 3.0, "S1", "Тише, тише."),
    (0.0, 3.0, "S1", "Тише, тише, ребята."),
]
# Markup, and a right-to-left override that would make the name end in "vaw.gpj" on screen.
HOSTILE_NAME = "<script>window.__xss=2<img src=x onerror=window.__xss=3>\u202egpj.wav"
HOSTILE_NAME_SHOWN = HOSTILE_NAME.replace("\u202e", "\\u202e")
HOSTILE_NOTE = "<img src=x onerror=window.__xss=1>"
FINDINGS = [  # the examination of "call": one edit point, and a kind no check declares
    {"kind": "edit_point", "check": "enf", "start_s": 5.5, "end_s": 6.5, "score": 0.9}
    | {"log10_lr": 1.4, "verbal": "<i>planted words</i>"},
    {"kind": "<b>odd</b>", "check": "x", "start_s": 9.0, "end_s": 9.2, "score": 0.3},
]
EDITORS = ["erin", "ed1", "ed2"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("workbench")
    audio = write_wav(folder / "source" / "call.wav", seconds=12.0, rate=16000)
    other = write_wav(folder / "source" / "other.wav", seconds=3.0, rate=16000, seed=3)
    turns = write_wav(folder / "source" / "turns.wav", seconds=12.0, rate=16000, seed=5)
    again = write_wav(folder / "source" / "again.wav", seconds=3.0, rate=16000, seed=7)
    twice = write_wav(folder / "source" / "twice.wav", seconds=3.0, rate=16000, seed=11)
    spec = {
        "exhibits": [
            {
                "key": "call",
                "audio": str(audio),
                "name": "call-minsk.wav",
                "transcript": transcript_dict(LINES),
                "findings": FINDINGS,
            },
            {
                "key": "hostile",
                "audio": str(other),
                "name": HOSTILE_NAME,
                "transcript": transcript_dict([(0.0, 3.0, "S1", "Тише, тише.")]),
            },
            {
                "key": "turns",
                "audio": str(turns),
                "name": "turns.wav",
                "transcript": transcript_dict(TURNS),
            },
            {
                "key": "again",
                "audio": str(again),
                "name": "again.wav",
                "transcript": transcript_dict(AGAIN[:1]),
            },
            {
                "key": "twice",
                "audio": str(twice),
                "name": "twice.wav",
                "transcript": transcript_dict(AGAIN[:1]),
            },
        ],
        "accounts": [["vera", "viewer"], ["rita", "reviewer"]]
        + [[name, "editor"] for name in EDITORS],
    }
    started = start_server(folder, spec)
    yield started
    started.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        yield launched
        launched.close()


@pytest.fixture
def person(browser: Any, server: Server) -> Iterator[Callable[[], Watched]]:
    """``person()`` → a new browser context (a person at their own browser)."""
    opened: list[Watched] = []

    def make() -> Watched:
        watched = Watched.open(browser, server.url)
        opened.append(watched)
        return watched

    yield make
    for watched in opened:
        watched.close()
    for watched in opened:
        assert watched.foreign() == [], f"a page reached outside the server: {watched.foreign()}"
        assert watched.errors == [], watched.errors


def review(watched: Watched, server: Server, name: str, key: str = "call", at: str = "") -> Any:
    page = watched.login(name, next_path=f"/exhibits/{server.exhibits[key]}{at}")
    review_ready(page)
    return page


def post_edit(page: Any, sha: str, with_token: bool = True) -> int:
    """The status of a correction POSTed by the page's own fetch, as a script could."""
    return page.evaluate(
        """async ([sha, withToken]) => {
            const headers = {"Content-Type": "application/json"};
            if (withToken) {
                headers["X-CSRF-Token"] = document.querySelector('meta[name="csrf-token"]').content;
            }
            const answer = await fetch(`/api/exhibits/${sha}/edits`, {method: "POST", headers,
                body: JSON.stringify({edit: {kind: "correct_text", segment_id: 0, text: "взлом"},
                                      base_versions: {"0": 0}})});
            return answer.status;
        }""",
        [sha, with_token],
    )


def edit_segment(page: Any, segment: int, text: str) -> None:
    page.locator(f"#seg-{segment} .seg-text").dblclick()
    editor = page.locator(f"#seg-{segment} textarea.seg-editor")
    editor.fill(text)
    editor.press("Enter")


def segment_text(page: Any, segment: int) -> str:
    return page.locator(f"#seg-{segment} .seg-text").text_content().strip()


def edit_events(server: Server, account: str) -> list[str]:
    """The kinds of the review edits the custody log says ``account`` made, in order."""
    kinds = []
    for event in iter_events(server.case_root / ".earwitness" / "custody.jsonl"):
        artefact = event.details.get("artefact") or {}
        params = artefact.get("params") or {}
        if artefact.get("stage") == "review_edit" and params.get("account") == account:
            assert event.action == "review"
            kinds.append(params["kind"])
    return kinds


def test_login_form_then_the_player_seeks_and_skips(person: Any, server: Server) -> None:
    watched = person()
    page = watched.login("ed1")
    assert page.url == server.url + "/"
    page.locator("a", has_text="call-minsk.wav").click()
    review_ready(page)
    assert page.locator(".seg").count() == len(LINES)
    assert page.locator("#wave").get_attribute("data-drawn") == "1"
    assert page.text_content("#rv-provenance").startswith("ASR")
    word = page.locator("#w-1-3")  # "Минск", 2.0 + 3 × 2/6 s
    assert word.text_content().strip() == "Минск"
    word.click()
    audio = "document.getElementById('audio')"
    assert page.evaluate(f"{audio}.currentTime") == pytest.approx(3.0, abs=0.05)
    assert "active" in word.get_attribute("class")
    assert "current" in page.locator("#seg-1").get_attribute("class")
    page.locator("body").press("ArrowRight")
    assert page.evaluate(f"{audio}.currentTime") == pytest.approx(8.0, abs=0.05)
    page.locator("body").press("]")
    assert page.evaluate(f"{audio}.playbackRate") == pytest.approx(1.1)
    page.locator("#seg-1").focus()
    page.keyboard.press("Enter")  # Enter on a segment edits it, Esc gives up
    sync_api.expect(page.locator("#seg-1 textarea.seg-editor")).to_be_focused()
    page.keyboard.press("Escape")
    assert page.locator("textarea.seg-editor").count() == 0
    asked = " ".join(watched.requests)
    for path in ("/review", "/peaks", "/audio", "/static/review-core.js", "/static/review.js"):
        assert path in asked
    # The examination's findings: a band on the timeline (a click seeks to its start, not to
    # where it was clicked) and a list whose times seek; every title is text.
    bands = page.locator("#overlays .ov.finding")
    assert bands.count() == 2
    # Only the edit point is drawn in the alarm's red; a kind no check declares is an
    # observation, in the neutral colour (the dossier's classes).
    colours = [band.evaluate("b => getComputedStyle(b).backgroundColor") for band in bands.all()]
    assert colours == ["rgb(198, 40, 40)", "rgb(61, 106, 143)"]
    label = bands.first.get_attribute("title")
    assert f"Edit point ({check_title('enf')}) at 00:00:05.5" in label
    # The calibrated evidence as the dossier words it, the words from the number, not the file.
    assert "log10 LR +1.40 (moderate support for editing here)" in label
    assert "planted" not in page.content()
    bands.first.click()
    assert page.evaluate(f"{audio}.currentTime") == pytest.approx(5.5, abs=0.02)
    evidence = page.locator("#exam-evidence")
    assert evidence.text_content() == "Whole file: moderate support for edited (+1.3)"
    assert evidence.get_attribute("title").startswith("The findings provide moderate support")
    titles = page.locator("#findings .finding-title")
    assert titles.all_text_contents() == ["Edit point", "<b>odd</b>"]
    assert [t.get_attribute("class") for t in titles.all()] == [
        "finding-title sev-hi",
        "finding-title sev-obs",
    ]
    page.locator("#findings button.seek").nth(1).click()
    assert page.evaluate(f"{audio}.currentTime") == pytest.approx(9.0, abs=0.02)


def test_a_viewer_sees_no_edit_controls_and_the_api_refuses(person: Any, server: Server) -> None:
    page = review(person(), server, "vera")
    assert page.locator(".need-editor:visible, .need-reviewer:visible").count() == 0
    assert page.locator("#speakers input").count() == 0
    page.locator("#seg-0 .seg-text").dblclick()
    assert page.locator("textarea.seg-editor").count() == 0
    assert post_edit(page, server.exhibits["call"]) == 403
    assert segment_text(page, 0) == LINES[0][3]


def test_an_editor_corrects_renames_and_redacts_each_a_signed_event(
    person: Any, server: Server
) -> None:
    page = review(person(), server, "erin")
    assert edit_events(server, "erin") == []
    assert post_edit(page, server.exhibits["call"], with_token=False) == 403  # CSRF

    edit_segment(page, 2, "Бедняга, всё понял.")
    sync_api.expect(page.locator("#seg-2 .seg-text")).to_have_text("Бедняга, всё понял.")
    # The ASR text stays beside the correction.
    sync_api.expect(page.locator("#seg-2 .seg-asr .asr-text")).to_have_text(" Витя ага, всё понял.")

    page.fill('#speakers li[data-label="S1"] input', "Иван")
    page.click('#speakers li[data-label="S1"] button')
    sync_api.expect(page.locator("#seg-0 .speaker")).to_have_text("Иван")

    page.fill("#range-start", "8")
    page.fill("#range-end", "10")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#btn-redact")
    sync_api.expect(page.locator(".ov.redaction")).to_have_count(1)
    sync_api.expect(page.locator("#seg-4")).not_to_contain_text("Никому")

    assert edit_events(server, "erin") == ["correct_text", "rename_speaker", "redact"]
    log = (server.case_root / ".earwitness" / "custody.jsonl").read_text(encoding="utf-8")
    assert "Бедняга" not in log and "Иван" not in log  # the words live in the vault, not the log
    page.reload()
    review_ready(page)
    assert segment_text(page, 2) == "Бедняга, всё понял."
    assert "corrections" in page.text_content("#rv-provenance")
    page.click("#btn-diff")
    sync_api.expect(page.locator("#diff li ins", has_text="Бедняга")).to_have_count(1)


def test_corrections_on_an_earlier_transcript_are_named_then_carried(
    person: Any, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = review(person(), server, "ed2", key="again")
    sync_api.expect(page.locator("#rv-earlier")).to_be_hidden()
    edit_segment(page, 0, "Тише, тише, товарищи.")
    sync_api.expect(page.locator("#seg-0 .seg-text")).to_have_text("Тише, тише, товарищи.")
    # The recording is transcribed again while the server runs (as a job would), with the
    # case's signing key where the server keeps it.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(server.case_root.parent / "config"))
    case = Case.open(server.case_root)
    store_transcript(case, server.exhibits["again"], transcript_dict(AGAIN[1:]))
    page.reload()
    review_ready(page)
    assert segment_text(page, 0) == "Тише, тише, ребята."
    note = page.locator("#rv-earlier")
    sync_api.expect(note).to_be_visible()
    sync_api.expect(note).to_contain_text("1 edit was made on an earlier transcript")
    sync_api.expect(note).to_contain_text("It stays in the case")
    # The editor carries it: a dry run asks first, then the correction is made again here.
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    note.locator("button.rv-carry").click()
    sync_api.expect(note).to_contain_text("1 edit was carried to this transcript by ed2")
    assert questions and questions[0].startswith("Carry 1 edit of the earlier")
    assert segment_text(page, 0) == "Тише, тише, товарищи."
    assert edit_events(server, "ed2")[-1] == "correct_text"
    sync_api.expect(note.locator("button")).to_have_count(0)


def test_what_a_carry_cannot_take_is_listed_to_redo(
    person: Any, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = review(person(), server, "ed1", key="twice")
    edit_segment(page, 0, "Тише, тише, товарищи.")
    sync_api.expect(page.locator("#seg-0 .seg-text")).to_have_text("Тише, тише, товарищи.")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(server.case_root.parent / "config"))
    case = Case.open(server.case_root)
    sha = server.exhibits["twice"]
    older = newest_transcript(case, sha)
    assert older is not None
    record_edit(case, sha, older, AddAnnotation(0.5, 1.5, "проверить голос"), "rita")
    store_transcript(case, sha, transcript_dict(AGAIN[1:]))
    page.reload()
    review_ready(page)
    # Someone corrects the same line of the new transcript before the carry.
    edit_segment(page, 0, "Тише, тише, ребята мои.")
    sync_api.expect(page.locator("#seg-0 .seg-text")).to_have_text("Тише, тише, ребята мои.")
    questions: list[str] = []

    def answer(dialog: Any) -> None:
        questions.append(dialog.message)
        dialog.accept()

    page.once("dialog", answer)
    note = page.locator("#rv-earlier")
    note.locator("button.rv-carry").click()
    sync_api.expect(note).to_contain_text("1 edit was carried to this transcript by ed1")
    sync_api.expect(note).to_contain_text("1 thing could not be and is to be redone")
    item = note.locator("ul.rv-redo li")
    sync_api.expect(item).to_have_count(1)
    sync_api.expect(item).to_contain_text("the reviewed segment: edited on the newer transcript")
    assert "These cannot be carried" in questions[0]
    assert segment_text(page, 0) == "Тише, тише, ребята мои."  # not overwritten
    sync_api.expect(page.locator("#annotations")).to_contain_text("проверить голос")
    page.reload()  # the list stays for whoever opens the review later
    review_ready(page)
    sync_api.expect(page.locator("#rv-earlier ul.rv-redo li")).to_have_count(1)
    page.locator("#rv-earlier .rv-seek").click()
    assert page.evaluate("document.getElementById('audio').currentTime") < 0.1


def test_two_editors_change_different_segments_and_both_stay(person: Any, server: Server) -> None:
    first, second = review(person(), server, "ed1"), review(person(), server, "ed2")
    first.locator("#seg-0 .seg-text").dblclick()
    second.locator("#seg-3 .seg-text").dblclick()
    first.locator("#seg-0 textarea").fill("Добрый вечер, ребята.")
    second.locator("#seg-3 textarea").fill("Документы лежат в машине.")
    first.locator("#seg-0 textarea").press("Enter")
    second.locator("#seg-3 textarea").press("Enter")
    for page in (first, second):
        sync_api.expect(page.locator("#status")).to_have_text("Saved.")
        assert page.locator("#conflict").is_hidden()
    for page in (first, second):
        page.reload()
        review_ready(page)
        assert segment_text(page, 0) == "Добрый вечер, ребята."
        assert segment_text(page, 3) == "Документы лежат в машине."


def test_the_same_segment_twice_shows_a_conflict_never_an_overwrite(
    person: Any, server: Server
) -> None:
    first, second = review(person(), server, "ed1"), review(person(), server, "ed2")
    edit_segment(first, 5, "Хорошо, до завтра.")
    sync_api.expect(first.locator("#seg-5 .seg-text")).to_have_text("Хорошо, до завтра.")
    edit_segment(second, 5, "Ладно, до встречи.")  # typed over the version it loaded
    conflict = second.locator("#conflict")
    sync_api.expect(conflict).to_be_visible()
    sync_api.expect(second.locator("#conflict-theirs")).to_have_text("Хорошо, до завтра.")
    sync_api.expect(second.locator("#conflict-mine")).to_have_text("Ладно, до встречи.")
    second.click("#btn-keep-mine")
    sync_api.expect(conflict).to_be_hidden()
    sync_api.expect(second.locator("#seg-5 .seg-text")).to_have_text("Ладно, до встречи.")
    first.reload()
    review_ready(first)
    assert segment_text(first, 5) == "Ладно, до встречи."


def test_search_finds_the_inflected_form_and_opens_that_moment(person: Any, server: Server) -> None:
    page = person().login("vera", next_path="/search?q=Минске")
    hit = page.locator("li.ew-search-hit", has_text="Минск").first
    sync_api.expect(hit).to_be_visible()
    hit.locator("a").click()
    review_ready(page)
    assert page.url.endswith(f"/exhibits/{server.exhibits['call']}#t=2.00")
    page.wait_for_function(
        "() => Math.abs(document.getElementById('audio').currentTime - 2) < 0.05"
    )
    assert "flash" in page.locator("#seg-1").get_attribute("class")


def test_hostile_annotation_and_file_name_stay_text(person: Any, server: Server) -> None:
    page = review(person(), server, "rita", key="hostile")
    assert page.text_content("#rv-name") == HOSTILE_NAME_SHOWN
    assert "Review " + HOSTILE_NAME_SHOWN in page.title()
    assert page.locator(".need-editor:visible").count() == 0  # a reviewer annotates, no more
    page.fill("#range-start", "0.5")
    page.fill("#range-end", "1.5")
    page.fill("#note-text", HOSTILE_NOTE)
    page.fill("#note-tags", "x<b>y</b>, source")
    page.click("#btn-annotate")
    note = page.locator("#annotations .note-text")
    sync_api.expect(note).to_have_text(HOSTILE_NOTE)
    page.reload()
    review_ready(page)
    sync_api.expect(note).to_have_text(HOSTILE_NOTE)
    assert page.locator("#annotations .tag").first.text_content() == "x<b>y</b>"
    assert page.locator("#review img, #review b").count() == 0
    page.goto(server.url + "/")
    sync_api.expect(page.locator("a", has_text="<script>")).to_have_count(1)
    assert page.locator("a", has_text="<script>").text_content() == HOSTILE_NAME_SHOWN
    page.goto(server.url + "/search")
    option = page.locator("select[name=exhibit] option", has_text="<script>")
    sync_api.expect(option).to_have_text(HOSTILE_NAME_SHOWN)
    assert page.locator("script").count() == page.locator("script[src]").count()
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_the_jobs_list_names_each_recording(person: Any, server: Server) -> None:
    page = person().login("erin", next_path="/jobs")
    for key in ("call", "hostile"):  # queued only: this server runs no worker
        status = page.evaluate(
            """async (sha) => {
                const token = document.querySelector('meta[name="csrf-token"]').content;
                const answer = await fetch("/api/jobs", {method: "POST",
                    headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
                    body: JSON.stringify({kind: "examine", exhibit_sha256: sha})});
                return answer.status;
            }""",
            server.exhibits[key],
        )
        assert status == 201
    cells = page.locator("#ew-jobs td.ew-job-exhibit a")
    # Newest first; the name as the other pages show it, cut to 40 characters.
    sync_api.expect(cells).to_have_text([HOSTILE_NAME_SHOWN[:39] + "…", "call-minsk.wav"])
    assert cells.first.get_attribute("href") == f"/exhibits/{server.exhibits['hostile']}"


def texts(page: Any) -> list[str]:
    return [text.strip() for text in page.locator(".seg .seg-text").all_text_contents()]


def caret_at(page: Any, row: int, offset: int) -> None:
    page.locator(".seg .seg-text").nth(row).dblclick()
    page.locator("textarea.seg-editor").evaluate(f"a => a.setSelectionRange({offset}, {offset})")


def test_typing_pauses_and_resume_rewinds_and_the_turn_tools(person: Any, server: Server) -> None:
    page = review(person(), server, "ed1", key="turns")
    audio = "document.getElementById('audio')"
    page.locator("#w-1-0").click()  # 4.0 s
    page.locator("body").press("Space")
    page.wait_for_function(f"() => {audio}.currentTime > 4.6", timeout=10000)
    page.locator("#seg-2 .seg-text").dblclick()
    page.locator("textarea.seg-editor").press("End")
    page.keyboard.type("!")
    assert page.evaluate(f"{audio}.paused")
    paused_at = page.evaluate(f"{audio}.currentTime")
    page.keyboard.press("Control+Space")  # play from the editor: starts 3 s earlier
    page.wait_for_function(f"() => !{audio}.paused")
    assert page.evaluate(f"{audio}.currentTime") == pytest.approx(paused_at - 3, abs=0.4)
    page.keyboard.press("Control+Space")
    page.keyboard.press("Escape")  # cancels the edit
    assert page.locator("textarea.seg-editor").count() == 0
    assert texts(page)[2] == "Девять десять"

    caret_at(page, 0, len("Раз два "))
    page.click("#btn-split")
    sync_api.expect(page.locator(".seg")).to_have_count(4)
    assert texts(page)[:2] == ["Раз два", "три четыре"]
    caret_at(page, 0, 0)
    page.click("#btn-merge-next")
    sync_api.expect(page.locator(".seg")).to_have_count(3)
    assert texts(page)[0] == "Раз два три четыре"
    caret_at(page, 1, len("Пять "))
    page.click("#btn-to-prev")  # "Пять" joins the previous speaker's turn
    sync_api.expect(page.locator(".seg .seg-text").nth(1)).to_have_text("шесть семь восемь")
    assert texts(page)[0] == "Раз два три четыре Пять"
    caret_at(page, 2, 0)
    page.fill("#seg-speaker", "S1")
    page.click("#btn-set-speaker")
    sync_api.expect(page.locator(".seg .speaker").nth(2)).to_have_text("S1")

    page.fill("#range-start", "9")
    page.fill("#range-end", "10")
    page.click("#btn-inaudible")
    sync_api.expect(page.locator(".ov.mark")).to_have_count(1)
    page.fill("#range-start", "0")
    page.fill("#range-end", "2")
    page.fill("#quote-collection", "Главное")
    page.click("#btn-quote")
    sync_api.expect(page.locator("#quotes li")).to_contain_text("Главное")
    page.select_option("#merge-source", "S2")
    page.select_option("#merge-target", "S1")
    page.click("#btn-merge-speakers")
    sync_api.expect(page.locator("#speakers li")).to_have_count(1)
    assert edit_events(server, "ed1").count("split_segment") == 1
