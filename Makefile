# Two commands: `make run` runs the suite, `make test` runs every check. Both set up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RESULTS := results
ROBOT_OPTS ?=
# An environment profile, Robot's way: ENV=staging make run adds --variablefile
# resources/environments/staging.yaml to every robot run (docs/writing-tests.md, "Environment profiles").
ENV ?=
override ROBOT_OPTS += $(if $(ENV),--variablefile resources/environments/$(ENV).yaml)
PROCESSES ?= 4
# SHARD=i/n runs the i-th of n slices of the suite (pabot --shard), one per CI machine.
SHARD ?=
LISTENERS := --listener keywords/listeners/SecretMasker.py \
	--listener keywords/listeners/ApiCoverage.py --listener keywords/listeners/Journey.py
ROBOT := $(BIN)/robot --outputdir $(RESULTS) --xunit xunit.xml $(LISTENERS) --pythonpath . $(ROBOT_OPTS)
# The suite's runner: pabot's processes against one stack (the settings reach them through the
# environment), or robot alone with PROCESSES=1. An ENV profile names its own deployment, so
# no local stack is started for it.
# resources/pabot-order.txt puts the suites in four groups of about equal time (pabot's `{ }`),
# one robot process each: a process per suite (35) spent a fifth of the suite's CPU starting,
# parsing and registering its cast again. `make pabot-order` writes it from the last run's
# timings; `make lint` fails when a suite file is missing from it.
# No suite locks or shares resources through PabotLib, so its remote server is not started.
PABOT := $(BIN)/pabot --processes $(PROCESSES) --no-pabotlib $(if $(SHARD),--shard $(SHARD)) \
	--ordering resources/pabot-order.txt $(PABOT_OPTS) \
	--outputdir $(RESULTS) --xunit xunit.xml $(LISTENERS) --pythonpath . $(ROBOT_OPTS)
SUITE := $(if $(filter 1,$(PROCESSES)),$(ROBOT),$(if $(ENV),,$(BIN)/python -m sandbox run --) $(PABOT))
# Suite instruments (docs/writing-tests.md, "Measuring the suite"): wraps a robot or pabot
# command; re-runs failures once, reports flaky tests, builds coverage.html and summary.html.
INSTRUMENTED := $(BIN)/python -m tooling.report.run_suite --outputdir $(RESULTS) --
# The runs that are not INSTRUMENTED fail alike on a 5xx of the API that no test asked for.
GUARDED := $(BIN)/python -m tooling.report.server_errors --guard
N ?= 5
# Bytecode goes to .venv/pycache, for the venv's modules and the project's alike, written the
# first time a module is imported. Where the environment sets PYTHONDONTWRITEBYTECODE (this
# machine's does) nothing would ever be written, and every robot, gunicorn and CLI process of a
# run compiled each module it imports from source again: robot's libraries took 1.0 CPU-s to
# import instead of 0.3, a fresh `make test` 24 s longer. The tree itself gets no __pycache__.
export PYTHONPYCACHEPREFIX := $(CURDIR)/$(VENV)/pycache
unexport PYTHONDONTWRITEBYTECODE
# Each suite run starts from an empty database in a throwaway folder, as CI does: what an
# earlier run left (payments whose gateway objects died with that run's sandboxes) would only
# slow reconciliation down and make runs differ. `python -m sandbox up` keeps .pgdata/.
# sandbox.stack.scratch puts it in memory (/dev/shm) when there is room: see that module for why.
SCRATCH := $$($(BIN)/python -m sandbox.stack.scratch)
FRESH_DB := tmp=$$(mktemp -d -p "$(SCRATCH)"); trap 'rm -rf "$$tmp"' EXIT; export PGDATA_DIR=$$tmp/data;

.PHONY: run run-parallel run-serial test setup lint format pytest robot live-profile docs bench-listings clean \
	bench bench-growth load load-distributed bench-webhooks coverage-gate soak fuzz \
	smoke deployment-check mutation model-hunt pabot-order

setup: $(STAMP)

# uv (requirements-setup.txt) installs requirements.txt into the venv; pip does if uv cannot be
# had. uv compiles nothing at install: of the venv's 8,000 modules a run imports a few hundred,
# and each is compiled once, on first import, into PYTHONPYCACHEPREFIX (above).
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check
$(STAMP): requirements.txt requirements-setup.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	if $(PIP) -r requirements-setup.txt; then \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.txt; \
	else \
		$(PIP) --upgrade pip && $(PIP) -r requirements.txt; \
	fi
	touch $(STAMP)

