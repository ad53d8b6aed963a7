"""Every test runs isolated: offscreen Qt, its own data folders, an in-memory keyring, no key."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_QUICK_BACKEND", "software")
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.support.memory_keyring.MemoryKeyring"
os.environ.pop("EDENAI_API_KEY", None)
os.environ["ROUTECHAT_HOME"] = tempfile.mkdtemp(prefix="routechat-tests-")

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh ROUTECHAT_HOME for one test."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("ROUTECHAT_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def _fresh_memory_keyring() -> Iterator[None]:
    from tests.support import memory_keyring

    memory_keyring.clear()
    yield
    memory_keyring.clear()
