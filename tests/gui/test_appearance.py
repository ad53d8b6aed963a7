"""Appearance and the start-up shortcuts it takes: Fusion chosen at creation, the light palette
spelled out, 'system' guessed from the platform palette and confirmed after the first frame;
enum properties set by name; crash reports shown on the GUI thread."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QTabWidget

from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.render.markdown import code_background
from desktop_app.ui.chat.conversation_controller import ConversationController
from desktop_app.ui.settings import appearance
from desktop_app.ui.shell.crash_reporter import CrashReporter
from desktop_app.ui.widgets import theme
from desktop_app.ui.widgets.enum_props import set_enum_property
from tests.support.gui import start_with_key, wait_until

ROLES = [r for r in QPalette.ColorRole if r is not QPalette.ColorRole.NColorRoles]
GROUPS = (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive, QPalette.ColorGroup.Disabled)


CODE_PROMPT = "Write a python function to merge two sorted lists"  # a reply with a code block


def choose_theme(parts: Composition, theme_name: str) -> None:
    """As Preferences does when the appearance is changed."""
    parts.controller.save_preferences(dataclasses.replace(parts.settings.current, theme=theme_name))


def is_dark(app: QApplication) -> bool:
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


@pytest.fixture(autouse=True)
def light_again(qapp: QApplication) -> Iterator[None]:
    """Later tests expect the light appearance the app starts with here."""
    yield
    theme.apply_theme(qapp, "light")


def test_the_app_is_created_with_fusion(qapp: QApplication) -> None:
    assert qapp.style().name() == "fusion"


def test_the_light_palette_is_fusions_own_but_for_contrast(qapp: QApplication) -> None:
    """Fusion's light palette, spelled out, with the colours that fall short of WCAG AA
    darkened (`_LIGHT_CONTRAST`; tests/gui/test_accessibility.py measures them)."""
    ours, fusion = theme._light_palette(), qapp.style().standardPalette()
    argb = QColor.NameFormat.HexArgb  # Fusion derives some colours in floating point
    changed = {getattr(QPalette.ColorRole, name) for name in theme._LIGHT_CONTRAST}
    for group in GROUPS:
        for role in ROLES:
            disabled = group is QPalette.ColorGroup.Disabled and role.name in theme._LIGHT_DISABLED
            if role in changed and not disabled:
                assert ours.color(group, role) == QColor(theme._LIGHT_CONTRAST[role.name])
                continue
            assert ours.color(group, role).name(argb) == fusion.color(group, role).name(argb), (
                group,
                role,
            )


async def test_light_and_dark_follow_the_setting(
    qapp: QApplication, make_app: Callable[..., Composition]
) -> None:
    parts = make_app(theme="dark")
    assert is_dark(qapp)
    assert parts.controller.appearance.dark
    choose_theme(parts, "light")
    assert not is_dark(qapp)
    assert not parts.controller.appearance.dark
    assert qapp.palette().color(QPalette.ColorRole.Window) == theme._light_palette().color(
        QPalette.ColorRole.Window
    )


async def test_the_system_scheme_is_confirmed_after_the_first_frame(
    qapp: QApplication, make_app: Callable[..., Composition], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Start-up guesses 'system' from the platform's (light) palette; the colour scheme, read
    once the window is up, says dark, and the window turns dark."""
    for module in (theme, appearance):
        monkeypatch.setattr(module, "system_is_dark", lambda _app: True)
    parts = make_app()  # theme "system"
    assert not parts.controller.appearance.dark
    await wait_until(lambda: parts.controller.appearance.dark)
    assert is_dark(qapp)


def test_enum_properties_are_set_by_name(qapp: QApplication) -> None:
    label, tabs = QLabel("x"), QTabWidget()
    set_enum_property(label, "textInteractionFlags", "TextSelectableByMouse|LinksAccessibleByMouse")
    set_enum_property(label, "alignment", "AlignCenter")
    set_enum_property(tabs, "elideMode", "ElideRight")
    assert label.textInteractionFlags() == (
        Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.LinksAccessibleByMouse
    )
    assert label.alignment() == Qt.AlignmentFlag.AlignCenter
    assert tabs.elideMode() == Qt.TextElideMode.ElideRight
    with pytest.raises(ValueError, match="elideMode"):
        set_enum_property(tabs, "elideMode", "ElideNowhere")
    with pytest.raises(ValueError, match="elidMode"):
        set_enum_property(tabs, "elidMode", "ElideRight")


async def test_a_crash_on_another_thread_is_reported_on_the_gui_thread(
    qapp: QApplication, make_app: Callable[..., Composition]
) -> None:
    parts = make_app()
    reporter = CrashReporter(parts.window)
    worker = threading.Thread(target=lambda: reporter.report.emit("Traceback: boom"))
    worker.start()
    worker.join()
    await wait_until(lambda: reporter.dialogs)
    dialog = reporter.dialogs[0]
    assert dialog.thread() is qapp.thread()
    assert dialog.isVisible()
    assert dialog.text.toPlainText() == "Traceback: boom"
    dialog.reject()
    await wait_until(lambda: not reporter.dialogs)


