# The verbs people expect. `make book` and `make test` install what they need first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# nbgrader runs `alembic` from PATH when it creates a gradebook.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install book test lint bench serve clean grade release lab

# Three installs into the same venv, each a superset of the one before, so each verb sets up
# only what it needs: the student stack (make lab: JupyterLab, no root), the book (make book:
# adds Jupyter Book) and everything (make test and grading: adds the test tools, nbgrader and
# two Debian packages, bubblewrap and chromium, which need root).
install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml scripts/install-system-packages.sh
	bash scripts/install-system-packages.sh
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(VENV)/.installed-lab $(VENV)/.installed-book $@

$(VENV)/.installed-book $(VENV)/.installed-lab: $(VENV)/.installed-%: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[$(if $(filter book,$*),book$(comma))lab]'
	touch $@

comma := ,

book: $(VENV)/.installed-book
	$(BIN)/jupyter-book build . -W -n --keep-going

# The student path: JupyterLab on lectures/, each .md lecture opening as a notebook
# (jupytext's viewer, set as the default in binder/lab-settings/overrides.json). One torch
# thread, as the book build and the grader use: fastest for the course's tiny models, and a
# homework run then ends where the grader's re-run ends.
lab: $(VENV)/.installed-lab
	OMP_NUM_THREADS=1 $(BIN)/jupyter lab --ServerApp.root_dir=lectures --LabApp.app_settings_dir=$(abspath binder/lab-settings)

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python scripts/lint_lectures.py
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .
	$(BIN)/python scripts/lint_lectures.py

bench: install
	for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

serve: book
	$(BIN)/python -m http.server --directory _build/html 8000

clean:
	rm -rf _build .pytest_cache .hypothesis
	find . -name __pycache__ -prune -exec rm -rf {} +

# Homework: see homework/README.md for the whole round trip.
# Every assignment in homework/source/: MyST -> source notebook (jupytext) -> nbgrader's
# release -> homework/student/<assignment>.ipynb and the book's copy (homework/tools/release.py).
release: install
	$(BIN)/python homework/tools/release.py --release

# Every submitted student of every assignment in homework/source/, on all cores: autograde,
# feedback, export; who needs a look is listed at the end (homework/README.md, step 4).
grade: install
	cd homework && OMP_NUM_THREADS=1 $(abspath $(BIN))/python -m lrlab_grading.classgrade
