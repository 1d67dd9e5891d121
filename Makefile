# Two commands: `make book` builds the site, `make test` runs the whole suite.
# Both create .venv on first use and reuse it afterwards.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.nnedu-installed

.PHONY: book test bench lint lab serve clean help deck-results

help:
	@echo "make book   build the site with every notebook executed (_build/html)"
	@echo "make test   run the whole test suite"
	@echo "make bench  run the benchmarks against PyTorch"
	@echo "make lint   ruff and mypy (also run by make test)"
	@echo "make deck-results  retrain the decks' MLP and CNN in nnedu and PyTorch (book/data/deck_results.json, ~25 min)"
	@echo "make lab    start JupyterLab on http://127.0.0.1:8888 at the repository root (LAB_PORT=...)"
	@echo "make serve  preview the built site on http://127.0.0.1:8000 (PORT=...)"
	@echo "make clean  remove _build and build (keeps .venv)"

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "nnedu needs Python 3.10+, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the requirements or the package metadata change.
$(STAMP): $(PY) requirements.txt pyproject.toml
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

book: $(STAMP)
	NNEDU_STATIC=1 $(VENV)/bin/jupyter-book build . -W --keep-going
	@echo "Open: $(CURDIR)/_build/html/index.html"

# Two workers on two cores: each worker's BLAS and torch thread pools get one thread, or four
# threads share two cores and the torch-heavy tests run several times slower than alone.
test: $(STAMP)
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadfile

bench: $(STAMP)
	$(PY) -m benchmarks

lint: $(STAMP)
	$(VENV)/bin/ruff check nnedu tests benchmarks experiments
	$(VENV)/bin/mypy nnedu experiments

# The decks' headline results for chapter 12, on the offline MNIST test split (FULL=1: on full MNIST).
deck-results: $(STAMP)
	nice -n 10 $(PY) -m experiments.deck_results $(if $(FULL),--full)

# JupyterLab for students: exercises/ (the graded work) and book/ (chapters with live widgets).
# Only on 127.0.0.1, with a fresh token (passed in the environment, not on the command line).
# port_retries=0: if the port is taken, JupyterLab stops instead of moving to another port,
# so the URL printed here is always the right one (then use LAB_PORT=...). As root (a container),
# JupyterLab needs --allow-root.
LAB_PORT ?= 8888
lab: $(STAMP)
	@token=$$($(PY) -c 'import secrets; print(secrets.token_hex(24))'); \
	echo "JupyterLab in $(CURDIR): open exercises/ for the graded work, book/ for the chapters with live widgets."; \
	echo "URL: http://127.0.0.1:$(LAB_PORT)/lab?token=$$token   (Ctrl-C to stop)"; \
	JUPYTER_TOKEN=$$token exec $(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(LAB_PORT) \
	    --ServerApp.port_retries=0 --ServerApp.root_dir="$(CURDIR)" $$([ "$$(id -u)" = 0 ] && echo --allow-root)

PORT ?= 8000
serve:
	@test -f _build/html/index.html || { echo "no site yet: run make book first"; exit 1; }
	@echo "Serving _build/html on http://127.0.0.1:$(PORT)/ (Ctrl-C to stop)"
	$(PYTHON) -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

clean:
	rm -rf _build build  # build/: setuptools keeps old files there, which a wheel built here would ship
