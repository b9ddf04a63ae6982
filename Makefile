# Two entry points: `make demo` and `make test`. Both create .venv on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    ?= out
JOBS   ?= 2

.PHONY: demo test lint browser bench clean

$(BIN)/twin: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.dev: $(BIN)/twin
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# The baseline community, then three governance policies compared on common random numbers.
demo: $(BIN)/twin
	$(BIN)/twin run scenarios/baseline.yaml --jobs $(JOBS) --out $(OUT)/baseline
	$(BIN)/twin compare scenarios/disputes_baseline.yaml scenarios/disputes_online_mediation.yaml \
	    scenarios/disputes_strict_grading.yaml --jobs $(JOBS) --out $(OUT)/demo
	@echo "Open $(OUT)/demo/report.html (and $(OUT)/baseline/report.html) in a browser."

lint: $(VENV)/.dev
	$(BIN)/ruff check twin tests benchmarks
	$(BIN)/mypy twin
	$(BIN)/lint-imports

# headless Chromium, for the test that opens the HTML report in a browser
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)

test: lint browser
	$(BIN)/pytest -q -n auto

bench: $(BIN)/twin
	$(BIN)/python benchmarks/run_benchmarks.py

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
