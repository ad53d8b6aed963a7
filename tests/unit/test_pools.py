"""Pools of the user's own: names, the guide's checks, the file, and the service that keeps them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.routing.plan import plan_for
from desktop_app.routing.pools import (
    Pool,
    PoolError,
    check_name,
    check_pool,
    export_json,
    load_pools,
    parse_pools,
    pool_id,
)
from desktop_app.routing.tiers import TierCatalogue
from desktop_app.services.catalogue import ModelCatalogue
from desktop_app.services.pools import PoolService

PRESETS = [(t.id, t.label) for t in TierCatalogue()]
MODELS = ModelCatalogue(Path("/nonexistent")).snapshot().models  # the bundled list
BY_ID = {m.id: m for m in MODELS}


@pytest.fixture
def pools(tmp_path: Path) -> PoolService:
    service = PoolService(tmp_path / "pools.json", TierCatalogue(), lambda: MODELS)
    assert service.load() is None
    return service


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("", "1 to 40"),
        ("x" * 41, "1 to 40"),
        ("Fast & cheap", "1 to 40"),
        ("budget", "built-in"),
        ("BUDGET", "built-in"),
        ("Fast Q&A", "1 to 40"),
        ("Auto (all models)", "1 to 40"),
        ("Creative writing", "built-in"),
        ("auto", "built-in"),
    ],
)
def test_names_that_are_refused(name: str, why: str) -> None:
    problem = check_name(name, [], PRESETS)
    assert problem is not None and why in problem


def test_a_name_is_unique_ignoring_case_and_gives_the_id() -> None:
    mine = Pool(pool_id("My Code Pool"), "My Code Pool", ("openai/gpt-4o",))
    assert mine.id == "my-code-pool"
    assert check_name("my code pool", [mine], PRESETS) is not None
    assert check_name("My  code   pool", [mine], PRESETS) is not None  # same id
    assert check_name("My Code Pool", [mine], PRESETS, keep="my-code-pool") is None  # itself
    assert check_name("Research_2", [mine], PRESETS) is None


def lookup(model_id: str):  # type: ignore[no-untyped-def]
    from desktop_app.routing.pools import facts_from

    return facts_from(BY_ID)(model_id)


def levels(checks: list) -> dict[str, list[str]]:  # type: ignore[type-arg]
    out: dict[str, list[str]] = {}
    for c in checks:
        out.setdefault(c.level, []).append(c.message)
    return out


def test_the_guides_advice_while_editing() -> None:
    three = ["openai/gpt-4o", "anthropic/claude-sonnet-4-5", "google/gemini-2.0-flash"]
    found = levels(check_pool(three, lookup, BY_ID))
    assert set(found) == {"info"}  # a good pool: only its price range
    assert found["info"] == ["Price range: $0.50–$18.00 per 1M tokens (input + output)."]
    six = [*three, "openai/gpt-4o-mini", "openai/gpt-4.1", "google/gemini-2.5-pro"]
    assert "3 to 5" in " ".join(levels(check_pool(six, lookup, BY_ID))["advice"])
    twenty = [f"openai/model-{i}" for i in range(20)]
    assert "slow routing" in " ".join(levels(check_pool(twenty, lookup, BY_ID))["warning"])
    too_many = [f"openai/model-{i}" for i in range(65)]
    assert "64" in " ".join(levels(check_pool(too_many, lookup, BY_ID))["refused"])
    long_id = ["openai/" + "x" * 130]
    assert "128" in " ".join(levels(check_pool(long_id, lookup, BY_ID))["refused"])


def test_an_unknown_model_gets_a_did_you_mean() -> None:
    found = levels(check_pool(["openai/gpt-4o-mni"], lookup, BY_ID))
    assert found["warning"] == [
        "openai/gpt-4o-mni is not in Eden AI's model list. Did you mean openai/gpt-4o-mini?"
    ]


def test_tool_pools_refuse_models_without_tools_and_pricey_pools_get_advice() -> None:
    found = levels(
        check_pool(["perplexity/sonar", "openai/gpt-4o"], lookup, BY_ID, requires_tools=True)
    )
    assert found["refused"] == ["perplexity/sonar cannot call tools, and this pool requires it."]
    dear = levels(check_pool(["anthropic/claude-opus-4-5", "openai/gpt-4o"], lookup, BY_ID))
    assert any("fast, cheap model" in m for m in dear["advice"])
    mixed = levels(check_pool(["mistral/codestral-latest", "openai/gpt-4o"], lookup, BY_ID))
    assert any("Code specialists" in m for m in mixed["advice"])


def test_a_bad_file_says_which_line_and_field() -> None:
    text = """{
  "routechat_pools": 1,
  "pools": [
    {"name": "Good one", "candidates": ["openai/gpt-4o"]},
    {
      "name": "Second",
      "candidates": ["openai/gpt-4o"],
      "quality_cost": 14
    }
  ]
}
"""
    with pytest.raises(PoolError, match=r'line 8, field "quality_cost": a whole number from 0'):
        parse_pools(text, where="my-pools.json")
    with pytest.raises(PoolError, match=r"line 3: Expecting"):
        parse_pools('{"routechat_pools": 1,\n"pools": [\n  oops\n]}')
    with pytest.raises(PoolError, match="not a RouteChat pools file"):
        parse_pools('{"pools": []}')
    with pytest.raises(PoolError, match=r'line 4, field "candidates"'):
        parse_pools(
            '{"routechat_pools": 1, "pools": [\n {"name": "A",\n  "x": 1,\n  "candidates": []}]}'
        )


def test_a_damaged_pools_file_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "pools.json"
    path.write_text("{ nope")
    loaded, problem = load_pools(path)
    assert loaded.pools == [] and problem is not None and "kept as pools.json.corrupt-" in problem
    assert not path.exists() and list(tmp_path.glob("pools.json.corrupt-*"))


def test_add_edit_duplicate_reorder_remove_and_the_tier_list_follows(
    pools: PoolService, tmp_path: Path
) -> None:
    tiers = pools._tiers
    heard: list[int] = []
    tiers.subscribe(lambda: heard.append(1))
    writing = pools.add(
        "Writing",
        ["anthropic/claude-opus-4-5", "openai/gpt-4o", "google/gemini-2.0-flash"],
        quality_cost=3,
    )
    assert tiers.get("writing").candidates == writing.candidates and heard
    plan = plan_for(tiers.get("writing"))
    assert plan.candidates == writing.candidates and plan.quality_cost == 3
    assert plan.fallback_model == "anthropic/claude-opus-4-5"  # the first: what Eden AI uses
    copy = pools.duplicate("budget")  # a preset becomes an editable pool
    assert copy.name == "Copy of Budget" and copy.candidates == tiers.get("budget").candidates
    assert pools.duplicate("budget").name == "Copy of Budget 2"
    pools.move(copy.id, 0)
    assert [p.id for p in pools.pools] == ["copy-of-budget", "writing", "copy-of-budget-2"]
    renamed = pools.update("writing", name="Long form")
    assert renamed.id == "long-form" and "writing" not in tiers.ids()
    pools.remove("copy-of-budget-2")
    saved = json.loads((tmp_path / "pools.json").read_text())
    assert [p["name"] for p in saved["pools"]] == ["Copy of Budget", "Long form"]
    again = PoolService(tmp_path / "pools.json", TierCatalogue(), lambda: MODELS)
    again.load()
    assert [p.name for p in again.pools] == ["Copy of Budget", "Long form"]


def test_refused_changes_save_nothing(pools: PoolService, tmp_path: Path) -> None:
    with pytest.raises(PoolError, match="built-in"):
        pools.add("Premium", ["openai/gpt-4o"])
    with pytest.raises(PoolError, match="cannot call tools"):
        pools.add("Agents", ["perplexity/sonar"], requires_tools=True)
    with pytest.raises(PoolError, match="0 to 10"):
        pools.add("Knob", ["openai/gpt-4o"], quality_cost=11)
    assert not (tmp_path / "pools.json").exists()


def test_a_preset_takes_a_quality_cost_setting(pools: PoolService) -> None:
    pools.set_preset_quality_cost("budget", 8)
    assert pools._tiers.get("budget").quality_cost == 8
    assert plan_for(pools._tiers.get("budget")).quality_cost == 8
    pools.set_preset_quality_cost("budget", None)
    assert pools._tiers.get("budget").quality_cost is None


def test_export_and_import(pools: PoolService, tmp_path: Path) -> None:
    pools.add("Research", ["openai/gpt-4o", "google/gemini-2.5-pro"], description="Long reads")
    exported = json.loads(pools.export_text())
    assert exported == export_json(pools.pools)
    assert exported["routechat_pools"] == 1
    assert exported["pools"][0] == {
        "id": "research",
        "name": "Research",
        "description": "Long reads",
        "candidates": ["openai/gpt-4o", "google/gemini-2.5-pro"],
        "quality_cost": None,
        "fallback": None,
        "requires_tools": False,
        "preset": False,
    }
    fresh = PoolService(tmp_path / "other.json", TierCatalogue(), lambda: MODELS)
    assert [p.name for p in fresh.import_text(pools.export_text())] == ["Research"]
    with pytest.raises(PoolError, match="Nothing was imported"):
        fresh.import_text(pools.export_text())  # a clash: the whole import refused
    assert [p.name for p in fresh.pools] == ["Research"]


def test_find_by_name_or_id(pools: PoolService) -> None:
    pools.add("My Pool", ["openai/gpt-4o"])
    found = pools.find("my pool")
    assert found is not None and found.id == "my-pool"
    assert pools.find("my-pool") is found or pools.find("my-pool") == found
    assert pools.find("balanced") is not None and pools.find("nope") is None
