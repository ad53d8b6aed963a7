"""A comparison tab: a toolbar, 2-4 columns side by side (stacked as tabs when the window is
narrow), the round's summary strip, blind mode's vote bar and one composer.

Widgets draw state and emit what the user asked for; `CompareController` decides.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QResizeEvent, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.routing.tiers import Tier
from desktop_app.services.compare import LABELS, MAX_COLUMNS
from desktop_app.ui.chat.chat_widgets import ChatView, Composer, MessageWidget
from desktop_app.ui.chat.conversation_page import TierSelector
from desktop_app.ui.widgets.theme import set_text_colour

NARROW_PX = 900  # under this width the columns stack as tabs
SUMMARY_HINT = (
    "After each round: the cheapest column, the fastest first token and total, and each "
    "column's cost as a multiple of the cheapest."
)
BLIND_NOTE = "Blind mode: costs, models and tiers are shown once you vote."


def _italic(label: QLabel) -> None:
    font = label.font()
    font.setItalic(True)
    label.setFont(font)


def _tool(parent: QWidget, text: str, tip: str, name: str) -> QToolButton:
    """A small icon-like button: its tooltip and accessible name say what it does."""
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(tip)
    button.setAccessibleName(tip)
    button.setObjectName(name)
    button.setAutoRaise(True)
    return button


class ColumnChatView(ChatView):
    """A column's thread: narrow, so the badges under the answers wrap rather than being cut
    short (a column holds few messages: the wrapping's layout cost does not add up)."""

    def add(self, widget: MessageWidget) -> None:
        self._fit(widget)
        super().add(widget)

    def insert(self, index: int, widget: MessageWidget) -> None:
        self._fit(widget)
        super().insert(index, widget)

    @staticmethod
    def _fit(widget: MessageWidget) -> None:
        if widget.badge is not None:
            widget.badge.setWordWrap(True)
            widget.badge.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Minimum)


