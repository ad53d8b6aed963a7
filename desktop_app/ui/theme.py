"""Light and dark appearance; 'system' follows the platform's colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

STYLE = """
QFrame#user_message { border: none; border-radius: 8px; background: palette(alternate-base); }
QFrame#assistant_message { border: 1px solid palette(midlight); border-radius: 8px; }
QLabel#message_role { font-weight: bold; }
QLabel#turn_badge { color: palette(dark); padding-top: 2px; }
QPushButton#jump_to_latest { border-radius: 10px; padding: 4px 10px; }
"""


def _dark_palette() -> QPalette:
    p = QPalette()
    base, window, text = QColor(30, 31, 34), QColor(43, 45, 48), QColor(223, 225, 229)
    p.setColor(QPalette.ColorRole.Window, window)
    p.setColor(QPalette.ColorRole.WindowText, text)
    p.setColor(QPalette.ColorRole.Base, base)
    p.setColor(QPalette.ColorRole.AlternateBase, QColor(50, 53, 58))
    p.setColor(QPalette.ColorRole.Text, text)
    p.setColor(QPalette.ColorRole.Button, window)
    p.setColor(QPalette.ColorRole.ButtonText, text)
    p.setColor(QPalette.ColorRole.ToolTipBase, base)
    p.setColor(QPalette.ColorRole.ToolTipText, text)
    p.setColor(QPalette.ColorRole.Highlight, QColor(53, 132, 228))
    p.setColor(QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))
    p.setColor(QPalette.ColorRole.Link, QColor(138, 180, 248))
    p.setColor(QPalette.ColorRole.PlaceholderText, QColor(140, 143, 150))
    p.setColor(QPalette.ColorRole.Mid, QColor(120, 123, 130))
    p.setColor(QPalette.ColorRole.Midlight, QColor(70, 73, 78))
    p.setColor(QPalette.ColorRole.Dark, QColor(160, 163, 170))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(120, 123, 130))
    return p


def system_is_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str) -> bool:
    """Apply 'light', 'dark' or 'system'; returns whether the result is dark."""
    app.setStyle("Fusion")
    dark = theme == "dark" or (theme == "system" and system_is_dark(app))
    app.setPalette(_dark_palette() if dark else app.style().standardPalette())
    app.setStyleSheet(STYLE)
    return dark
