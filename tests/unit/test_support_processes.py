"""tests.support.processes: a child a test started never outlives the test."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.support.processes import child_process

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def _fail_while_running(started: list[subprocess.Popen[bytes]]) -> None:
    with child_process(SLEEPER, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        started.append(proc)
        assert proc.poll() is None
        raise AssertionError("the test failed")


def test_a_child_still_running_when_the_block_fails_is_killed_and_reaped() -> None:
    started: list[subprocess.Popen[bytes]] = []
    with pytest.raises(AssertionError, match="the test failed"):
        _fail_while_running(started)
    (proc,) = started
    assert proc.returncode == -signal.SIGKILL
    assert proc.stdout is not None and proc.stdout.closed
    assert proc.stderr is not None and proc.stderr.closed


def test_a_child_that_ended_keeps_its_exit_status() -> None:
    code = [sys.executable, "-c", "import sys; sys.exit(3)"]
    with child_process(code, stdout=subprocess.DEVNULL) as proc:
        proc.wait(30)
    assert proc.returncode == 3
