"""Typed settings: frozen dataclasses, loaded leniently from JSON and saved atomically.

`settings, warnings = load_settings(paths)` (an `AppPaths` or the file's path) never raises for
a bad file: every field that is missing, of the wrong
type or out of range falls back to its default, and each problem becomes a human-readable
warning in the result for the UI to show. A file that is not JSON at all is renamed to
`settings.json.corrupt-<UTC time>` (kept, never deleted) and the defaults are used. Unknown keys
are ignored and are not written back.

`save_settings(paths, settings)` writes a temporary file in the same folder, fsyncs it and
`os.replace`s it over the old one, so the file on disk is always either the old or the new
settings. A failure (disk full, permission denied, read-only) raises `SettingsSaveError` with a
clear message and leaves the old file intact.

There is no API key field, on purpose: the key lives in the OS keyring only.
Change a setting with `dataclasses.replace(settings, enter_sends=False)`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import json
import math
import os
import random
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from desktop_app.config.paths import AppPaths

SETTINGS_VERSION = 1

Theme = Literal["system", "light", "dark"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


_ENDPOINT_SUFFIXES = ("/chat/completions", "/models")


def normalize_base_url(url: str) -> str:
    """The API base URL requests are appended to, or ValueError with a sentence for the user.

    Accepts both documented forms (`https://api.edenai.run/v3` and the older `.../v3/llm`),
    keeps the path as given, strips spaces, trailing slashes and a pasted endpoint
    (`.../chat/completions`, `.../models`). The one check of an address: settings, the
    Preferences dialog and the client all use it.
    """
    text = url.strip()
    if not text:
        raise ValueError("The server address is empty.")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        raise ValueError(f"The server address {text!r} is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"The server address {text!r} must start with https:// (or http:// for this computer)."
        )
    if parts.username or parts.password:
        raise ValueError(f"The server address {text!r} must not contain a user name or password.")
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ValueError(f"The server address {text!r} must not contain '?' or '#'.")
    text = text.rstrip("/")
    for suffix in _ENDPOINT_SUFFIXES:
        if text.endswith(suffix):
            text = text[: -len(suffix)].rstrip("/")
    return text


def setting(
    default: Any = dataclasses.MISSING,
    *,
    label: str | None = None,
    section: str = "General",
    lo: float | None = None,
    hi: float | None = None,
    unit: str = "",
    help: str = "",
    choices: str | dict[str, str] | None = None,
    none_label: str | None = None,
    check: Any = None,
    factory: Any = dataclasses.MISSING,
) -> Any:
    """A settings field declared once: its default, range and check, and how Preferences shows
    it (`label`, `section`, `unit`, `help`, `choices` labels or a named list such as "tiers",
    `none_label` for the value None). A field without a label is not shown in Preferences."""
    meta: dict[str, Any] = {"section": section}
    for key, value in (
        ("label", label),
        ("min", lo),
        ("max", hi),
        ("unit", unit),
        ("help", help),
        ("choices", choices),
        ("none_label", none_label),
        ("check", check),
    ):
        if value is not None and value != "":
            meta[key] = value
    if factory is not dataclasses.MISSING:
        return field(default_factory=factory, metadata=meta)
    return field(default=default, metadata=meta)


_CONNECTION = "Connection"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds; none infinite. Routing adds 100–500 ms before the first token."""

    connect: float = setting(
        10.0, label="Connect timeout", section=_CONNECTION, lo=0.5, hi=300, unit="s"
    )
    first_byte: float = setting(
        30.0,
        label="Routing timeout (first token)",
        section=_CONNECTION,
        lo=1,
        hi=1800,
        unit="s",
        help="How long to wait for the router and the model to start answering",
    )
    idle: float = setting(
        30.0, label="Idle timeout between chunks", section=_CONNECTION, lo=1, hi=1800, unit="s"
    )
    total: float = setting(
        600.0, label="Total timeout", section=_CONNECTION, lo=1, hi=7200, unit="s"
    )

    def __post_init__(self) -> None:
        for name in ("connect", "first_byte", "idle", "total"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0 < value < float("inf"):
                raise ValueError(f"timeout {name} must be a positive finite number of seconds")


_MAX_EXPONENT = 60  # 2**60 * base_delay is far beyond any max_delay; avoids float overflow


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry a turn that failed before any text was shown (429,
    5xx, connection failures, timeouts); the rules are in `services.resilience`.

    `jitter` is the fraction of the backoff that is randomised.
    """

    max_retries: int = setting(2, label="Automatic retries", section=_CONNECTION, lo=0, hi=10)
    max_total_seconds: float = setting(
        30.0,
        label="Retry time budget",
        section=_CONNECTION,
        lo=0,
        hi=600,
        unit="s",
        help="No retry starts once this much time has passed since the message was sent",
    )
    base_delay: float = setting(0.5, lo=0, hi=60)
    max_delay: float = setting(8.0, lo=0, hi=600)
    jitter: float = setting(0.5, lo=0, hi=1)

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        for name in ("max_total_seconds", "base_delay", "max_delay"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number of seconds, not {value!r}")
        if not 0.0 <= self.jitter <= 1.0:
            raise ValueError("jitter must be between 0 and 1")

    def backoff_ceiling(self, attempt: int) -> float:
        """The largest backoff (before Retry-After) for retry number `attempt` (1-based)."""
        exponent = min(max(attempt, 1) - 1, _MAX_EXPONENT)
        return min(self.max_delay, self.base_delay * 2.0**exponent)

    def delay_for(
        self, attempt: int, retry_after: float | None, rng: random.Random | None
    ) -> float:
        """Seconds to wait before retry number `attempt` (1-based).

        Exponential backoff with jitter (in `[ceiling * (1 - jitter), ceiling]`, never above
        `max_delay`), raised to the server's `retry_after` when it gives one. `rng=None` draws
        no jitter (the ceiling itself): deterministic, for previews and tests.
        """
        ceiling = self.backoff_ceiling(attempt)
        if rng is None or self.jitter == 0.0:
            delay = ceiling
        else:
            delay = ceiling * (1.0 - self.jitter * rng.random())
        if retry_after is not None and math.isfinite(retry_after) and retry_after > delay:
            delay = retry_after
        return max(0.0, delay)


_SPENDING = "Spending"
AtLimit = Literal["ask", "refuse"]


@dataclass(frozen=True, slots=True)
class Spending:
    """Budgets and cost alerts (`services.budget`); demo replies never count."""

    daily_limit_usd: float | None = setting(
        None,
        label="Daily limit",
        section=_SPENDING,
        lo=0.01,
        hi=1_000_000,
        unit="USD",
        none_label="Off",
        help="What replies may cost per calendar day; off by default",
    )
    monthly_limit_usd: float | None = setting(
        None,
        label="Monthly limit",
        section=_SPENDING,
        lo=0.01,
        hi=1_000_000,
        unit="USD",
        none_label="Off",
        help="What replies may cost per calendar month; off by default",
    )
    warn_percent: int = setting(
        80,
        label="Warn at",
        section=_SPENDING,
        lo=1,
        hi=100,
        unit="%",
        help="A notice, once per day or month, when the spend reaches this share of its limit",
    )
    at_limit: AtLimit = setting(
        "ask",
        label="At the limit",
        section=_SPENDING,
        choices={
            "ask": "Ask before each send",
            "refuse": "Refuse to send until the period ends or the limit is raised",
        },
    )
    prefer_cheaper: bool = setting(
        False,
        label="As the limit nears, prefer cheaper models",
        section=_SPENDING,
        help="Routed messages ask the router for cheaper models: quality/cost 8 above the "
        "warning threshold, 10 at the limit (shown on the reply)",
    )


_TOOLS = "Tools"


@dataclass(frozen=True, slots=True)
class ToolLimits:
    """How tools run: which conversations offer them, how many rounds a reply may take, how
    long one call may run, and what needs the user's approval (see services/tools)."""

    offer_in_new_tabs: bool = setting(
        False,
        label="Offer tools in new conversations",
        section=_TOOLS,
        help="New tabs start with Tools on: the model may call the enabled tools (Settings → "
        "Tools). A turn that offers tools is routed among tool-capable models only",
    )
    max_rounds: int = setting(
        8,
        label="Tool rounds per reply (at most)",
        section=_TOOLS,
        lo=1,
        hi=50,
        help="After this many rounds of tool calls the model must answer with text",
    )
    call_timeout: float = setting(
        60.0, label="Timeout per tool call", section=_TOOLS, lo=1, hi=900, unit="s"
    )
    ask_for_builtin: bool = setting(
        False,
        label="Ask before running the built-in calculator, date and unit tools",
        section=_TOOLS,
        help="They only compute (no files, no network); other tools always ask",
    )
    max_file_kb: int = setting(
        256,
        label="Largest file the read-file tool may read (KB)",
        section=_TOOLS,
        lo=1,
        hi=10_240,
    )


@dataclass(frozen=True, slots=True)
class Settings:
    """The user's preferences, as saved in settings.json (never the API key)."""

    # appearance and chat
    theme: Theme = setting(
        "system",
        label="Appearance",
        choices={"system": "Follow the system", "light": "Light", "dark": "Dark"},
    )
    default_tier: str = setting(  # = routing.tiers.DEFAULT_TIER_ID (a test checks)
        "balanced", label="Default tier for new tabs", choices="tiers"
    )
    enter_sends: bool = setting(True, label="Enter sends (Shift+Enter for a new line)")
    confirm_close_streaming: bool = setting(
        True, label="Ask before closing a conversation while a reply is arriving"
    )
    restore_tabs: bool = setting(True, label="Reopen my tabs at start")
    max_tokens: int | None = setting(
        None,
        label="Max tokens per answer",
        lo=1,
        hi=1_000_000,
        none_label="No limit",
        help="Caps every answer's length (and cost)",
    )
    workload_concurrency: int = setting(
        4,
        label="Workload runs: requests at once",
        lo=1,
        hi=16,
        help="A workload run never has more requests in flight than this",
    )
    # connection
    base_url: str = setting(
        "https://api.edenai.run/v3",
        label="API base URL",
        section=_CONNECTION,
        check=normalize_base_url,
    )
    timeouts: Timeouts = setting(factory=Timeouts, section=_CONNECTION)
    retries: RetryPolicy = setting(factory=RetryPolicy, section=_CONNECTION)
    send_tags: bool = setting(
        True,
        label="Tag requests with the app and the tier",
        section=_CONNECTION,
        help="X-EdenAI-Tags: app=routechat,tier=<tier id>, so that Eden AI's dashboard splits "
        "spend by tier (no personal data, never the prompt)",
    )
    demo_mode: bool = False  # talk to the bundled local emulator instead of Eden AI
    # spending
    spending: Spending = setting(factory=Spending, section=_SPENDING)
    tools: ToolLimits = setting(factory=ToolLimits, section=_TOOLS)
    # diagnostics
    log_level: LogLevel = setting("INFO", label="Log level", section="Diagnostics")


class LoadResult(NamedTuple):
    """`settings, warnings = load_settings(paths)`."""

    settings: Settings
    warnings: tuple[str, ...] = ()  # one sentence per problem, for the UI


class SettingsError(Exception):
    """Base of the settings errors."""


class SettingsSaveError(SettingsError):
    """Saving failed; the previous settings file is unchanged."""

    def __init__(self, path: Path, cause: OSError) -> None:
        self.path = path
        self.errno = cause.errno
        reason = _REASONS.get(cause.errno or 0) or cause.strerror or str(cause)
        super().__init__(
            f"Could not save the settings to {path}: {reason}. "
            "The previous settings were left unchanged."
        )


_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
}

