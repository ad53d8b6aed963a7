"""`routechat models` and `routechat tiers`: what can be asked for, and at what price."""

from __future__ import annotations

import argparse
import json
from typing import Any, TextIO

from desktop_app.cli.common import EXIT_OK, exit_code_for, resolve_base_url, say


def add_parsers(sub: Any) -> None:
    models = sub.add_parser(
        "models",
        help="list the models Eden AI serves, with prices per 1M tokens",
        description="The model list is fetched at most once an hour and kept on disk (the "
        "window shares it); offline, the last list is used and its age shown.",
    )
    models.add_argument("--search", metavar="TEXT", default="", help="words in the id")
    models.add_argument("--tools", action="store_true", help="only models that can call tools")
    models.add_argument("--refresh", action="store_true", help="fetch the list now")
    models.add_argument("--base-url", help="API base URL (…/v3 or …/v3/llm)")
    models.add_argument("--json", action="store_true", help="print one JSON object last")
    sub.add_parser("tiers", help="list the tiers and use-case pools")


def _money(per_mtok: float | None) -> str:
    return "—" if per_mtok is None else f"{per_mtok:.2f}"


async def run_models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from desktop_app.api.client import ClientConfig, EdenClient
    from desktop_app.config.paths import default_paths
    from desktop_app.secrets import load_key
    from desktop_app.services.catalogue import ModelCatalogue, cache_file, search

    base_url = resolve_base_url(args.base_url)
    catalogue = ModelCatalogue(cache_file(default_paths().cache_dir, base_url))
    code = EXIT_OK
    if args.refresh or catalogue.stale():
        async with EdenClient(ClientConfig(base_url=base_url), load_key().key) as client:
            outcome = await catalogue.refresh(client.fetch_model_list, force=args.refresh)
        if outcome.problem:
            say(err, outcome.problem)
            if args.refresh:  # asked for a fresh list and did not get one
                from desktop_app.api.errors import ApiError, ErrorKind

                code = exit_code_for(ApiError(ErrorKind.CONNECT, outcome.problem))
    snap = catalogue.snapshot()
    models = search(snap.models, args.search, tools=args.tools)
    if args.json:
        rows = [
            {
                "id": m.id,
                "input_per_mtok": m.input_per_mtok,
                "output_per_mtok": m.output_per_mtok,
                "context_length": m.context_length,
                "supports_tools": m.supports_tools,
            }
            for m in models
        ]
        body = {"fetched_at": snap.fetched_iso(), "source": snap.source, "models": rows}
        out.write(json.dumps(body, ensure_ascii=False) + "\n")
        return code
    width = max((len(m.id) for m in models), default=10)
    out.write(
        f"{'model':<{width}}  {'input $/1M':>11}  {'output $/1M':>11}  {'context':>9}  tools\n"
    )
    for m in models:
        out.write(
            f"{m.id:<{width}}  {_money(m.input_per_mtok):>11}  {_money(m.output_per_mtok):>11}"
            f"  {m.context_length or '':>9}  {'yes' if m.supports_tools else 'no'}\n"
        )
    err.write(f"{len(models)} models · {snap.age()} ({snap.source})\n")
    return code


def run_tiers(out: TextIO) -> int:
    from desktop_app.routing.tiers import TierCatalogue

    for tier in TierCatalogue():
        out.write(f"{tier.id:<10} {tier.label:<18} {tier.routing_summary()}\n")
    out.write("Any fixed model: --model provider/model\n")
    return EXIT_OK
