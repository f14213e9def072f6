"""Intake cost of the working tree against a git ref, served side by side under the same load.

    .venv/bin/python bench/ingest_ab.py 81880de       # prints one JSON object on stdout

``ingest.py`` compares factcheck with a minimal app in turns, so a noisy minute on a shared
machine lands on one of them and moves the ratio by ±20 %. To tell whether a change to
factcheck helps, this runs the code at ``REF`` (a ``git worktree``, imported through
PYTHONPATH with this virtualenv's packages) and the working tree at the same time: each has its
own gunicorn (the same settings as ``ingest.py``), its own PostgreSQL database and its own
redis-server, and ``--clients`` threads POST distinct claims to each at once. Whatever else the
machine does then slows both alike. Per round it reads each side's CPU per stored ticket from
``/proc`` (gunicorn by port, PostgreSQL backends by database name, Redis by port) and reports
the working tree's CPU over the ref's: below 1 is cheaper. Absolute figures run higher than in
``ingest.py``, since the two servers share the 2 cores. Environment as for ``ingest.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import ingest  # bench/ siblings
import services

SIDES = ("ref", "tree")


@contextmanager
def worktree(ref: str, folder: Path) -> Iterator[Path]:
    """The code at ``ref``, checked out (detached) in ``folder``; removed at the end."""
    subprocess.run(
        ["git", "-C", str(ingest.ROOT), "worktree", "add", "--detach", str(folder), ref],
        check=True,
        stdout=sys.stderr,  # stdout is the JSON report
    )
    try:
        yield folder
    finally:
        subprocess.run(
            ["git", "-C", str(ingest.ROOT), "worktree", "remove", "--force", str(folder)], check=False
        )


def pids(match: Callable[[str], bool]) -> list[int]:
    """The live processes whose command line ``match`` accepts."""
    return [pid for pid, _, _, command in ingest.processes() if match(command)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("ref", help="git ref of the code to compare the working tree with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000, help="measured requests per side and round")
    parser.add_argument("--clients", type=int, default=4, help="concurrent connections per side")
    args = parser.parse_args(argv)
    admin_url = os.environ.get("FACTCHECK_BENCH_DATABASE_URL", ingest.DEFAULT_DATABASE_URL)
    server = ingest.ServerSettings(2, "gthread", 4)
    load = ingest.Load(args.requests, 300, args.clients, 300.0, 1)
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="factcheck-ab-")))
        code = {"ref": stack.enter_context(worktree(args.ref, tmp / "ref-code")), "tree": ingest.ROOT}
        sides = {}
        for side in SIDES:
            folder = tmp / side
            folder.mkdir()
            database = f"factcheck_bench_{side}"
            url = stack.enter_context(services.postgres_database(admin_url, database))
            redis_url = stack.enter_context(services.redis_server(folder))
            sides[side] = {
                "database": database,
                "redis_port": redis_url.rsplit(":", 1)[1].split("/")[0],
                "token": ingest.prepare_factcheck(url, redis_url, folder),
                "env": ingest.server_env(url, redis_url, folder) | {"PYTHONPATH": str(code[side])},
            }
        rounds = [run_round(sides, server, load, number, args.rounds) for number in range(1, args.rounds + 1)]
    print(json.dumps(report(args, rounds), indent=2))
    return 0


def run_round(
    sides: dict[str, dict[str, Any]],
    server: ingest.ServerSettings,
    load: ingest.Load,
    number: int,
    total: int,
) -> dict[str, Any]:
    ingest.log(f"round {number}/{total}")
    with ExitStack() as servers:
        ports, headers = {}, {}
        for side, spec in sides.items():
            port, _log = servers.enter_context(
                ingest.gunicorn("factcheck:create_app()", Path(spec["env"]["FACTCHECK_INSTANCE_PATH"]).parent,
                                spec["env"], server)
            )  # fmt: skip
            ports[side] = port
            headers[side] = {"Content-Type": "application/json", "Authorization": f"Bearer {spec['token']}"}
        run_id = uuid.uuid4().hex[:8]
        for side in sides:
            ingest.run_load(
                ports[side], headers[side], ingest.claims(f"{run_id}-warm", side, load.warmup), load
            )
        groups = {side: process_groups(spec, ports[side]) for side, spec in sides.items()}
        before = {
            side: {name: ingest.cpu_seconds(p) for name, p in group.items()} for side, group in groups.items()
        }
        phases: dict[str, ingest.Phase] = {}

        def drive(side: str) -> None:
            phases[side] = ingest.run_load(
                ports[side], headers[side], ingest.claims(run_id, side, load.requests), load
            )

        threads = [threading.Thread(target=drive, args=(side,)) for side in sides]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        result: dict[str, Any] = {}
        for side, group in groups.items():
            phase = phases[side]
            spent = {
                name: round(1000 * (ingest.cpu_seconds(p) - before[side][name]) / max(phase.ok, 1), 3)
                for name, p in group.items()
            }
            result[side] = {
                "per_second": phase.per_second,
                "errors": phase.errors,
                "cpu_ms_per_ticket": spent,
            }
        ingest.log(
            "  " + ", ".join(f"{s}: {sum(r['cpu_ms_per_ticket'].values()):.2f} ms" for s, r in result.items())
        )
        return result


def process_groups(spec: dict[str, Any], port: int) -> dict[str, list[int]]:
    database, redis_port = spec["database"], spec["redis_port"]
    return {
        "server": ingest.process_groups(port)["server"],
        "postgres": pids(lambda command: command.startswith("postgres:") and f" {database} " in command),
        "redis": pids(
            lambda command: (
                command.split(" ")[0].endswith("redis-server")
                and (f":{redis_port} " in command + " " or f"--port {redis_port} " in command + " ")
            )
        ),
    }


def report(args: argparse.Namespace, rounds: list[dict[str, Any]]) -> dict[str, Any]:
    def total(side: str, row: dict[str, Any]) -> float:
        return float(sum(row[side]["cpu_ms_per_ticket"].values()))

    ratios = [round(total("tree", row) / total("ref", row), 3) for row in rounds]
    parts = {
        name: [round(row["tree"]["cpu_ms_per_ticket"][name] / row["ref"]["cpu_ms_per_ticket"][name], 3)
               for row in rounds if row["ref"]["cpu_ms_per_ticket"][name]]
        for name in ("server", "postgres", "redis")
    }  # fmt: skip
    return {
        "benchmark": "ingest_ab",
        "ref": args.ref,
        "tree": subprocess.run(
            ["git", "-C", str(ingest.ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
        ).stdout.strip(),
        "load": {"requests": args.requests, "clients_per_side": args.clients, "rounds": args.rounds},
        "rounds": rounds,
        "ratio_cpu_per_ticket_tree_to_ref": ratios,
        "median_ratio_cpu_per_ticket_tree_to_ref": statistics.median(ratios),
        "ratio_by_part": parts,
        "errors": sum(row[side]["errors"] for row in rounds for side in SIDES),
    }


if __name__ == "__main__":
    sys.exit(main())
