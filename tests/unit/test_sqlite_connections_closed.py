"""Every SQLite connection is closed explicitly.

`with sqlite3.connect(...) as conn:` commits or rolls back but leaves the connection open;
Python 3.13 warns about each connection collected unclosed (ResourceWarning), which the strict
suite turns into errors. The machines here run 3.11 by default, where nothing warns, hence this
check of the source: wrap the connection in `contextlib.closing(...)` or close it in `finally`.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _connect_used_as_context(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                call = item.context_expr
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Attribute)
                    and call.func.attr == "connect"
                    and isinstance(call.func.value, ast.Name)
                    and call.func.value.id in {"sqlite3", "dbapi2"}
                ):
                    lines.append(call.lineno)
    return lines


def test_no_sqlite_connection_is_left_to_the_with_statement() -> None:
    files = sorted((REPO / "desktop_app").rglob("*.py")) + sorted((REPO / "tests").rglob("*.py"))
    assert len(files) > 50
    found = [
        f"{path.relative_to(REPO)}:{line}"
        for path in files
        for line in _connect_used_as_context(path)
    ]
    assert found == []


def test_the_check_sees_the_pattern(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import contextlib, sqlite3\n"
        "with sqlite3.connect('x') as conn:\n    pass\n"
        "with contextlib.closing(sqlite3.connect('x')) as conn:\n    pass\n"
    )
    assert _connect_used_as_context(sample) == [2]
