"""A server in a child process, so its CPU is not counted with the code being measured.

`python tests/benchmarks/child_server.py` serves the emulator at full speed, prints its base
URL on one line and stops when its standard input closes. `spawn`/`stop` are shared by the
benchmarks for this and for their own servers.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve()


def spawn(argv: list[str], what: str) -> tuple[subprocess.Popen[str], str]:
    """Start `argv`, wait for the base URL it prints; the child lives until `stop`."""
    proc = subprocess.Popen(
        argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise RuntimeError(f"the {what} did not start")
    return proc, url


def stop(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def spawn_emulator() -> tuple[subprocess.Popen[str], str]:
    return spawn([sys.executable, str(HERE)], "emulator")


async def serve_emulator() -> None:
    from desktop_app.emulator.server import EmulatorConfig, EmulatorServer

    server = EmulatorServer(EmulatorConfig(token_delay=0, routing_delay=0))
    print(await server.start(), flush=True)
    try:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await server.stop()


if __name__ == "__main__":
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    asyncio.run(serve_emulator())
