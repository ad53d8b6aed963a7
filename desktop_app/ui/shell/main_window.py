"""The main window: welcome page or conversation tabs, menus, shortcuts and the status bar."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, QTimer, Signal, SignalInstance
from PySide6.QtGui import QAction, QCloseEvent, QKeyEvent, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QWidget,
)

from desktop_app import APP_NAME
from desktop_app.ui.widgets.elided_label import ElidedLabel
from desktop_app.ui.widgets.enum_props import set_enum_property

if TYPE_CHECKING:
    from desktop_app.ui.shell.welcome import WelcomePage


class ConversationTabs(QTabWidget):
    """Closable, movable tabs; double-click renames in place."""

    renamed = Signal(int, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("conversation_tabs")
        self.setAccessibleName("Conversations")
        self.setTabsClosable(True)
        self.setMovable(True)
        self.setDocumentMode(True)
        self.setUsesScrollButtons(True)
        set_enum_property(self, "elideMode", "ElideRight")
        self.tabBarDoubleClicked.connect(self.start_rename)
        self._editor: QLineEdit | None = None

    def tabInserted(self, index: int) -> None:
        super().tabInserted(index)
        self._name_close_button(index)

    def setTabText(self, index: int, text: str) -> None:
        super().setTabText(index, text)
        self._name_close_button(index)

    def _name_close_button(self, index: int) -> None:
        """The close button shows an icon only: it is named after its tab for screen readers
        (its tooltip, Qt's "Close Tab", stays)."""
        bar = self.tabBar()
        for side in (QTabBar.ButtonPosition.RightSide, QTabBar.ButtonPosition.LeftSide):
            button = bar.tabButton(index, side)
            if button is not None:
                title = self.tabText(index).removeprefix("● ")
                button.setAccessibleName(f"Close {title}")

    def start_rename(self, index: int) -> None:
        if index < 0:
            return
        if self._editor is not None:  # a second double-click: one editor at a time
            self._editor.deleteLater()
            self._editor = None
        bar = self.tabBar()
        editor = QLineEdit(bar)
        editor.setObjectName("tab_rename_editor")
        editor.setText(self.tabText(index).removeprefix("● "))
        editor.selectAll()
        editor.setGeometry(bar.tabRect(index))
        page = self.widget(index)
        if page is None:
            return

        def commit() -> None:
            if self._editor is not editor:
                return
            self._editor = None
            title = editor.text().strip()
            editor.deleteLater()
            i = self.indexOf(page)
            if title and i >= 0:
                self.renamed.emit(i, title)

        def cancel() -> None:
            self._editor = None
            editor.deleteLater()

        editor.editingFinished.connect(commit)
        editor.installEventFilter(_EscapeFilter(editor, cancel))
        self._editor = editor
        editor.show()
        editor.setFocus()


class _EscapeFilter(QObject):
    def __init__(self, parent: QObject, on_escape: Callable[[], None]) -> None:
        super().__init__(parent)
        self._on_escape = on_escape

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        from PySide6.QtCore import Qt  # not at import: see enum_props

        if isinstance(event, QKeyEvent) and event.key() == Qt.Key.Key_Escape:
            self._on_escape()
            return True
        return False


NO_PAINT_MS = 1000  # after_first_frame's work runs by then even if the window never paints


class _FirstPaint(QObject):
    """Calls back once, from the event loop, after the window's first paint: start-up work
    that need not delay the first frame (the keyring lookup) runs then."""

    def __init__(self, window: QWidget, callback: Callable[[], None]) -> None:
        super().__init__(window)
        self._callback = callback
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            watched.removeEventFilter(self)
            QTimer.singleShot(0, self._callback)
        return False


class MainWindow(QMainWindow):
    first_painted = Signal()  # once, after the first frame is on screen
    # The welcome page's requests (the page itself is built at first use).
    try_demo = Signal()
    test_key = Signal(str)
    save_key = Signal(str, bool)  # key, remember in the keyring (False: this session only)
    new_tab = Signal()
    new_comparison = Signal()
    close_current_tab = Signal()
    quit_requested = Signal()
    account_requested = Signal()
    preferences_requested = Signal()
    pools_requested = Signal()
    tools_requested = Signal()
    open_log_folder = Signal()
    export_requested = Signal(str)  # "markdown" | "json"
    import_requested = Signal()
    toggle_history = Signal()
    search_requested = Signal()
    statistics_requested = Signal()
    toggle_demo = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self.setWindowTitle(APP_NAME)
        self.resize(1100, 760)
        self.stack = QStackedWidget(self)
        self._welcome: WelcomePage | None = None
        self.tabs = ConversationTabs(self.stack)
        self.stack.addWidget(self.tabs)
        self.setCentralWidget(self.stack)
        # Long status sentences end in "…" rather than widening the window (tooltip: all).
        self.mode_label = ElidedLabel(self)
        self.mode_label.setObjectName("mode_label")
        self.session_label = QLabel(self)
        self.session_label.setObjectName("session_total")
        self.session_label.setAccessibleName("Session total")
        self.statusBar().addWidget(self.mode_label, 1)
        self.statusBar().addPermanentWidget(self.session_label)
        self._allow_close = False
        self._build_menus()
        self._after_first: list[Callable[[], None]] = []
        self._first_frame_shown = False
        self.first_painted.connect(self._first_frame)
        _FirstPaint(self, self.first_painted.emit)
        # A window that never paints (a minimised start) goes on anyway, a second after its
        # event loop starts: the keyring is read and a `--prompt` is sent all the same.
        QTimer.singleShot(0, self, lambda: QTimer.singleShot(NO_PAINT_MS, self, self._first_frame))

    def after_first_frame(self, work: Callable[[], None]) -> None:
        """Run `work` once the first frame is on screen (or NO_PAINT_MS after the event loop
        starts, if the window does not paint), each piece in an event-loop turn of its own:
        start-up work left for then (the keyring, the `Qt` enums, the icon) does not add up to
        one long pause, and input is handled between the pieces."""
        self._after_first.append(work)
        if self._first_frame_shown and len(self._after_first) == 1:
            QTimer.singleShot(0, self, self._next_after_first)

    def _first_frame(self) -> None:
        if self._first_frame_shown:
            return
        self._first_frame_shown = True
        if self._after_first:
            QTimer.singleShot(0, self, self._next_after_first)

    def _next_after_first(self) -> None:
        # Each piece queues the next from inside its turn: Qt leaves what is posted during a
        # pass over the event queue to the next pass, so input waiting now is handled first.
        if not self._after_first:
            return
        work = self._after_first.pop(0)
        try:
            work()
        finally:
            if self._after_first:
                QTimer.singleShot(0, self, self._next_after_first)

    def _action(
        self,
        menu: QMenu,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | None,
        signal: SignalInstance,
    ) -> QAction:
        action = QAction(text, self)
        # setShortcuts, not setShortcut: resolving the latter's overloads builds the whole `Qt`
        # namespace (see enum_props), ~27 ms before the first frame.
        if isinstance(shortcut, QKeySequence):
            action.setShortcuts([shortcut])
        elif shortcut is not None:
            action.setShortcuts(shortcut)
        action.triggered.connect(lambda _checked=False: signal.emit())
        menu.addAction(action)
        self.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self.new_tab_action = self._action(
            file, "&New conversation", QKeySequence("Ctrl+T"), self.new_tab
        )
        self.new_comparison_action = self._action(
            file, "New co&mparison", QKeySequence("Ctrl+Shift+T"), self.new_comparison
        )
        self.close_tab_action = self._action(
            file, "&Close conversation", QKeySequence("Ctrl+W"), self.close_current_tab
        )
        file.addSeparator()
        export_md = QAction("Export as &Markdown…", self)
        export_md.triggered.connect(lambda: self.export_requested.emit("markdown"))
        export_json = QAction("Export as &JSON…", self)
        export_json.triggered.connect(lambda: self.export_requested.emit("json"))
        file.addAction(export_md)
        file.addAction(export_json)
        self._action(file, "&Import JSON…", None, self.import_requested)
        file.addSeparator()
        self._action(file, "&Quit", QKeySequence.StandardKey.Quit, self.quit_requested)

        view = bar.addMenu("&View")
        self.next_tab_action = QAction("&Next conversation", self)
        self.next_tab_action.setShortcuts([QKeySequence("Ctrl+Tab"), QKeySequence("Ctrl+PgDown")])
        self.next_tab_action.triggered.connect(lambda: self._step_tab(1))
        self.prev_tab_action = QAction("&Previous conversation", self)
        self.prev_tab_action.setShortcuts(
            [QKeySequence("Ctrl+Shift+Tab"), QKeySequence("Ctrl+PgUp")]
        )
        self.prev_tab_action.triggered.connect(lambda: self._step_tab(-1))
        for a in (self.next_tab_action, self.prev_tab_action):
            view.addAction(a)
            self.addAction(a)
        view.addSeparator()
        self._action(view, "&History sidebar", QKeySequence("Ctrl+B"), self.toggle_history)
        self._action(view, "&Search history…", QKeySequence("Ctrl+K"), self.search_requested)
        self._action(view, "S&tatistics", QKeySequence("Ctrl+Shift+S"), self.statistics_requested)

        settings = bar.addMenu("&Settings")
        self._action(settings, "&Account and API key…", None, self.account_requested)
        self._action(
            settings,
            "&Preferences…",
            QKeySequence.StandardKey.Preferences,
            self.preferences_requested,
        )
        self._action(settings, "P&ools…", None, self.pools_requested)
        self._action(settings, "&Tools and MCP servers…", None, self.tools_requested)
        self.demo_action = self._action(settings, "&Demo mode", None, self.toggle_demo)
        self.demo_action.setCheckable(True)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "Open &log folder", None, self.open_log_folder)

    def _step_tab(self, step: int) -> None:
        count = self.tabs.count()
        if count:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + step) % count)

    @property
    def welcome(self) -> WelcomePage:
        """The first-run page, built at first use: a returning user's start never needs it
        (~12 ms before the first frame)."""
        if self._welcome is None:
            from desktop_app.ui.shell.welcome import WelcomePage

            page = WelcomePage(self.stack)
            page.try_demo.connect(self.try_demo)
            page.test_key.connect(self.test_key)
            page.save_key.connect(self.save_key)
            self.stack.insertWidget(0, page)  # the page on screen stays on screen
            self._welcome = page
        return self._welcome

    def show_welcome(self) -> None:
        self.stack.setCurrentWidget(self.welcome)
        self.welcome.key_field.setFocus()

    def show_tabs(self) -> None:
        self.stack.setCurrentWidget(self.tabs)

    def set_demo(self, demo: bool) -> None:
        self.setWindowTitle(f"{APP_NAME} — DEMO MODE (local server, no cost)" if demo else APP_NAME)
        self.demo_action.setChecked(demo)

    def allow_close(self) -> None:
        self._allow_close = True

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing goes through the controller, which stops streams and saves first."""
        if self._allow_close:
            event.accept()
            return
        event.ignore()
        self.quit_requested.emit()
