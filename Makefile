# D3 — one entry point for a developer and for CI.
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-lock

.PHONY: install run test worker lock migrate demo bench

# The virtual environment, with the exact versions of requirements/lock.txt.
$(STAMP): requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --require-hashes -r requirements/lock.txt
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py migrate --no-input

demo: migrate
	DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(PY) manage.py load_demo

# D3 on http://127.0.0.1:8000 with its Celery worker and periodic jobs (beat).
run: demo
	mkdir -p var/broker var/broker-processed
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" DJANGO_DEBUG=$${DJANGO_DEBUG:-true} \
		$(VENV)/bin/honcho -f Procfile.dev start

# The whole test suite; uses PostgreSQL and Redis when they answer on this machine.
test: install
	scripts/test $(ARGS)

# Refresh requirements/lock.txt after a change of pyproject.toml.
lock: install
	$(VENV)/bin/pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --extra dev --generate-hashes --strip-extras \
		-o requirements/lock.txt pyproject.toml

# Benchmarks (benchmarks/run.py), figures written into docs/benchmarks.md. Needs
# PostgreSQL and Redis on this machine; generates the Cnam-scale data into d3_bench
# the first time (a few minutes), then starts gunicorn and a worker, runs the load
# scenarios with wrk and stops them. PARTS=load (or courriers…) runs only those parts.
bench: install
	@command -v wrk >/dev/null || (apt-get install -y wrk || (apt-get update && apt-get install -y wrk))
	$(PY) benchmarks/run.py $(PARTS)
