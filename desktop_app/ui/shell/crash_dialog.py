"""What the user sees instead of a silent exit: a redacted, copyable report."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)


class CrashDialog(QDialog):
    def __init__(self, report: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crash_dialog")
        self.setWindowTitle("RouteChat hit a problem")
        self.resize(640, 420)
        lay = QVBoxLayout(self)
        intro = QLabel(
            "Something went wrong inside RouteChat. Your conversations are saved. The report "
            "below has no API key in it; copy it into a bug report if you like. RouteChat keeps "
            "running, but restarting it is the safest choice."
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        self.text = QPlainTextEdit(report, self)
        self.text.setReadOnly(True)
        self.text.setObjectName("crash_report")
        lay.addWidget(self.text, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        copy = QPushButton("Copy report", self)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(report))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        lay.addWidget(buttons)
