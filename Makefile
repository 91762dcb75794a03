# aitrail — two commands do everything: `make test` and `make demo`.
# Each installs what it needs (Python venv, npm packages, the solc-js bridge) and is quick the second time.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
SOLC_VERSION := 0.8.28
TOOLCHAIN := .toolchain
SOLC_BRIDGE := $(TOOLCHAIN)/solcx/solc-v$(SOLC_VERSION)

export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
export SOLCX_BINARY_PATH := $(CURDIR)/$(TOOLCHAIN)/solcx
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help setup test demo lint gas bench clean

help:
	@echo "make test   set up, then run the whole test suite (brownie test on a local Anvil)"
	@echo "make demo   set up, then run the main scenario: three homes, a local Anvil, the js-ipfs node (or the embedded store)"
	@echo "make lint   slither, solhint, ruff, mypy"
	@echo "make gas    print the gas table and compare it with the snapshot"
	@echo "make bench  measure the product against its anchors: bench/results.json + README section"

setup: $(TOOLCHAIN)/prereqs.ok $(VENV)/.installed node_modules/.installed $(SOLC_BRIDGE) $(TOOLCHAIN)/network.ok \
  $(TOOLCHAIN)/ipfs-node.ok $(TOOLCHAIN)/chromium.ok

# Headless Chromium for the HTML report's browser test; tolerant (see the script): never stops set-up.
$(TOOLCHAIN)/chromium.ok: tools/install_chromium.sh
	@mkdir -p $(TOOLCHAIN)
	@if bash tools/install_chromium.sh; then touch $@; fi

$(TOOLCHAIN)/prereqs.ok: tools/check_prereqs.sh
	@bash tools/check_prereqs.sh "$(PYTHON)"
	@mkdir -p $(TOOLCHAIN) && touch $@

$(VENV)/.installed: pyproject.toml requirements/constraints.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@# PIP_CONSTRAINT as well as -c: pip applies only the variable to the isolated environments it builds
	@# sdists and the project in, which would otherwise fetch the newest setuptools and wheel
	PIP_CONSTRAINT=requirements/constraints.txt $(VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  -c requirements/constraints.txt -e '.[dev]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@# not `npm ci`: npm 11 leaves the other platforms' optional Anvil packages out of the lock and ci then refuses it
	npm install --no-audit --no-fund --loglevel=error
	@touch $@

$(SOLC_BRIDGE): tools/solc-bridge.js node_modules/.installed
	@mkdir -p $(dir $@)
	ln -sf ../../tools/solc-bridge.js $@
	@$@ --version | grep -q "Version: $(SOLC_VERSION)" || { echo "solc bridge does not answer as $(SOLC_VERSION)"; exit 1; }

# The real IPFS node of the tests and the demo (js-ipfs, Kubo's RPC): started and stopped once to prove it
# runs here. `npm install` (not `npm ci`, which refuses it) applies package.json's multiaddr override.
$(TOOLCHAIN)/ipfs-node.ok: tools/ipfs-node.mjs node_modules/.installed
	@mkdir -p $(TOOLCHAIN)
	@node tools/ipfs-node.mjs --check | grep -q '^api http://127.0.0.1:' || { echo "the js-ipfs node does not start"; exit 1; }
	@touch $@

$(TOOLCHAIN)/network.ok: tools/brownie_network.py $(VENV)/.installed
	$(VENV)/bin/python tools/brownie_network.py
	@touch $@

# Test modules are spread over TEST_WORKERS processes (pytest-xdist inside brownie: a whole module per
# worker, each worker with its own Anvil on the network's port + its number, and its own js-ipfs node).
# `auto` is one per core; TEST_WORKERS=0 runs everything in one process, as before. Worker N's Anvil
# takes port+N, and brownie attaches to whatever already answers there: keep those ports free.
TEST_WORKERS ?= auto

test: setup
	@# compile before the workers start: on a fresh clone each worker would otherwise load the project while
	@# the controller is still writing build/ (a worker crashed on a half-written MessageHashUtils.json)
	$(VENV)/bin/brownie compile >/dev/null
	@# paths first: brownie reads the words after `-n N` as options, so `-n` goes last. xdist would hand out
	@# the modules with the most tests first, which leaves the few-test stateful modules (minutes each) to
	@# run last and alone; --no-loadscope-reorder keeps tests/conftest.py's longest-first order instead.
	$(VENV)/bin/brownie test $(TEST_ARGS) $(if $(filter 0,$(TEST_WORKERS)),,-n $(TEST_WORKERS) --no-loadscope-reorder)

demo: setup
	$(VENV)/bin/python -m aitrail.demo

lint: setup
	$(VENV)/bin/ruff check aitrail bench tests scripts tools
	$(VENV)/bin/mypy
	npx --no-install solhint --max-warnings 0 'contracts/**/*.sol' 'interfaces/**/*.sol'
	@# slither compiles through the same solc-js bridge in standard-json mode: brownie's artifacts
	@# omit internal libraries (ECDSA, Math, ...), which slither's brownie platform then cannot find.
	$(VENV)/bin/slither contracts/ --solc-standard-json --solc $(CURDIR)/$(SOLC_BRIDGE) \
	  --solc-remaps "@openzeppelin/=node_modules/@openzeppelin/" --config-file slither.config.json

gas: setup
	@# gas per operation beside its anchor; fails on any increase over gas/*.json (UPDATE_GAS_SNAPSHOT=1 rewrites)
	$(VENV)/bin/brownie run scripts/gas_datasets.py
	$(VENV)/bin/brownie run scripts/gas_models.py
	$(VENV)/bin/brownie run scripts/gas_fl.py

bench: setup
	@# every figure beside its anchor, measured in one run (~10 min); writes bench/results.json and the
	@# README's performance section. BENCH_ARGS="--quick" for a smoke run, "--only cid,merkle" for parts.
	$(VENV)/bin/python -m bench --readme $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules $(TOOLCHAIN) build reports
