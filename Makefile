# ils: set-up, demo and tests.
#
#   make demo    system packages + virtual environment + the embedded demo warehouse + the standard reports
#   make test    system packages + virtual environment + the whole test suite
#
# Both work on a fresh Debian machine with only python3, make and git.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Redone only when pyproject.toml changes (or the venv is removed).
VENV_STAMP := $(VENV)/.stamp-installed
# Extra arguments for pytest, e.g. make test PYTEST_ARGS='-k warehouse -x'
PYTEST_ARGS ?=

.PHONY: help system venv node_modules demo test lint docs clean

help:
	@echo "make demo    set up everything, build the embedded demo warehouse and run the standard reports"
	@echo "make test    set up everything and run the tests"
	@echo "make venv    create .venv and install ilslib with its dev extras"
	@echo "make system  install the Debian packages (scripts/install-system.sh)"
	@echo "make lab     start JupyterLab with the project's kernel (LAB_ARGS='--no-browser --port 8890')"
	@echo "make kernel  install the Jupyter kernel \"Python 3 (ils)\" into .venv"
	@echo "make lint    ruff check, ruff format --check, mypy and vulture"
	@echo "make docs    refresh the generated DDL in docs/warehouse.md"
	@echo "make clean   remove .venv, caches and build files (outputs/ and the demo warehouse stay)"

system:
	bash scripts/install-system.sh

$(VENV_STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	$(BIN)/python -m ipykernel install --sys-prefix --name ils --display-name "Python 3 (ils)" >/dev/null
	@touch $@

venv: $(VENV_STAMP)

# Node packages for the tests (axe-core: accessibility checks of the reports in Debian's
# chromium), exactly as locked in package-lock.json; redone when either file changes.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

node_modules: node_modules/.package-lock.json

# The main job on the embedded demo warehouse, the standard run set (parameters/standard.yaml) for
# the latest period: every organisation's report (HTML, PDF, Excel) and short version, the group
# reports, the books of the nämnder and the bolag, and the portal outputs/index.html.
demo: system venv
	$(BIN)/ils demo
	$(BIN)/ils run parameters/standard.yaml --out outputs
	@echo
	@echo "Open the reports: $(CURDIR)/outputs/index.html   (or: $(BIN)/ils serve, then http://127.0.0.1:8000/)"

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
# mypy: the type check of ilslib ([tool.mypy] in pyproject.toml), before the tests.
test: system venv node_modules
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@rc=0; $(BIN)/python -m pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make test: pytest ran no tests" >&2; exit 1; fi; \
	exit $$rc

# The project's Jupyter kernel "Python 3 (ils)" (name ils): this venv's Python, installed
# into the venv itself (never ~/.local), so it goes with `make clean`. A plain `pip install .`
# ships the same kernel (share/jupyter/kernels/ils); the editable install of .venv does not,
# hence this (and the same line in the venv recipe).
.PHONY: kernel lab
kernel: venv
	$(BIN)/python -m ipykernel install --sys-prefix --name ils --display-name "Python 3 (ils)"

# JupyterLab from the venv, on localhost, opening the guided tour. The warehouse comes from the
# usual configuration (ILS_WAREHOUSE, ~/.config/ils/config.toml, else the demo); docs/jupyterlab.md.
LAB_ARGS ?=
lab: kernel
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --MappingKernelManager.default_kernel_name=ils $(LAB_ARGS) notebooks/explore.ipynb

# Style, format, types, and dead code (vulture: [tool.vulture] in pyproject.toml, scripts/vulture_whitelist.py).
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/vulture

docs: venv
	ILS_UPDATE_DOCS=1 $(BIN)/python -m pytest -q tests/test_warehouse.py -k docs_ddl

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache build dist *.egg-info
	find . -name __pycache__ -type d -not -path './.git/*' -prune -exec rm -rf {} +
