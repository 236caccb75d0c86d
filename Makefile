PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/zumik-support serve

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check domain projections infra api tests bench
	$(BIN)/ruff format --check domain projections infra api tests bench
	$(BIN)/mypy
	$(BIN)/mypy --strict bench/*.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
