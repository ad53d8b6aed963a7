"""`routechat models` and `routechat tiers`: what can be asked for, and at what price."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from desktop_app.cli.common import EXIT_OK, exit_code_for, resolve_base_url, say


def add_parsers(sub: Any) -> None:
    models = sub.add_parser("models", help="list the models and their prices")
    models.add_argument("--base-url")
    models.add_argument("--json", action="store_true")
    sub.add_parser("tiers", help="list the tiers and use-case pools")


def _per_million(per_token: float | None) -> float | None:
    return None if per_token is None else round(per_token * 1_000_000, 6)


def _money(per_token: float | None) -> str:
    value = _per_million(per_token)
    return "—" if value is None else f"{value:.2f}"


async def run_models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.api.client import ClientConfig, EdenClient
    from desktop_app.api.errors import ApiError
    from desktop_app.secrets import load_key

    config = ClientConfig(base_url=resolve_base_url(args.base_url))
    async with EdenClient(config, load_key().key) as client:
        try:
            models = await client.list_models()
        except ApiError as exc:
            say(err, exc.message)
            return exit_code_for(exc)
    if args.json:
        rows = [
            {
                "id": m.id,
                "input_per_million": _per_million(m.input_per_token),
                "output_per_million": _per_million(m.output_per_token),
                "context_length": m.context_length,
            }
            for m in models
        ]
        out.write(json.dumps(rows) + "\n")
        return EXIT_OK
    width = max((len(m.id) for m in models), default=10)
    out.write(f"{'model':<{width}}  {'input $/1M':>11}  {'output $/1M':>11}  {'context':>8}\n")
    for m in sorted(models, key=lambda m: m.id):
        out.write(
            f"{m.id:<{width}}  {_money(m.input_per_token):>11}  {_money(m.output_per_token):>11}"
            f"  {m.context_length or '':>8}\n"
        )
    return EXIT_OK


def run_tiers(out: TextIO) -> int:
    from desktop_app.routing.tiers import TierCatalogue

    for tier in TierCatalogue():
        out.write(f"{tier.id:<10} {tier.label:<18} {tier.routing_summary()}\n")
    out.write("Any fixed model: --model provider/model\n")
    return EXIT_OK