class CompareColumn(QFrame):
    """One column: its name and tier, its own thread, Stop and Continue with this."""

    tier_changed = Signal(str)
    move_requested = Signal(int)  # -1: one place left, +1: right
    remove_requested = Signal()
    stop_requested = Signal()
    continue_requested = Signal()

    def __init__(self, tiers: Iterable[Tier], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compare_column")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setMinimumWidth(220)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(2)
        header = QHBoxLayout()
        header.setContentsMargins(8, 0, 4, 0)
        self.name_label = QLabel(self)
        self.name_label.setObjectName("column_name")
        set_text_colour(self.name_label, bold=True)
        header.addWidget(self.name_label)
        self.tier_selector = TierSelector(tiers, self)
        self.tier_selector.setObjectName("column_tier_selector")
        self.tier_selector.setMinimumContentsLength(10)
        self.tier_selector.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        header.addWidget(self.tier_selector, 1)
        self.hidden_label = QLabel("Tier and model hidden until you vote", self)
        self.hidden_label.setObjectName("column_hidden")
        _italic(self.hidden_label)  # the text colour: a placeholder's grey is too faint
        self.hidden_label.setVisible(False)
        header.addWidget(self.hidden_label, 1)
        self.left_button = _tool(self, "◀", "Move this column left", "column_left")
        self.right_button = _tool(self, "▶", "Move this column right", "column_right")
        self.remove_button = _tool(self, "✕", "Remove this column", "column_remove")
        for button in (self.left_button, self.right_button, self.remove_button):
            header.addWidget(button)
        layout.addLayout(header)
        self.chat = ColumnChatView(self)
        layout.addWidget(self.chat, 1)
        footer = QHBoxLayout()
        footer.setContentsMargins(8, 0, 8, 0)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("column_stop_button")
        self.stop_button.setEnabled(False)
        footer.addWidget(self.stop_button)
        footer.addStretch(1)
        self.continue_button = QPushButton("Continue with this", self)
        self.continue_button.setObjectName("continue_button")
        self.continue_button.setEnabled(False)
        footer.addWidget(self.continue_button)
        layout.addLayout(footer)
        self.tier_selector.currentIndexChanged.connect(self._emit_tier)
        self.left_button.clicked.connect(lambda: self.move_requested.emit(-1))
        self.right_button.clicked.connect(lambda: self.move_requested.emit(1))
        self.remove_button.clicked.connect(self.remove_requested.emit)
        self.stop_button.clicked.connect(self.stop_requested.emit)
        self.continue_button.clicked.connect(self.continue_requested.emit)

    def _emit_tier(self) -> None:
        tier_id = self.tier_selector.current_tier_id()
        if tier_id:
            self.tier_changed.emit(tier_id)

    def set_name(self, letter: str | None, spoken: str) -> None:
        """Blind mode's letter in the header (none otherwise: the tier selector names the
        column); `spoken` is the name the buttons' accessible names use."""
        self.name_label.setText(letter or "")
        self.name_label.setVisible(bool(letter))
        self.tier_selector.setAccessibleName(f"Tier of column {spoken}")
        self.stop_button.setAccessibleName(f"Stop column {spoken}")
        self.stop_button.setToolTip(f"Stop column {spoken}; what arrived is kept")
        self.continue_button.setAccessibleName(f"Continue with column {spoken}")
        self.continue_button.setToolTip(
            f"Open column {spoken}'s thread as a conversation of its own; the comparison keeps "
            "every column"
        )

    def set_hidden(self, hidden: bool) -> None:
        """Blind mode before the vote: the tier is not shown."""
        self.tier_selector.setVisible(not hidden)
        self.hidden_label.setVisible(hidden)

    def set_position(self, index: int, count: int, busy: bool) -> None:
        self.setObjectName(f"compare_column_{index}")
        self.left_button.setEnabled(index > 0 and not busy)
        self.right_button.setEnabled(index < count - 1 and not busy)
        self.remove_button.setEnabled(count > 2 and not busy)


class VoteBar(QFrame):
    """Blind mode: which answer was better, once every column has answered."""

    voted = Signal(str)  # "a".."d", "tie" or "bad"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("vote_bar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 4)
        question = QLabel("Which answer is better?", self)
        set_text_colour(question, bold=True)
        layout.addWidget(question)
        self.buttons: dict[str, QPushButton] = {}
        for letter in LABELS.lower():
            self._add(layout, letter, f"&{letter.upper()} is better", f"Answer {letter.upper()}")
        self._add(layout, "tie", "&Tie", "The answers are as good as each other")
        self._add(layout, "bad", "All &bad", "None of the answers is good")
        layout.addStretch(1)

    def _add(self, layout: QHBoxLayout, choice: str, text: str, tip: str) -> None:
        button = QPushButton(text, self)
        button.setObjectName(f"vote_{choice}")
        button.setToolTip(tip if choice in ("tie", "bad") else f"{tip} is better")
        button.setAccessibleName(text.replace("&", ""))
        button.clicked.connect(lambda: self.voted.emit(choice))
        layout.addWidget(button)
        self.buttons[choice] = button

    def set_count(self, count: int) -> None:
        for i, letter in enumerate(LABELS.lower()):
            self.buttons[letter].setVisible(i < count)


class ComparePage(QWidget):
    """The comparison tab's page: toolbar, columns, summary strip, vote bar, composer."""

    shown = Signal()
    narrow_toggled = Signal(bool)  # the columns moved between side by side and tabs
    preset_chosen = Signal(int)  # index into services.compare.PRESETS
    add_column = Signal()
    workload_requested = Signal()
    stop_all = Signal()

    def __init__(self, presets: Sequence[str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compare_view")
        self.setAccessibleName("Comparison")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        bar = QHBoxLayout()
        bar.setContentsMargins(12, 8, 12, 0)
        self.presets_button = QToolButton(self)
        self.presets_button.setObjectName("compare_presets")
        self.presets_button.setText("Columns")
        self.presets_button.setToolTip("Choose a set of columns, or add one")
        self.presets_button.setAccessibleName("Column presets")
        self.presets_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.presets_button)
        for i, name in enumerate(presets):
            action = menu.addAction(name)
            action.triggered.connect(lambda _c=False, n=i: self.preset_chosen.emit(n))
        menu.addSeparator()
        self.add_action = QAction("Add a column", menu)
        self.add_action.triggered.connect(self.add_column.emit)
        menu.addAction(self.add_action)
        self.presets_button.setMenu(menu)
        bar.addWidget(self.presets_button)
        self.add_button = QPushButton("+ Column", self)
        self.add_button.setObjectName("compare_add_column")
        self.add_button.setToolTip(f"Add a column (up to {MAX_COLUMNS})")
        self.add_button.setAccessibleName("Add a column")
        self.add_button.clicked.connect(self.add_column.emit)
        bar.addWidget(self.add_button)
        self.blind_toggle = QCheckBox("&Blind", self)
        self.blind_toggle.setObjectName("blind_toggle")
        self.blind_toggle.setAccessibleName("Blind mode")
        self.blind_toggle.setToolTip(
            "Blind mode: the columns are shuffled and labelled A–D, and their models, tiers "
            "and costs stay hidden until you vote"
        )
        bar.addWidget(self.blind_toggle)
        self.workload_button = QPushButton("Run a &workload…", self)
        self.workload_button.setObjectName("workload_button")
        self.workload_button.setAccessibleName("Run a workload")
        self.workload_button.setToolTip(
            "Send a list of prompts through these columns and compare them in a table"
        )
        self.workload_button.clicked.connect(self.workload_requested.emit)
        bar.addWidget(self.workload_button)
        bar.addStretch(1)
        self.total_label = QLabel(self)
        self.total_label.setObjectName("conversation_total")
        self.total_label.setAccessibleName("Comparison total")
        bar.addWidget(self.total_label)
        layout.addLayout(bar)

        self.body = QStackedWidget(self)
        self.splitter = QSplitter(self.body)
        self.splitter.setObjectName("compare_splitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setHandleWidth(6)
        self.tabs = QTabWidget(self.body)
        self.tabs.setObjectName("compare_tabs")
        self.tabs.setAccessibleName("Columns")
        self.tabs.setDocumentMode(True)
        self.body.addWidget(self.splitter)
        self.body.addWidget(self.tabs)
        layout.addWidget(self.body, 1)

        self.summary = QLabel(self)
        self.summary.setObjectName("compare_summary")
        self.summary.setAccessibleName("Round summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.summary.setContentsMargins(12, 2, 12, 2)
        # Always there, two lines tall: showing it (or a longer summary) would lay out every
        # column's long thread again, ~20-30 ms as a round ends.
        self.summary.setMinimumHeight(2 * self.fontMetrics().lineSpacing() + 6)
        layout.addWidget(self.summary)
        self.set_summary(None)
        self.vote_bar = VoteBar(self)
        self.vote_bar.setVisible(False)
        layout.addWidget(self.vote_bar)
        self.composer = Composer(self)
        self.composer.send_button.setAccessibleName("Send to every column")
        self.composer.stop_button.setAccessibleName("Stop every column")
        self.composer.stop_button.setToolTip("Stop every column (Esc); what arrived is kept")
        self.composer.input.setPlaceholderText(
            "Ask every column at once…  (Enter sends, Shift+Enter for a new line)"
        )
        layout.addWidget(self.composer)
        self.composer.stop.connect(self.stop_all.emit)
        escape = QShortcut(QKeySequence("Esc"), self)
        escape.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        escape.activated.connect(self.stop_all.emit)
        self.columns: list[CompareColumn] = []
        self.narrow = False

    # --- columns -----------------------------------------------------------------------------
    def set_columns(self, columns: Sequence[CompareColumn]) -> None:
        """Show these columns in this order (side by side, or as tabs when narrow)."""
        self.columns = list(columns)
        self._place()

    def _place(self) -> None:
        if self.narrow:
            self.tabs.blockSignals(True)
            current = self.tabs.currentWidget()
            while self.tabs.count():
                self.tabs.removeTab(0)
            for column in self.columns:
                self.tabs.addTab(column, column.name_label.text())
            if current in self.columns:
                self.tabs.setCurrentWidget(current)
            self.tabs.blockSignals(False)
            self.body.setCurrentWidget(self.tabs)
        else:
            for i, column in enumerate(self.columns):
                self.splitter.insertWidget(i, column)
            for i in range(self.splitter.count()):  # equal widths
                self.splitter.setStretchFactor(i, 1)
            self.splitter.setSizes([10_000] * len(self.columns))
            self.body.setCurrentWidget(self.splitter)
        for column in self.columns:
            column.show()

    def set_tab_text(self, column: CompareColumn, text: str) -> None:
        """A stacked column's tab: its name and the latest answer's short badge."""
        index = self.tabs.indexOf(column)
        if index >= 0:
            self.tabs.setTabText(index, text)
            self.tabs.setTabToolTip(index, text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        narrow = event.size().width() < NARROW_PX
        if narrow != self.narrow:
            self.narrow = narrow
            self._place()
            self.narrow_toggled.emit(narrow)

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.shown.emit()

    def set_summary(self, parts: Sequence[str] | None, note: str = SUMMARY_HINT) -> None:
        """The round in a few phrases (what comes before a phrase's colon in bold), or `note`
        when there is no summary to show."""
        if not parts:
            self.summary.setText(f"<i>{html.escape(note)}</i>")
            self.summary.setAccessibleDescription(note)
            return
        shown = []
        for part in parts:
            head, colon, rest = part.partition(": ")
            if colon:
                shown.append(f"<b>{html.escape(head)}:</b> {html.escape(rest)}")
            else:
                shown.append(html.escape(part))
        self.summary.setText(" · ".join(shown))
        self.summary.setAccessibleDescription(" · ".join(parts))
