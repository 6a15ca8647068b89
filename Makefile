# Two commands a fresh clone needs: `make demo` and `make test`. Everything else is a helper.
PY      ?= python3.11
VENV    ?= .venv
BIN     := $(VENV)/bin
LAKE    ?= lake
OUT     ?= out/demo
STAMP   := $(VENV)/.installed

.PHONY: demo test install lint format bench clean

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "need Python 3.11 as '$(PY)' (set PY=...)"; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true

# torch first: a pinned CPU wheel; an unpinned torch would pull a multi-GB CUDA build.
$(STAMP): $(BIN)/python pyproject.toml requirements.lock requirements-dev.txt
	$(BIN)/pip install -q torch==2.13.0 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install -q -r requirements.lock -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install -q --no-deps --no-build-isolation -e . 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/python -c "import memelab.datasets, memelab.engine, numba, vectorbt, duckdb"
	@touch $(STAMP)

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
