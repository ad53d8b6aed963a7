"""Accessibility of each view: names, the badge read aloud, announcements, contrast in every
appearance, Tab order and focus, every action by keyboard, large text without clipping.

The checks themselves live in tests/support/a11y.py, for every view to run (see its
docstring); this module runs them on the main window with conversations, the welcome page,
Preferences, the account dialog and the history sidebar, and tests the gaps issue 18
measured one by one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtCore import QObject, QPoint, QRect, Qt, QUrl, Slot
from PySide6.QtGui import QAccessible, QDesktopServices, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QMenu,
    QTabBar,
    QToolButton,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop_app.api.events import CostSource, TurnStatus
from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.secrets import KeySource
from desktop_app.services import format as fmt
from desktop_app.ui.chat.chat_widgets import BadgeState, Composer, TurnBadge
from desktop_app.ui.chat.message_view import settle_layouts
from desktop_app.ui.settings import appearance
from desktop_app.ui.settings.account_dialog import AccountDialog
from desktop_app.ui.settings.preferences import PreferencesDialog
from desktop_app.ui.widgets import a11y, theme
from tests.support.a11y import (
    accessible_description,
    accessible_name,
    check_clipping,
    check_contrast,
    check_names,
    check_palette_marks,
    check_tab_order,
    contrast_ratio,
    press_tab,
    record_accessibility_events,
    tab_cycle,
)
from tests.support.gui import finish_turn, replies, send, start_with_key, wait_until

CODE_PROMPT = "Write a python function to merge two sorted lists"  # a reply with a code block
# A menu popping up offscreen: the platform cannot raise it or grab the keyboard (harmless).
POPUP_WARNINGS = pytest.mark.qt_log_ignore(
    "This plugin does not support raise", "This plugin does not support grabbing the keyboard"
)


@pytest.fixture(autouse=True)
def light_again(qapp: QApplication) -> Iterator[None]:
    """Later tests expect the light appearance and the usual font."""
    font = qapp.font()
    yield
    qapp.setFont(font)
    theme.apply_theme(qapp, "light")


async def activate(window: QWidget) -> None:
    window.activateWindow()
    await wait_until(lambda: QApplication.activeWindow() is window)


async def two_conversations(
    make_app: Callable[..., Composition], qtbot: QtBot, **settings: object
) -> Composition:
    """The audit's state: two conversations with replies (one with code), the sidebar open."""
    parts = make_app(**settings)
    start_with_key(parts)
    first = parts.tabs.controllers[0]
    await finish_turn(first, qtbot, CODE_PROMPT)
    await finish_turn(first, qtbot, "And in one line?")
    second = parts.tabs.new_conversation("fast")
    await finish_turn(second, qtbot, "What's the capital of France?")
    parts.window.tabs.setCurrentIndex(0)
    parts.history.toggle()
    await activate(parts.window)
    return parts


def preferences(parts: Composition) -> PreferencesDialog:
    parts.controller.show_preferences()
    dialog = parts.window.findChild(PreferencesDialog)
    assert dialog is not None
    return dialog


