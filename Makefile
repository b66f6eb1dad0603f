# Two commands on a fresh machine:  make demo  (the main job on the bundled sample)
#                                   make test  (install everything, lint, run the suite)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo-output

.PHONY: install test lint demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# resemblyzer only carries the speaker encoder's weights; its torch stack is not wanted.
	$(BIN)/python -m pip install --quiet --no-deps resemblyzer==0.1.4
	touch $(STAMP)

install: $(STAMP)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q

demo: install
	@rm -rf $(DEMO)
	@mkdir -p $(DEMO)
	@export XDG_CONFIG_HOME="$(CURDIR)/$(DEMO)/config"; \
	set -e; \
	$(BIN)/earwitness init $(DEMO)/case; \
	$(BIN)/earwitness ingest --case $(DEMO)/case --source "bundled sample" \
	    --note "made with espeak-ng by samples/make_samples.py" samples/briefing-en.wav samples/briefing-ru.mp3; \
	$(BIN)/earwitness examine --case $(DEMO)/case briefing-en.wav --format html \
	    -o $(DEMO)/briefing-en.examination.html; \
	$(BIN)/earwitness examine --case $(DEMO)/case briefing-en.wav --format text; \
	$(BIN)/earwitness models; \
	$(BIN)/earwitness transcribe --case $(DEMO)/case briefing-ru.mp3 --translate en \
	    --format json -o $(DEMO)/briefing-ru.transcript.json; \
	$(BIN)/earwitness transcribe --case $(DEMO)/case briefing-ru.mp3 --translate en \
	    --format srt -o $(DEMO)/briefing-ru.srt; \
	$(BIN)/earwitness transcribe --case $(DEMO)/case briefing-ru.mp3 --translate en \
	    --format docx -o $(DEMO)/briefing-ru.transcript.docx; \
	$(BIN)/earwitness transcribe --case $(DEMO)/case briefing-en.wav --format txt; \
	cat $(DEMO)/briefing-ru.srt; \
	$(BIN)/earwitness log --case $(DEMO)/case; \
	$(BIN)/earwitness verify --case $(DEMO)/case; \
	$(BIN)/earwitness export --case $(DEMO)/case -o $(DEMO)/evidence-bag.zip; \
	$(BIN)/earwitness verify-package $(DEMO)/evidence-bag.zip; \
	echo; \
	echo "Case folder:       $(CURDIR)/$(DEMO)/case/.earwitness"; \
	echo "Custody log:       $(CURDIR)/$(DEMO)/case/.earwitness/custody.jsonl"; \
	echo "Evidence package:  $(CURDIR)/$(DEMO)/evidence-bag.zip"; \
	echo "Examination:       $(CURDIR)/$(DEMO)/briefing-en.examination.html"; \
	echo "Transcripts:       $(CURDIR)/$(DEMO)/briefing-ru.transcript.json, .srt, .transcript.docx"; \
	echo "Signing key (demo): $(CURDIR)/$(DEMO)/config/earwitness/"

clean:
	rm -rf $(DEMO) .pytest_cache .ruff_cache
