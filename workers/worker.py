"""Container entrypoint for a worker: ``python -m workers.worker`` (same as ``factcheck worker``)."""

from factcheck.cli import main

if __name__ == "__main__":
    main(["worker"])
