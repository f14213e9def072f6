"""Container entrypoint for the sweeper: ``python -m workers.sweeper`` (same as ``factcheck sweeper``)."""

from factcheck.cli import main

if __name__ == "__main__":
    main(["sweeper"])
