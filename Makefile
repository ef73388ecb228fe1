# Two commands: `make run` and `make test`. Everything else is set up by them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
STAMP := $(VENV)/.installed

.PHONY: run test install lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -qq --upgrade pip
	$(BIN)/python -m pip install -qq -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/pathway db upgrade
	$(BIN)/pathway demo --if-empty
	@$(BIN)/pathway demo token --url http://127.0.0.1:$(PORT)
	@$(BIN)/pathway demo sign-ins --url http://127.0.0.1:$(PORT)
	$(BIN)/pathway serve --host 127.0.0.1 --port $(PORT)

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .

# The project's own modules compiled first, as an installed package's are (an editable
# install leaves that to the first run, which may not write them): start-up is timed as a
# user's installation has it.
bench: install
	$(BIN)/python -m compileall -q pathway workflows benchmarks
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache .hypothesis
