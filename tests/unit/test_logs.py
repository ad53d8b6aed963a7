"""Logging setup, redaction, crash reports and hooks. Every test leaves the logging tree,
the registered secrets and the exception hooks as it found them."""

from __future__ import annotations

import asyncio
import base64
import logging
import random
import sys
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app import logs
from desktop_app.emulator.catalogue import MODELS
from desktop_app.logs import (
    REDACTED,
    RedactingFilter,
    asyncio_exception_handler,
    format_crash_report,
    install_excepthook,
    qt_message_to_log,
    redact,
    register_secret,
    setup_logging,
    teardown_logging,
)

KEY = "Xq7-secret-Key_for-tests-0042"  # registered in tests that need it
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjoiMTIzNDUifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.fixture(autouse=True)
def _restore_global_state() -> Iterator[None]:
    names = ("", *logs.LOGGER_NAMES, "desktop_app.qt")
    saved = {n: (list(logging.getLogger(n).handlers), logging.getLogger(n).level) for n in names}
    secrets = logs._secrets
    hooks = (sys.excepthook, threading.excepthook)
    yield
    teardown_logging()
    logs._secrets = secrets
    sys.excepthook, threading.excepthook = hooks
    for name, (handlers, level) in saved.items():
        logger = logging.getLogger(name)
        assert logger.handlers == handlers, f"handlers of {name!r} left behind"
        logger.setLevel(level)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-123", f"Authorization: Bearer {REDACTED}"),
        ("authorization=Bearer x", f"authorization=Bearer {REDACTED}"),
        ("AUTHORIZATION:basic dXNlcjpwYXNz", f"AUTHORIZATION:basic {REDACTED}"),
        (
            "headers={'Authorization': 'Bearer sk-loop', 'Accept': 'text/event-stream'}",
            f"headers={{'Authorization': 'Bearer {REDACTED}', 'Accept': 'text/event-stream'}}",
        ),
        ('{"authorization": "Bearer abc"}', f'{{"authorization": "Bearer {REDACTED}"}}'),
        ("sent Bearer sk-loopback to the server", f"sent Bearer {REDACTED} to the server"),
        ("api_key=hunter2hunter2&x=1", f"api_key={REDACTED}&x=1"),
        ('{"x-api-key": "abc"}', f'{{"x-api-key": "{REDACTED}"}}'),
        ("password: opensesame", f"password: {REDACTED}"),
        (f"token {JWT} used", f"token {REDACTED} used"),
        ("key sk-proj-AbCdEfGhIjKlMnOpQrStUv done", f"key {REDACTED} done"),
        (
            "hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            f"hash {REDACTED}",
        ),
    ],
)
def test_credentials_are_redacted(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "The bearer authentication scheme failed",
        "Authorization header missing",
        "POST https://api.edenai.run/v3/llm/chat/completions model=@edenai",
        "GET http://127.0.0.1:8765/v3/models 200",
        "/tmp/pytest-of-root/pytest-33/test_rotation_keeps_five0/logs/routechat.log",
        r"C:\Users\Someone\AppData\Local\RouteChat\Logs\routechat.log",
        "test_a_retry_loop_never_exceeds_its_count_or_time_budget",
        "ConversationControllerWithAVeryLongName.handle_turn_finished",
        "desktop_app.services.resilience.run_resilient",
        "request 3f2a9c0e-8b7d-4e1f-a6c5-b0d9e8f7a6b5 took 1234567890123456789012345 ms",
        "2026-06-01T12:34:56.789+00:00 INFO chat turn failed: rate_limited (429)",
        "Pneumonoultramicroscopicsilicovolcanoconiosis and antidisestablishmentarianism",
        "claude-3-5-sonnet-20241022 mistralai/Mixtral-8x7B-Instruct-v0.1 gpt-4o-mini-2024-07-18",
        "The server is rate-limiting this account (too many requests): Rate limit exceeded.",
        "max_tokens=1024 completion_tokens=232 total_tokens=246 cost=0.003522",
    ],
)
def test_ordinary_text_is_kept(text: str) -> None:
    assert redact(text) == text


