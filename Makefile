# Shortcuts for long runs that the test command (scripts/test) keeps bounded.
PYTHON ?= .venv/bin/python
FUZZ_CASES ?= 20000
FUZZ_SEED ?= random

.PHONY: fuzz
# Schemathesis over every operation with many more cases than CI and a new seed each run (the seed is
# printed with any failure; FUZZ_SEED=<int> replays it). SQLite unless FACTCHECK_TEST_DATABASE_URL is set.
fuzz:
	FACTCHECK_FUZZ_CASES=$(FUZZ_CASES) FACTCHECK_FUZZ_SEED=$(FUZZ_SEED) $(PYTHON) -m pytest tests/fuzz -q -p no:cacheprovider
