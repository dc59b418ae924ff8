# The two commands a newcomer needs: `make demo` and `make test`.
# Each creates the virtual environment (.venv) on first use.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: demo test bench clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

demo: $(BIN)/.installed
	$(BIN)/readiness demo

# Four test processes (pytest-xdist), each test module whole in one of them (its module-scoped
# crawls and servers are shared by its tests): most of the suite's time is waiting on crawls,
# servers and subprocesses, so four pay on two cores. `pytest -n 0` runs it in one process.
test: $(BIN)/.installed
	$(BIN)/python -m pytest -n 4 --dist loadfile

bench: $(BIN)/.installed
	$(BIN)/python bench/crawl_speed.py

clean:
	rm -rf $(VENV) build *.egg-info