_SECRET_WORDS = ("key", "token", "secret", "password", "authorization")


# --- to and from plain data ---------------------------------------------------------------


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    return {"version": SETTINGS_VERSION, **dataclasses.asdict(settings)}


def _describe(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if _jsonable(value) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _coerce(hint: Any, raw: Any, meta: Any) -> Any:
    """`raw` as the type `hint` describes, or raise ValueError saying what was expected."""
    args = get_args(hint)
    if get_origin(hint) is Literal:
        for option in args:
            if raw == option or (
                isinstance(raw, str) and isinstance(option, str) and raw.lower() == option.lower()
            ):
                return option
        raise ValueError("expected one of " + ", ".join(json.dumps(a) for a in args))
    if args and type(None) in args:  # X | None
        if raw is None:
            return None
        (inner,) = (a for a in args if a is not type(None))
        return _coerce(inner, raw, meta)
    if hint is bool:
        if isinstance(raw, bool):
            return raw
        raise ValueError("expected true or false")
    if hint is int or hint is float:
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ValueError("expected a number")
        if hint is int and not (isinstance(raw, int) or float(raw).is_integer()):
            raise ValueError("expected a whole number")
        if not math.isfinite(raw):
            raise ValueError("expected a finite number")
        value = int(raw) if hint is int else float(raw)
        lo, hi = meta.get("min"), meta.get("max")
        if lo is not None and hi is not None and not lo <= value <= hi:
            raise ValueError(f"expected a number from {lo:g} to {hi:g}")
        return value
    if hint is str:
        if not isinstance(raw, str):
            raise ValueError("expected text")
        check = meta.get("check")
        if check is not None:
            return check(raw)
        if not raw.strip():
            raise ValueError("expected non-empty text")
        return raw.strip()
    raise TypeError(f"unsupported settings type {hint!r}")  # a programming error


class SettingField(NamedTuple):
    """One setting as Preferences shows it: `path` ("timeouts.connect"), its type hint, the
    field's metadata (label, section, range, unit, help, choices, none_label)."""

    path: str
    hint: Any
    meta: Mapping[str, Any]

    @property
    def label(self) -> str:
        return str(self.meta.get("label", self.path))

    def check(self, raw: Any) -> Any:
        """`raw` as this setting's value, or ValueError with what was expected."""
        return _coerce(self.hint, raw, self.meta)


def labelled_fields(cls: Any = None, prefix: str = "") -> list[SettingField]:
    """Every setting with a label, in declaration order, nested sections flattened: what the
    Preferences dialog is generated from (so labels, ranges and units are declared once)."""
    cls = Settings if cls is None else cls
    hints = get_type_hints(cls)
    out: list[SettingField] = []
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            out.extend(labelled_fields(hint, f"{prefix}{f.name}."))
        elif "label" in f.metadata:
            out.append(SettingField(prefix + f.name, hint, f.metadata))
    return out


def _load(cls: Any, data: Any, where: str, warnings: list[str]) -> Any:
    if not isinstance(data, dict):
        warnings.append(f"{where or 'settings'}: expected an object; using the defaults.")
        return cls()
    hints = get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        name = f"{where}.{f.name}" if where else f.name
        if f.name not in data:
            continue
        hint, raw = hints[f.name], data[f.name]
        if dataclasses.is_dataclass(hint):
            values[f.name] = _load(hint, raw, name, warnings)
            continue
        try:
            values[f.name] = _coerce(hint, raw, f.metadata)
        except ValueError as exc:
            default = f.default if f.default is not dataclasses.MISSING else None
            warnings.append(
                f"Setting {name}: {exc}, got {_describe(raw)}; using the default "
                f"{_describe(default)}."
            )
    known = {f.name for f in dataclasses.fields(cls)} | ({"version"} if not where else set())
    for key in data:
        if key not in known and any(w in str(key).lower() for w in _SECRET_WORDS):
            warnings.append(
                f"Setting {where + '.' if where else ''}{key} was ignored and will be removed: "
                "RouteChat keeps the API key in the system keyring, never in the settings file."
            )
    return cls(**values)


def settings_from_dict(data: Any) -> tuple[Settings, list[str]]:
    """Settings from parsed JSON, with a warning per field that fell back to its default."""
    warnings: list[str] = []
    if isinstance(data, dict):
        version = data.get("version")
        if (
            isinstance(version, int)
            and not isinstance(version, bool)
            and version > SETTINGS_VERSION
        ):
            warnings.append(
                "The settings file was written by a newer version of RouteChat; "
                "settings this version does not know are ignored."
            )
    settings = _load(Settings, data, "", warnings)
    assert isinstance(settings, Settings)
    return settings, warnings


# --- files ----------------------------------------------------------------------------------


def _corrupt_name(path: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    candidate = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while candidate.exists():
        candidate = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        n += 1
    return candidate


def _settings_file(where: AppPaths | Path) -> Path:
    return where.settings_file if isinstance(where, AppPaths) else Path(where)


def load_settings(where: AppPaths | Path) -> LoadResult:
    """Settings from `AppPaths.settings_file` (or a path); never raises for a bad file.

    A file that is not a JSON object is renamed to `settings.json.corrupt-<UTC time>`; the
    warning names it.
    """
    path = _settings_file(where)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return LoadResult(Settings())
    except OSError as exc:
        return LoadResult(
            Settings(),
            (
                f"Could not read the settings file {path} ({exc.strerror or exc}); "
                "using the default settings.",
            ),
        )
    try:
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("the file does not hold a JSON object")
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        if isinstance(exc, json.JSONDecodeError):
            why = f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        elif isinstance(exc, UnicodeDecodeError):
            why = "not UTF-8 text"
        elif isinstance(exc, RecursionError):
            why = "nested too deeply"
        else:
            why = str(exc)
        target = _corrupt_name(path)
        try:
            os.replace(path, target)
        except OSError as move_exc:
            return LoadResult(
                Settings(),
                (
                    f"The settings file {path} is {why}, and could not be moved aside "
                    f"({move_exc.strerror or move_exc}); using the default settings.",
                ),
            )
        return LoadResult(
            Settings(),
            (
                f"The settings file was {why}. It was kept as {target} and the default "
                "settings are used.",
            ),
        )
    settings, warnings = settings_from_dict(data)
    return LoadResult(settings, tuple(warnings))


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def save_settings(where: AppPaths | Path, settings: Settings) -> None:
    """Write atomically (temp file in the same folder, fsync, os.replace).

    Raises `SettingsSaveError` on any OS error; the old file is then untouched.
    """
    path = _settings_file(where)
    text = json.dumps(settings_to_dict(settings), indent=2, ensure_ascii=False) + "\n"
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        raise SettingsSaveError(path, exc) from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _fsync_dir(path.parent)
