"""Entries of the model list (`GET {base}/models`), parsed leniently."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = ["ModelInfo", "parse_model_list"]


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str  # "provider/model", what requests and router candidates use
    name: str  # the model's own name, without the provider
    provider: str
    context_length: int | None
    input_per_token: float | None  # USD per token, after Eden's discount
    output_per_token: float | None
    supports_tools: bool
    input_modalities: tuple[str, ...] = ("text",)
    description: str = ""

    @property
    def input_per_mtok(self) -> float | None:
        """USD per million input tokens (how prices are shown)."""
        return None if self.input_per_token is None else round(self.input_per_token * 1e6, 6)

    @property
    def output_per_mtok(self) -> float | None:
        return None if self.output_per_token is None else round(self.output_per_token * 1e6, 6)


def _price(pricing: Any, key: str) -> float | None:
    if type(pricing) is not dict:
        return None
    value = pricing.get(key)
    if type(value) is str:
        try:
            value = float(value)
        except ValueError:
            return None
    if type(value) is int:
        value = float(value)
    if type(value) is not float or not math.isfinite(value) or value < 0:
        return None
    return value


def parse_model_entry(entry: Any) -> ModelInfo | None:
    """One entry of `data`; None when it has no usable id."""
    if type(entry) is not dict:
        return None
    model_id = entry.get("id")
    if type(model_id) is not str or not model_id.strip():
        return None
    model_id = model_id.strip()
    prefix, sep, rest = model_id.partition("/")
    provider = entry.get("owned_by")
    if type(provider) is not str or not provider:
        provider = prefix if sep else ""
    name = entry.get("model_name")
    if type(name) is not str or not name:
        name = rest if sep else model_id
    context = entry.get("context_length")
    context_length = context if type(context) is int and context > 0 else None
    pricing = entry.get("pricing")
    if type(pricing) is not dict or not pricing:
        pricing = entry.get("list_pricing")
    capabilities = entry.get("capabilities")
    supports_tools = (
        type(capabilities) is dict and capabilities.get("supports_function_calling") is True
    )
    modalities: tuple[str, ...] = ("text",)
    if type(capabilities) is dict and type(capabilities.get("input_modalities")) is list:
        modalities = tuple(m for m in capabilities["input_modalities"] if type(m) is str and m) or (
            "text",
        )
    description = entry.get("description")
    return ModelInfo(
        id=model_id,
        name=name,
        provider=provider,
        context_length=context_length,
        input_per_token=_price(pricing, "input_cost_per_token"),
        output_per_token=_price(pricing, "output_cost_per_token"),
        supports_tools=supports_tools,
        input_modalities=modalities,
        description=description if type(description) is str else "",
    )


def parse_model_list(obj: Any) -> list[ModelInfo] | None:
    """`{"object": "list", "data": [...]}` (or a bare list) → models; None if neither shape."""
    data = obj.get("data") if type(obj) is dict else obj
    if type(data) is not list:
        return None
    models: list[ModelInfo] = []
    for entry in data:
        info = parse_model_entry(entry)
        if info is not None:
            models.append(info)
    return models
