from desktop_app.api.request import SMART_ROUTER, ChatRequest
from desktop_app.routing.tiers import ADVISED_MAX_CANDIDATES, PRESETS, TierCatalogue


def test_presets_follow_the_seed_advice() -> None:
    for tier in PRESETS:
        if tier.candidates is not None:
            assert 2 <= len(tier.candidates) <= ADVISED_MAX_CANDIDATES
            assert all("/" in c for c in tier.candidates)
    ids = {t.id for t in PRESETS}
    assert {"budget", "balanced", "premium", "auto", "general", "code", "creative", "fast"} <= ids
    assert "functions" in ids


def test_fixed_model_tier_and_fallback() -> None:
    cat = TierCatalogue()
    fixed = cat.get("model:openai/gpt-4o-mini")
    assert fixed.model == "openai/gpt-4o-mini"
    assert fixed.effective_fallback == "openai/gpt-4o-mini"
    assert cat.get("budget").effective_fallback == "openai/gpt-4o-mini"
    assert cat.get("auto").effective_fallback == "openai/gpt-4o"
    assert cat.get("auto").model == SMART_ROUTER


def test_payload_carries_candidates_only_for_routing() -> None:
    msgs = ({"role": "user", "content": "hi"},)
    routed = ChatRequest(msgs, candidates=("a/b", "c/d")).to_payload()
    assert routed["router_candidates"] == ["a/b", "c/d"]
    assert routed["stream"] is True
    assert routed["stream_options"] == {"include_usage": True}
    fixed = ChatRequest(msgs, model="a/b", candidates=("a/b",)).to_payload()
    assert "router_candidates" not in fixed