def test_every_catalogue_model_id_is_kept() -> None:
    ids = " ".join(m.id for m in MODELS)
    assert redact(ids) == ids


def test_a_real_traceback_is_kept_apart_from_the_secret() -> None:
    def fail() -> None:
        raise ValueError(f"upstream rejected Bearer {KEY}")

    try:
        fail()
    except ValueError as exc:
        text = "".join(traceback.format_exception(exc))
    cleaned = redact(text)
    assert KEY not in cleaned
    assert cleaned == text.replace(KEY, REDACTED)


def test_random_keys_of_common_shapes_are_redacted() -> None:
    rng = random.Random(20260601)
    for _ in range(300):
        raw = rng.randbytes(rng.randint(24, 48))
        for key in (
            base64.urlsafe_b64encode(raw).decode().rstrip("="),
            raw.hex(),
            "sk-" + base64.urlsafe_b64encode(raw).decode().rstrip("="),
        ):
            out = redact(f"using {key} now")
            assert key not in out and REDACTED in out, key


@pytest.mark.parametrize(
    "path",
    [
        "/tmp/tmp.K1qJjYDeOL/tests/unit/test_logs.py",  # mktemp -d: one random folder name
        'File "/tmp/tmp.Xy9QzR2mPk/desktop_app/ui/conversation_controller.py", line 3',
        "/home/ana/.venv/lib/python3.11/site-packages/PySide6/__init__.py",
    ],
)
def test_file_paths_under_a_random_temporary_folder_are_kept(path: str) -> None:
    assert redact(path) == path


def test_standard_base64_keys_with_slashes_are_still_redacted() -> None:
    """Paths are judged folder by folder; a key split at its slashes is not a path."""
    rng = random.Random(20261126)
    keys = [base64.b64encode(rng.randbytes(rng.randint(24, 48))).decode() for _ in range(2000)]
    escaped = [k for k in keys if k in redact(f"using {k} now")]
    assert len(escaped) <= 10, escaped  # the heuristic's usual rate, about 1 in 500


def test_a_registered_secret_is_redacted_exactly_whatever_its_shape() -> None:
    odd = "correct horse battery staple"  # words: no heuristic would catch it
    assert redact(f"key={odd}!") == f"key={odd}!"
    register_secret(odd)
    register_secret(odd)  # twice is fine
    assert redact(f"key={odd}!") == f"key={REDACTED}!"
    register_secret("short")  # too short to be a key: ignored, text stays readable
    register_secret(None)
    register_secret("")
    assert redact("a short story") == "a short story"


def test_a_longer_secret_wins_over_one_it_contains() -> None:
    register_secret("abcdefgh")
    register_secret("abcdefgh-ijklmnop")
    assert redact("x abcdefgh-ijklmnop y") == f"x {REDACTED} y"


PIECES = [*"abcXYZ019 -_/.:=+'\"{}[]eJyskBr", "Bearer ", "eyJ", "sk-", "Authorization: "]
texts = st.lists(st.sampled_from(PIECES), max_size=80).map("".join)


@given(texts)
def test_redaction_is_idempotent(text: str) -> None:
    once = redact(text)
    assert redact(once) == once


# --------------------------------------------------------------------------- the filter


