"""Logging, redaction and crash reports. Qt-free: the UI passes Qt's messages and shows dialogs.

* `setup_logging` writes the `desktop_app` and `asyncio` loggers to a rotating UTF-8 file,
  through a `RedactingFilter` on the handler, so every record (message, arguments, exception
  and stack text) is redacted before any handler formats it. Calling it again replaces the
  handlers it installed (no duplicates); when the file cannot be opened it logs to stderr
  instead and returns a warning sentence for the status bar.
* `redact` removes: every value passed to `register_secret` (the real API key, exactly);
  `Authorization: <scheme> <value>` headers (also as `'authorization': '...'` in a dict's
  repr) and `Bearer <token>`; `api_key=...`-style assignments (api key, access/refresh token,
  client secret, password); and anything shaped like a credential: `sk-`/`pk-`/`rk-` keys,
  JWTs (`eyJ...`), and runs of 24+ letters and digits (with `+/_-=`) that look random: hex
  with letters and digits, or runs that split into short "words" (a word: a capitalised or
  lower-case letter run, an upper-case run, or a digit run; random text averages under 3
  characters a word, names and paths 4 or more; a run with one letter case and no separators
  must average 6). Words, snake_case and CamelCase names, model ids, URLs, file paths (also
  under a temporary folder with a random name: each folder name is judged alone), long
  numbers and UUIDs are kept. The heuristic is a safety net (a random key escapes it about
  once in a few hundred): the key itself is registered and always removed exactly.
* `asyncio_exception_handler` for `loop.set_exception_handler`, `install_excepthook` for
  uncaught exceptions (main and other threads; the report goes to the log and to `on_crash`),
  `format_crash_report` for the crash dialog, `qt_message_to_log` for Qt's message handler.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import re
import sys
import threading
import traceback
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from desktop_app import __version__

__all__ = [
    "LOGGER_NAMES",
    "REDACTED",
    "RedactingFilter",
    "asyncio_exception_handler",
    "forget_secrets",
    "format_crash_report",
    "install_excepthook",
    "qt_message_to_log",
    "redact",
    "register_secret",
    "setup_logging",
    "teardown_logging",
]

REDACTED = "[redacted]"
LOGGER_NAMES = ("desktop_app", "asyncio")
LOG_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
MIN_SECRET = 8  # shorter values are not worth garbling ordinary text for

log = logging.getLogger("desktop_app.logs")
_crash_log = logging.getLogger("desktop_app.crash")
_asyncio_log = logging.getLogger("desktop_app.asyncio")
_qt_log = logging.getLogger("desktop_app.qt")

# --------------------------------------------------------------------------- redaction

_secrets: tuple[str, ...] = ()  # longest first; replaced as a whole tuple (no lock to read)
_secrets_lock = threading.Lock()


def register_secret(value: str | None) -> None:
    """Always redact `value` exactly from now on (the API key, once it is known)."""
    global _secrets
    if not value:
        return
    value = value.strip()
    if len(value) < MIN_SECRET:
        return
    with _secrets_lock:
        if value not in _secrets:
            _secrets = tuple(sorted((*_secrets, value), key=len, reverse=True))


def forget_secrets() -> None:
    """Forget every registered secret (tests; the heuristics still apply)."""
    global _secrets
    with _secrets_lock:
        _secrets = ()


_NOT_REDACTED = r"(?!\[redacted\])"
_AUTH_HEADER = re.compile(
    r"""(?i)(\b(?:proxy-)?authorization\b["']?\s*[:=]\s*["']?\s*)"""
    r"(?:(bearer|basic|token|digest)\s+)?+" + _NOT_REDACTED + r"""([^\s"',;}\]]+)"""
)
_BEARER = re.compile(r"(?i)\b(bearer)\s+" + _NOT_REDACTED + r"([A-Za-z0-9._~+/=-]{8,})")
_ASSIGNMENT = re.compile(
    r"(?i)(\b(?:x-)?api[-_]?key|\baccess[-_]?token|\brefresh[-_]?token|\bclient[-_]?secret"
    r"|\bsecret[-_]?key|\bpassword|\bpasswd)"
    r"""(["']?\s*[:=]\s*["']?)""" + _NOT_REDACTED + r"""([^\s"',;&}\]]+)"""
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{10,}(?:\.[A-Za-z0-9_-]+){0,2}")
_PREFIXED = re.compile(r"\b(?:sk|pk|rk)[-_][A-Za-z0-9_-]{16,}")
_RUN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{24,}={0,2}(?![A-Za-z0-9+/_-])")
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:[eE][+-]?[0-9]+)?")
_HEX = frozenset("0123456789abcdefABCDEF")
_MIN_RUN = 24


def _looks_random(run: str) -> bool:
    """A credential-shaped run (see the module doc for the rule)."""
    core = [c for c in run if c.isalnum()]
    n = len(core)
    if n < _MIN_RUN or _NUMBER.fullmatch(run) or _UUID.fullmatch(run):
        return False
    has_lower = any(c.islower() for c in core)
    has_upper = any(c.isupper() for c in core)
    has_digit = any(c.isdigit() for c in core)
    if not (has_lower or has_upper):
        return False  # numbers, also with signs and fractions
    if has_digit and not (has_lower and has_upper) and all(c in _HEX for c in core):
        return True  # hex with letters and digits
    words = len(_WORDS.findall(run))
    if n == len(run) and not (has_lower and has_upper):
        # One case, no separators: words glued together are long, random runs are choppy.
        return n < 6 * words
    return n < 3 * words


def _bearer(match: re.Match[str]) -> str:
    value = match.group(2)
    if not any(c.isdigit() or c in "-_./+=~" for c in value):
        return match.group(0)  # "bearer authentication": a word, not a token
    return f"{match.group(1)} {REDACTED}"


def _header(match: re.Match[str]) -> str:
    scheme = match.group(2)
    return match.group(1) + (f"{scheme} " if scheme else "") + REDACTED


def _wordy(part: str) -> bool:
    """A name made of words (`tests`, `test_logs`, `site-packages`): 3+ characters a word."""
    n = sum(c.isalnum() for c in part)
    return n >= 3 and n >= 3 * len(_WORDS.findall(part))


def _looks_like_a_path(run: str) -> bool:
    """Folder names joined by `/`, at most one of them not words (a temporary folder's random
    name); a base64 value split at its slashes has no such run of words."""
    parts = [p for p in run.split("/") if p]
    wordy = sum(_wordy(p) for p in parts)
    return wordy >= 2 and len(parts) - wordy <= 1


def _run(match: re.Match[str]) -> str:
    text = match.group(0)
    if "/" in text and _looks_like_a_path(text):
        return "/".join(REDACTED if _looks_random(p) else p for p in text.split("/"))
    return REDACTED if _looks_random(text) else text


def redact(text: str, secret: str | None = None) -> str:
    """`text` without `secret` (the key a request was sent with), registered secrets,
    authorization values and credential-shaped tokens: the one redaction of the app, for log
    lines, crash reports and anything quoted back from a server."""
    if secret and len(secret) >= MIN_SECRET and secret in text:
        text = text.replace(secret, REDACTED)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _AUTH_HEADER.sub(_header, text)
    text = _BEARER.sub(_bearer, text)
    text = _ASSIGNMENT.sub(lambda m: m.group(1) + m.group(2) + REDACTED, text)
    text = _JWT.sub(REDACTED, text)
    text = _PREFIXED.sub(REDACTED, text)
    return _RUN.sub(_run, text)


class RedactingFilter(logging.Filter):
    """Redacts a record in place: its rendered message (so the arguments too), the exception
    text and the stack text. Installed on handlers, so it sees records of every child logger.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what there is, readable and redacted
            message = f"{record.msg!s} (arguments: {record.args!r})"
        record.msg = redact(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


# --------------------------------------------------------------------------- setup


_installed: list[logging.Handler] = []
_saved_levels: dict[str, int] = {}
_setup_lock = threading.Lock()


def _level(name: str) -> int:
    value = logging.getLevelNamesMapping().get(name.strip().upper())
    return value if value is not None else logging.INFO


def setup_logging(
    log_file: Path,
    level: str = "INFO",
    *,
    max_bytes: int = 1_000_000,
    backups: int = 5,
    stderr: bool = False,
) -> str | None:
    """Log `desktop_app.*` and `asyncio` to `log_file` (rotating, UTF-8, redacted).

    Replaces the handlers a previous call installed. Returns None, or, when the file cannot
    be opened (read-only disk, a file where the folder should be), a sentence saying so:
    logging then goes to stderr only. `stderr=True` also logs to stderr (a terminal run).
    """
    with _setup_lock:
        _remove_handlers()
        numeric = _level(level)
        formatter = logging.Formatter(LOG_FORMAT)
        handlers: list[logging.Handler] = []
        warning: str | None = None
        try:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            handlers.append(
                logging.handlers.RotatingFileHandler(
                    log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8"
                )
            )
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            warning = (
                f"The log file {log_file} could not be opened ({reason}); "
                "logging to the terminal only."
            )
        if warning is not None or stderr:
            handlers.append(logging.StreamHandler(sys.stderr))
        redacting = RedactingFilter()
        for handler in handlers:
            handler.setLevel(numeric)
            handler.setFormatter(formatter)
            handler.addFilter(redacting)
        for name in LOGGER_NAMES:
            logger = logging.getLogger(name)
            _saved_levels.setdefault(name, logger.level)
            logger.setLevel(numeric)
            for handler in handlers:
                logger.addHandler(handler)
        _installed.extend(handlers)
    if warning is not None:
        log.warning("%s", warning)
    return warning


def _remove_handlers() -> None:
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        for handler in _installed:
            logger.removeHandler(handler)
    for handler in _installed:
        handler.close()
    _installed.clear()


def teardown_logging() -> None:
    """Remove and close what `setup_logging` installed and restore the loggers' levels."""
    with _setup_lock:
        _remove_handlers()
        for name, level in _saved_levels.items():
            logging.getLogger(name).setLevel(level)
        _saved_levels.clear()


# --------------------------------------------------------------------------- asyncio


def asyncio_exception_handler(loop: Any, context: Mapping[str, Any]) -> None:
    """For `loop.set_exception_handler`: log the context, redacted, at ERROR."""
    message = str(context.get("message") or "Unhandled exception in the event loop")
    parts = [message]
    for key in sorted(context):
        if key in ("message", "exception"):
            continue
        try:
            shown = repr(context[key])
        except Exception as failure:
            shown = f"<repr failed: {type(failure).__name__}>"
        parts.append(f"{key}: {shown}")
    exception = context.get("exception")
    if isinstance(exception, BaseException):
        parts.append("".join(traceback.format_exception(exception)).rstrip())
    _asyncio_log.error("%s", redact("\n".join(parts)))


# --------------------------------------------------------------------------- crashes


def format_crash_report(
    exc_type: type[BaseException],
    exc: BaseException | None,
    tb: TracebackType | None,
    *,
    app_version: str,
    extra: Mapping[str, str] | None = None,
) -> str:
    """A copyable report for the crash dialog and the log, redacted.

    Version, Python, platform, any `extra` lines (the UI adds e.g. "Qt": "6.11.3"), then the
    traceback with its chained causes.
    """
    import platform  # only a crash needs it (it costs ~5 ms at start-up)

    lines = [
        f"RouteChat {app_version} stopped because of an unexpected error.",
        f"Time: {datetime.now(UTC).isoformat(timespec='seconds')}",
        f"Python: {platform.python_version()} ({platform.python_implementation()})",
        f"Platform: {platform.platform()}",
    ]
    lines += [f"{key}: {value}" for key, value in (extra or {}).items()]
    lines.append("")
    if exc is None:
        exc = exc_type()
    lines.append("".join(traceback.format_exception(exc_type, exc, tb)).rstrip())
    return redact("\n".join(lines)) + "\n"


_hook_state = threading.local()


def install_excepthook(
    on_crash: Callable[[str], None],
    *,
    app_version: str | None = None,
    extra: Mapping[str, str] | Callable[[], Mapping[str, str]] | None = None,
) -> Callable[[], None]:
    """Route uncaught exceptions (sys.excepthook and threading.excepthook) to the log and
    to `on_crash(report)`. Returns a function that puts the previous hooks back.

    `on_crash` runs in the thread that failed: from another thread the UI must hand the report
    to the GUI thread (a queued signal). If `on_crash` raises, that is logged and the report
    is written to stderr; an exception raised while a report is being handled in the same
    thread (the crash dialog failing, reported back through the hook) is only logged, so a
    failing dialog never loops. KeyboardInterrupt goes to the previous hook; SystemExit in a
    thread is ignored, as Python does.
    """
    version = __version__ if app_version is None else app_version
    previous_sys = sys.excepthook
    previous_thread = threading.excepthook

    def report(
        exc_type: type[BaseException],
        exc: BaseException | None,
        tb: TracebackType | None,
        thread: str | None,
    ) -> None:
        if getattr(_hook_state, "busy", False):
            _log_quietly("an error occurred while reporting a crash", exc_type, exc, tb)
            return
        _hook_state.busy = True
        try:
            try:
                lines = dict(extra() if callable(extra) else extra or {})
                if thread is not None:
                    lines["Thread"] = thread
                text = format_crash_report(exc_type, exc, tb, app_version=version, extra=lines)
            except Exception:
                text = redact("".join(traceback.format_exception(exc_type, exc, tb)))
            with contextlib.suppress(Exception):
                _crash_log.critical("uncaught exception\n%s", text)
            try:
                on_crash(text)
            except Exception as failure:
                _log_quietly("the crash handler failed", type(failure), failure, None)
                _write_stderr(text)
        finally:
            _hook_state.busy = False

    def sys_hook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            previous_sys(exc_type, exc, tb)
            return
        report(exc_type, exc, tb, None)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else None
        report(args.exc_type, args.exc_value, args.exc_traceback, name)

    sys.excepthook = sys_hook
    threading.excepthook = thread_hook

    def uninstall() -> None:
        if sys.excepthook is sys_hook:
            sys.excepthook = previous_sys
        if threading.excepthook is thread_hook:
            threading.excepthook = previous_thread

    return uninstall


def _log_quietly(
    what: str,
    exc_type: type[BaseException],
    exc: BaseException | None,
    tb: TracebackType | None,
) -> None:
    try:
        text = redact("".join(traceback.format_exception(exc_type, exc, tb)))
        _crash_log.error("%s\n%s", what, text)
    except Exception:
        pass


def _write_stderr(text: str) -> None:
    stream = sys.stderr or sys.__stderr__
    if stream is None:  # pythonw: no console at all
        return
    try:
        stream.write(text)
        stream.flush()
    except Exception:
        pass


# --------------------------------------------------------------------------- Qt messages

_QT_LEVELS = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "critical": logging.ERROR,
    "fatal": logging.CRITICAL,
    "system": logging.ERROR,  # Qt's old alias of critical
}


def qt_message_to_log(level_name: str, message: str, category: str | None) -> None:
    """Log one of Qt's messages on `desktop_app.qt`.

    `level_name`: "debug", "info", "warning", "critical" or "fatal" (also accepted as
    Qt's enum names, "QtWarningMsg" or "QtMsgType.QtWarningMsg"); unknown names log as
    warnings. `category` is shown unless it is Qt's "default".
    """
    name = level_name.rsplit(".", 1)[-1].strip().lower()
    name = name.removeprefix("qt").removesuffix("msg")
    level = _QT_LEVELS.get(name, logging.WARNING)
    if category and category != "default":
        _qt_log.log(level, "[%s] %s", category, message)
    else:
        _qt_log.log(level, "%s", message)
