"""The status bar: which server and key are in use (or demo mode, or offline), what today and
this month cost (against the spending limits when they are set), and the message bridge's
sentences with their action buttons."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from datetime import time as day_time
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QPushButton

from desktop_app.secrets import KeySource, mask
from desktop_app.services import format as fmt
from desktop_app.services.connection import Connection
from desktop_app.services.messages import Level, Message, MessageBridge
from desktop_app.services.preferences import SettingsHolder
from desktop_app.services.session import KeySession
from desktop_app.store import HistoryStore, StoreError
from desktop_app.ui.shell.main_window import MainWindow
from desktop_app.ui.widgets.theme import DEMO_COLOUR, ERROR_COLOUR, set_text_colour

if TYPE_CHECKING:
    from desktop_app.services.budget import SpendingGuard

_KEY_ORIGINS = {
    KeySource.ENVIRONMENT: "from EDENAI_API_KEY (this run only)",
    KeySource.KEYRING: "from the system keyring",
    KeySource.SESSION: "for this session only",
}


def day_start(day: date) -> float:
    return datetime.combine(day, day_time.min).timestamp()


def month_start(day: date) -> float:
    return day_start(day.replace(day=1))


class StatusPresenter(QObject):
    def __init__(
        self,
        window: MainWindow,
        session: KeySession,
        connection: Connection,
        store: HistoryStore,
        messages: MessageBridge,
        settings: SettingsHolder | None = None,
        spending: Callable[[], SpendingGuard] | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._session = session
        self._connection = connection
        self._store = store
        self._messages = messages
        self._settings = settings
        self._spending = spending  # built at first use: only when a limit is set
        self.offline = False
        self._action_button: QPushButton | None = None
        self._spend_timer = QTimer(self)  # a burst of finished replies updates the label once
        self._spend_timer.setSingleShot(True)
        self._spend_timer.setInterval(100)
        self._spend_timer.timeout.connect(self.update_spend)
        session.subscribe(self.update)
        messages.connect(self.show_message)
        if settings is not None:
            settings.subscribe(
                lambda old, new: self.spend_changed() if old.spending != new.spending else None
            )

    def set_reachable(self, reachable: bool) -> None:
        if self.offline != (not reachable):
            self.offline = not reachable
            self.update_mode()

    def update(self) -> None:
        self.update_mode()
        self.spend_changed()

    def update_mode(self) -> None:
        w, s = self._window, self._session
        colour = None
        if s.demo:
            mode = "DEMO MODE — a local server answers; nothing is sent to Eden AI, no cost"
            colour = DEMO_COLOUR
        elif self.offline:
            mode = (
                f"Offline: cannot reach {self._connection.host}. Check your network; a message "
                "sent now fails at once with a Retry button."
            )
            colour = ERROR_COLOUR
        elif s.pending:
            mode = "Reading the API key from the system keyring…"
        elif s.key:
            where = _KEY_ORIGINS.get(s.source, "")
            mode = f"Eden AI · {self._connection.base_url} · key {mask(s.key)} {where}"
        else:
            mode = "No API key yet"
        w.mode_label.setText(mode)
        w.mode_label.setToolTip(mode)
        set_text_colour(w.mode_label, colour, bold=colour is not None)

    def spend_changed(self) -> None:
        self._spend_timer.start()

    def update_spend(self) -> None:
        """Today's and this month's spend, named by what they cover (demo replies apart)."""
        today = date.today()
        label = self._window.session_label
        try:
            if self._session.demo:
                demo = self._store.totals(since=day_start(today), demo=True)
                label.setText(f"Demo replies today: {fmt.spend(demo)} (not billed)")
                return
            if self._limited():
                self._update_limited()
                return
            day = self._store.totals(since=day_start(today), demo=False)
            month = self._store.totals(since=month_start(today), demo=False)
        except StoreError as exc:
            label.setText("Spend unavailable")
            label.setToolTip(f"Your history could not be read: {exc}")
            return
        label.setText(f"Today: {fmt.spend(day)} · This month: {fmt.spend(month)}")
        label.setToolTip(
            f"Replies today: {day.turns:,}; this month: {month.turns:,}. "
            "Demo replies are not counted."
        )

    def _limited(self) -> bool:
        if self._settings is None or self._spending is None:
            return False
        spending = self._settings.current.spending
        return spending.daily_limit_usd is not None or spending.monthly_limit_usd is not None

    def _update_limited(self) -> None:
        """Spend against the limits ("Today $0.42 of $1.00"), and the notice once per period
        when the spend reaches the warning threshold."""
        from desktop_app.services.budget import status_text

        assert self._spending is not None
        guard = self._spending()
        status = guard.status()
        text, tip = status_text(status)
        label = self._window.session_label
        label.setText(text)
        label.setToolTip(tip)
        for notice in guard.notices(status):
            self._messages.warning(notice)

    def show_message(self, message: Message) -> None:
        bar = self._window.statusBar()
        if self._action_button is not None:
            bar.removeWidget(self._action_button)
            self._action_button.deleteLater()
            self._action_button = None
        bar.showMessage(message.text, int(message.seconds * 1000))
        if message.action is not None:
            action = message.action
            button = QPushButton(action.label, bar)
            button.setObjectName(action.name)
            button.setAccessibleName(action.label)
            button.clicked.connect(lambda: self._run(action.run, button))
            bar.addPermanentWidget(button)
            self._action_button = button
            QTimer.singleShot(int(message.seconds * 1000), button, lambda: self._drop(button))
        if message.level is Level.ERROR:
            bar.setToolTip(message.text)

    def _run(self, run: object, button: QPushButton) -> None:
        self._drop(button)
        if callable(run):
            run()

    def _drop(self, button: QPushButton) -> None:
        if self._action_button is button:
            self._window.statusBar().removeWidget(button)
            button.deleteLater()
            self._action_button = None
