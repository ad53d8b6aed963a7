"""Start-up: the window shows at once and the keyring is read after its first frame."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from pytestqt.qtbot import QtBot

from desktop_app.api.events import TurnStatus
from desktop_app.app import Composition
from desktop_app.config.paths import AppPaths
from desktop_app.emulator.server import EmulatorConfig, EmulatorThread
from desktop_app.render.markdown import MarkdownRenderer, RenderedMarkdown
from desktop_app.secrets import KeySource, store_key
from desktop_app.store.database import CHECKED_AT_KEY
from tests.support.gui import quit_app, send, wait_until
from tests.support.store_files import filled, scribble, set_checked_at


async def leave_a_tab_open(make_app: Callable[..., Composition], qtbot: QtBot) -> None:
    """A previous session that sent one message and quit with its tab open."""
    first = make_app()
    first.controller.use_key("sk-test-key-0001", KeySource.SESSION)
    ctrl = first.tabs.controllers[0]
    send(ctrl, qtbot, "What is the capital of Japan?")
    await wait_until(lambda: not ctrl.streaming and len(ctrl.entries) == 2)
    first.controller.quit()
    await first.controller.wait_shutdown()


async def test_a_new_user_sees_the_welcome_page_and_a_stored_key_after_the_first_frame(
    make_app: Callable[..., Composition],
) -> None:
    store_key("sk-from-the-keyring-0001")
    parts = make_app()
    parts.controller.start()
    w = parts.window
    assert w.stack.currentWidget() is w.welcome  # the window did not wait for the keyring
    assert parts.session.pending
    assert "Reading the API key" in w.mode_label.text()
    await wait_until(lambda: not parts.session.pending)
    assert w.stack.currentWidget() is w.tabs
    assert "from the system keyring" in w.mode_label.text()
    assert "sk-f…01" in w.mode_label.text()


async def test_a_returning_user_sees_their_tabs_at_once(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    await leave_a_tab_open(make_app, qtbot)
    store_key("sk-from-the-keyring-0001")
    parts = make_app()
    parts.controller.start()
    w = parts.window
    assert w.stack.currentWidget() is w.tabs
    assert parts.session.pending
    restored = parts.tabs.controllers[0]
    assert restored.entries[0].content == "What is the capital of Japan?"
    # A message sent before the keyring answered waits for the key, then goes out with it.
    requests_before = len(emulator.server.requests)
    send(restored, qtbot, "And of France?")
    await wait_until(lambda: len(restored.entries) == 4 and not restored.streaming)
    assert not parts.session.pending
    reply = restored.entries[-1]
    assert reply.status is TurnStatus.COMPLETE, reply.result
    assert len(emulator.server.requests) == requests_before + 1
    assert w.stack.currentWidget() is w.tabs


async def test_tabs_give_way_to_the_welcome_page_when_the_key_is_gone(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    await leave_a_tab_open(make_app, qtbot)  # and no key in the keyring
    parts = make_app()
    parts.controller.start()
    w = parts.window
    assert w.stack.currentWidget() is w.tabs
    await wait_until(lambda: not parts.session.pending)
    assert w.stack.currentWidget() is w.welcome
    assert "No API key yet" in w.mode_label.text()


async def test_a_prompt_from_the_command_line_waits_for_the_key(
    make_app: Callable[..., Composition],
) -> None:
    store_key("sk-from-the-keyring-0001")
    parts = make_app()
    parts.controller.start(prompt="What is 2 + 2?", tier="fast")
    assert not parts.tabs.controllers  # nothing can be sent before the key is known
    await wait_until(lambda: bool(parts.tabs.controllers))
    ctrl = parts.tabs.controllers[-1]
    assert ctrl.tier_id == "fast"
    await wait_until(lambda: len(ctrl.entries) == 2 and not ctrl.streaming)
    assert ctrl.entries[0].content == "What is 2 + 2?"
    assert ctrl.entries[1].status is TurnStatus.COMPLETE


async def test_a_finished_reply_is_restored_from_the_render_cache(
    make_app: Callable[..., Composition], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A streamed reply is rendered once more when the window is idle and kept; the next start
    shows it without rendering Markdown (no markdown-it, no Pygments before the first frame)."""
    first = make_app()
    first.controller.use_key("sk-test-key-0001", KeySource.SESSION)
    ctrl = first.tabs.controllers[0]
    send(ctrl, qtbot, "Show me some Python code")
    await wait_until(lambda: not ctrl.streaming and len(ctrl.entries) == 2)
    reply = ctrl.entries[1].content
    cache = first.controller.appearance.render_cache
    await wait_until(lambda: cache.get(reply, first.controller.appearance.dark) is not None)
    first.controller.quit()
    await first.controller.wait_shutdown()

    renders: list[str] = []
    real_render = MarkdownRenderer.render

    def counting(self: MarkdownRenderer, text: str, code_offset: int = 0) -> RenderedMarkdown:
        renders.append(text)
        return real_render(self, text, code_offset)

    monkeypatch.setattr(MarkdownRenderer, "render", counting)
    parts = make_app()
    parts.controller.start()
    restored = parts.tabs.controllers[0]
    view = restored.entries[1].ui.view
    assert view.text == reply
    assert view.toPlainText().strip()  # the cached HTML is on screen
    assert renders == []


