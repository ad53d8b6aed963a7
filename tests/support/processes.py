"""Child processes that tests start and always end, whatever happens in between."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def child_process(args: list[str], **popen: Any) -> Iterator[subprocess.Popen[bytes]]:
    """`subprocess.Popen(args, **popen)`, killed if still running when the block ends (an
    assertion failed, a timeout fired) and always reaped, its pipes closed."""
    proc: subprocess.Popen[bytes] = subprocess.Popen(args, **popen)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        try:
            proc.wait(30)
        finally:
            for stream in (proc.stdin, proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
