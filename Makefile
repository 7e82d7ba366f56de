# Entry points: `make run` (the platform on a local chain) and `make test` (lint, Slither, tests).
# Every target installs what is missing first, so a fresh clone needs only python3.11,
# node/npm and make.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# A task runner, not a build graph: prerequisites run in the order written, even under -j.
.NOTPARALLEL:

# uv is not on the machine, so it lives in its own small venv; bump the pin to upgrade.
UV_VERSION := 0.13.9
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_BOOT := .uv-boot
UV := $(UV_BOOT)/bin/uv
VENV := .venv

# Stamps make `install` a no-op when nothing changed; each lives inside the folder it
# describes, so deleting that folder also forces a reinstall.
UV_STAMP := $(UV_BOOT)/.uv-$(UV_VERSION)
VENV_STAMP := $(VENV)/.synced
NPM_STAMP := node_modules/.package-lock.json
# GraphiQL and React for /graphql's page, copied from their pinned npm packages so that the API
# serves them with no Node at run time (api/routes/docs.py; the folder is not committed).
DOCS_VENDOR := api/static/docs/vendor
DOCS_VENDOR_STAMP := $(DOCS_VENDOR)/.copied
DOCS_VENDOR_FILES := node_modules/react/umd/react.production.min.js \
	node_modules/react-dom/umd/react-dom.production.min.js \
	node_modules/graphiql/graphiql.min.js node_modules/graphiql/graphiql.min.css

# ape-solidity (via py-solc-x) and Slither find the solc-js shim here instead of
# downloading a native solc; anvil and solcjs come from node_modules.
export SOLCX_BINARY_PATH := $(CURDIR)/tools/solcjs
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# uv picks the machine's Python 3.11 (requires-python in pyproject.toml) and must never
# fetch a Python build of its own. UV_PYTHON is left unset on purpose: a path there makes
# uv replace a .venv that was created from any other path to the same interpreter.
export UV_PYTHON_DOWNLOADS := never

