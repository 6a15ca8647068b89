# Two commands a fresh clone needs: `make demo` and `make test`. Everything else is a helper.
PY      ?= python3.11
VENV    ?= .venv
BIN     := $(VENV)/bin
LAKE    ?= lake
OUT     ?= out/demo
STAMP   := $(VENV)/.installed

# bash with pipefail: a failed pip fails the target even though its output is filtered.
SHELL   := bash
.SHELLFLAGS := -eo pipefail -c
# pip's "installed in a location not on PATH" notes are noise inside a venv; the filter keeps the
# rest, and `|| true` belongs to grep alone (grep -v exits 1 when it prints nothing).
QUIET   := 2>&1 | { grep -v "^WARNING: Location" || true; }

.PHONY: demo test install lint format bench clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need Python 3.11 as '$(PY)' (set PY=...)"; exit 1; }
	@echo "==> creating $(VENV) with $(PY)"
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip $(QUIET)

# torch first: a pinned CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml requirements.lock requirements-dev.txt
	@echo "==> [1/4] torch (CPU wheel, about 200 MB; a minute or more on a fresh machine)"
	$(BIN)/pip install -q torch==2.13.0 $(QUIET)
	@echo "==> [2/4] pinned dependencies from requirements.lock (a minute or two)"
	$(BIN)/pip install -q -r requirements.lock -r requirements-dev.txt $(QUIET)
	@echo "==> [3/4] memelab itself (editable)"
	$(BIN)/pip install -q --no-deps --no-build-isolation -e . $(QUIET)
	@echo "==> [4/4] checking the imports"
	$(BIN)/python -c "import memelab.datasets, memelab.engine, numba, vectorbt, duckdb"
	@touch $(STAMP)
	@echo "==> installed into $(VENV)"

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/memelab demo --lake $(LAKE) --out $(OUT)

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --nbmake --timeout=1200 $(PYTEST_ARGS)

bench: $(STAMP)
	@for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) $(LAKE) out .pytest_cache