async def test_a_crash_on_the_gui_thread_is_shown_from_the_event_loop(
    make_app: Callable[..., Composition],
) -> None:
    """Never inside the code that failed (which may be a Qt handler in the middle of work)."""
    parts = make_app()
    reporter = CrashReporter(parts.window)
    reporter.report.emit("Traceback: here")
    assert reporter.dialogs == []
    await wait_until(lambda: reporter.dialogs)
    reporter.dialogs[0].reject()


LIGHT_CODE, DARK_CODE = code_background(False), code_background(True)  # render/markdown.py


async def send_and_wait(ctrl: ConversationController, text: str) -> None:
    ctrl.page.composer.input.setPlainText(text)
    ctrl.page.composer.send_button.click()
    await wait_until(lambda: not ctrl.streaming and ctrl.entries[-1].role == "assistant")


async def test_open_tabs_take_the_new_code_colours(
    qapp: QApplication, make_app: Callable[..., Composition]
) -> None:
    """The tab on screen re-renders at once; a tab behind it when it is next shown."""
    parts = make_app(theme="light")
    start_with_key(parts)
    behind = parts.tabs.controllers[0]
    behind.page.tier_selector.select("code")
    await send_and_wait(behind, CODE_PROMPT)
    on_screen = parts.tabs.new_conversation("code")
    await send_and_wait(on_screen, CODE_PROMPT)
    views = [c.entries[-1].ui.view for c in (behind, on_screen)]
    assert all("```" in v.text and LIGHT_CODE in v.toHtml() for v in views)

    choose_theme(parts, "dark")
    assert DARK_CODE in views[1].toHtml()
    assert LIGHT_CODE in views[0].toHtml()  # not on screen: not rendered yet
    parts.window.tabs.setCurrentWidget(behind.page)
    assert DARK_CODE in views[0].toHtml()
    assert views[0].code_blocks()  # the copy links still work


def test_a_platform_that_reports_no_scheme_is_judged_by_its_palette(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offscreen, like some Linux desktops, reports no colour scheme: a dark platform palette
    then means dark, at start-up and after it alike (no light flash after the first frame)."""
    from PySide6.QtCore import Qt

    assert qapp.styleHints().colorScheme() == Qt.ColorScheme.Unknown
    monkeypatch.setattr(theme, "_platform_window_colour", QColor(30, 30, 30))
    assert theme.first_guess_is_dark(qapp)
    assert theme.system_is_dark(qapp)
    monkeypatch.setattr(theme, "_platform_window_colour", QColor(240, 240, 240))
    assert not theme.system_is_dark(qapp)


async def test_a_reply_streaming_through_a_theme_change_ends_in_the_new_colours(
    qapp: QApplication, make_app: Callable[..., Composition], emulator: EmulatorThread
) -> None:
    parts = make_app(theme="light")
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    ctrl.page.tier_selector.select("code")
    emulator.queue_faults("stall_mid:1@40")  # a pause once the code block has gone by
    ctrl.page.composer.input.setPlainText(CODE_PROMPT)
    ctrl.page.composer.send_button.click()
    reply = ctrl.entries[-1]
    await wait_until(lambda: LIGHT_CODE in reply.ui.view.toHtml())
    assert ctrl.streaming
    choose_theme(parts, "dark")
    await wait_until(lambda: not ctrl.streaming)
    html = reply.ui.view.toHtml()
    assert DARK_CODE in html and LIGHT_CODE not in html


async def test_tabs_behind_the_welcome_page_take_a_theme_change_when_shown_again(
    qapp: QApplication, make_app: Callable[..., Composition]
) -> None:
    parts = make_app(theme="light")
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    ctrl.page.tier_selector.select("code")
    await send_and_wait(ctrl, CODE_PROMPT)
    view = ctrl.entries[-1].ui.view
    parts.window.show_welcome()  # e.g. the key was removed
    choose_theme(parts, "dark")
    assert LIGHT_CODE in view.toHtml()  # not on screen
    parts.window.show_tabs()
    assert DARK_CODE in view.toHtml()


def test_message_text_skips_shaping_only_while_it_does_not_need_it(qapp: QApplication) -> None:
    """Latin replies lay out without shaping (much faster); Arabic must be shaped, or its
    letters do not join; a streamed reply switches when such text arrives."""
    from PySide6.QtGui import QFont

    from desktop_app.render.markdown import MarkdownRenderer
    from desktop_app.ui.chat.message_view import MessageView

    no_shaping = QFont.StyleStrategy.PreferNoShaping
    view = MessageView(MarkdownRenderer())
    view.set_markdown("An answer in **English**, with `code`.")
    assert view.font().styleStrategy() == no_shaping
    view.set_markdown("الجواب بالعربية")
    assert view.font().styleStrategy() != no_shaping
    view.set_plain("Back to English")
    assert view.font().styleStrategy() == no_shaping

    view.begin_stream()
    view.append_stream("First a Latin paragraph.\n\n")
    view.flush_now()
    assert view.font().styleStrategy() == no_shaping
    view.append_stream("ثم العربية")
    view.flush_now()
    assert view.font().styleStrategy() != no_shaping
    view.append_stream(" and Latin again")
    view.end_stream()
    assert view.font().styleStrategy() != no_shaping  # a shaped message stays shaped
    view.deleteLater()
