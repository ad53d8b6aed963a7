"""A small real MCP server (stdio, the official SDK) for the tool tests: run it as a script.

Its tools cover what a turn must survive: a plain answer, a tool that raises, one that makes
the server exit mid-call, one that hangs, and one that writes (to `$NOTES_FILE`), which must
never run without an approval.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from mcp.server import MCPServer

server = MCPServer("routechat-test")


@server.tool()
def lookup_word(word: str) -> str:
    """Looks up a word in the test dictionary and gives its definition."""
    return f"{word.strip()[:80]}: a word defined by the test dictionary."


@server.tool()
def add(a: int, b: int) -> int:
    """Adds two whole numbers."""
    return a + b


@server.tool()
def fail_loudly() -> str:
    """Fails loudly, on purpose."""
    raise ValueError("the test dictionary is on fire")


@server.tool()
def crash_now() -> str:
    """Crashes the server process right now."""
    os._exit(3)


@server.tool()
def sleep_for(seconds: float) -> str:
    """Sleeps (hangs) for a number of seconds."""
    time.sleep(seconds)
    return "awake"


@server.tool()
def write_note(text: str) -> str:
    """Writes a note into the test notebook file."""
    path = Path(os.environ["NOTES_FILE"])
    with path.open("a", encoding="utf-8") as f:
        f.write(text + "\n")
    return f"wrote {len(text)} characters to the notebook"


if __name__ == "__main__":
    server.run()
