"""Tool calls inside a reply: a compact block per call (collapsed by default, expandable), the
inline approval panel (tool, server and the arguments in full; never a modal dialog), and the
tab's Tools switch.

Widgets draw a call's state and emit the user's answer; the conversation controller decides.
The Qt-free tool types are imported only where a block needs them: a restored tab without
tool calls never loads them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.widgets.enum_props import set_enum_property
from desktop_app.ui.widgets.theme import set_text_colour

if TYPE_CHECKING:
    from desktop_app.services.tools.specs import ToolOutcome

PANEL_NAME = "tool_panel"
MAX_TEXT_LINES = 14  # arguments and results taller than this scroll inside their box

_STATE_WORDS = {
    "pending": "waiting to run",
    "waiting": "waiting for your approval",
    "running": "running…",
    "done": "done",
    "failed": "failed",
    "denied": "denied",
    "stopped": "stopped",
}
_DECISION_LABELS = {  # (button text, accessible description)
    "once": ("Allow &once", "Run this call now, and ask again next time"),
    "conversation": (
        "Always allow in this &conversation",
        "Run this tool without asking for the rest of this conversation",
    ),
    "always": (
        "&Always allow this tool",
        "Run this tool without asking from now on (revocable in Settings → Tools)",
    ),
    "deny": ("&Deny", "Do not run it; the model is told that you declined"),
}

BLOCK_STYLE = """
QFrame#tool_block { border: 1px solid palette(mid); border-radius: 6px; }
QFrame#tool_approval { border: 2px solid palette(highlight); border-radius: 6px; }
QToolButton#tool_header { border: none; text-align: left; padding: 2px; }
"""


def duration_text(ms: float | None) -> str:
    if ms is None:
        return ""
    if ms < 1:
        return "<1 ms"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _state(outcome: ToolOutcome) -> str:
    return str(outcome.state.value if hasattr(outcome.state, "value") else outcome.state)


def _where(outcome: ToolOutcome) -> str:
    return f"MCP server {outcome.server}" if outcome.server else "built in"


class _TextBox(QPlainTextEdit):
    """Read-only, selectable, monospaced, as tall as its text up to MAX_TEXT_LINES."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setAccessibleName(name)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        set_enum_property(self, "lineWrapMode", "WidgetWidth")
        self.setTabChangesFocus(True)

    def show_text(self, text: str) -> None:
        if text != self.toPlainText():
            self.setPlainText(text)
        lines = min(max(text.count("\n") + 1, 1), MAX_TEXT_LINES)
        height = self.fontMetrics().lineSpacing() * lines + 12
        self.setFixedHeight(height)


