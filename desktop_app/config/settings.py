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
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args, get_origin, get_type_hints
from urllib.parse import urlsplit

from desktop_app.config.paths import AppPaths

SETTINGS_VERSION = 1

Theme = Literal["system", "light", "dark"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


def _range(lo: float, hi: float) -> dict[str, float]:
    return {"min": lo, "max": hi}


@dataclass(frozen=True, slots=True)
class TimeoutSettings:
    """Seconds. `first_byte`: until the first chunk; `idle`: between chunks."""

    connect: float = field(default=10.0, metadata=_range(0.5, 300))
    first_byte: float = field(default=30.0, metadata=_range(1, 1800))
    idle: float = field(default=30.0, metadata=_range(1, 1800))
    total: float = field(default=600.0, metadata=_range(1, 7200))


@dataclass(frozen=True, slots=True)
class RetrySettings:
    """Retries of a request that failed before any text arrived (429, 5xx, connect, timeout)."""

    max_retries: int = field(default=2, metadata=_range(0, 10))
    max_total_seconds: float = field(default=30.0, metadata=_range(0, 600))


def _check_base_url(value: str) -> str:
    """The normalised URL, or raise ValueError with the reason."""
    text = value.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("expected an http:// or https:// address")
    if parts.username or parts.password:
        raise ValueError("credentials do not belong in the address")
    if parts.query or parts.fragment:
        raise ValueError("expected an address without ? or #")
    return text


@dataclass(frozen=True, slots=True)
class Settings:
    """The user's preferences, as saved in settings.json (never the API key)."""

    # appearance
    theme: Theme = "system"
    font_scale: float = field(default=1.0, metadata=_range(0.5, 3.0))
    show_reply_details: bool = True  # the badge line: model, cost, tokens, timings
    # chat
    default_tier: str = "balanced"  # a tier id; = routing.tiers.DEFAULT_TIER_ID (a test checks)
    enter_sends: bool = True  # False: Ctrl+Enter sends, Enter makes a new line
    confirm_close_streaming: bool = True  # ask before closing a tab or quitting mid-reply
    restore_tabs: bool = True  # reopen last session's tabs at startup
    max_tokens: int | None = field(default=None, metadata=_range(1, 1_000_000))
    # connection
    base_url: str = field(default="https://api.edenai.run/v3", metadata={"check": _check_base_url})
    timeouts: TimeoutSettings = field(default_factory=TimeoutSettings)
    retries: RetrySettings = field(default_factory=RetrySettings)
    demo_mode: bool = False  # talk to the bundled local emulator instead of Eden AI
    # diagnostics
    log_level: LogLevel = "INFO"


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
