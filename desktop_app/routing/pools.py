"""Candidate pools of the user's own: what they are, the guide's advice on choosing them, and
where they are kept (pools.json beside the settings, saved atomically).

A pool is a tier the user defined: a name, candidates in preference order (the first is what
Eden AI uses when ranking fails), an optional quality/cost setting (`routing.quality_cost`,
0 best model ... 10 cheapest; unset: quality first), an optional fallback model (RouteChat's
own retry after a failed routed turn) and whether it requires tool support. Presets stay
read-only but can carry a quality/cost setting too (kept in the same file).

The file (and the export format) is `{"routechat_pools": 1, "pools": [...]}`; a bad file
says which line and field, and nothing of it is taken.
"""

from __future__ import annotations

import contextlib
import json
import json.decoder
import json.scanner
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

POOLS_FORMAT = "routechat_pools"
POOLS_VERSION = 1
MAX_NAME = 40
MAX_CANDIDATES = 64  # the API's limits for router_candidates
MAX_CANDIDATE_CHARS = 128
ADVISED_MAX = 5  # the guide: 3-5 candidates with similar capabilities
SLOW_FROM = 20  # the guide: 20+ candidates slow the routing decision
CHEAP_PER_MTOK = 1.0  # input price at or below which a model counts as cheap (USD per 1M)
_NAME = re.compile(r"[A-Za-z0-9 _-]{1,40}")
_CODE_WORDS = ("code", "coder", "codestral", "codex", "devstral")


@dataclass(frozen=True, slots=True)
class Pool:
    """A user's pool (or a preset shown the same way, `preset=True`)."""

    id: str
    name: str
    candidates: tuple[str, ...]
    description: str = ""
    quality_cost: int | None = None
    fallback: str | None = None
    requires_tools: bool = False
    preset: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "candidates": list(self.candidates),
            "quality_cost": self.quality_cost,
            "fallback": self.fallback,
            "requires_tools": self.requires_tools,
            "preset": self.preset,
        }


def pool_id(name: str) -> str:
    """The id derived from a name: lower case, spaces as '-' ("My Code Pool" → "my-code-pool")."""
    return "-".join(name.strip().lower().split())


class PoolError(ValueError):
    """A pool that cannot be saved, with the reason in words (and where, for a file)."""


@dataclass(frozen=True, slots=True)
class Check:
    """One finding about a pool: "refused" (cannot be saved), "warning", "advice" or "info"."""

    level: str
    message: str


class ModelFacts:
    """What the checks need to know of a model (from the catalogue)."""

    __slots__ = ("input_per_mtok", "output_per_mtok", "supports_tools")

    def __init__(
        self, input_per_mtok: float | None, output_per_mtok: float | None, supports_tools: bool
    ) -> None:
        self.input_per_mtok = input_per_mtok
        self.output_per_mtok = output_per_mtok
        self.supports_tools = supports_tools


Lookup = Callable[[str], ModelFacts | None]


def check_name(name: str, pools: Iterable[Pool], presets: Iterable[tuple[str, str]], *,
               keep: str | None = None) -> str | None:  # fmt: skip
    """Why `name` cannot name a pool (None when it can). `presets`: (id, label) pairs;
    `keep`: the id of the pool being renamed (its own name is not a clash)."""
    name = name.strip()
    if not _NAME.fullmatch(name):
        return f"A pool name is 1 to {MAX_NAME} characters: letters, digits, spaces, '-' and '_'."
    lowered, new_id = name.lower(), pool_id(name)
    for preset_id, label in presets:
        if lowered in (preset_id.lower(), label.lower()) or new_id == preset_id.lower():
            return f"“{name}” is the name of a built-in tier; choose another."
    for p in pools:
        if p.id == keep:
            continue
        if p.name.lower() == lowered or p.id == new_id:
            return f"A pool named “{p.name}” exists already."
    return None


def is_code_model(model_id: str) -> bool:
    """Models the catalogue's names mark as code specialists (Codestral, *-coder, …)."""
    name = model_id.rsplit("/", 1)[-1].lower()
    return any(word in name for word in _CODE_WORDS)


