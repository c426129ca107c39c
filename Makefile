# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export FLASK_APP := matchmaker

.PHONY: run test install migrate seed worker cron lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when the dependency list changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

migrate: $(STAMP)
	$(BIN)/flask db-upgrade

seed: migrate
	$(BIN)/flask seed-demo

## Serve the app with demo data on the embedded defaults (SQLite, inline jobs, file outbox).
run: seed
	@echo ""
	@echo "  matchmaker is starting at http://127.0.0.1:5000/"
	@$(BIN)/flask demo-logins
	@echo ""
	FLASK_DEBUG=1 $(BIN)/flask run --host 127.0.0.1 --port 5000

## Run the whole suite (PostgreSQL/Redis/Chromium suites skip loudly when absent, fail when CI=true).
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

worker: $(STAMP)
	$(BIN)/python -m workers.worker

cron: $(STAMP)
	$(BIN)/rq cron workers/cron_config.py --url $${REDIS_URL:?set REDIS_URL}

bench: $(STAMP)
	$(BIN)/python -m tests.perf.run_all

clean:
	rm -rf $(VENV) instance .pytest_cache