# The whole suite, as `make robot` runs it: pabot with PROCESSES (4) processes on one stack;
# PROCESSES=1 runs it with robot alone, and both must pass alike.
run: robot

run-parallel: robot

run-serial: setup
	@$(MAKE) --no-print-directory robot PROCESSES=1

# Every check: the suite, lint, pytest, the fuzzer and the live profile side by side (each one's
# output kept together), then the gate, which reads what the suite wrote. Run one after another,
# each left part of the machine idle at its end (pabot's merge and report, pytest's last tests
# on one worker); side by side the machine stays busy to the end: 129 s against 153 s in one
# back-to-back pair (docs/writing-tests.md, "How long make test takes"). summary.html is then
# built again, with the figures pytest's instruments recorded meanwhile (tooling/report/instruments.py).
test: setup
	@$(MAKE) --no-print-directory -j5 --output-sync=target robot lint pytest fuzz live-profile
	@$(BIN)/python -m tooling.report.report --no-history $(RESULTS) > /dev/null
	@$(MAKE) --no-print-directory coverage-gate

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m tooling.report.pabot_order --check
	$(BIN)/python -m tooling.sandbox_only
	$(BIN)/robocop check robot keywords resources
	$(BIN)/robocop format --check --diff robot keywords resources

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .
	$(BIN)/robocop format robot keywords resources

# One worker per core; each worker has its own PostgreSQL and template database. Idle workers
# take queued tests from busy ones (worksteal): a few tests wait seconds on whole stacks.
pytest: setup
	$(BIN)/python -m pytest -n auto --dist worksteal

# Each test is one trace (keywords/listeners/Journey.py): every process writes its spans as
# OTLP JSON to results/traces, and each test's journey is drawn in log.html. TRACING=off runs
# without; OTEL_EXPORTER_OTLP_ENDPOINT also sends the spans to that collector.
TRACING ?= on
TRACES := $(CURDIR)/$(RESULTS)/traces
robot: setup
	@mkdir -p $(RESULTS) && rm -rf $(TRACES)
	@$(FRESH_DB) RUN_STARTED_AT=$$(date -u +%Y-%m-%dT%H:%M:%S+00:00) \
		$(if $(filter on,$(TRACING)),OTEL_TRACES_DIR=$(TRACES)) \
		PATH="$(CURDIR)/$(BIN):$$PATH" $(INSTRUMENTED) $(SUITE) robot; status=$$?; \
	if [ -d $(TRACES) ]; then $(BIN)/python -m tooling.report.trace_check $(TRACES) || status=1; \
		$(BIN)/python -m tooling.report.journey_check $(RESULTS)/output.xml || status=1; fi; \
	echo "Log: $(CURDIR)/$(RESULTS)/log.html"; exit $$status

# The pabot groups balanced again from the last run's timings (results/output.xml).
pabot-order: setup
	$(BIN)/python -m tooling.report.pabot_order $(RESULTS)/output.xml

# 100% of operations, >= 90% of documented error statuses, every transition (results/coverage.json).
coverage-gate: setup
	$(BIN)/python -m tooling.report.gate $(RESULTS)

# The whole suite N times (N=5), no re-runs: each test's pass rate in results/soak/.
soak: setup
	@$(FRESH_DB) PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m tooling.report.soak --runs $(N) --outputdir $(RESULTS)/soak -- $(SUITE) robot

# The model-based test for longer, with new random sequences each run (nightly): MODEL_EXAMPLES
# sequences of MODEL_STEPS steps; a failure's shrunk sequence is in results/model/log.html.
MODEL_EXAMPLES ?= 60
MODEL_STEPS ?= 25
model-hunt: setup
	@mkdir -p $(RESULTS)/model
	@$(FRESH_DB) MODEL_EXAMPLES=$(MODEL_EXAMPLES) MODEL_STEPS=$(MODEL_STEPS) MODEL_DERANDOMIZE=False \
		$(BIN)/python -m sandbox run -- $(BIN)/robot --outputdir $(RESULTS)/model \
		--listener keywords/listeners/SecretMasker.py --pythonpath . --suite "Model Based" \
		$(ROBOT_OPTS) robot/workflows; status=$$?; \
	echo "Log: $(CURDIR)/$(RESULTS)/model/log.html"; exit $$status