def check_pool(
    candidates: Sequence[str],
    lookup: Lookup,
    known: Iterable[str],
    *,
    requires_tools: bool = False,
    fallback: str | None = None,
) -> list[Check]:
    """The guide's advice, and the API's limits, for a pool as it is being edited."""
    out: list[Check] = []
    n = len(candidates)
    if n == 0:
        out.append(Check("refused", "Add at least one candidate."))
    if n > MAX_CANDIDATES:
        out.append(Check("refused", f"At most {MAX_CANDIDATES} candidates (the API's limit)."))
    elif n >= SLOW_FROM:
        out.append(
            Check("warning", f"{n} candidates: pools of {SLOW_FROM} or more slow routing down.")
        )
    elif n > ADVISED_MAX:
        out.append(Check("advice", f"{n} candidates: 3 to 5 with similar abilities route best."))
    seen: set[str] = set()
    known_ids = list(known)
    for c in candidates:
        if c in seen:
            out.append(Check("refused", f"{c} is listed twice."))
        seen.add(c)
        if len(c) > MAX_CANDIDATE_CHARS:
            out.append(
                Check("refused", f"{c[:40]}… is longer than {MAX_CANDIDATE_CHARS} characters.")
            )
            continue
        facts = lookup(c)
        if facts is None:
            import difflib  # only while a pool is edited, never at start-up

            close = difflib.get_close_matches(c, known_ids, n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]}?" if close else ""
            out.append(Check("warning", f"{c} is not in Eden AI's model list.{hint}"))
        elif requires_tools and not facts.supports_tools:
            out.append(Check("refused", f"{c} cannot call tools, and this pool requires it."))
    priced = [f for f in (lookup(c) for c in candidates) if f and f.input_per_mtok is not None]
    if priced:
        blended = sorted((f.input_per_mtok or 0) + (f.output_per_mtok or 0) for f in priced)
        out.append(
            Check(
                "info",
                f"Price range: ${blended[0]:.2f}–${blended[-1]:.2f} per 1M tokens "
                "(input + output).",
            )
        )
        if not any((f.input_per_mtok or 0) <= CHEAP_PER_MTOK for f in priced):
            out.append(
                Check("advice", "No fast, cheap model: add one so simple questions cost less.")
            )
    code = [c for c in candidates if is_code_model(c)]
    if code and len(code) < n:
        out.append(
            Check(
                "advice",
                "Code specialists mixed with general models: keep code and general pools apart.",
            )
        )
    if fallback is not None and lookup(fallback) is None:
        out.append(Check("warning", f"The fallback {fallback} is not in Eden AI's model list."))
    return out


def refused(checks: Iterable[Check]) -> list[str]:
    return [c.message for c in checks if c.level == "refused"]


# --- the file --------------------------------------------------------------------------------


@dataclass
class PoolsFile:
    """pools.json: the user's pools in their order, and the presets' quality/cost settings."""

    pools: list[Pool] = field(default_factory=list)
    preset_quality_cost: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            POOLS_FORMAT: POOLS_VERSION,
            "pools": [p.to_json() for p in self.pools],
            "preset_quality_cost": dict(self.preset_quality_cost),
        }


def export_json(pools: Iterable[Pool]) -> dict[str, Any]:
    """The export file: `{"routechat_pools": 1, "pools": [...]}`, presets left out."""
    return {POOLS_FORMAT: POOLS_VERSION, "pools": [p.to_json() for p in pools if not p.preset]}