class ToolBlock(QFrame):
    """One tool call: a one-line header (tool · state · result · time) that expands to the
    full arguments, result, duration and who approved it; the approval panel when asked."""

    answered = Signal(object)  # an Approval

    def __init__(self, outcome: ToolOutcome, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tool_block")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.outcome = outcome
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 4)
        layout.setSpacing(2)
        self.header = QToolButton(self)
        self.header.setObjectName("tool_header")
        self.header.setCheckable(True)
        self.header.setAutoRaise(True)
        set_enum_property(self.header, "toolButtonStyle", "ToolButtonTextOnly")
        self.header.setToolTip("Show or hide the arguments and the result")
        self.header.toggled.connect(self._set_expanded)
        layout.addWidget(self.header)
        self.details = QWidget(self)
        self.details.setObjectName("tool_details")
        grid = QVBoxLayout(self.details)
        grid.setContentsMargins(14, 0, 0, 0)
        grid.setSpacing(2)
        self.where_label = QLabel(self.details)
        self.where_label.setWordWrap(True)
        set_enum_property(self.where_label, "textInteractionFlags", "TextSelectableByMouse")
        grid.addWidget(self.where_label)
        args_label = QLabel("Arguments:", self.details)
        grid.addWidget(args_label)
        self.arguments = _TextBox("Tool arguments", self.details)
        args_label.setBuddy(self.arguments)
        grid.addWidget(self.arguments)
        self.result_label = QLabel("Result:", self.details)
        grid.addWidget(self.result_label)
        self.result = _TextBox("Tool result", self.details)
        self.result_label.setBuddy(self.result)
        grid.addWidget(self.result)
        self.approval_label = QLabel(self.details)
        self.approval_label.setWordWrap(True)
        set_text_colour(self.approval_label, role=QPalette.ColorRole.WindowText)
        grid.addWidget(self.approval_label)
        layout.addWidget(self.details)
        self.details.setVisible(False)
        self.approval: ApprovalPanel | None = None
        self.setStyleSheet(BLOCK_STYLE)
        self.update_from(outcome)

    @property
    def expanded(self) -> bool:
        return self.header.isChecked()

    def _set_expanded(self, on: bool) -> None:
        self.details.setVisible(on)
        self._refresh_header()

    def set_expanded(self, on: bool) -> None:
        self.header.setChecked(on)

    def _refresh_header(self) -> None:
        o = self.outcome
        state = _state(o)
        parts = [o.key or o.name]
        if state in ("done", "failed") and o.result:
            first = " ".join(o.result.split())
            parts.append(first if len(first) <= 60 else first[:59] + "…")
        else:
            parts.append(_STATE_WORDS.get(state, state))
        if o.duration_ms is not None:
            parts.append(duration_text(o.duration_ms))
        arrow = "▾" if self.expanded else "▸"
        text = f"{arrow} " + " · ".join(parts)
        if state == "failed":
            text = f"{arrow} {o.key or o.name} failed · " + " · ".join(parts[1:])
        self.header.setText(text)
        self.header.setAccessibleName(
            f"Tool call {o.key or o.name}: {_STATE_WORDS.get(state, state)}"
            + (", expanded" if self.expanded else ", collapsed")
        )

    def update_from(self, outcome: ToolOutcome) -> None:
        self.outcome = outcome
        o = outcome
        state = _state(o)
        self._refresh_header()
        where = f"Tool: {o.key or o.name} ({_where(o)})"
        if o.spec is None and o.key is None and state == "failed":
            where = f"Tool: {o.name} (not a tool RouteChat offered)"
        self.where_label.setText(where)
        self.arguments.show_text(o.pretty_arguments())
        show_result = state not in ("pending", "waiting", "running")
        self.result_label.setVisible(show_result)
        self.result.setVisible(show_result)
        if show_result:
            self.result.show_text(o.result)
        words = []
        if o.approval:
            words.append(("Approved by: " if o.approved else "Approval: ") + o.approval)
        if o.duration_ms is not None:
            words.append(f"Took {duration_text(o.duration_ms)}")
        self.approval_label.setText(" · ".join(words))
        self.approval_label.setVisible(bool(words))

    def ask(self, choices: Sequence[str], *, pick_file: bool = False) -> ApprovalPanel:
        """Show the approval panel (details expanded: nothing hidden) and focus it."""
        self.close_approval()
        self.set_expanded(True)
        panel = ApprovalPanel(self.outcome, choices, pick_file=pick_file, parent=self)
        panel.answered.connect(self.answered.emit)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, panel)
        self.approval = panel
        panel.focus_first()
        return panel

    def close_approval(self) -> None:
        if self.approval is not None:
            self.approval.setVisible(False)
            self.approval.deleteLater()
            self.approval = None