async def test_work_after_the_first_frame_runs_later_in_turns_of_its_own(
    make_app: Callable[..., Composition],
) -> None:
    """Start-up work left for after the first frame (keyring, Qt enums, icon) is queued, one
    piece per event-loop turn: what arrives while one piece runs (here an event the first
    piece posts, standing in for a click) is handled before the next piece."""
    from PySide6.QtCore import QTimer

    parts = make_app()  # shown; its first paint comes with the next turns of the loop
    ran: list[str] = []
    at_first_paint: list[list[str]] = []

    def first() -> None:
        ran.append("first")
        QTimer.singleShot(0, lambda: ran.append("arrived meanwhile"))

    parts.window.after_first_frame(first)
    parts.window.after_first_frame(lambda: ran.append("second"))
    parts.window.first_painted.connect(lambda: at_first_paint.append(list(ran)))
    await wait_until(lambda: len(ran) == 3)
    assert at_first_paint == [[]]  # nothing ran inside the signal itself
    assert ran == ["first", "arrived meanwhile", "second"]

    parts.window.after_first_frame(lambda: ran.append("late"))  # after the first frame: soon
    await wait_until(lambda: "late" in ran)


async def test_work_after_the_first_frame_runs_even_if_the_window_never_paints(
    qapp: object,
) -> None:
    """A minimised start paints nothing; the keyring is read (and a `--prompt` sent) anyway,
    NO_PAINT_MS after the event loop starts."""
    from desktop_app.ui.shell.main_window import NO_PAINT_MS, MainWindow

    window = MainWindow()  # never shown: no paint will come
    ran: list[str] = []
    window.after_first_frame(lambda: ran.append("keyring"))
    await wait_until(lambda: ran == ["keyring"], timeout=NO_PAINT_MS / 1000 + 5)
    assert not window.isVisible()
    window.deleteLater()


async def test_a_due_integrity_check_runs_after_the_first_frame_and_is_recorded(
    make_app: Callable[..., Composition], paths: AppPaths
) -> None:
    filled(paths.database_file)
    set_checked_at(paths.database_file, time.time() - 30 * 86400)  # a month ago: due
    parts = make_app()
    assert parts.store.report.integrity_check_due  # not run while opening
    parts.controller.start()
    await wait_until(lambda: parts.store.get_state(CHECKED_AT_KEY, 0) > time.time() - 60)
    await quit_app(parts)


async def test_damage_found_after_the_first_frame_is_told(
    make_app: Callable[..., Composition], paths: AppPaths
) -> None:
    filled(paths.database_file)
    set_checked_at(paths.database_file, None)  # never checked: due
    scribble(paths.database_file)  # only the full check can see it
    parts = make_app()
    told: list[str] = []
    parts.messages.connect(lambda m: told.append(m.text))
    parts.controller.start()
    await wait_until(lambda: any("damaged" in t.lower() for t in told), timeout=20)
    await quit_app(parts)


async def test_a_prompt_from_the_command_line_uses_the_first_tab(
    make_app: Callable[..., Composition], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`routechat --prompt TEXT --tier fast`: one tab, holding the prompt, with that tier."""
    monkeypatch.setenv("EDENAI_API_KEY", "sk-env-key-000001")
    parts = make_app()
    parts.controller.start(prompt="What is the capital of Italy?", tier="fast")
    await wait_until(lambda: any(c.entries for c in parts.tabs.controllers))
    assert parts.window.tabs.count() == 1
    (ctrl,) = parts.tabs.controllers
    await wait_until(lambda: not ctrl.streaming)
    assert ctrl.entries[0].content == "What is the capital of Italy?"
    assert ctrl.tier_id == "fast"
    await quit_app(parts)


async def test_a_prompt_with_restored_tabs_gets_a_tab_of_its_own(
    make_app: Callable[..., Composition], qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    await leave_a_tab_open(make_app, qtbot)
    monkeypatch.setenv("EDENAI_API_KEY", "sk-env-key-000001")
    parts = make_app()
    parts.controller.start(prompt="And of Spain?")
    await wait_until(lambda: parts.window.tabs.count() == 2)
    assert parts.tabs.controllers[-1].entries[0].content == "And of Spain?"
    await quit_app(parts)


async def test_testing_a_key_on_a_server_without_the_test_endpoint_says_so(
    make_app: Callable[..., Composition], emulator: EmulatorThread
) -> None:
    base = emulator.base_url.removesuffix("/v3") + "/elsewhere/v3"  # /elsewhere/upload: 404
    parts = make_app(server=base)
    parts.controller.start()
    welcome = parts.window.welcome
    await wait_until(lambda: not parts.session.pending)
    welcome.key_field.setText("sk-some-key-000001")
    welcome.test_button.click()
    await wait_until(lambda: "could not be tested" in welcome.result_label.text())
    text = welcome.result_label.text()
    assert "Change the request" not in text and "start chatting" in text
    assert welcome.save_button.isEnabled()  # the key was not judged: it may be used
    await quit_app(parts)


async def test_a_refused_key_cannot_be_saved_until_it_is_changed(
    make_app: Callable[..., Composition],
) -> None:
    with EmulatorThread(EmulatorConfig(api_key="sk-the-right-key-01")) as strict:
        parts = make_app(server=strict.base_url)
        parts.controller.start()
        welcome = parts.window.welcome
        await wait_until(lambda: not parts.session.pending)
        welcome.key_field.setText("sk-a-wrong-key-0001")
        welcome.test_button.click()
        await wait_until(lambda: "did not accept this key" in welcome.result_label.text())
        assert not welcome.save_button.isEnabled()
        welcome.key_field.setText("sk-the-right-key-01")
        assert welcome.save_button.isEnabled()
        welcome.test_button.click()
        await wait_until(lambda: "The key works" in welcome.result_label.text())
        await quit_app(parts)
