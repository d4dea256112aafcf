# infrarep: `make demo` runs the whole job on the local AWS; `make test` is what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION := 3.3.30
INFRAREP    := $(BIN)/infrarep
# checkov runs once per root, so each root is scanned with its own values: modules/ (every
# module alone or through its caller), each env root, each other root. Several -d in one run
# report the first directory's results once per -d (checkov 3.3.30), and one -d over envs/
# folds the three envs into one set of resources: they call the same module.
SCAN_ROOTS   = modules $(patsubst %/,%,$(sort $(dir $(wildcard envs/*/*.tf terraform/*/*.tf))))
SCAN_JOBS   ?= $(shell nproc)
REPORTS     := reports

.PHONY: help setup test lint lint-workflows fmt docs scan scan-prepare require-env require-to package bootstrap control-plane release plan deploy promote rollback drift-report demo status local-up local-down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

# The local AWS (local_aws/) is a package of its own: infrarep for real AWS needs none of it.
$(BIN)/.installed: pyproject.toml local_aws/pyproject.toml
	@echo "setup: virtualenv $(VENV) with infrarep, the local AWS and their dev dependencies"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet -e ./local_aws -e '.[dev]'
	@touch $@

# checkov lives in its own virtualenv: its pins would fight the project's.
$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	@echo "setup: checkov $(CHECKOV_VERSION) in $(CHECKOV_VENV) (about 2 minutes the first time)"
	@$(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	@touch $@

# Debian packages the checks use, installed once where missing (a machine without apt-get
# installs them another way, or sets CHROMIUM= / SHELLCHECK= to where they are).
CHROMIUM   ?= /usr/bin/chromium
SHELLCHECK ?= /usr/bin/shellcheck
SUDO        = $(if $(filter 0,$(shell id -u)),,sudo)
define apt_install
	@command -v apt-get >/dev/null || { echo "error: $@ is missing and there is no apt-get: install $(1)" >&2; exit 1; }
	@echo "setup: $(1) (Debian package) for $(2)"
	@$(SUDO) apt-get update -qq
	@$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1) >/dev/null
endef

$(CHROMIUM):
	$(call apt_install,chromium,the html report's browser test)

$(SHELLCHECK):
	$(call apt_install,shellcheck,actionlint's check of the workflows' scripts)

setup: $(BIN)/.installed $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION) $(CHROMIUM) $(SHELLCHECK) ## venv, terraform, the AWS provider (built offline once), checkov, chromium
	@$(INFRAREP) setup $(if $(PROVIDER_MIRROR),--provider-mirror $(PROVIDER_MIRROR))

test: setup lint ## everything CI checks: lint, fmt, unit + lambda + e2e tests, checkov scan
	@$(BIN)/pytest
	@$(MAKE) --no-print-directory scan

lint: $(BIN)/.installed ## ruff, terraform fmt -check, stale rendered files, stale module READMEs, the workflows
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(INFRAREP) fmt --check
	@$(INFRAREP) render --check
	@$(INFRAREP) docs --check
	@$(MAKE) --no-print-directory lint-workflows

# actionlint is built once from the Go module proxy (tools/infrarep/pins.py); it runs shellcheck
# over each `run:` script.
lint-workflows: $(BIN)/.installed $(SHELLCHECK) ## actionlint (+ shellcheck) over .github/workflows
	@$(BIN)/python -m infrarep.devtools actionlint -no-color -oneline -shellcheck=$(SHELLCHECK)

docs: $(BIN)/.installed ## regenerate the inputs/outputs tables of the module READMEs
	@$(INFRAREP) docs

fmt: $(BIN)/.installed ## format Python and Terraform in place
	@$(BIN)/ruff format .
	@$(INFRAREP) fmt

scan: $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION) ## checkov over modules/ and every root of envs/ and terraform/ (SARIF + JUnit per root in reports/checkov/)
	@rm -rf $(REPORTS)/checkov && mkdir -p $(REPORTS)/checkov
	@$(MAKE) --no-print-directory --output-sync=target --keep-going -j $(SCAN_JOBS) $(addprefix scan/,$(SCAN_ROOTS))

# Each root is scanned as terraform runs it on the configured target: the local target's
# generated files (git ignores them) are written first, so a fresh clone scans the same files
# as a checkout that has run terraform. infrarep from `make setup`'s virtualenv, else from PATH
# (a CI job that pip-installed it and runs only the scan).
scan-prepare:
	@$(if $(wildcard $(INFRAREP)),$(INFRAREP),infrarep) render >/dev/null

