"""Routes crash reports from any thread to a dialog on the GUI thread.

Kept apart from the dialog so that start-up loads only a QObject and a signal; the dialog's
widgets are imported when a report first arrives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:
    from desktop_app.ui.shell.crash_dialog import CrashDialog


class CrashReporter(QObject):
    """Receives reports from any thread and shows them on the GUI thread, never inside the
    code that failed: a report from another thread arrives queued (the automatic connection),
    and one from the GUI thread is shown from the event loop."""

    report = Signal(str)

    def __init__(self, parent_window: QWidget) -> None:
        super().__init__(parent_window)
        self._window = parent_window
        self.dialogs: list[CrashDialog] = []
        self.report.connect(self._queue)

    @Slot(str)  # a real slot: emitted on another thread, the call is queued to this one
    def _queue(self, text: str) -> None:
        QTimer.singleShot(0, self, lambda: self._show(text))

    def _show(self, text: str) -> None:
        from desktop_app.ui.shell.crash_dialog import CrashDialog

        dialog = CrashDialog(text, self._window)
        self.dialogs.append(dialog)
        dialog.finished.connect(lambda _r, d=dialog: self.dialogs.remove(d))
        dialog.open()