class ApprovalPanel(QFrame):
    """Run this tool? The tool, where it runs and what it is given, with one button per
    choice. Keyboard: the buttons are in the tab order and have mnemonics."""

    answered = Signal(object)  # an Approval

    def __init__(
        self,
        outcome: ToolOutcome,
        choices: Sequence[str],
        *,
        pick_file: bool = False,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("tool_approval")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName("Approve a tool call")
        self._outcome = outcome
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        name = outcome.key or outcome.name
        title = QLabel(f"Run {name} ({_where(outcome)})?", self)
        font = QFont(title.font())
        font.setBold(True)
        title.setFont(font)
        title.setWordWrap(True)
        layout.addWidget(title)
        self.title = title
        hint = (
            "The model asks to read this file (read-only). Check the exact path below, or pick "
            "another file."
            if pick_file
            else "Check its arguments below: it runs with exactly these."
        )
        note = QLabel(hint, self)
        note.setWordWrap(True)
        layout.addWidget(note)
        row = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for choice in choices:
            text, description = _DECISION_LABELS[choice]
            button = QPushButton(text, self)
            button.setObjectName(f"approve_{choice}")
            button.setToolTip(description)
            button.setAccessibleName(text.replace("&", ""))
            button.setAccessibleDescription(description)
            button.clicked.connect(lambda _c=False, c=choice: self._answer(c))
            row.addWidget(button)
            self.buttons[choice] = button
        if pick_file:
            pick = QPushButton("&Choose another file…", self)
            pick.setObjectName("approve_pick_file")
            pick.setToolTip("Pick the file to read instead; it is read once, read-only")
            pick.setAccessibleName("Choose another file")
            pick.clicked.connect(self._pick_file)
            row.addWidget(pick)
            self.buttons["pick"] = pick
        row.addStretch(1)
        layout.addLayout(row)
        self._dialog: QFileDialog | None = None

    def focus_first(self) -> None:
        first = next(iter(self.buttons.values()), None)
        if first is not None:
            first.setFocus()

    def _answer(self, choice: str, arguments: dict[str, Any] | None = None) -> None:
        from desktop_app.services.tools.specs import Approval, Decision

        for button in self.buttons.values():
            button.setEnabled(False)
        self.answered.emit(Approval(Decision(choice), arguments))

    def _pick_file(self) -> None:
        dialog = QFileDialog(self, "Choose the file the model may read")
        dialog.setObjectName("tool_file_dialog")
        set_enum_property(dialog, "fileMode", "ExistingFile")
        dialog.fileSelected.connect(lambda path: self._answer("once", {"path": path}))
        self._dialog = dialog
        dialog.open()


class ToolPanel(QWidget):
    """A reply's tool calls, round by round, above its text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(PANEL_NAME)
        self.setAccessibleName("Tool calls")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 4)
        layout.setSpacing(4)
        self.blocks: dict[str, ToolBlock] = {}

    def add_round(self, text: str, outcomes: Sequence[ToolOutcome]) -> list[ToolBlock]:
        layout = self.layout()
        assert layout is not None
        if text.strip():
            said = QLabel(text.strip(), self)
            said.setObjectName("tool_round_text")
            said.setWordWrap(True)
            set_enum_property(said, "textInteractionFlags", "TextSelectableByMouse")
            layout.addWidget(said)
        blocks = []
        for outcome in outcomes:
            block = ToolBlock(outcome, self)
            layout.addWidget(block)
            self.blocks[outcome.call_id] = block
            blocks.append(block)
        return blocks

    def update(self, outcome: ToolOutcome) -> None:  # type: ignore[override]
        block = self.blocks.get(outcome.call_id)
        if block is not None:
            block.update_from(outcome)


def tool_panel(message: QWidget, create: bool = True) -> ToolPanel | None:
    """The tool panel of a reply's widget (made above its text when `create`)."""
    found = message.findChild(ToolPanel, PANEL_NAME)
    if found is not None or not create:
        return found
    panel = ToolPanel(message)
    layout = message.layout()
    view = getattr(message, "view", None)
    assert isinstance(layout, QVBoxLayout) and isinstance(view, QWidget)
    layout.insertWidget(layout.indexOf(view), panel)
    return panel


class ToolsToggle(QToolButton):
    """The tab's Tools switch: whether this conversation's replies may call tools."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("tools_toggle")
        self.setText("Tools")
        self.setCheckable(True)
        self.setAccessibleName("Tools for this conversation")
        self.setToolTip(
            "Let the model call the tools enabled in Settings → Tools in this conversation "
            "(routes among tool-capable models only)"
        )
        self.toggled.connect(self._describe)
        self._describe(False)

    def _describe(self, on: bool) -> None:
        self.setText("Tools: on" if on else "Tools: off")
        self.setAccessibleDescription("on" if on else "off")


__all__ = [
    "ApprovalPanel",
    "ToolBlock",
    "ToolPanel",
    "ToolsToggle",
    "duration_text",
    "tool_panel",
]
