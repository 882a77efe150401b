# The two commands a newcomer needs: `make serve` and `make test`. Both install first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install serve test soak bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

serve: install
	$(BIN)/massage-rules serve --host 127.0.0.1 --port 8080

test: install
	$(BIN)/massage-rules validate decision_tables
	$(BIN)/massage-rules test decision_tables
	$(BIN)/python -m pytest -q

# Long runs, not part of `make test` (figures in benchmarks/RESULTS.md)
soak: install
	HYPOTHESIS_PROFILE=soak $(BIN)/python -m pytest -q -p no:cacheprovider tests/property
	$(BIN)/python tests/soak/load_with_reloads.py --seconds 60
	$(BIN)/python tests/soak/memory.py --decisions 200000

bench: install
	$(BIN)/python benchmarks/engine_scale.py
	$(BIN)/python benchmarks/http_load.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
