"""The model catalogue: what the server serves, at what price, with what capabilities. Qt-free.

Fetched from `GET {base}/models` (no key needed) at most once an hour (the server's own cache
time), kept on disk per server, and used offline with its age shown ("prices from 3 days
ago"); a snapshot bundled with the app is the last resort. A bad or partial answer never
replaces a good cache: one that is not a model list, that lists no usable model, or that
lists fewer than half the models the cache had, is refused (and said so).

The window and the command line share the cache file and the hourly rule.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from desktop_app.api.models import ModelInfo, parse_model_list

log = logging.getLogger(__name__)

CACHE_SECONDS = 3600  # Eden AI caches its model list for an hour
PARTIAL_BELOW = 0.5  # a list shorter than this share of the cached one is taken as cut short
BUNDLED = Path(__file__).resolve().parent.parent / "resources" / "models.json"
CACHE_VERSION = 1


class Snapshot:
    """One catalogue as it was fetched: its models and where and when they came from."""

    __slots__ = ("_by_id", "fetched_at", "models", "source")

    def __init__(self, models: tuple[ModelInfo, ...], fetched_at: float, source: str) -> None:
        self.models = models
        self.fetched_at = fetched_at  # Unix seconds
        self.source = source  # "server" (fetched now) | "cache" | "bundled"
        self._by_id = {m.id: m for m in models}

    def get(self, model_id: str) -> ModelInfo | None:
        """The model for an id, ignoring `:cost`/`@eu` style suffixes."""
        found = self._by_id.get(model_id)
        if found is None:
            found = self._by_id.get(model_id.split("@", 1)[0].split(":", 1)[0])
        return found

    def fetched_iso(self) -> str:
        return datetime.fromtimestamp(self.fetched_at, UTC).isoformat(timespec="seconds")

    def age(self, now: float | None = None) -> str:
        """How old the prices are, in words: 'prices from 3 days ago'."""
        if self.source == "bundled":
            return "prices from the list bundled with RouteChat"
        seconds = max(0.0, (time.time() if now is None else now) - self.fetched_at)
        if seconds < 90:
            return "prices from just now"
        for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
            if seconds >= size:
                n = int(seconds // size)
                return f"prices from {n} {unit}{'s' if n != 1 else ''} ago"
        return "prices from just now"  # pragma: no cover - 90 s and more is minutes


class RefreshResult:
    """What a refresh did: the snapshot now in use, and a sentence when it kept the old one."""

    __slots__ = ("problem", "snapshot")

    def __init__(self, snapshot: Snapshot, problem: str | None = None) -> None:
        self.snapshot = snapshot
        self.problem = problem


def cache_file(cache_dir: Path, base_url: str) -> Path:
    """One cache per server: the demo server's list never stands in for Eden AI's."""
    digest = hashlib.blake2b(base_url.rstrip("/").encode(), digest_size=6).hexdigest()
    return cache_dir / f"models-{digest}.json"


class ModelCatalogue:
    def __init__(
        self,
        cache: Path,
        *,
        clock: Callable[[], float] = time.time,
        bundled: Path = BUNDLED,
    ) -> None:
        self._cache = cache
        self._clock = clock
        self._bundled = bundled
        self._snapshot: Snapshot | None = None

    # --- reading (no network) ----------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The catalogue in use: the last fetch, else the cache on disk, else the bundled one."""
        if self._snapshot is None:
            self._snapshot = self._read(self._cache, "cache") or self._bundled_snapshot()
        return self._snapshot

    def _bundled_snapshot(self) -> Snapshot:
        found = self._read(self._bundled, "bundled")
        return found if found is not None else Snapshot((), 0.0, "bundled")

    @staticmethod
    def _read(path: Path, source: str) -> Snapshot | None:
        try:
            data = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        models = parse_model_list(data)
        if not models:
            return None
        fetched = data.get("fetched_at")
        when = 0.0
        if isinstance(fetched, int | float):
            when = float(fetched)
        elif isinstance(fetched, str):
            with contextlib.suppress(ValueError):
                when = datetime.fromisoformat(fetched).timestamp()
        return Snapshot(tuple(models), when, source)

    def stale(self) -> bool:
        """Time to ask the server again (an hour has passed, or nothing was ever fetched)."""
        snap = self.snapshot()
        return snap.source == "bundled" or self._clock() - snap.fetched_at >= CACHE_SECONDS

    def get(self, model_id: str) -> ModelInfo | None:
        return self.snapshot().get(model_id)

    def prices(self, model_id: str) -> tuple[float, float] | None:
        """USD per input and output token, when the catalogue knows both."""
        model = self.get(model_id)
        if model is None or model.input_per_token is None or model.output_per_token is None:
            return None
        return model.input_per_token, model.output_per_token

    # --- refreshing ----------------------------------------------------------------------------
    async def refresh(
        self, fetch: Callable[[], Awaitable[Any]], *, force: bool = False
    ) -> RefreshResult:
        """Fetch the list when it is stale (or `force`), keep it if it is good, and say why not
        otherwise. `fetch` returns the server's JSON or raises (`api.errors.ApiError`)."""
        current = self.snapshot()
        if not force and not self.stale():
            return RefreshResult(current)
        try:
            raw = await fetch()
        except Exception as exc:  # ApiError: offline, refused, malformed
            return RefreshResult(current, f"The model list could not be fetched ({exc}).")
        models = parse_model_list(raw)
        if not models:
            return RefreshResult(
                current, "The server sent a model list RouteChat cannot read; the last one is kept."
            )
        if current.source != "bundled" and len(models) < PARTIAL_BELOW * len(current.models):
            return RefreshResult(
                current,
                f"The server's model list looks cut short ({len(models)} models instead of "
                f"{len(current.models)}); the last good one is kept.",
            )
        now = self._clock()
        entries = raw.get("data") if isinstance(raw, dict) else raw
        self._save({"version": CACHE_VERSION, "fetched_at": now, "data": entries})
        self._snapshot = Snapshot(tuple(models), now, "server")
        return RefreshResult(self._snapshot)

    def _save(self, data: dict[str, Any]) -> None:
        """Atomically (a temporary file, then a rename); a failure only costs the cache."""
        tmp: str | None = None
        try:
            self._cache.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".models.", dir=self._cache.parent)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
            os.replace(tmp, self._cache)
            tmp = None
        except OSError as exc:
            log.warning("could not keep the model list in %s: %s", self._cache, exc)
        finally:
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def search(
    models: tuple[ModelInfo, ...] | list[ModelInfo],
    text: str = "",
    *,
    provider: str | None = None,
    tools: bool = False,
    modality: str | None = None,
) -> list[ModelInfo]:
    """The models matching every given filter (text in the id or description, any order of
    words), sorted by id."""
    words = text.lower().split()
    out = []
    for m in models:
        haystack = f"{m.id} {m.description}".lower()
        if words and not all(w in haystack for w in words):
            continue
        if provider and m.provider != provider:
            continue
        if tools and not m.supports_tools:
            continue
        if modality and modality not in m.input_modalities:
            continue
        out.append(m)
    return sorted(out, key=lambda m: m.id)
