# Anju: `make demo` runs the system with demo data on SQLite; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
HOUSEHOLDS ?= 20000

.PHONY: demo test lint typecheck check serve clean mutation

$(STAMP): requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11（找不到 $(PYTHON)）"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $(STAMP)

demo: $(STAMP)
	./scripts/ensure_chromium.sh
	$(PY) manage.py migrate --no-input -v0
	$(PY) manage.py load_regions
	$(PY) manage.py create_demo_users
	$(PY) manage.py generate_demo --households $(HOUSEHOLDS) --if-empty
	$(PY) manage.py generate_demo_safety
	$(PY) manage.py generate_demo_field
	$(PY) manage.py generate_demo_renovation
	./scripts/serve.sh

serve: $(STAMP)
	./scripts/serve.sh

test: $(STAMP)
	./scripts/test.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check . || true

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

check: lint typecheck
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf var/test.sqlite3 .pytest_cache

# Mutation testing of the rule modules (docs/testing.md): each module's score, ≥ 90 % or it fails.
mutation: $(STAMP)
	./scripts/mutation.sh $(MODULES)
