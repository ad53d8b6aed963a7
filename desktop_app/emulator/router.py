"""The emulator's smart router: a deterministic, explainable stand-in for Eden's router.

The request is classified from its LAST user message, first rule that matches:

    code      a code fence, or words like python, function, def, SQL, bug, regex, script
              -> the strongest coder (highest coding score)
    creative  story, poem, haiku, essay, lyrics, "write a", imagine, ...
              -> the most premium candidate (highest list price)
    long      more than 120 words               -> the most premium candidate
    simple    a greeting/thanks, or a question of at most 15 words -> the cheapest candidate
    general   anything else -> the best general score among the cheaper half of the pool
              (at or below the median price)

With `tools` (and `tool_choice` not "none") only function-calling models stay in the pool.
Ties go to the cheaper model, then to the alphabetically first id. Without `router_candidates`
the pool is the whole catalogue. `routing.quality_cost` (0-10) moves the choice towards
cheaper candidates as it rises: 10 takes the cheapest, 0 (or unset) the heuristic's pick.
The one-line reason goes to `edenai_metadata.summary`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from desktop_app.emulator.catalogue import MODELS, ModelInfo

_CODE_RE = re.compile(
    r"```|c\+\+|\b(python|javascript|typescript|java|rust|golang|kotlin|swift|php|ruby|sql|"
    r"bash|shell script|function|def|bug|debug|compile|compiler|stack ?trace|traceback|regex|"
    r"regular expression|algorithm|refactor|unit tests?|api endpoint|dockerfile|code|script|"
    r"snippet|recursion)\b",
    re.IGNORECASE,
)
_CREATIVE_RE = re.compile(
    r"\b(story|stories|poem|poetry|(?<!claude )(?<!claude-)haiku|sonnet|limerick|lyrics|song|"
    r"essay|novel|fiction|fairy tale|tale|screenplay|imagine|creative|write an?|compose an?)\b",
    re.IGNORECASE,
)
_QUESTION_START = re.compile(
    r"^\s*(what|what's|whats|who|who's|when|where|which|why|how|is|are|does|do|can|define|"
    r"name|capital)\b",
    re.IGNORECASE,
)
_SMALLTALK = re.compile(r"^\s*(hi|hello|hey|thanks|thank you|good (morning|evening))\b", re.I)

LONG_WORDS = 120
SHORT_WORDS = 15


@dataclass(frozen=True, slots=True)
class Classification:
    kind: str  # code | creative | long | simple | general
    trigger: str  # what matched, for the explanation


@dataclass(frozen=True, slots=True)
class Decision:
    model: ModelInfo
    kind: str
    reason: str
    pool: tuple[str, ...]


def classify(prompt: str) -> Classification:
    words = len(prompt.split())
    m = _CODE_RE.search(prompt)
    if m:
        return Classification("code", m.group(0).lower().strip())
    m = _CREATIVE_RE.search(prompt)
    if m:
        return Classification("creative", m.group(0).lower())
    if words > LONG_WORDS:
        return Classification("long", f"{words} words")
    if _SMALLTALK.search(prompt) and words <= SHORT_WORDS:
        return Classification("simple", "small talk")
    if words <= SHORT_WORDS and (prompt.strip().endswith("?") or _QUESTION_START.search(prompt)):
        return Classification("simple", f"short question, {words} words")
    return Classification("general", f"{words} words")


def _price_key(m: ModelInfo) -> tuple[float, float, str]:
    return (m.blended_per_m, m.output_per_m, m.id)


def cheapest(pool: Sequence[ModelInfo]) -> ModelInfo:
    return min(pool, key=_price_key)


def most_premium(pool: Sequence[ModelInfo]) -> ModelInfo:
    return min(pool, key=lambda m: (-m.blended_per_m, -m.creative, m.id))


def best_coder(pool: Sequence[ModelInfo]) -> ModelInfo:
    return min(pool, key=lambda m: (-m.coding, *_price_key(m)))


def balanced(pool: Sequence[ModelInfo]) -> ModelInfo:
    by_price = sorted(pool, key=_price_key)
    median = by_price[(len(by_price) - 1) // 2]
    cheaper_half = [m for m in by_price if _price_key(m) <= _price_key(median)]
    return min(cheaper_half, key=lambda m: (-m.general, *_price_key(m)))


_PICKERS = {
    "code": (best_coder, "strongest coding candidate"),
    "creative": (most_premium, "most premium candidate"),
    "long": (most_premium, "most premium candidate"),
    "simple": (cheapest, "cheapest candidate"),
    "general": (balanced, "best quality among the cheaper half of the candidates"),
}
_LABELS = {
    "code": "code-like prompt",
    "creative": "creative request",
    "long": "long request",
    "simple": "short factual question",
    "general": "general request",
}


def _cheaper_by(pool: Sequence[ModelInfo], picked: ModelInfo, quality_cost: int) -> ModelInfo:
    """Move `picked` down the pool's price ladder in proportion to `quality_cost` (0-10)."""
    ladder = sorted(pool, key=_price_key)
    here = ladder.index(picked)
    return ladder[round(here * (1 - quality_cost / 10))]


def route(
    prompt: str,
    candidates: Sequence[ModelInfo] | None,
    *,
    tools: bool,
    quality_cost: int | None = None,
) -> Decision:
    """Pick the model that answers, and say why in one line."""
    pool = list(candidates) if candidates else list(MODELS)
    notes: list[str] = []
    if tools:
        capable = [m for m in pool if m.function_calling]
        if capable:
            pool = capable
            notes.append("tools given: function-calling models only")
        else:
            notes.append("tools given but no candidate supports function calling")
    c = classify(prompt)
    picker, what = _PICKERS[c.kind]
    chosen = picker(pool)
    label = _LABELS[c.kind]
    if c.kind == "simple" and c.trigger == "small talk":
        label = "small talk"
        reason = f"{label}: {what}"
    else:
        reason = f"{label} ({c.trigger}): {what}"
    if quality_cost:
        cheaper = _cheaper_by(pool, chosen, quality_cost)
        if cheaper is not chosen:
            reason += f"; quality_cost {quality_cost}: {cheaper.id} instead of {chosen.id}"
            chosen = cheaper
    if len(pool) == 1:
        reason = f"{label}: only one candidate"
    if notes:
        reason = "; ".join([*notes, reason])
    return Decision(chosen, c.kind, reason, tuple(m.id for m in pool))
