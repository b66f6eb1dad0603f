# Two commands on a fresh machine:  make demo  (the main job on the bundled sample)
#                                   make test  (install everything, lint, run the suite)
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo-output

# Debian packages: Chromium for the browser tests, Pango (and a font) for the dossier's PDF,
# PostgreSQL for the workbench's tests against a real server (started by the test fixture).
SYSTEM_PACKAGES := chromium libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core postgresql

.PHONY: install system-packages test test-fast lint demo clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# resemblyzer only carries the speaker encoder's weights; its torch stack is not wanted.
	$(BIN)/python -m pip install --quiet --no-deps resemblyzer==0.1.4
	touch $(STAMP)

# Installs only what is missing, only as root on a Debian-like system; otherwise says so.
system-packages:
	@if ! command -v apt-get >/dev/null 2>&1; then \
	    echo "note: no apt-get; browser tests skip without /usr/bin/chromium, PDF needs Pango"; \
	else \
	    missing=""; \
	    for package in $(SYSTEM_PACKAGES); do \
	        dpkg-query -W -f='$${Status}' $$package 2>/dev/null | grep -q "ok installed" \
	            || missing="$$missing $$package"; \
	    done; \
	    if [ -n "$$missing" ] && [ "$$(id -u)" != 0 ]; then \
	        echo "note: not root, so not installing$$missing (browser tests skip without it)"; \
	    elif [ -n "$$missing" ]; then \
	        echo "installing Debian packages:$$missing"; \
	        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	            apt-get install -y -qq$$missing; } >/dev/null \
	            || echo "warning: apt-get could not install$$missing"; \
	    fi; \
	fi

install: system-packages $(STAMP)

# ruff; mypy; and the layer contracts (cli -> jobs -> reports/formats/publish ->
# speech/forensics/vault -> media), checked by import-linter from pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Everything, the slow and reference tests included; two workers (pytest-xdist), one per
# core of the CI machine.
test: lint
	$(BIN)/pytest -q -n 2

# The quick loop (under 3 minutes on 2 cores): tests marked slow or reference are left out.
test-fast: lint
	$(BIN)/pytest -q -n 2 -m "not slow and not reference"

demo: install
	@rm -rf $(DEMO)
	@mkdir -p $(DEMO)
	@export XDG_CONFIG_HOME="$(CURDIR)/$(DEMO)/config"; \
	set -e; \
	$(BIN)/earwitness init $(DEMO)/case; \
	$(BIN)/earwitness report --case $(DEMO)/case -o $(DEMO)/dossiers --translate en \
	    --source "bundled sample" samples/briefing-ru.mp3 samples/briefing-en.wav; \
	$(BIN)/earwitness signoff --case $(DEMO)/case briefing-en.wav --name "Demo Examiner" \
	    --role "forensic audio examiner (demo)" --statement "Findings reviewed."; \
	$(BIN)/earwitness examine --case $(DEMO)/case briefing-en.wav --format html \
	    -o $(DEMO)/briefing-en.examination.html; \
	$(BIN)/earwitness examine --case $(DEMO)/case briefing-en.wav --format text; \
	$(BIN)/earwitness transcribe --case $(DEMO)/case briefing-ru.mp3 --translate en --format srt; \
	$(BIN)/earwitness publish --case $(DEMO)/case briefing-ru.mp3 --subtitles bilingual \
	    -o $(DEMO)/briefing-ru.published.mp4; \
	$(BIN)/earwitness models; \
	$(BIN)/earwitness log --case $(DEMO)/case; \
	$(BIN)/earwitness verify --case $(DEMO)/case; \
	$(BIN)/earwitness export --case $(DEMO)/case -o $(DEMO)/evidence-bag.zip; \
	$(BIN)/earwitness verify-package $(DEMO)/evidence-bag.zip; \
	$(BIN)/earwitness export --case $(DEMO)/case --format ftm -o $(DEMO)/aleph-entities.json; \
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(12))" \
	    > $(DEMO)/workbench-password.txt; \
	$(BIN)/earwitness user add demo --role owner --password-stdin --case $(DEMO)/case \
	    < $(DEMO)/workbench-password.txt; \
	echo; \
	echo "Dossiers:          $(CURDIR)/$(DEMO)/dossiers/index.html"; \
	echo "                   (each: index.html, dossier.pdf, examination.json, transcript.json,"; \
	echo "                    bilingual transcript.srt and .vtt, transcript.docx)"; \
	echo "Case folder:       $(CURDIR)/$(DEMO)/case/.earwitness"; \
	echo "Custody log:       $(CURDIR)/$(DEMO)/case/.earwitness/custody.jsonl"; \
	echo "Evidence package:  $(CURDIR)/$(DEMO)/evidence-bag.zip"; \
	echo "Examination:       $(CURDIR)/$(DEMO)/briefing-en.examination.html"; \
	echo "Aleph entities:    $(CURDIR)/$(DEMO)/aleph-entities.json"; \
	echo "Video to publish:  $(CURDIR)/$(DEMO)/briefing-ru.published.mp4"; \
	echo "Signing key (demo): $(CURDIR)/$(DEMO)/config/earwitness/"; \
	echo "Team workbench:    XDG_CONFIG_HOME=$(CURDIR)/$(DEMO)/config $(BIN)/earwitness serve --case $(DEMO)/case"; \
	echo "                   (http://127.0.0.1:8765/, account demo, password in $(DEMO)/workbench-password.txt)"

clean:
	rm -rf $(DEMO) .pytest_cache .ruff_cache
