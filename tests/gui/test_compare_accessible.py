"""The comparison view, the workload dialog and the workload tab can be used without seeing
them: every control has an accessible name (an icon-only one a tooltip too), and their own
labels' text contrasts with its background by at least 4.5:1, in both appearances."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QTabBar,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop_app.app import Composition
from desktop_app.emulator.server import EmulatorThread
from desktop_app.services.compare import ColumnSpec
from desktop_app.ui.chat.chat_widgets import TurnBadge
from desktop_app.ui.compare.compare_controller import CompareController
from desktop_app.ui.compare.workload_dialog import WorkloadDialog
from tests.support.gui import start_with_key, wait_until

CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QPlainTextEdit, QAbstractItemView)


def luminance(colour: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    return (
        0.2126 * channel(colour.redF())
        + 0.7152 * channel(colour.greenF())
        + 0.0722 * channel(colour.blueF())
    )


def contrast(a: QColor, b: QColor) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def blend(front: QColor, back: QColor) -> QColor:
    """A translucent text colour as it shows over its background."""
    alpha = front.alphaF()
    return QColor.fromRgbF(
        front.redF() * alpha + back.redF() * (1 - alpha),
        front.greenF() * alpha + back.greenF() * (1 - alpha),
        front.blueF() * alpha + back.blueF() * (1 - alpha),
    )


def internal(widget: QWidget, root: QWidget) -> bool:
    """Parts Qt builds inside its own widgets (a combo box's list, a tab bar's arrows)."""
    if isinstance(widget, QHeaderView) or type(widget).__name__ == "QTableCornerButton":
        return True
    parent = widget.parentWidget()
    while parent is not None and parent is not root:
        if isinstance(parent, QComboBox | QTabBar | QAbstractSpinBox):
            return True
        parent = parent.parentWidget()
    return False


def check_names(root: QWidget) -> list[str]:
    problems = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or internal(widget, root):
            continue
        if not widget.isVisibleTo(root):  # not offered (and not exposed to a screen reader)
            continue
        what = f"{type(widget).__name__} {widget.objectName()!r}"
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if not widget.accessibleName() and not any(ch.isalnum() for ch in text):
            problems.append(f"{what} has no accessible name")
        icon_only = bool(text) and not any(c.isalnum() for c in text)
        if icon_only and not widget.toolTip():
            problems.append(f"{what} shows only an icon and has no tooltip")
    return problems


def check_contrast(root: QWidget) -> list[str]:
    problems = []
    for label in root.findChildren(QLabel):
        if isinstance(label, TurnBadge) or not label.text().strip() or not label.isVisibleTo(root):
            continue
        palette = label.palette()
        back = palette.color(label.backgroundRole())
        front = blend(palette.color(label.foregroundRole()), back)
        ratio = contrast(front, back)
        if ratio < 4.5:
            problems.append(f"label {label.text()[:40]!r}: contrast {ratio:.2f}:1")
    return problems


@pytest.mark.parametrize("theme", ["light", "dark"])
async def test_the_comparison_views_are_named_and_readable(
    make_app: Callable[..., Composition], qtbot: QtBot, theme: str, emulator: EmulatorThread
) -> None:
    parts = make_app(theme=theme)
    start_with_key(parts)
    ctrl = parts.tabs.new_comparison(["budget", "balanced", "premium"])
    assert isinstance(ctrl, CompareController)
    ctrl.page.composer.input.setPlainText("What is 2 + 2?")
    ctrl.page.composer.send_button.click()
    await wait_until(lambda: not ctrl.streaming)
    ctrl.page.blind_toggle.setChecked(True)
    ctrl.send("And 3 + 3?")
    await wait_until(lambda: not ctrl.streaming)  # the vote bar is up now
    assert check_names(ctrl.page) == []
    assert check_contrast(ctrl.page) == []
    ctrl.page.workload_button.click()
    dialog = parts.window.findChild(WorkloadDialog, "workload_dialog")
    assert dialog is not None
    dialog.editor.setPlainText("one\ntwo")
    await wait_until(dialog.run_button.isEnabled)
    assert check_names(dialog) == []
    assert check_contrast(dialog) == []
    dialog.editor.setPlainText("")
    dialog.validate()  # an error, in the error colour
    assert "No prompts yet" in dialog.check.text()
    assert check_contrast(dialog) == []
    dialog.reject()
    columns = [ColumnSpec(0, "budget"), ColumnSpec(1, "premium")]
    emulator.queue_faults("status:402")
    run = parts.tabs.open_workload(columns, ["one", "two"], 1)
    assert run is not None
    await wait_until(lambda: not run.streaming)
    assert check_names(run.page) == []
    assert check_contrast(run.page) == []
    table = run.page.table
    error = table.model().index(0, 2 + 5)  # the first prompt's Budget error: credits
    assert error.data() == "credits"
    base = table.palette().color(QPalette.ColorRole.Base)
    assert contrast(error.data(Qt.ItemDataRole.ForegroundRole).color(), base) >= 4.5
