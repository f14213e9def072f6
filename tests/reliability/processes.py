"""Real processes for fault-injection tests: start ``factcheck`` commands, find their children, kill them.

Moved here from ``tests/test_recovery.py`` so that every recovery test shares one copy.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path


def start(args: list[str], env: dict[str, str], **kwargs: object) -> subprocess.Popen[bytes]:
    """Run ``python -m factcheck ARGS`` in a process group of its own (so it can be killed whole)."""
    return subprocess.Popen(
        [sys.executable, "-m", "factcheck", *args],
        env=env,
        start_new_session=True,
        **kwargs,  # type: ignore[call-overload]
    )


def stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the process group and wait for its leader (a no-op if it has exited). One that
    ignores the signal for 30 s is killed, so that it cannot go on using the tests' Redis and
    disturb later tests, and the test fails saying so."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
            raise AssertionError(f"{process.args!r} ignored signal {sig} for 30 s") from None


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (an RQ worker's work-horse, ``factcheck up``'s services)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def is_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as dead)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
