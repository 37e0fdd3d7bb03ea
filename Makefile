# Etapa — `make run` starts everything with demo data; `make test` runs every check.
SHELL := /bin/bash
# Trust the system's certificate store (machines behind a registry proxy have their own CA).
export UV_SYSTEM_CERTS ?= true
UV := $(shell scripts/bootstrap-uv.sh)
RUN := $(UV) run --frozen
# Integration tests use these servers (fresh databases and queue names per run).
export ETAPA_TEST_POSTGRES_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
export ETAPA_TEST_AMQP_URL ?= amqp://guest:guest@127.0.0.1:5672/

# `make run` signs tokens with a development key pair written to .etapa/jwt/ (never committed).
DEV_KEYS := ETAPA_JWT_PUBLIC_KEY_FILE=$(CURDIR)/.etapa/jwt/public.pem INTAKE_JWT_PRIVATE_KEY_FILE=$(CURDIR)/.etapa/jwt/private.pem

.DEFAULT_GOAL := help
.PHONY: fuzz help install keys services migrate seed run test lint typecheck imports unit integration e2e bench bench-notifier clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: ## install Python dependencies from uv.lock (bootstraps uv if missing)
	$(UV) sync --frozen

services: install ## check that PostgreSQL and RabbitMQ answer (starts them with compose if a Docker engine does)
	@if ! $(RUN) python scripts/check_services.py 2>/dev/null && docker info >/dev/null 2>&1; then \
		echo "starting PostgreSQL and RabbitMQ with docker compose"; docker compose up -d postgres rabbitmq; \
		$(RUN) python scripts/check_services.py --wait 60; \
	else $(RUN) python scripts/check_services.py; fi

keys: install ## write a development token-signing key pair to .etapa/jwt/ (if missing)
	$(RUN) python scripts/dev_keys.py

migrate: services keys ## create and migrate the three databases
	$(DEV_KEYS) $(RUN) python -m intake migrate
	$(DEV_KEYS) $(RUN) python -m workflow migrate
	$(DEV_KEYS) $(RUN) python -m notifier migrate

seed: migrate ## load the demo chain, branches, users and flows
	$(DEV_KEYS) $(RUN) python -m workflow seed-demo
	$(DEV_KEYS) $(RUN) python -m intake seed-demo
	@scripts/rabbitmq-lab-user.sh LABDEMO lab-demo-change-me 2>/dev/null \
	  || echo "  (no demo lab user on the broker: rabbitmqctl must run where RabbitMQ runs; see README)"

run: seed ## run the three services with demo data (Ctrl-C stops them)
	@echo ""
	@echo "  intake    http://127.0.0.1:8000  (API docs: /schema)"
	@echo "  workflow  http://127.0.0.1:8001  (API docs: /schema)"
	@echo "  notifier  http://127.0.0.1:8002  (API docs: /schema)"
	@$(DEV_KEYS) $(RUN) python -m intake demo-users
	@echo "  Sign in: curl -s -X POST localhost:8000/api/v1/auth/token -H 'content-type: application/json' \\"
	@echo "             -d '{\"email\": \"admin@visaoclara.demo\", \"password\": \"visao-clara-demo\"}'"
	@echo ""
	$(DEV_KEYS) NOTIFIER_CALLBACK_TOKEN=$${NOTIFIER_CALLBACK_TOKEN:-demo-callback-token} \
	  ETAPA_TRACKING_BASE_URL=$${ETAPA_TRACKING_BASE_URL:-http://127.0.0.1:8003} \
	  WORKFLOW_TRACKING_TRUSTED_PROXIES=$${WORKFLOW_TRACKING_TRUSTED_PROXIES:-127.0.0.1} \
	  ETAPA_LOG_FORMAT=$${ETAPA_LOG_FORMAT:-console} $(RUN) honcho start -f Procfile

lint: install ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install ## mypy --strict
	$(RUN) mypy shared/src services/intake/src services/workflow/src services/notifier/src tests scripts

imports: install ## import-linter: services never import each other; the domain imports no I/O
	$(RUN) lint-imports

test: lint typecheck imports ## lint, types, import boundaries, then unit, integration and e2e tests
	$(RUN) pytest

unit: install ## unit tests only (no services needed)
	$(RUN) pytest tests/unit

fuzz: install ## a longer schemathesis run against each service's OpenAPI (ETAPA_FUZZ_EXAMPLES=200)
	ETAPA_FUZZ_EXAMPLES=$${ETAPA_FUZZ_EXAMPLES:-200} $(RUN) pytest tests/e2e/test_fuzz.py --timeout 1800 -s

bench: install ## benchmarks (tests/bench), run on demand
	$(RUN) python -m tests.bench.bench_deadlines
	$(RUN) python -m tests.bench.bench_notifier

bench-notifier: install ## SMS per second with 1, 2 and 4 notifier processes vs a raw aio-pika loop
	$(RUN) python -m tests.bench.bench_notifier

clean: ## remove caches
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis
