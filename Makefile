# The two set-up commands of the README: `make reproduce` and `make test`.
PY ?= python3
INSTALL_STAMP := .cache/installed.stamp

$(INSTALL_STAMP): pyproject.toml constraints.txt
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	@mkdir -p .cache && touch $@

.PHONY: install reproduce test lint mutation
install: $(INSTALL_STAMP)

reproduce: install  ## default reproduction: scaled Manhattan on CMU (Killourhy & Maxion 2009)
	$(PY) run.py

test: install  ## lint + the whole test suite (reproductions need INCUMBENT_DATA)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

lint:
	$(PY) -m ruff check --fix . && $(PY) -m ruff format .

mutation: install  ## mutation testing of the decision code -> docs/mutation.md (hours on 2 cores)
	nice -n 10 $(PY) scripts/mutation.py
