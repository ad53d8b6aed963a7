"""The model catalogue: fetched at most hourly, kept on disk, never replaced by a bad list."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from desktop_app.api.errors import ApiError, ErrorKind
from desktop_app.emulator.catalogue import models_response
from desktop_app.services.catalogue import (
    BUNDLED,
    CACHE_SECONDS,
    ModelCatalogue,
    Snapshot,
    cache_file,
    search,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def fetcher(*answers: Any) -> Any:
    calls: list[int] = []

    async def fetch() -> Any:
        calls.append(1)
        answer = answers[min(len(calls), len(answers)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    fetch.calls = calls  # type: ignore[attr-defined]
    return fetch


@pytest.fixture
def catalogue(tmp_path: Path) -> tuple[ModelCatalogue, Clock]:
    clock = Clock()
    return ModelCatalogue(tmp_path / "models.json", clock=clock), clock


def test_the_bundled_list_has_the_reference_prices() -> None:
    snap = ModelCatalogue(Path("/nonexistent/models.json")).snapshot()
    assert snap.source == "bundled"
    gpt = snap.get("openai/gpt-4o")
    assert gpt is not None and gpt.input_per_mtok == pytest.approx(2.5)
    assert gpt.output_per_mtok == pytest.approx(10.0) and gpt.supports_tools
    assert snap.get("openai/gpt-4o:cost") is gpt  # suffixes name the same model
    assert "text" in gpt.input_modalities and "image" in gpt.input_modalities
    assert json.loads(BUNDLED.read_text())["data"]


async def test_fetched_at_most_once_an_hour(catalogue: tuple[ModelCatalogue, Clock]) -> None:
    cat, clock = catalogue
    fetch = fetcher(models_response())
    assert cat.stale()  # nothing fetched yet
    first = await cat.refresh(fetch)
    assert first.problem is None and first.snapshot.source == "server"
    clock.now += CACHE_SECONDS - 1
    assert not cat.stale()
    assert (await cat.refresh(fetch)).snapshot is first.snapshot
    assert len(fetch.calls) == 1
    clock.now += 2
    await cat.refresh(fetch)
    assert len(fetch.calls) == 2
    await cat.refresh(fetch, force=True)
    assert len(fetch.calls) == 3


async def test_the_cache_is_shared_and_used_offline(tmp_path: Path) -> None:
    clock = Clock()
    path = tmp_path / "models.json"
    await ModelCatalogue(path, clock=clock).refresh(fetcher(models_response()))
    clock.now += 3 * 86400
    later = ModelCatalogue(path, clock=clock)  # another process: the CLI, the next start
    snap = later.snapshot()
    assert snap.source == "cache" and snap.age(clock.now) == "prices from 3 days ago"
    offline = await later.refresh(fetcher(ApiError(ErrorKind.CONNECT, "no network")))
    assert offline.snapshot is snap and "could not be fetched" in (offline.problem or "")


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ({"object": "list", "data": "nope"}, "cannot read"),
        ({"data": [{"id": ""}, 3, None]}, "cannot read"),
        ([], "cannot read"),
        ({"object": "list", "data": models_response()["data"][:3]}, "cut short"),
    ],
)
async def test_a_bad_or_partial_list_never_replaces_a_good_cache(
    catalogue: tuple[ModelCatalogue, Clock], answer: Any, why: str
) -> None:
    cat, clock = catalogue
    good = (await cat.refresh(fetcher(models_response()))).snapshot
    clock.now += CACHE_SECONDS + 1
    result = await cat.refresh(fetcher(answer))
    assert result.snapshot is good and why in (result.problem or "")
    assert ModelCatalogue(cat._cache).snapshot().models == good.models  # the file too


def test_a_damaged_cache_falls_back_to_the_bundled_list(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_bytes(b"\x00{not json")
    assert ModelCatalogue(path).snapshot().source == "bundled"


def test_one_cache_per_server(tmp_path: Path) -> None:
    a = cache_file(tmp_path, "https://api.edenai.run/v3")
    assert a == cache_file(tmp_path, "https://api.edenai.run/v3/")
    assert a != cache_file(tmp_path, "http://127.0.0.1:8765/v3")


def test_search_filters() -> None:
    snap = ModelCatalogue(Path("/nonexistent")).snapshot()
    ids = [m.id for m in search(snap.models, "GPT mini")]  # every word, any case
    assert ids == ["openai/gpt-4.1-mini", "openai/gpt-4o-mini"]
    assert all(m.supports_tools for m in search(snap.models, tools=True))
    assert "perplexity/sonar" not in [m.id for m in search(snap.models, tools=True)]
    assert [m.provider for m in search(snap.models, provider="mistral")] == ["mistral"] * 3
    assert all("image" in m.input_modalities for m in search(snap.models, modality="image"))


def test_ages_in_words() -> None:
    snap = Snapshot((), 1000.0, "cache")
    assert snap.age(1030) == "prices from just now"
    assert snap.age(1000 + 3600 * 5) == "prices from 5 hours ago"
    assert snap.age(1000 + 86400) == "prices from 1 day ago"