class _Positions:
    """Line numbers of the objects of a JSON text, and of their keys (for error messages)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: dict[int, tuple[int, int]] = {}

    def decode(self) -> Any:
        decoder = json.JSONDecoder()
        plain = json.decoder.JSONObject  # type: ignore[attr-defined]

        def parse_object(s_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
            obj, end = plain(s_and_end, *args)
            self.spans[id(obj)] = (s_and_end[1] - 1, end)
            return obj, end

        decoder.parse_object = parse_object  # type: ignore[attr-defined]
        # The pure-Python scanner calls `parse_object`; the C one would not.
        decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
        return decoder.decode(self.text)

    def line(self, obj: Any, key: str | None = None) -> int:
        start, end = self.spans.get(id(obj), (0, 0))
        if key is not None:
            found = re.compile(r'"' + re.escape(key) + r'"\s*:').search(self.text, start, end)
            if found:
                start = found.start()
        return self.text.count("\n", 0, start) + 1


def parse_pools(text: str, *, where: str = "The file") -> PoolsFile:
    """Pools from the JSON of pools.json or of an export; PoolError names the line and field
    of the first problem (and nothing is taken)."""
    positions = _Positions(text)
    try:
        root = positions.decode()
    except json.JSONDecodeError as exc:
        raise PoolError(f"{where} is not valid JSON (line {exc.lineno}: {exc.msg}).") from None
    if not isinstance(root, dict) or root.get(POOLS_FORMAT) != POOLS_VERSION:
        raise PoolError(
            f'{where} is not a RouteChat pools file (line 1: expected "{POOLS_FORMAT}": '
            f"{POOLS_VERSION})."
        )
    raw = root.get("pools")
    if not isinstance(raw, list):
        raise PoolError(f'{where}, line {positions.line(root, "pools")}: "pools" is not a list.')
    pools: list[Pool] = []
    for item in raw:
        if not isinstance(item, dict):
            raise PoolError(f"{where}: a pool is not an object.")

        def fail(key: str, why: str, item: dict[str, Any] = item) -> PoolError:
            line = positions.line(item, key if key in item else None)
            return PoolError(f'{where}, line {line}, field "{key}": {why}')

        name = item.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name.strip()):
            raise fail("name", "1 to 40 letters, digits, spaces, '-' or '_'.")
        candidates = item.get("candidates")
        if not isinstance(candidates, list) or not all(
            isinstance(c, str) and c.strip() for c in candidates
        ):
            raise fail("candidates", "a list of provider/model ids.")
        if not 1 <= len(candidates) <= MAX_CANDIDATES:
            raise fail("candidates", f"1 to {MAX_CANDIDATES} candidates.")
        if any(len(c) > MAX_CANDIDATE_CHARS for c in candidates):
            raise fail("candidates", f"an id is longer than {MAX_CANDIDATE_CHARS} characters.")
        qc = item.get("quality_cost")
        if qc is not None and (
            isinstance(qc, bool) or not isinstance(qc, int) or not 0 <= qc <= 10
        ):
            raise fail("quality_cost", "a whole number from 0 to 10, or null.")
        fallback = item.get("fallback")
        if fallback is not None and (not isinstance(fallback, str) or not fallback.strip()):
            raise fail("fallback", "a provider/model id, or null.")
        description = item.get("description", "")
        if not isinstance(description, str):
            raise fail("description", "text.")
        tools = item.get("requires_tools", False)
        if not isinstance(tools, bool):
            raise fail("requires_tools", "true or false.")
        pool = Pool(
            pool_id(name),
            name.strip(),
            tuple(c.strip() for c in candidates),
            description,
            qc,
            fallback.strip() if fallback else None,
            tools,
        )
        if any(p.id == pool.id for p in pools):
            raise fail("name", f"“{pool.name}” is there twice.")
        pools.append(pool)
    presets: dict[str, int] = {}
    raw_presets = root.get("preset_quality_cost", {})
    if isinstance(raw_presets, dict):
        presets = {
            k: v
            for k, v in raw_presets.items()
            if isinstance(k, str)
            and isinstance(v, int)
            and not isinstance(v, bool)
            and 0 <= v <= 10
        }
    return PoolsFile(pools, presets)


def _knob(value: Any) -> bool:
    """A quality/cost setting: a whole number 0-10 (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10


def load_pools(path: Path) -> tuple[PoolsFile, str | None]:
    """The pools file, and a sentence when it could not be read (it is then kept aside as
    `pools.json.corrupt-<time>` and no pools are used; never deleted)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return PoolsFile(), None
    except (OSError, UnicodeDecodeError) as exc:
        return PoolsFile(), f"Your pools could not be read ({exc}); none are shown."
    try:
        return parse_pools(text, where=path.name), None
    except PoolError as exc:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%dT%H%M%S')}")
        with contextlib.suppress(OSError):
            os.replace(path, aside)
        return PoolsFile(), f"{exc} It was kept as {aside.name}; no pools are used."


def save_pools(path: Path, pools_file: PoolsFile) -> None:
    """Atomically (a temporary file, fsync, rename); OSError leaves the old file as it was."""
    text = json.dumps(pools_file.to_json(), indent=2, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def merge_imported(
    current: Sequence[Pool], imported: Sequence[Pool], presets: Iterable[tuple[str, str]]
) -> list[Pool]:
    """The pools after an import: every imported pool must be addable (a clash with a preset
    or an existing pool refuses the whole import: PoolError, nothing taken)."""
    out = list(current)
    preset_list = list(presets)
    for pool in imported:
        problem = check_name(pool.name, out, preset_list)
        if problem:
            raise PoolError(f"Nothing was imported: {problem}")
        out.append(replace(pool, preset=False))
    return out


def facts_from(models: Mapping[str, Any]) -> Lookup:
    """A lookup over catalogue entries (objects with input_per_mtok, output_per_mtok,
    supports_tools)."""

    def lookup(model_id: str) -> ModelFacts | None:
        m = models.get(model_id)
        if m is None:
            return None
        return ModelFacts(m.input_per_mtok, m.output_per_mtok, m.supports_tools)

    return lookup