def test_filter_redacts_message_args_and_exception(caplog: pytest.LogCaptureFixture) -> None:
    register_secret(KEY)
    logger = logging.getLogger("desktop_app.test_filter")
    seen: list[logging.LogRecord] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Collect()
    handler.addFilter(RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("sent %s with %r", KEY, {"Authorization": f"Bearer {KEY}"})
        try:
            raise RuntimeError(f"boom {KEY}")
        except RuntimeError:
            logger.exception("failed for %s", KEY)
        logger.warning("stack", stack_info=True)
    finally:
        logger.removeHandler(handler)
    first, second, third = seen
    assert first.getMessage() == f"sent {REDACTED} with {{'Authorization': 'Bearer {REDACTED}'}}"
    assert first.args == ()
    assert second.getMessage() == f"failed for {REDACTED}"
    assert second.exc_text is not None
    assert f"RuntimeError: boom {REDACTED}" in second.exc_text
    assert KEY not in logging.Formatter().format(second)
    assert third.stack_info is not None and "test_logs.py" in third.stack_info
    # Handlers later in the chain (pytest's here) see the redacted record too.
    assert KEY not in caplog.text


def test_filter_survives_a_bad_format_string() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d items %s", (KEY,), None)
    register_secret(KEY)
    assert RedactingFilter().filter(record)
    assert KEY not in record.getMessage()
    assert "%d items" in record.getMessage()


# --------------------------------------------------------------------------- setup


def _our_handlers(name: str) -> list[logging.Handler]:
    return [h for h in logging.getLogger(name).handlers if h in logs._installed]


def test_setup_writes_a_redacted_utf8_file(tmp_path: Path) -> None:
    log_file = tmp_path / "new" / "folder" / "routechat.log"
    assert setup_logging(log_file, "DEBUG") is None
    register_secret(KEY)
    logging.getLogger("desktop_app.api.client").debug("POST with Bearer %s — ✓ ünïcode", KEY)
    logging.getLogger("asyncio").error("loop problem with %s", KEY)
    logging.getLogger("somebody.else").error("not ours")
    text = _read(log_file)
    assert "desktop_app.api.client: POST with Bearer [redacted] — ✓ ünïcode" in text
    assert "asyncio: loop problem with [redacted]" in text
    assert "not ours" not in text
    assert KEY not in text


def test_setup_levels_filter(tmp_path: Path) -> None:
    log_file = tmp_path / "routechat.log"
    setup_logging(log_file, "WARNING")
    logging.getLogger("desktop_app.x").info("quiet")
    logging.getLogger("desktop_app.x").warning("loud")
    text = _read(log_file)
    assert "loud" in text and "quiet" not in text
    setup_logging(log_file, "nonsense")  # unknown level names fall back to INFO
    assert logging.getLogger("desktop_app").level == logging.INFO


def test_setup_is_idempotent(tmp_path: Path) -> None:
    first, second = tmp_path / "a.log", tmp_path / "b.log"
    setup_logging(first)
    setup_logging(first)
    assert len(_our_handlers("desktop_app")) == 1
    assert len(_our_handlers("asyncio")) == 1
    logging.getLogger("desktop_app").info("once")
    assert _read(first).count("once") == 1
    setup_logging(second)  # a second call replaces the file
    logging.getLogger("desktop_app").info("twice")
    assert "twice" not in _read(first) and "twice" in _read(second)
    assert len(_our_handlers("desktop_app")) == 1
    teardown_logging()
    assert _our_handlers("desktop_app") == [] and _our_handlers("asyncio") == []


def test_rotation_keeps_the_configured_number_of_backups(tmp_path: Path) -> None:
    log_file = tmp_path / "routechat.log"
    setup_logging(log_file, max_bytes=400, backups=2)
    logger = logging.getLogger("desktop_app.rotation")
    for n in range(60):
        logger.info("line %03d %s", n, "x" * 40)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["routechat.log", "routechat.log.1", "routechat.log.2"]
    assert all(p.stat().st_size <= 400 for p in tmp_path.iterdir())
    assert "line 059" in _read(log_file)


def test_an_unwritable_log_folder_falls_back_to_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("I am a file, not a folder")
    log_file = blocker / "logs" / "routechat.log"
    warning = setup_logging(log_file)
    assert warning is not None
    assert str(log_file) in warning and "terminal" in warning
    register_secret(KEY)
    logging.getLogger("desktop_app.x").error("still logged, key %s", KEY)
    err = capsys.readouterr().err
    assert "could not be opened" in err  # the warning itself is logged
    assert f"still logged, key {REDACTED}" in err
    assert KEY not in err
    assert len(_our_handlers("desktop_app")) == 1


def test_stderr_can_be_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert setup_logging(tmp_path / "x.log", stderr=True) is None
    logging.getLogger("desktop_app.x").warning("both places")
    assert "both places" in capsys.readouterr().err
    assert "both places" in _read(tmp_path / "x.log")


# --------------------------------------------------------------------------- asyncio


async def test_asyncio_exception_handler_logs_a_redacted_context(
    caplog: pytest.LogCaptureFixture,
) -> None:
    register_secret(KEY)
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()
    loop.set_exception_handler(asyncio_exception_handler)
    try:
        try:
            raise ConnectionError(f"reset while sending Bearer {KEY}")
        except ConnectionError as exc:
            loop.call_exception_handler(
                {"message": f"Task exception was never retrieved ({KEY})", "exception": exc}
            )
        loop.call_exception_handler({"message": "plain", "handle": object()})
    finally:
        loop.set_exception_handler(previous)
    records = [r for r in caplog.records if r.name == "desktop_app.asyncio"]
    assert [r.levelno for r in records] == [logging.ERROR, logging.ERROR]
    text = caplog.text
    assert KEY not in text
    assert "Task exception was never retrieved ([redacted])" in text
    assert "ConnectionError: reset while sending Bearer [redacted]" in text
    assert "handle: <object object at" in text


def test_asyncio_exception_handler_survives_a_failing_repr(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Nasty:
        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    asyncio_exception_handler(None, {"future": Nasty()})
    assert "future: <repr failed: RuntimeError>" in caplog.text
    assert "Unhandled exception in the event loop" in caplog.text


# --------------------------------------------------------------------------- crashes


def _raise_nested() -> None:
    def inner() -> None:
        raise KeyError(f"lookup of Bearer {KEY}")

    try:
        inner()
    except KeyError as exc:
        raise RuntimeError("outer failure") from exc


def _exc_info() -> tuple[type[BaseException], BaseException, TracebackType | None]:
    try:
        _raise_nested()
    except RuntimeError as exc:
        return type(exc), exc, exc.__traceback__
    raise AssertionError("unreachable")


def test_crash_report_has_the_traceback_but_not_the_key() -> None:
    register_secret(KEY)
    exc_type, exc, tb = _exc_info()
    report = format_crash_report(
        exc_type, exc, tb, app_version="1.2.3", extra={"Qt": "6.11.3", "Platform theme": "x"}
    )
    assert report.startswith("RouteChat 1.2.3 stopped because of an unexpected error.")
    assert f"Python: {sys.version_info.major}.{sys.version_info.minor}" in report
    assert "Platform: " in report and "Qt: 6.11.3" in report
    assert "Traceback (most recent call last):" in report
    assert "in inner" in report and "in _raise_nested" in report
    assert "The above exception was the direct cause" in report
    assert "RuntimeError: outer failure" in report
    assert KEY not in report and REDACTED in report


def test_crash_report_without_an_exception_value() -> None:
    report = format_crash_report(MemoryError, None, None, app_version="0")
    assert report.rstrip().endswith("MemoryError")


def test_excepthook_logs_and_calls_on_crash(caplog: pytest.LogCaptureFixture) -> None:
    register_secret(KEY)
    reports: list[str] = []
    uninstall = install_excepthook(reports.append, app_version="9.9", extra={"Qt": "6.11.3"})
    try:
        sys.excepthook(*_exc_info())
    finally:
        uninstall()
    (report,) = reports
    assert "RouteChat 9.9" in report and "Qt: 6.11.3" in report and "outer failure" in report
    assert KEY not in report
    crash = [r for r in caplog.records if r.name == "desktop_app.crash"]
    assert crash and crash[0].levelno == logging.CRITICAL
    assert KEY not in caplog.text


def test_excepthook_survives_on_crash_raising(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[str] = []

    def broken_dialog(report: str) -> None:
        calls.append(report)
        raise RuntimeError("the dialog could not open")

    uninstall = install_excepthook(broken_dialog, app_version="1")
    try:
        sys.excepthook(*_exc_info())  # must not raise
        sys.excepthook(*_exc_info())  # and keeps working afterwards
    finally:
        uninstall()
    assert len(calls) == 2
    assert "the crash handler failed" in caplog.text
    assert "the dialog could not open" in caplog.text
    assert "outer failure" in capsys.readouterr().err  # the report is not lost


def test_an_error_reported_while_reporting_does_not_recurse(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    def dialog_that_fails_through_the_hook(report: str) -> None:
        calls.append(report)
        # As Qt does with an exception raised in a slot: it goes to sys.excepthook.
        try:
            raise ValueError("the dialog's slot failed")
        except ValueError as exc:
            sys.excepthook(type(exc), exc, exc.__traceback__)

    uninstall = install_excepthook(dialog_that_fails_through_the_hook, app_version="1")
    try:
        sys.excepthook(*_exc_info())
    finally:
        uninstall()
    assert len(calls) == 1
    assert "an error occurred while reporting a crash" in caplog.text
    assert "the dialog's slot failed" in caplog.text


def test_thread_exceptions_reach_on_crash() -> None:
    reports: list[str] = []
    uninstall = install_excepthook(reports.append, app_version="1")
    try:

        def work() -> None:
            raise OSError("disk on fire")

        def leave() -> None:
            raise SystemExit(0)  # ignored, as Python does

        for target, name in ((work, "worker-1"), (leave, "worker-2")):
            thread = threading.Thread(target=target, name=name)
            thread.start()
            thread.join()
    finally:
        uninstall()
    (report,) = reports
    assert "Thread: worker-1" in report and "OSError: disk on fire" in report


def test_keyboard_interrupt_goes_to_the_previous_hook() -> None:
    seen: list[type[BaseException]] = []
    sys.excepthook = lambda t, v, tb: seen.append(t)
    reports: list[str] = []
    uninstall = install_excepthook(reports.append, app_version="1")
    sys.excepthook(KeyboardInterrupt, KeyboardInterrupt(), None)
    uninstall()
    assert seen == [KeyboardInterrupt] and reports == []


def test_uninstall_restores_the_previous_hooks() -> None:
    before = (sys.excepthook, threading.excepthook)
    uninstall = install_excepthook(lambda r: None)
    assert (sys.excepthook, threading.excepthook) != before
    uninstall()
    assert (sys.excepthook, threading.excepthook) == before


# --------------------------------------------------------------------------- Qt messages


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("debug", logging.DEBUG),
        ("info", logging.INFO),
        ("warning", logging.WARNING),
        ("critical", logging.ERROR),
        ("fatal", logging.CRITICAL),
        ("QtWarningMsg", logging.WARNING),
        ("QtMsgType.QtCriticalMsg", logging.ERROR),
        ("something new", logging.WARNING),
    ],
)
def test_qt_messages_map_to_logging_levels(
    name: str, level: int, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="desktop_app.qt")
    qt_message_to_log(name, "a 100% message", "qt.qpa.fonts")
    qt_message_to_log(name, "plain", "default")
    qt_message_to_log(name, "none", None)
    records = [r for r in caplog.records if r.name == "desktop_app.qt"]
    assert [r.levelno for r in records] == [level] * 3
    assert [r.getMessage() for r in records] == ["[qt.qpa.fonts] a 100% message", "plain", "none"]


def test_qt_messages_are_redacted_in_the_file(tmp_path: Path) -> None:
    setup_logging(tmp_path / "q.log")
    qt_message_to_log("warning", f"QNetworkReply header Authorization: Bearer {JWT}", None)
    text = _read(tmp_path / "q.log")
    assert "desktop_app.qt: QNetworkReply header Authorization: Bearer [redacted]" in text
    assert JWT not in text
