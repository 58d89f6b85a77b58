# gridcrm — the two commands a new user runs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test venv lint sample bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

## demo: install into .venv and run the main job on data/sample/
demo: $(STAMP)
	$(BIN)/gridcrm run --config configs/demo.yaml

## test: install into .venv and run the test suite (slow end-to-end tests included), on two
## processes (pytest-xdist; a test file stays in one process, so its module fixtures are made once)
test: $(STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadfile; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check src tests experiments configs

## sample: regenerate the committed sample in data/sample/ (seeded: same files every time)
sample: $(STAMP)
	$(BIN)/gridcrm synth --customers 2000 --start 2023-01-01 --end 2024-12-31 --seed 20241231 --out data/sample

## bench: the speed and memory benchmarks quoted in README.md
bench: $(STAMP)
	$(BIN)/python experiments/bench_generate.py
	$(BIN)/python experiments/bench_load.py
	$(BIN)/python experiments/bench_features.py
	$(BIN)/python experiments/bench_segmentation.py
	$(BIN)/python experiments/bench_credit.py
	$(BIN)/python experiments/bench_models.py speed
	$(BIN)/python experiments/bench_forecast.py --n-throughput 100000

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache build src/*.egg-info