# The payments suite as it runs against real test-mode gateways: the sandboxes serve only what
# Stripe and Flutterwave serve (no /_sandbox/ controls), and tests tagged sandbox-only are left
# out. docs/sandboxes.md says how to aim the same run at Stripe and Flutterwave test mode.
live-profile: setup
	@mkdir -p $(RESULTS)/live
	@$(FRESH_DB) $(GUARDED) $(RESULTS)/live -- $(BIN)/python -m sandbox run --no-sandbox-controls -- \
		$(BIN)/robot --outputdir $(RESULTS)/live \
		--xunit xunit.xml --listener keywords/listeners/SecretMasker.py --pythonpath . \
		--exclude sandbox-only $(ROBOT_OPTS) robot/payments; status=$$?; \
	echo "Log: $(CURDIR)/$(RESULTS)/live/log.html"; exit $$status

# Schemathesis from /api/openapi.json against a throwaway stack: anonymous, then with the token
# of each operation's role; bounded by work: every phase once (FUZZ_EXAMPLES, FUZZ_SEED;
# FUZZ_MAX_TIME=N repeats fuzzing for N s a pass instead).
# Reports in results/fuzz/; docs/writing-tests.md says how to read and reproduce a failure.
# Its own throwaway database: rows left by earlier runs name payments that this run's Stripe
# stand-in never saw, which the gateway would rightly refuse (502) if the fuzzer found them.
fuzz: setup
	@$(FRESH_DB) $(BIN)/python -m sandbox run -- $(BIN)/python -m tooling.fuzz

# The smoke-tagged tests of every area (the pre-commit hook runs this); output in results/smoke/.
smoke: setup
	@mkdir -p $(RESULTS)/smoke
	@$(FRESH_DB) $(GUARDED) $(RESULTS)/smoke -- $(ROBOT) --outputdir $(RESULTS)/smoke --include smoke robot; status=$$?; \
	echo "Log: $(CURDIR)/$(RESULTS)/smoke/log.html"; exit $$status

# The deployment-safe tests write nothing: a throwaway stack with a few listings, every table's
# rows counted before and after `robot --include deployment-safe robot`; any change fails.
deployment-check: setup
	@$(FRESH_DB) $(GUARDED) $(RESULTS)/deployment -- $(BIN)/python -m sandbox run -- $(BIN)/python -m tooling.report.deployment_check

# Mutation score (docs/writing-tests.md, "Mutation score"): cosmic-ray plants faults in a throwaway
# copy of api_server/, each mutant's suites (tooling/mutation/map.yaml) run against a fresh
# stack on one PostgreSQL. MUTATION_SAMPLE (200; `all` = every mutant, the nightly run),
# MUTATION_SEED (1), MUTATION_TIMEOUT (120 s a mutant), MUTATION_TIME (3600 s overall, 0 = none),
# MUTATION_JOBS (1). Report in results/mutation/. Not part of `make test`.
mutation: setup
	$(BIN)/python -m tooling.mutation

docs: setup
	$(BIN)/python -m tooling.keyword_index $(RESULTS)/docs

clean:
	rm -rf $(RESULTS)/*.html $(RESULTS)/*.xml $(RESULTS)/docs .pytest_cache .ruff_cache

# Seeds 100,000 listings in a throwaway stack and prints search p50/p95 and query plans.
bench-listings: setup
	$(BIN)/python -m tooling.bench.listings

# Benchmarks and load: never part of `make test`; each starts its own throwaway stack.
# Every shape against GET /api/health, closed loop (ROWS, CLIENTS, DURATION; API_WORKERS,
# API_THREADS; MIX=1 adds a widely varied search shape, WRITES=N commits N listing writes a
# second meanwhile); writes results/bench/<timestamp>.json and charts. docs/performance.md.
bench: setup
	$(BIN)/python -m tooling.bench.throughput

# Each shape's share at 1,000,000 listings against 100,000 (the newest report of each size).
bench-growth: setup
	$(BIN)/python -m tooling.bench.growth

# Locust headless, bounded (USERS, SPAWN_RATE, TIME); WORKERS=N runs one master, N workers.
load: setup
	$(BIN)/python -m tooling.bench.load

load-distributed: setup
	WORKERS=$${WORKERS:-2} $(BIN)/python -m tooling.bench.load

# Signed Stripe webhooks, shuffled with duplicates, against in-order delivery; and the race.
bench-webhooks: setup
	$(BIN)/python -m tooling.bench.webhooks