# OpenZeppelin's npm packages ship ~300 Truffle JSON artifacts in build/ that nothing here
# uses. ape copies each dependency from node_modules into its package cache, and from there
# into contracts/.cache; ape 0.8 lists at most 500 files under contracts/ (.cache included)
# before excluding any, so with them our own contracts can go missing from `project.<Name>`,
# depending on directory order. Every copy is therefore kept without them.
APE_PACKAGES := $(or $(APE_DATA_FOLDER),$(HOME)/.ape)/packages/projects
OZ_BUILD_DIRS := node_modules/@openzeppelin/*/build contracts/.cache/*/*/build \
	$(APE_PACKAGES)/@openzeppelin_contracts*/*/build

# Python folders to lint: whichever of these exist.
PY_DIRS := $(wildcard scripts tests bench infra indexer launcher api docgen ops deploy examples)
# Extra arguments for pytest, e.g. `make test ARGS="-k claim -x"`.
ARGS ?=

.PHONY: help install compile lint fmt slither gas-check test unit fuzz run indexer api bench-gas bench-indexer \
	bench-api bench-feed bench-scale bench-reorg bench-web3 bench-redis bench-sockets docs docs-check clean ops-check ops-generate image-smoke

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

install: $(UV_STAMP) $(VENV_STAMP) $(NPM_STAMP) $(DOCS_VENDOR_STAMP) ## Install uv, the Python venv and node_modules (idempotent)
	@rm -rf $(OZ_BUILD_DIRS)

# The browser tests drive Debian's Chromium (playwright's own browser download does not work here).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	@command -v apt-get >/dev/null || { echo "the browser tests need Chromium at $(CHROMIUM)"; exit 1; }
	$(SUDO) apt-get install -y chromium || { $(SUDO) apt-get update && $(SUDO) apt-get install -y chromium; }

$(UV_STAMP):
	test -x $(UV_BOOT)/bin/python || $(PYTHON) -m venv $(UV_BOOT)
	$(UV_BOOT)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	touch $@

$(VENV_STAMP): $(UV_STAMP) pyproject.toml uv.lock
	$(UV) sync --frozen
	touch $@

# Puppeteer (under @mermaid-js/mermaid-cli) would download a Chromium of its own: the docs checks
# render with Debian's (tools/mermaid/puppeteer.json).
$(NPM_STAMP): package-lock.json
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund
	touch $@

$(DOCS_VENDOR_STAMP): $(NPM_STAMP)
	mkdir -p $(DOCS_VENDOR)
	cp $(DOCS_VENDOR_FILES) $(DOCS_VENDOR)/
	touch $@

compile: install ## Compile the contracts
	ape compile

lint: install ## ruff check, ruff format --check and mypy on the Python folders
ifneq ($(PY_DIRS),)
	ruff check $(PY_DIRS)
	ruff format --check $(PY_DIRS)
	mypy $(PY_DIRS)
else
	@echo "lint: no Python folders yet"
endif

fmt: install ## Fix what ruff can and format the Python folders
ifneq ($(PY_DIRS),)
	ruff check --fix $(PY_DIRS)
	ruff format $(PY_DIRS)
endif

# Settings (compiler shim, remappings, filters, failure level) are in slither.config.json.
slither: install ## Static analysis of contracts/ with Slither
	@if [ -n "$$(find contracts -name '*.sol' 2>/dev/null)" ]; then \
		slither contracts; \
	else \
		echo "slither: no contracts yet"; \
	fi

test: install $(CHROMIUM) lint slither gas-check ops-check compile ## Lint, Slither, gas snapshot check, ops checks (with tests/ops), then `ape test $(ARGS)` on the rest
	ape test --ignore=tests/ops $(ARGS)

unit: install ## The unit layer alone: pure logic, no anvil, PostgreSQL or Redis (seconds)
	$(VENV)/bin/pytest -p no:ape_test --noconftest tests/unit $(ARGS)

# The suite runs each hypothesis property and state machine with a bounded number of examples;
# this runs the contracts' ones with FUZZ_EXAMPLES each (about a minute per 10 examples per machine).
FUZZ_EXAMPLES ?= 200
fuzz: install compile ## The contracts' property and invariant tests with FUZZ_EXAMPLES (200) examples each
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ape test tests/contracts/test_invariants.py \
		tests/contracts/test_invariants_hardening.py tests/contracts/test_certificate_invariants.py $(ARGS)

run: install compile ## anvil, deploy + demo on a new chain, indexer and API on embedded PostgreSQL/Redis
	$(VENV)/bin/python -m launcher $(ARGS)

indexer: install compile ## The indexer alone: `make indexer ARGS="run --rpc-url ..."`
	$(VENV)/bin/python -m indexer $(or $(ARGS),run)

api: install compile ## The API alone: `make api ARGS="--port 8000 --workers 2"`
	$(VENV)/bin/python -m api $(ARGS)

bench-gas: install ## Run the gas report and refresh bench/gas-snapshot.txt
	$(VENV)/bin/python bench/gas_report.py

bench-indexer: install compile ## Index N share transfers; compare with fetch-alone and COPY-alone
	$(VENV)/bin/python bench/indexer_bench.py $(ARGS)

bench-web3: install compile ## Hand-written ABI encoding and JSON-RPC beside web3.py's, side by side
	$(VENV)/bin/python bench/web3_bench.py $(ARGS)

# wrk comes from Debian's package with the LuaJIT library it links, unpacked into .tools/ without
# root (like promtool below); .tools/bin/wrk runs it with that library.
TOOLS := .tools
WRK_DEB := 4.1.0-3+b2
LUAJIT_DEB := 2.1.0~beta3+git20220320+dfsg-4.1+deb12u1
WRK := $(TOOLS)/bin/wrk
WRK_DEBS := wrk=$(WRK_DEB) libluajit-5.1-2=$(LUAJIT_DEB)

$(WRK):
	@command -v apt-get >/dev/null || { echo "wrk comes from Debian's wrk package"; exit 1; }
	rm -rf $(TOOLS)/download $(TOOLS)/wrk-$(WRK_DEB) && mkdir -p $(TOOLS)/download $(TOOLS)/bin
	cd $(TOOLS)/download && { apt-get download $(WRK_DEBS) 2>/dev/null || \
		{ $(SUDO) apt-get update && apt-get download $(WRK_DEBS); }; }
	for deb in $(TOOLS)/download/*.deb; do dpkg -x "$$deb" $(TOOLS)/wrk-$(WRK_DEB); done
	rm -rf $(TOOLS)/download
	printf '%s\n' '#!/bin/sh' 'root="$$(cd "$$(dirname "$$0")/../wrk-$(WRK_DEB)" && pwd)"' \
		'lib="$$(echo "$$root"/usr/lib/*-linux-gnu)"' \
		'LD_LIBRARY_PATH="$$lib$${LD_LIBRARY_PATH:+:$$LD_LIBRARY_PATH}" exec "$$root/usr/bin/wrk" "$$@"' > $@
	chmod +x $@
	{ $@ --version || true; } | grep '^wrk '  # it runs (wrk exits 1 after its usage)

bench-api: install compile $(WRK) ## Reads at 64 clients (rps, p50/p99) beside pgbench on the same database
	PATH=$(CURDIR)/$(TOOLS)/bin:$$PATH $(VENV)/bin/python bench/api_bench.py $(ARGS)

bench-scale: install compile $(WRK) ## A platform-sized chain: build, index from empty, every read on a cache miss (ARGS=--scale 0.01)
	PATH=$(CURDIR)/$(TOOLS)/bin:$$PATH $(VENV)/bin/python bench/scale_bench.py $(ARGS)

bench-feed: install compile ## 1,000 WebSocket subscribers: mined-to-delivered p50/p99, per hop (ARGS="--subscribers 10000 --api-processes 2")
	$(VENV)/bin/python bench/feed_bench.py $(ARGS)

bench-reorg: install compile ## A reorg undone and its removed messages delivered to 1,000 subscribers (ARGS="--depth 10")
	$(VENV)/bin/python bench/reorg_bench.py $(ARGS)

bench-redis: install ## Redis pub/sub as the feed uses it: publish and delivery rates to N subscribers
	$(VENV)/bin/python bench/redis_pubsub_bench.py $(ARGS)

bench-sockets: install ## The feed fan-out's floor: one frame written to each of 5,000 loopback sockets
	$(VENV)/bin/python bench/socket_write_bench.py $(ARGS)

docs: install compile ## Regenerate docs/architecture's generated documents (schema, API specs, metrics, contract pages)
	$(VENV)/bin/python -m docgen

# `make test` runs the same checks as tests in tests/docs/.
docs-check: install compile $(CHROMIUM) ## Fail when a generated document drifts from the code, a link breaks or a Mermaid block does not render
	$(VENV)/bin/python -m docgen --check --render

# Rootful podman on this machine: runc instead of crun, ulimits the kernel grants (see the file).
PODMAN_CONF := $(CURDIR)/deploy/podman/containers.conf

image-smoke: install compile ## Build the image with podman; run migrate, indexer and API from it on a demo chain
	CONTAINERS_CONF=$${CONTAINERS_CONF:-$(PODMAN_CONF)} $(VENV)/bin/python deploy/smoke/image_smoke.py $(ARGS)

gas-check: install ## Fail when gas differs from the committed bench/gas-snapshot.txt
	$(VENV)/bin/python bench/gas_report.py --check

# promtool comes from Debian's prometheus package, unpacked into .tools/ without installing the
# service; the other checkers are in the dev group of pyproject.toml (in .venv).
PROMETHEUS_DEB := 2.42.0+ds-5+deb12u1
PROMTOOL := $(TOOLS)/prometheus-$(PROMETHEUS_DEB)/usr/bin/promtool
# The Kubernetes version the manifests are validated against; the Prometheus Operator's kinds
# (ServiceMonitor, PrometheusRule) have no schema there and are checked by tests/ops instead.
K8S_VERSION := 1.33.0
K8S_MANIFESTS = $(filter-out %/kustomization.yaml %/servicemonitor.yaml %/prometheusrule.yaml,\
	$(wildcard deploy/k8s/*.yaml))

$(PROMTOOL):
	@command -v apt-get >/dev/null || { echo "promtool comes from Debian's prometheus package"; exit 1; }
	rm -rf $(TOOLS)/download && mkdir -p $(TOOLS)/download
	cd $(TOOLS)/download && { apt-get download prometheus=$(PROMETHEUS_DEB) 2>/dev/null || \
		{ $(SUDO) apt-get update && apt-get download prometheus=$(PROMETHEUS_DEB); }; }
	dpkg -x $(TOOLS)/download/prometheus_*.deb $(TOOLS)/prometheus-$(PROMETHEUS_DEB)
	rm -rf $(TOOLS)/download
	touch $@

ops-check: install $(PROMTOOL) ## Validate compose, k8s, workflows, alerts, dashboards (no cluster, no engine)
	@if [ -f Dockerfile ]; then hadolint Dockerfile; else echo "hadolint: no Dockerfile"; fi
	check-jsonschema --builtin-schema vendor.compose-spec compose.yaml
	check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml
	kubernetes-validate --strict --quiet -k $(K8S_VERSION) $(K8S_MANIFESTS)
	actionlint .github/workflows/*.yml
	zizmor --offline --quiet .github
	cd prometheus && ../$(PROMTOOL) check config prometheus.yml && ../$(PROMTOOL) check rules alerts.yml \
		&& ../$(PROMTOOL) test rules alerts_test.yml
	yamllint --strict .yamllint.yaml .github compose.yaml deploy prometheus grafana
	$(VENV)/bin/python -m pytest -p no:ape_test --confcutdir=tests/ops -q tests/ops

ops-generate: install ## Regenerate the PrometheusRule, dashboard ConfigMaps and configuration reference
	$(VENV)/bin/python -m ops

clean: ## Remove build outputs and caches (keeps .venv, .uv-boot, node_modules)
	rm -rf .build contracts/.cache crytic-export .data .mypy_cache .ruff_cache .hypothesis .pytest_cache
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './node_modules/*' -prune -exec rm -rf {} +
