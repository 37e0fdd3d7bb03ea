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

# The ports `make run` serves on (each service reads its own <SERVICE>_PORT); the banner, the
# console's links to the APIs and the demo loader follow them.
INTAKE_PORT ?= 8000
WORKFLOW_PORT ?= 8001
NOTIFIER_PORT ?= 8002
CONSOLE_PORT ?= 8003
CONSOLE_URL := http://127.0.0.1:$(CONSOLE_PORT)
RUN_PORTS := INTAKE_PORT=$(INTAKE_PORT) WORKFLOW_PORT=$(WORKFLOW_PORT) NOTIFIER_PORT=$(NOTIFIER_PORT) CONSOLE_PORT=$(CONSOLE_PORT) \
  CONSOLE_INTAKE_URL=$${CONSOLE_INTAKE_URL:-http://127.0.0.1:$(INTAKE_PORT)} \
  CONSOLE_WORKFLOW_URL=$${CONSOLE_WORKFLOW_URL:-http://127.0.0.1:$(WORKFLOW_PORT)} \
  CONSOLE_NOTIFIER_URL=$${CONSOLE_NOTIFIER_URL:-http://127.0.0.1:$(NOTIFIER_PORT)}

.DEFAULT_GOAL := help
.PHONY: chromium promtool pgbouncer fuzz help install keys services migrate seed run run-banner test lint typecheck imports unit integration e2e browser test-cluster chaos chaos-quick k8s-secrets bench bench-console bench-customer-page bench-notifier bench-e2e bench-scale bench-scale-limited bench-what-if bench-http-layers bench-interleaved clean

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

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
	$(DEV_KEYS) $(RUN) python -m workflow seed-demo-history
	$(DEV_KEYS) $(RUN) python -m intake seed-demo
	@scripts/rabbitmq-lab-user.sh LABDEMO lab-demo-change-me 2>/dev/null \
	  || echo "  (no demo lab user on the broker: rabbitmqctl must run where RabbitMQ runs; see README)"

run: run-banner seed ## run the four services with demo data (Ctrl-C stops them)
	@echo ""
	@echo "  console   $(CONSOLE_URL)   ← open this in a browser"
	@echo "  intake    http://127.0.0.1:$(INTAKE_PORT)  (API docs: /schema, events: /asyncapi)"
	@echo "  workflow  http://127.0.0.1:$(WORKFLOW_PORT)  (API docs: /schema, events: /asyncapi)"
	@echo "  notifier  http://127.0.0.1:$(NOTIFIER_PORT)  (API docs: /schema, events: /asyncapi)"
	@$(DEV_KEYS) $(RUN) python -m intake demo-users
	@echo ""
	@$(DEV_KEYS) $(RUN_PORTS) NOTIFIER_CALLBACK_TOKEN=$${NOTIFIER_CALLBACK_TOKEN:-demo-callback-token} \
	  ETAPA_TRACKING_BASE_URL=$${ETAPA_TRACKING_BASE_URL:-$(CONSOLE_URL)} \
	  WORKFLOW_TRACKING_TRUSTED_PROXIES=$${WORKFLOW_TRACKING_TRUSTED_PROXIES:-127.0.0.1} \
	  ETAPA_LOG_FORMAT=$${ETAPA_LOG_FORMAT:-console} $(RUN) honcho start -f Procfile & honcho=$$!; \
	  trap 'kill $$honcho 2>/dev/null; wait $$honcho' INT TERM; \
	  $(RUN) python scripts/demo_orders.py --intake http://127.0.0.1:$(INTAKE_PORT) \
	    --workflow http://127.0.0.1:$(WORKFLOW_PORT) || true; \
	  echo "  console ready: $(CONSOLE_URL) (Ctrl-C stops everything)"; \
	  wait $$honcho

run-banner:
	@echo "Etapa: the console will be at $(CONSOLE_URL) (setting up first)"

lint: install ## ruff lint and format check
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install ## mypy --strict
	$(RUN) mypy contracts/src shared/src services/intake/src services/workflow/src services/notifier/src services/console/src tests scripts

imports: install ## import-linter: services never import each other; the domain imports no I/O
	$(RUN) lint-imports

chromium: ## make sure Debian's Chromium is there for the browser tests (installs it as root)
	@scripts/ensure-chromium.sh

promtool: ## make sure promtool is there for the alert rules' tests (from Debian's prometheus package)
	@scripts/ensure-promtool.sh

pgbouncer: ## make sure Debian's PgBouncer is there for the PgBouncer test (installs it as root)
	@scripts/ensure-pgbouncer.sh

test: lint typecheck imports chromium promtool pgbouncer ## lint, types, import boundaries, then unit, integration, e2e and browser tests
	$(RUN) pytest

unit: install ## unit tests only (no services needed)
	$(RUN) pytest tests/unit

integration: install ## integration tests (PostgreSQL and RabbitMQ at ETAPA_TEST_POSTGRES_URL / ETAPA_TEST_AMQP_URL)
	$(RUN) pytest tests/integration

e2e: install pgbouncer ## end-to-end tests: the services as processes, on the same servers
	$(RUN) pytest tests/e2e

browser: chromium ## browser tests of the console (Debian's Chromium)
	$(RUN) pytest tests/browser

test-cluster: install ## three local RabbitMQ nodes as one cluster; the queues' leader dies under load (deploy/README.md)
	$(RUN) pytest tests/cluster -m cluster -s --timeout 600

chaos: install ## every fault under load, CHAOS_RUNS (3) times each, on a broker and database of its own; prints the table
	CHAOS_RUNS=$${CHAOS_RUNS:-3} $(RUN) pytest tests/chaos -m chaos -s --timeout 0 -p no:cacheprovider

chaos-quick: install ## one short run of every fault (20 s database outage)
	CHAOS_QUICK=1 CHAOS_RUNS=$${CHAOS_RUNS:-1} $(RUN) pytest tests/chaos -m chaos -s --timeout 0 -p no:cacheprovider

OVERLAY ?= one-box
k8s-secrets: install ## write a Kubernetes overlay's secrets (OVERLAY=one-box|cluster; kept if there; never committed)
	$(RUN) python -m shared.deploy_secrets deploy/k8s/overlays/$(OVERLAY)/secrets
	@test -f deploy/k8s/overlays/$(OVERLAY)/secrets/connections.env || { \
	  cp deploy/k8s/overlays/$(OVERLAY)/connections.env.example deploy/k8s/overlays/$(OVERLAY)/secrets/connections.env; \
	  echo "now write your database URLs in deploy/k8s/overlays/$(OVERLAY)/secrets/connections.env"; }
	@if [ -f deploy/k8s/overlays/$(OVERLAY)/pgbouncer-databases.ini.example ]; then \
	  dir=deploy/k8s/overlays/$(OVERLAY)/secrets/pgbouncer; mkdir -p $$dir; \
	  for f in databases.ini userlist.txt; do test -f $$dir/$$f || { \
	    cp deploy/k8s/overlays/$(OVERLAY)/pgbouncer-$$f.example $$dir/$$f; chmod 600 $$dir/$$f; \
	    echo "now write PgBouncer's $$f in $$dir/$$f"; }; done; fi

fuzz: install ## a longer schemathesis run, every check, against each service's OpenAPI (ETAPA_FUZZ_EXAMPLES=200)
	ETAPA_FUZZ_CHECKS=$${ETAPA_FUZZ_CHECKS:-all} ETAPA_FUZZ_EXAMPLES=$${ETAPA_FUZZ_EXAMPLES:-200} ETAPA_FUZZ_BUDGET=$${ETAPA_FUZZ_BUDGET:-1200} $(RUN) pytest tests/e2e/test_fuzz.py -s

bench: install ## benchmarks (tests/bench), run on demand
	$(RUN) python -m tests.bench.bench_deadlines
	$(RUN) python -m tests.bench.bench_notifier
	$(RUN) python -m tests.bench.bench_console
	$(RUN) python -m tests.bench.bench_customer_page
	$(RUN) python -m tests.bench.bench_what_if
	$(RUN) python -m tests.bench.bench_http_layers

bench-what-if: install ## what-if over 100,000 delivered orders vs the raw fetch of the same rows
	$(RUN) python -m tests.bench.bench_what_if

bench-console: install ## the board with 2,000 open orders, and event → open board latency
	$(RUN) python -m tests.bench.bench_console

bench-customer-page: install ## the customer's page: its size, and its server time vs workflow's raw read
	$(RUN) python -m tests.bench.bench_customer_page

bench-http-layers: install ## CPU per request of every service's app vs Litestar alone vs a bare ASGI callable (in process)
	$(RUN) python -m tests.bench.bench_http_layers

bench-e2e: install ## advance at intake → workflow → SMS at a fake provider, at rising rates, vs a raw aio-pika + asyncpg pipeline
	$(RUN) python -m tests.bench.bench_e2e

bench-interleaved: install ## bench-e2e's pipelines in turn at each rate (Etapa, raw, raw over HTTP), so the host's drift does not land on the ratio
	$(RUN) python -m tests.bench.bench_interleaved --raw-http

bench-scale: install ## 1+1 and 2+2 workflow+notifier processes in turn at each rate, four runs each: max sustained rate, committed/s at each rate, backlog drained, ratios to 1+1
	$(RUN) python -m tests.bench.bench_scale --in-turn --configs 1+1,2+2,2+2,1+1,1+1,2+2,2+2,1+1

bench-scale-limited: install ## bench-scale with each workflow and notifier process held to 150 millicores, as a pod's CPU limit: a machine with the cores for 2+2 (root, cpu cgroup)
	$(RUN) python -m tests.bench.bench_scale --in-turn --configs 1+1,2+2,2+2,1+1 --cpu-limit workflow=150,notifier=150 --rates 80,100,120,140,160,180,200,220,240,260

bench-notifier: install ## SMS per second with 1, 2 and 4 notifier processes vs a raw aio-pika loop
	$(RUN) python -m tests.bench.bench_notifier

clean: ## remove caches
	rm -rf .mypy_cache .ruff_cache .pytest_cache .hypothesis
