"""The emulator's model catalogue: list prices, capabilities and the router's quality scores.

Prices are USD per token (the wire unit), taken from the providers' public list prices; the
seven models the seed guide names carry exactly the prices of the wire reference. The quality
scores (0-100) are the emulator's own invention: they only drive its explainable routing
heuristic and are never sent on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

_PER_MILLION = 1e-6


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str  # "provider/model"
    created: int  # Unix time of the model's release
    context_length: int
    input_per_m: float  # USD per 1M input tokens
    output_per_m: float  # USD per 1M output tokens
    cache_read_per_m: float | None
    coding: int  # router scores, 0-100
    creative: int
    general: int
    function_calling: bool = True
    vision: bool = True
    description: str = ""

    @property
    def provider(self) -> str:
        return self.id.split("/", 1)[0]

    @property
    def name(self) -> str:
        return self.id.split("/", 1)[1]

    @property
    def input_price(self) -> float:
        """USD per input token."""
        return self.input_per_m * _PER_MILLION

    @property
    def output_price(self) -> float:
        """USD per output token."""
        return self.output_per_m * _PER_MILLION

    @property
    def blended_per_m(self) -> float:
        """One number to rank models by price: input plus output list price per 1M tokens."""
        return self.input_per_m + self.output_per_m

    def cost(self, prompt_tokens: int, completion_tokens: int) -> float:
        """What a call costs in USD, as the server reports it in `cost`."""
        return round(prompt_tokens * self.input_price + completion_tokens * self.output_price, 12)

    def to_entry(self) -> dict[str, Any]:
        """The `GET /models` entry, in the shape of the wire reference."""
        pricing: dict[str, Any] = {
            "input_cost_per_token": self.input_price,
            "output_cost_per_token": self.output_price,
        }
        if self.cache_read_per_m is not None:
            pricing["cache_read_input_token_cost"] = self.cache_read_per_m * _PER_MILLION
        return {
            "id": self.id,
            "object": "model",
            "created": self.created,
            "owned_by": self.provider,
            "model_name": self.name,
            "context_length": self.context_length,
            "description": self.description or None,
            "capabilities": {
                "input_modalities": ["text", "image"] if self.vision else ["text"],
                "output_modalities": ["text"],
                "supports_function_calling": self.function_calling,
                "supports_tool_choice": self.function_calling,
                "supports_native_streaming": True,
            },
            "pricing": pricing,
            "list_pricing": {
                "input_cost_per_token": self.input_price,
                "output_cost_per_token": self.output_price,
            },
            "discount": 0,
            "regions": [{"code": "global", "name": "Global"}],
        }


MODELS: tuple[ModelInfo, ...] = (
    # The seed guide's models, with the wire reference's list prices.
    ModelInfo("openai/gpt-4o", 1715558400, 128_000, 2.50, 10.00, 1.25, 85, 84, 86,
              description="OpenAI's multimodal flagship of 2024."),
    ModelInfo("openai/gpt-4o-mini", 1721260800, 128_000, 0.15, 0.60, 0.075, 70, 66, 74,
              description="Small, fast and cheap GPT-4o variant."),
    ModelInfo("anthropic/claude-sonnet-4-5", 1759104000, 200_000, 3.00, 15.00, 0.30, 95, 90, 92,
              description="Anthropic's balanced model, strong at coding and agents."),
    ModelInfo("anthropic/claude-opus-4-5", 1763942400, 200_000, 5.00, 25.00, 0.50, 97, 96, 95,
              description="Anthropic's most capable model."),
    ModelInfo("anthropic/claude-haiku-4-5", 1760572800, 200_000, 1.00, 5.00, 0.10, 82, 74, 80,
              description="Anthropic's fastest model."),
    ModelInfo("google/gemini-2.0-flash", 1738713600, 1_048_576, 0.10, 0.40, 0.025, 70, 68, 72,
              description="Google's low-latency workhorse model."),
    ModelInfo("google/gemini-2.5-pro", 1750118400, 1_048_576, 1.25, 10.00, 0.125, 90, 88, 92,
              description="Google's thinking model for complex tasks."),
    # A few more real models, with their public list prices.
    ModelInfo("google/gemini-2.5-flash", 1750118400, 1_048_576, 0.30, 2.50, 0.03, 80, 76, 82,
              description="Google's price-performance thinking model."),
    ModelInfo("openai/gpt-4.1", 1744675200, 1_047_576, 2.00, 8.00, 0.50, 88, 80, 86,
              description="OpenAI model tuned for coding and instruction following."),
    ModelInfo("openai/gpt-4.1-mini", 1744675200, 1_047_576, 0.40, 1.60, 0.10, 78, 70, 78,
              description="Smaller GPT-4.1."),
    ModelInfo("openai/gpt-4.1-nano", 1744675200, 1_047_576, 0.10, 0.40, 0.025, 62, 58, 64,
              description="Fastest, cheapest GPT-4.1."),
    ModelInfo("mistral/mistral-large-latest", 1730419200, 128_000, 2.00, 6.00, None, 80, 78, 80,
              vision=False, description="Mistral's top-tier model."),
    ModelInfo("mistral/mistral-small-latest", 1742169600, 128_000, 0.10, 0.30, None, 66, 62, 66,
              vision=False, description="Mistral's efficient small model."),
    ModelInfo("mistral/codestral-latest", 1736899200, 256_000, 0.30, 0.90, None, 86, 45, 60,
              vision=False, description="Mistral's code model."),
    ModelInfo("perplexity/sonar", 1737331200, 127_072, 1.00, 1.00, None, 55, 62, 76,
              function_calling=False, vision=False,
              description="Perplexity's search-grounded model (no function calling)."),
)  # fmt: skip

BY_ID: dict[str, ModelInfo] = {m.id: m for m in MODELS}

# What the server answers with when routing fails and no candidates were given.
SERVER_DEFAULT_MODEL = "openai/gpt-4o"


def lookup(model_id: str) -> ModelInfo | None:
    """The model for an id, ignoring the optional `:cost`/`:speed`/`@eu` style suffixes."""
    base = model_id.split("@", 1)[0].split(":", 1)[0].strip()
    return BY_ID.get(base)


def models_response() -> dict[str, Any]:
    """The whole `GET /models` body."""
    return {"object": "list", "data": [m.to_entry() for m in MODELS]}
