"""Run Python's cyclic garbage collector on the GUI thread only.

Python collects cycles on whichever thread happens to allocate when a threshold is crossed:
in this app that can be the demo server's thread or an executor thread. If a Python-owned
QObject (a window, a timer) is in such a cycle, Qt destroys it on the wrong thread, its timers
stay registered on the GUI thread, and the next timer tick crashes (seen here:
`QTimerInfoList::activateTimers` → `notifyInternal2` → SIGSEGV). Automatic collection is
therefore switched off and done by a timer on the GUI thread, the usual remedy for Qt apps.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the generations whose allocation counts passed their thresholds."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self._thresholds[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self._timer.stop()
        gc.enable()