# --- names ---------------------------------------------------------------------------------------
async def test_every_interactive_widget_of_the_main_window_is_named(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = await two_conversations(make_app, qtbot)
    w = parts.window
    assert check_names(w) == []
    # The gaps the audit found, one by one.
    page = parts.tabs.controllers[0].page
    assert not page.chat.focusPolicy() & Qt.FocusPolicy.TabFocus  # a container: no Tab stop
    bar = w.tabs.tabBar()
    for i in range(bar.count()):
        close = bar.tabButton(i, QTabBar.ButtonPosition.RightSide)
        assert isinstance(close, QAbstractButton)
        assert accessible_name(close) == f"Close {w.tabs.tabText(i)}"
    panel = parts.history.panel
    clear = [b for b in panel.search.findChildren(QToolButton)]
    assert clear and all(accessible_name(b) for b in clear)
    for name in ("qt_dockwidget_closebutton", "qt_dockwidget_floatbutton"):
        button = panel.findChild(QAbstractButton, name)
        assert button is not None and button.toolTip() and accessible_name(button)


async def test_a_renamed_tab_renames_its_close_button(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    await finish_turn(parts.tabs.controllers[0], qtbot, "Hello there")
    parts.window.tabs.renamed.emit(0, "Rivers")
    close = parts.window.tabs.tabBar().tabButton(0, QTabBar.ButtonPosition.RightSide)
    assert accessible_name(close) == "Close Rivers"


async def test_the_welcome_page_preferences_and_account_dialog_are_named(
    make_app: Callable[..., Composition],
) -> None:
    parts = make_app()
    parts.controller.start()
    w = parts.window
    assert w.stack.currentWidget() is w.welcome
    assert check_names(w.welcome) == []
    key_clear = w.welcome.key_field.findChildren(QToolButton)
    assert key_clear and all(accessible_name(b) for b in key_clear)
    dialog = preferences(parts)
    assert check_names(dialog) == []
    dialog.reject()
    account = AccountDialog(KeySource.KEYRING, "sk-test-key-0001", w)
    account.open()
    assert check_names(account) == []
    account.reject()


# --- the badge -----------------------------------------------------------------------------------
async def test_the_badge_is_read_in_full_from_the_reply_it_belongs_to(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "What's the capital of France?")
    entry = replies(ctrl)[0]
    b, widget = entry.badge, entry.ui
    assert widget.badge is not None and b.model and b.cost_usd is not None
    spoken = accessible_name(widget.badge)
    assert b.model in spoken and "cost $" in spoken and "tokens in" in spoken
    assert "first token" in spoken and "total" in spoken and "seconds" in spoken + "milli"
    # The reply's text is the message's focus stop; its description carries the badge.
    assert accessible_name(widget.view) == "Reply"
    assert accessible_description(widget.view) == spoken
    await activate(parts.window)
    assert widget.view in tab_cycle(ctrl.page.tier_selector)


def test_the_badge_spells_out_the_kind_of_cost_and_what_happened(qapp: QApplication) -> None:
    badge = TurnBadge()
    cases = [
        (
            BadgeState(
                model="openai/gpt-4o",
                cost_usd=0.0012,
                cost_source=CostSource.REPORTED,
                total_ms=2100,
            ),
            ["Model openai/gpt-4o", "cost $0.0012", "total 2.1 seconds"],
        ),
        (
            BadgeState(model="m", cost_usd=0.0012, cost_source=CostSource.ESTIMATED),
            ["about $0.0012, estimated"],
        ),
        (BadgeState(model="m", cost_source=CostSource.UNKNOWN), ["cost unknown"]),
        (
            BadgeState(model="m", retries=2, fallback=True, demo=True, status=TurnStatus.STOPPED),
            ["retried 2 times", "fallback", "DEMO", "stopped"],
        ),
        (BadgeState(prompt_tokens=12, completion_tokens=340, ttft_ms=420), ["12 tokens in"]),
    ]
    for state, words in cases:
        badge.show_state(state)
        spoken = accessible_name(badge)
        for word in words:
            assert word in spoken, (word, spoken)
        assert "≈" not in spoken and "—" not in spoken and "·" not in spoken


# --- announcements -------------------------------------------------------------------------------
async def test_a_turn_is_announced_once_when_it_ends_never_per_token(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    with record_accessibility_events() as events:
        await finish_turn(ctrl, qtbot, "Write a short poem about rivers")
        await wait_until(lambda: events.announcements)
    b = replies(ctrl)[0].badge
    (said,) = events.announcements  # one, at the end: none while ~100 tokens arrived
    cost, took = fmt.spoken_money(b.cost_usd, b.cost_source), fmt.spoken_duration(b.total_ms)
    assert said.message == f"Reply from {b.model}, {cost}, {took}"
    assert cost.startswith("$") and took.endswith("seconds")  # "$0.0012", "2.1 seconds"
    assert not said.assertive
    assert len(events.of(QAccessible.Event.TextInserted)) > 1  # the stream itself was heard


async def test_failures_retries_and_fallbacks_are_announced(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    with record_accessibility_events() as events:
        emulator.queue_faults("status:402")
        await finish_turn(ctrl, qtbot, "Hello")
        await wait_until(lambda: events.announcements)
    (failed,) = events.announcements
    assert "credits" in failed.message and failed.assertive
    with record_accessibility_events() as events:
        emulator.queue_faults("status:429:retry=1")
        await finish_turn(ctrl, qtbot, "Hello again")
        await wait_until(lambda: len(events.announcements) == 2)
    retry, done = events.announcements
    assert retry.message == "Rate limited, retrying in 1 s"
    assert done.message.startswith("Reply from ")
    with record_accessibility_events() as events:
        emulator.queue_faults("status:503", "status:503", "status:503")
        await finish_turn(ctrl, qtbot, "Once more")
        await wait_until(lambda: any("instead" in e.message for e in events.announcements))
    assert any(e.message.startswith("Smart routing failed, asking ") for e in events.announcements)


def test_without_the_announcement_event_nothing_is_said_and_nothing_breaks(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    label = QLabel("x")
    with record_accessibility_events() as events:
        assert a11y.can_announce()
        assert a11y.announce(label, "Reply from m, $0.01, 1.0 seconds")
        monkeypatch.setattr(a11y, "_ANNOUNCEMENT", None)  # a Qt before 6.8
        assert not a11y.can_announce()
        assert not a11y.announce(label, "not said")
    assert [e.message for e in events.announcements] == ["Reply from m, $0.01, 1.0 seconds"]


def test_nothing_is_built_when_no_screen_reader_listens(qapp: QApplication) -> None:
    assert not QAccessible.isActive()
    assert not a11y.announce(QLabel("x"), "nobody hears this")


# --- contrast ------------------------------------------------------------------------------------
APPEARANCES = ["light", "dark", "system-light", "system-dark"]


def set_appearance(parts_theme: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """Settings for `parts_theme`; 'system-dark' makes the platform report a dark scheme."""
    if parts_theme.startswith("system"):
        dark = parts_theme == "system-dark"
        for module in (theme, appearance):
            monkeypatch.setattr(module, "system_is_dark", lambda _app, d=dark: d)
        monkeypatch.setattr(theme, "first_guess_is_dark", lambda _app, d=dark: d)
        return {"theme": "system"}
    return {"theme": parts_theme}


@pytest.mark.parametrize("look", APPEARANCES)
async def test_text_and_marks_meet_wcag_aa_in_every_appearance(
    make_app: Callable[..., Composition],
    qtbot: QtBot,
    emulator: EmulatorThread,
    monkeypatch: pytest.MonkeyPatch,
    look: str,
) -> None:
    parts = await two_conversations(make_app, qtbot, **set_appearance(look, monkeypatch))
    await wait_until(lambda: parts.controller.appearance.dark == look.endswith("dark"))
    ctrl = parts.tabs.controllers[0]
    # A stopped reply, a failed one, a retry note, a fallback: every mark the badge has.
    emulator.queue_faults("stall_mid:5@3")
    send(ctrl, qtbot, "Tell me a long story")
    await wait_until(lambda: ctrl.streaming and replies(ctrl)[-1].badge.ttft_ms is not None)
    ctrl.stop()
    await wait_until(lambda: not ctrl.streaming)
    emulator.queue_faults("status:503", "status:503", "status:503")
    await finish_turn(ctrl, qtbot, "Falls back")
    emulator.queue_faults("status:402")
    await finish_turn(ctrl, qtbot, "Fails")
    replies(ctrl)[0].ui.status_note("Rate limited, retrying in 7 s…")  # a retry's note
    ctrl.page.chat.scroll_to_end()
    problems = check_contrast(parts.window)
    for entry in ctrl.entries:  # those scrolled out of sight too
        problems += check_contrast(entry.ui)
    dialog = preferences(parts)
    problems += check_contrast(dialog)
    dialog.reject()
    assert problems == []


@pytest.mark.parametrize("look", ["light", "dark"])
def test_the_focus_ring_and_selections_stand_out(qapp: QApplication, look: str) -> None:
    theme.apply_theme(qapp, look)
    assert check_palette_marks(qapp.palette()) == []


@pytest.mark.parametrize("look", ["light", "dark"])
async def test_the_welcome_page_and_demo_mode_meet_wcag_aa(
    make_app: Callable[..., Composition], monkeypatch: pytest.MonkeyPatch, look: str
) -> None:
    parts = make_app(**set_appearance(look, monkeypatch))
    parts.controller.start()
    welcome = parts.window.welcome
    welcome.key_field.setText("sk-abc")
    for ok in (True, False):
        welcome.show_result(ok, "The key works." if ok else "The key was refused.")
        assert check_contrast(welcome) == []
    welcome.key_field.clear()
    assert check_contrast(welcome) == []  # the placeholder
    parts.controller.start_demo()
    assert check_contrast(parts.window.statusBar()) == []
    parts.controller.stop_demo()


def test_every_tone_reads_in_both_palettes(qapp: QApplication) -> None:
    for dark, palette in ((False, theme._light_palette()), (True, theme._dark_palette())):
        backgrounds = [
            palette.color(r)
            for r in (QPalette.ColorRole.Window, QPalette.ColorRole.Base,
                      QPalette.ColorRole.AlternateBase)
        ]  # fmt: skip
        for tone in theme.Tone:
            for bg in backgrounds:
                assert contrast_ratio(tone.shade(dark), bg) >= 4.5, (tone, dark, bg.name())
        for role in (QPalette.ColorRole.PlaceholderText, QPalette.ColorRole.Link):
            for bg in backgrounds:
                assert contrast_ratio(palette.color(role), bg) >= 4.5, (role, dark, bg.name())


async def test_toned_labels_follow_the_appearance(
    make_app: Callable[..., Composition],
) -> None:
    parts = make_app(theme="light")
    parts.controller.start()
    welcome = parts.window.welcome
    welcome.show_result(False, "The key was refused.")
    label = welcome.result_label
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == theme.Tone.ERROR.shade(
        False
    )
    parts.controller.save_preferences(dataclasses.replace(parts.settings.current, theme="dark"))
    assert label.palette().color(QPalette.ColorRole.WindowText).name() == theme.Tone.ERROR.shade(
        True
    )


# --- Tab order and focus -------------------------------------------------------------------------
async def test_tab_follows_the_screen_tier_messages_composer_send(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = await two_conversations(make_app, qtbot)
    page = parts.tabs.controllers[0].page
    assert check_tab_order(page) == []
    cycle = tab_cycle(page.tier_selector)
    inside = [w for w in cycle if page.isAncestorOf(w)]
    messages = page.chat.messages()
    expected: list[QWidget] = [page.tier_selector, page.tools_toggle]
    for m in messages:
        expected += [s for s in m.focus_stops() if s.isVisible()]
    expected += [page.composer.input, page.composer.send_button]
    assert inside == expected


async def test_the_message_with_the_focus_is_framed_and_scrolled_into_view(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = await two_conversations(make_app, qtbot)
    page = parts.tabs.controllers[0].page
    chat = page.chat
    chat.scroll_to_end()
    first, second = chat.messages()[:2]
    width = first.view.width()

    def seen() -> bool:
        where = QRect(first.view.mapTo(chat.viewport(), QPoint(0, 0)), first.view.size())
        return where.intersects(chat.viewport().rect())

    QApplication.processEvents()
    assert not seen()
    page.tools_toggle.setFocus()  # the top bar's last control
    assert press_tab() is first.view  # the first message, far above the fold
    assert first.property("focused") is True
    assert first.view.width() == width  # the ring takes the padding's place: no reflow
    assert seen()
    assert press_tab() is first.copy_button and first.property("focused") is True
    while QApplication.focusWidget() is not second.view:
        press_tab()
    assert first.property("focused") is False and second.property("focused") is True


async def test_the_welcome_page_reads_in_order(make_app: Callable[..., Composition]) -> None:
    parts = make_app()
    parts.controller.start()
    await activate(parts.window)
    parts.window.welcome.key_field.setText("sk-abc")  # Test and Start are enabled
    assert check_tab_order(parts.window.welcome) == []


async def test_focus_returns_to_the_composer_after_send_stop_regenerate_and_edit(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    await activate(parts.window)
    ctrl = parts.tabs.controllers[0]
    composer = ctrl.page.composer
    emulator.queue_faults("stall_mid:5@2")
    composer.input.setPlainText("Tell me a story")
    composer.send_button.setFocus()
    qtbot.keyClick(composer.send_button, Qt.Key.Key_Space)  # Space on Send
    await wait_until(lambda: replies(ctrl) and replies(ctrl)[-1].badge.model is not None)
    assert QApplication.focusWidget() is composer.input
    composer.stop_button.setFocus()
    qtbot.keyClick(composer.stop_button, Qt.Key.Key_Space)  # Space on Stop
    await wait_until(lambda: not ctrl.streaming)
    assert QApplication.focusWidget() is composer.input

    regen = replies(ctrl)[-1].ui.regen_button
    regen.setFocus()
    qtbot.keyClick(regen, Qt.Key.Key_Space)  # Space on Regenerate
    assert ctrl.streaming
    assert QApplication.focusWidget() is composer.input
    await wait_until(lambda: not ctrl.streaming)

    edit = next(e for e in reversed(ctrl.entries) if e.role == "user").ui.edit_button
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Space)  # Space on Edit
    assert QApplication.focusWidget() is composer.input
    assert composer.input.toPlainText() == "Tell me a story"


async def test_esc_stops_the_reply_from_anywhere_in_its_tab(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread
) -> None:
    parts = make_app()
    start_with_key(parts)
    await activate(parts.window)
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "Hello")
    page = ctrl.page
    for where in (
        lambda: page.tier_selector,
        lambda: replies(ctrl)[0].ui.copy_button,
        lambda: replies(ctrl)[0].ui.view,
        lambda: page.composer.stop_button,
    ):
        emulator.queue_faults("stall_mid:5@2")
        send(ctrl, qtbot, "Tell me a story")
        await wait_until(lambda: replies(ctrl)[-1].badge.model is not None)  # it streams
        widget = where()
        widget.setFocus()
        qtbot.keyClick(widget, Qt.Key.Key_Escape)
        await wait_until(lambda: not ctrl.streaming)
        assert replies(ctrl)[-1].status is TurnStatus.STOPPED


# --- every action by keyboard --------------------------------------------------------------------
class _UrlCatcher(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.urls.append(url.toString())


async def test_the_welcome_link_opens_from_the_keyboard(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    from desktop_app.ui.shell.welcome import KEY_URL

    catcher = _UrlCatcher()
    QDesktopServices.setUrlHandler("https", catcher, "open")
    try:
        parts = make_app()
        parts.controller.start()
        await activate(parts.window)
        welcome = parts.window.welcome
        (link,) = [label for label in welcome.findChildren(QLabel) if KEY_URL in label.text()]
        welcome.key_field.setFocus()
        assert press_tab(backward=True) is link  # the link is a Tab stop, just before the key
        qtbot.keyClick(link, Qt.Key.Key_Tab)  # into its link
        qtbot.keyClick(link, Qt.Key.Key_Return)
        assert catcher.urls == [KEY_URL]
    finally:
        QDesktopServices.unsetUrlHandler("https")


@POPUP_WARNINGS
@pytest.mark.parametrize(
    ("key", "mods"),
    [
        (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier),
        (Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier),
    ],
)
async def test_regenerate_with_another_tier_from_the_keyboard(
    make_app: Callable[..., Composition],
    qtbot: QtBot,
    key: Qt.Key,
    mods: Qt.KeyboardModifier,
) -> None:
    parts = make_app()
    start_with_key(parts)
    await activate(parts.window)
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, "Hello")
    regen = replies(ctrl)[0].ui.regen_button
    regen.setFocus()
    qtbot.keyClick(regen, key, mods)
    menu = regen.menu()
    assert isinstance(menu, QMenu)
    await wait_until(menu.isVisible)
    first = menu.actions()[0]
    assert menu.activeAction() is first
    qtbot.keyClick(menu, Qt.Key.Key_Down)
    chosen = menu.activeAction()
    assert chosen is not None and chosen is not first
    label = chosen.text()
    qtbot.keyClick(menu, Qt.Key.Key_Return)
    assert ctrl.streaming  # asked again, with the tier chosen
    assert label == f"With {replies(ctrl)[-1].badge.tier_label}"
    await wait_until(lambda: not ctrl.streaming)
    assert len(replies(ctrl)) == 1


@POPUP_WARNINGS
async def test_the_sidebar_actions_open_from_the_keyboard(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    await finish_turn(parts.tabs.controllers[0], qtbot, "Hello")
    parts.history.toggle()
    await activate(parts.window)
    panel = parts.history.panel
    tree = panel.tree
    await wait_until(lambda: tree.topLevelItemCount() > 0)
    tree.setFocus()
    tree.setCurrentItem(tree.topLevelItem(0).child(0))
    for key, mods in (
        (Qt.Key.Key_Menu, Qt.KeyboardModifier.NoModifier),
        (Qt.Key.Key_F10, Qt.KeyboardModifier.ShiftModifier),
    ):
        qtbot.keyClick(tree, key, mods)
        menus = [m for m in panel.findChildren(QMenu, "history_menu") if m.isVisible()]
        assert len(menus) == 1
        menu = menus[0]
        assert [a.text() for a in menu.actions() if a.text()][:3] == ["Open", "Rename", "Pin"]
        assert menu.activeAction() is menu.actions()[0]
        qtbot.keyClick(menu, Qt.Key.Key_Escape)
        await wait_until(lambda m=menu: not m.isVisible())


async def test_a_code_block_is_copied_from_the_keyboard(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    await activate(parts.window)
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, CODE_PROMPT)
    view = replies(ctrl)[0].ui.view
    assert view.code_blocks()
    copied: list[int] = []
    view.code_copied.connect(copied.append)
    view.setFocus(Qt.FocusReason.TabFocusReason)
    for _ in range(5):  # Tab goes from link to link inside the reply before it leaves it
        if QApplication.focusWidget() is not view or view.textCursor().hasSelection():
            break
        qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is view and view.textCursor().hasSelection()
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert copied == [0]
    assert QApplication.clipboard().text() == view.code_blocks()[0]


async def test_the_sidebar_and_the_dialogs_read_in_order(
    make_app: Callable[..., Composition], qtbot: QtBot
) -> None:
    parts = make_app()
    start_with_key(parts)
    await finish_turn(parts.tabs.controllers[0], qtbot, "Hello")
    parts.history.toggle()
    await activate(parts.window)
    assert check_tab_order(parts.history.panel) == []
    dialog = preferences(parts)
    await activate(dialog)
    assert check_tab_order(dialog) == []
    assert check_contrast(dialog) == []
    dialog.reject()
    account = AccountDialog(KeySource.KEYRING, "sk-test-key-0001", parts.window)
    account.open()
    await activate(account)
    assert check_tab_order(account) == []
    assert check_contrast(account) == []
    account.reject()


# --- large text ----------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1.5, 2.0])
async def test_nothing_is_clipped_at_large_text_down_to_the_minimum_width(
    make_app: Callable[..., Composition], qtbot: QtBot, emulator: EmulatorThread, scale: float
) -> None:
    qapp = QApplication.instance()
    assert isinstance(qapp, QApplication)
    usual = qapp.font()
    font = qapp.font()
    font.setPointSizeF(usual.pointSizeF() * scale)
    qapp.setFont(font)
    parts = make_app()
    start_with_key(parts)
    ctrl = parts.tabs.controllers[0]
    await finish_turn(ctrl, qtbot, CODE_PROMPT)  # a code block with a long line
    emulator.queue_faults("status:429:retry=1")  # a badge with every field: retried, tokens…
    await finish_turn(ctrl, qtbot, "What's the capital of France?")
    w = parts.window
    for width in (1100, w.minimumSizeHint().width()):
        w.resize(width, 760)
        await wait_until(lambda width=width: w.width() == width)
        settle_layouts()  # a badge that took another line is given its height
        QApplication.processEvents()
        assert check_clipping(w) == [], width
        badge = replies(ctrl)[-1].ui.badge
        assert badge is not None and "retried 1×" in badge.text()  # the last field is there
        for entry in ctrl.entries:  # those scrolled out of sight too
            assert check_clipping(entry.ui) == [], width


@pytest.mark.parametrize("scale", [1.0, 1.5, 2.0])
def test_the_composer_grows_with_the_font(qapp: QApplication, scale: float) -> None:
    """Three lines of the prompt show at any font size (72 px at the usual 9-point font)."""
    usual = qapp.font()
    font = qapp.font()
    font.setPointSizeF(usual.pointSizeF() * scale)
    qapp.setFont(font)
    composer = Composer()
    line = composer.input.fontMetrics().lineSpacing()
    assert composer.input.height() >= 3 * line + 2 * composer.input.frameWidth() + 8
    if scale == 1.0:
        assert composer.input.height() == 72
    composer.deleteLater()