# One root: make scan/envs/dev. Reports are named after the root: reports/checkov/envs-dev.sarif.
# checkov passes a file it cannot parse unscanned (exit 0): that fails the root here.
scan/%: scan-prepare
	@echo "scan: $*"
	@mkdir -p $(REPORTS)/checkov
	@results=$$($(CHECKOV_VENV)/bin/checkov -d $* --framework terraform --skip-download --quiet --compact \
		--output cli --output sarif --output junitxml \
		--output-file-path console,$(REPORTS)/checkov/$(subst /,-,$*).sarif,$(REPORTS)/checkov/$(subst /,-,$*).junit.xml); \
	status=$$?; echo "$$results"; \
	if [[ $$results == *"Parsing errors"* ]]; then \
		echo "error: $*: checkov could not parse every file, so not all of it was scanned" >&2; exit 1; fi; \
	exit $$status

ENV ?=
require-env:
	@test -n "$(ENV)" || { echo "error: ENV is required, e.g. make $(MAKECMDGOALS) ENV=staging" >&2; exit 1; }

package: $(BIN)/.installed ## build the arm64 Lambda zips into dist/lambda (skipped when unchanged)
	@$(INFRAREP) package

bootstrap: setup ## create the remote-state bucket of every region
	@$(INFRAREP) bootstrap

control-plane: setup ## the promotion pipeline, primary config store and drift dashboard (after bootstrap)
	@$(INFRAREP) control-plane

VERSION ?=
release: $(BIN)/.installed ## bundle HEAD (+ RELEASE.json) as the control plane's releases/source.zip: starts the pipeline [VERSION=]
	@$(INFRAREP) release $(if $(VERSION),--version "$(VERSION)")

plan: require-env setup package ## plan one environment: make plan ENV=dev (exit 2 = changes)
	@$(INFRAREP) plan --env $(ENV)

deploy: require-env setup package ## plan, then apply exactly that plan and record it: make deploy ENV=staging
	@$(INFRAREP) deploy --env $(ENV)

TO      ?=
APPROVE ?=
REASON  ?=
require-to:
	@test -n "$(TO)" || { echo "error: TO is required, e.g. make $(MAKECMDGOALS) TO=$(if $(filter rollback,$(MAKECMDGOALS)),<version>,staging)" >&2; exit 1; }

promote: require-to setup package ## through the gates, then deploy: make promote TO=staging [APPROVE=name] (TO="staging prod": both)
	@$(INFRAREP) promote $(foreach target,$(TO),--to $(target)) $(if $(APPROVE),--approve "$(APPROVE)")

rollback: require-env require-to setup package ## re-apply a recorded version: make rollback ENV=prod TO=<version> [REASON=...]
	@$(INFRAREP) rollback --env $(ENV) --to $(TO) $(if $(REASON),--reason "$(REASON)")

drift-report: setup package ## live drift, pending changes and parity of every env (exit 2 = drift)
	@$(INFRAREP) drift-report

# The demo's soak: seconds instead of environments.yaml's promotion.soak_minutes. The envs come
# from environments.yaml, in promotion order: the first is deployed, the others promoted into.
DEMO_SOAK ?= 30
DEMO_APPROVER ?= demo
demo: setup ## everything on the local AWS: package, bootstrap, deploy the first env, promote through the others, drift report
	@$(INFRAREP) local up
	@$(INFRAREP) package
	@$(INFRAREP) bootstrap
	@envs=($$($(INFRAREP) envs | awk '{print $$1}')) && \
	$(INFRAREP) deploy --env "$${envs[0]}" && \
	echo "demo: the soak before $${envs[-1]} is shortened to $(DEMO_SOAK) s for the demo (DEMO_SOAK=; environments.yaml keeps its own)" && \
	INFRAREP_SOAK_SECONDS=$(DEMO_SOAK) $(INFRAREP) promote $$(printf -- '--to %s ' "$${envs[@]:1}") --approve "$(DEMO_APPROVER)" --wait-soak
	@$(INFRAREP) status
	@$(INFRAREP) drift-report || test $$? -eq 2  # drift found is a finding, not a failed demo

status: $(BIN)/.installed ## what runs where, since when
	@$(INFRAREP) status

local-up: $(BIN)/.installed ## start the local AWS (moto server on 127.0.0.1)
	@$(INFRAREP) local up

local-down: $(BIN)/.installed ## stop the local AWS
	@$(INFRAREP) local down

clean: ## remove the virtualenvs and runtime state (the provider cache stays)
	@-$(INFRAREP) local down 2>/dev/null
	rm -rf $(VENV) $(CHECKOV_VENV) .infrarep $(REPORTS) dist
