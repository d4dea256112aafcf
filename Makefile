# infrarep: `make demo` runs the whole job on the local AWS; `make test` is what CI runs.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON      ?= python3
VENV        ?= .venv
BIN         := $(VENV)/bin
CHECKOV_VENV ?= .venv-checkov
CHECKOV_VERSION := 3.3.30
INFRAREP    := $(BIN)/infrarep
SCAN_DIRS   := modules envs terraform
REPORTS     := reports

.PHONY: help setup test lint fmt docs scan require-env package bootstrap control-plane plan deploy status local-up local-down clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | expand -t 14

$(BIN)/.installed: pyproject.toml
	@echo "setup: virtualenv $(VENV) with infrarep and its dev dependencies"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

# checkov lives in its own virtualenv: its pins would fight the project's.
$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	@echo "setup: checkov $(CHECKOV_VERSION) in $(CHECKOV_VENV) (about 2 minutes the first time)"
	@$(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/pip install --quiet checkov==$(CHECKOV_VERSION)
	@touch $@

setup: $(BIN)/.installed $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION) ## venv, terraform, the AWS provider (built offline once), checkov
	@$(INFRAREP) setup $(if $(PROVIDER_MIRROR),--provider-mirror $(PROVIDER_MIRROR))

test: setup lint ## everything CI checks: lint, fmt, unit + lambda + e2e tests, checkov scan
	@$(BIN)/pytest
	@$(MAKE) --no-print-directory scan

lint: $(BIN)/.installed ## ruff, terraform fmt -check, stale rendered files, stale module READMEs
	@$(BIN)/ruff check .
	@$(BIN)/ruff format --check .
	@$(INFRAREP) fmt --check
	@$(INFRAREP) render --check
	@$(INFRAREP) docs --check

docs: $(BIN)/.installed ## regenerate the inputs/outputs tables of the module READMEs
	@$(INFRAREP) docs

fmt: $(BIN)/.installed ## format Python and Terraform in place
	@$(BIN)/ruff format .
	@$(INFRAREP) fmt

scan: $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION) ## checkov over modules, envs, terraform (+ SARIF and JUnit in reports/)
	@mkdir -p $(REPORTS)
	@$(CHECKOV_VENV)/bin/checkov $(foreach dir,$(SCAN_DIRS),-d $(dir)) --framework terraform \
		--skip-download --quiet --compact \
		--output cli --output sarif --output junitxml \
		--output-file-path console,$(REPORTS)/checkov.sarif,$(REPORTS)/checkov.junit.xml

ENV ?=
require-env:
	@test -n "$(ENV)" || { echo "error: ENV is required, e.g. make $(MAKECMDGOALS) ENV=staging" >&2; exit 1; }

package: $(BIN)/.installed ## build the arm64 Lambda zips into dist/lambda (skipped when unchanged)
	@$(INFRAREP) package

bootstrap: setup ## create the remote-state bucket of every region
	@$(INFRAREP) bootstrap

control-plane: setup ## the promotion pipeline, primary config store and drift dashboard (after bootstrap)
	@$(INFRAREP) control-plane

plan: require-env setup package ## plan one environment: make plan ENV=dev (exit 2 = changes)
	@$(INFRAREP) plan --env $(ENV)

deploy: require-env setup package ## plan, then apply exactly that plan and record it: make deploy ENV=staging
	@$(INFRAREP) deploy --env $(ENV)

status: $(BIN)/.installed ## what runs where, since when
	@$(INFRAREP) status

local-up: $(BIN)/.installed ## start the local AWS (moto server on 127.0.0.1)
	@$(INFRAREP) local up

local-down: $(BIN)/.installed ## stop the local AWS
	@$(INFRAREP) local down

clean: ## remove the virtualenvs and runtime state (the provider cache stays)
	@-$(INFRAREP) local down 2>/dev/null
	rm -rf $(VENV) $(CHECKOV_VENV) .infrarep $(REPORTS) dist
