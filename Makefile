SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# .python-version says 3.13, so pyenv resolves this; any python3.13 on PATH works too.
PYTHON ?= python3.13
VENV := .venv
SAM_VENV := .venv-sam
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
PORT ?= 3000
WOO_PORT ?= 8089
PYTEST_ARGS ?=

export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help venv sam-venv serve fake-woocommerce test lint imports typecheck format unit integration e2e validate build check-build deploy bench lock clean openapi search-backfill

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements/dev.txt requirements/constraints.txt layers/clientele/requirements.txt
	$(PYTHON) -m venv $(VENV)
	cd requirements && ../$(BIN)/pip install --quiet -r dev.txt
	touch $@

$(SAM_VENV)/.installed: requirements/sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet -r requirements/sam.txt
	touch $@

venv: $(BIN)/.installed ## Create .venv with the pinned app, test and tool dependencies

sam-venv: $(SAM_VENV)/.installed ## Create .venv-sam with aws-sam-cli (kept apart: it pins old boto3/pydantic)

serve: venv ## Run the API locally without Docker (http://127.0.0.1:$PORT, embedded AWS emulator)
	PORT=$(PORT) $(BIN)/python -m localdev serve

fake-woocommerce: venv ## A fake WooCommerce store beside `make serve` (http://127.0.0.1:$WOO_PORT, 250 demo customers)
	$(BIN)/python -m localdev.fakes.woocommerce --port $(WOO_PORT)

test: lint imports typecheck unit integration e2e validate check-build ## Everything CI checks

lint: venv ## ruff check + format check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

imports: venv ## Import contracts: entry points -> http -> domain -> store, and no import cycles (lazy ones included)
	PYTHONPATH=layers/clientele $(BIN)/lint-imports --no-cache

typecheck: venv ## mypy (pydantic plugin) over the layer, the functions and localdev/; strict on domain/ and store/
	$(BIN)/mypy

format: venv ## Apply ruff's fixes and formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

unit: venv ## Unit tests (no AWS at all)
	$(BIN)/python -m pytest tests/unit -q -p no:cacheprovider $(PYTEST_ARGS)

integration: venv ## Handlers in-process under moto mock_aws, events from events/
	$(BIN)/python -m pytest tests/integration -q -p no:cacheprovider $(PYTEST_ARGS)

e2e: venv ## The local runner over real HTTP
	$(BIN)/python -m pytest tests/e2e -q -p no:cacheprovider $(PYTEST_ARGS)

validate: sam-venv ## sam validate --lint (cfn-lint) on template.yaml
	$(SAM) validate --lint

build: sam-venv ## sam build (arm64 layer, one artifact per function)
	$(SAM) build

check-build: build ## sam build, then fail if any native extension is not aarch64
	$(BIN)/python scripts/check_build_architecture.py .aws-sam/build

deploy: build ## sam deploy --guided (first time; later: sam deploy)
	$(SAM) deploy --guided

search-backfill: venv ## Search items, counts and number lookups for customers written before them: TABLE=<table> [ENDPOINT=<url>] [ARGS="--restart --force --tenant t"]
	$(BIN)/python scripts/search_backfill.py --table "$(TABLE)" $(if $(ENDPOINT),--endpoint-url "$(ENDPOINT)") $(ARGS)

bench: venv ## Print performance figures (never fails on time)
	$(BIN)/python -m bench

lock: venv ## Re-pin requirements/constraints.txt from the current .venv
	$(BIN)/pip freeze --exclude-editable | sed '1i # Full pinned set of requirements/dev.txt (pip freeze); regenerate with `make lock`.' > requirements/constraints.txt

clean: ## Remove virtual environments and build output
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .ruff_cache

openapi: venv ## Write the OpenAPI documents (layers/clientele/clientele/http/openapi.json, openapi-compat.json) from the code
	$(BIN)/python -m localdev.openapi
