"""Widgets of a conversation: message bubbles, the turn badge, the chat view and the composer.

Widgets draw state and emit what the user asked for; controllers decide what happens.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QEvent, Signal, SignalInstance
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QKeyEvent, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.api.events import CostSource, RoutingInfo, TurnStatus
from desktop_app.render.markdown import MarkdownRenderer
from desktop_app.services import format as fmt
from desktop_app.ui.chat.badge_routing import routing_parts, routing_spoken, routing_tips
from desktop_app.ui.chat.message_view import MessageView, settle_layouts
from desktop_app.ui.widgets.enum_props import set_enum_property
from desktop_app.ui.widgets.menu_button import MENU_KEYS_HINT, MenuToolButton
from desktop_app.ui.widgets.theme import (
    CHAT_STYLE,
    DEMO_COLOUR,
    ERROR_COLOUR,
    JUMP_BUTTON_STYLE,
    WARNING_COLOUR,
    set_text_colour,
)

FOCUS_GROUP = "focus_group"  # a widget whose focus stops read as one unit (tests/support/a11y)


@dataclass
class BadgeState:
    """What a reply's badge shows; the controller fills it as the stream goes."""

    model: str | None = None
    tier_label: str | None = None
    candidates: tuple[str, ...] | None = None
    requested_model: str | None = None
    cost_usd: float | None = None
    cost_source: CostSource = CostSource.UNKNOWN
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    ttft_ms: float | None = None
    total_ms: float | None = None
    streaming: bool = False
    status: TurnStatus | None = None
    retries: int = 0
    fallback: bool = False
    demo: bool = False
    routing: RoutingInfo | None = None  # how the router chose (edenai_metadata)
    budget_knob: int | None = None  # quality/cost the spending limit asked for
    requests: int = 1  # a tool loop's requests (the first routed, the rest pinned)

    @property
    def model_text(self) -> str:
        if self.model:
            return self.model
        if self.streaming:
            return "routing…"
        return "no answer" if self.status is TurnStatus.FAILED else "unknown model"

    def spoken(self) -> str:
        """All the badge says, in words a screen reader reads well (no '·', '≈' or '—')."""
        s = self
        words = [f"Model {s.model_text.rstrip('…')}"]
        if s.fallback:
            words.append("answered by the fallback model")
        if s.demo:
            words.append("DEMO, not billed")
        words += routing_spoken(s.routing, s.budget_knob)
        if not s.streaming or s.cost_usd is not None:
            cost = fmt.spoken_money(s.cost_usd, s.cost_source)
            words.append(cost if cost.startswith("cost") else f"cost {cost}")
        if s.prompt_tokens is not None or s.completion_tokens is not None:

            def n(v: int | None) -> str:
                return "unknown" if v is None else f"{v:,}"

            words.append(f"{n(s.prompt_tokens)} tokens in, {n(s.completion_tokens)} tokens out")
        if s.ttft_ms is not None:
            words.append(f"first token {fmt.spoken_duration(s.ttft_ms)}")
        if not s.streaming:
            words.append(f"total {fmt.spoken_duration(s.total_ms)}")
        if s.requests > 1:
            routed = not s.requested_model or s.requested_model == "@edenai"
            pinned = ", the routed model pinned for all of them" if routed else ""
            words.append(f"{s.requests} requests{pinned}")
        if s.retries:
            words.append(f"retried {s.retries} time{'s' if s.retries != 1 else ''}")
        if s.status in (TurnStatus.STOPPED, TurnStatus.INTERRUPTED):
            words.append(s.status.value)
        return ", ".join(words)


_SEPARATOR = " · "


class TurnBadge(QLabel):
    """Routed model · cost · tokens · time to first token · total time.

    Screen readers get all of it in words: as the badge's accessible name, and as the
    accessible description of the reply's text (`describes`), the message's focus stop.
    """

    def __init__(self, parent: QWidget | None = None, describes: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("turn_badge")
        set_enum_property(self, "textFormat", "RichText")
        set_enum_property(self, "textInteractionFlags", "TextSelectableByMouse")
        # It never widens the window: in a narrow one its fields go on more lines (see
        # `_wrap`). Not Qt's word wrap: a wrapping label asks for its height at every layout
        # of the message list, which made tab switches about a third slower.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        # Muted, yet 4.5:1 on the message (the palette's role: style sheets name it only
        # from some Qt 6 versions on).
        set_text_colour(self, role=QPalette.ColorRole.PlaceholderText)
        self._describes = describes
        self._fields: list[tuple[str, str, bool]] = []  # (HTML, plain text, bold)
        self._wrapped_at = -1
        self.state = BadgeState()

    def show_state(self, s: BadgeState) -> None:
        self.state = s
        fields = [(f"<b>{s.model_text}</b>", s.model_text, True)]

        def add(text: str, colour: object = None) -> None:
            html = f'<span style="color:{colour}">{text}</span>' if colour else text
            fields.append((html, text, False))

        if s.fallback:
            add("fallback", WARNING_COLOUR)
        if s.demo:
            add("DEMO", DEMO_COLOUR)
        for text, warning in routing_parts(s.routing, s.budget_knob):
            add(text, WARNING_COLOUR if warning else None)
        if not s.streaming or s.cost_usd is not None:
            add(fmt.money(s.cost_usd, s.cost_source))
        if s.prompt_tokens is not None or s.completion_tokens is not None:
            add(fmt.tokens(s.prompt_tokens, s.completion_tokens))
        if s.ttft_ms is not None:
            add(f"first token {fmt.duration(s.ttft_ms)}")
        if not s.streaming:  # "total —": not known (a reply cut off when the app died)
            add(f"total {fmt.duration(s.total_ms)}")
        if s.requests > 1:
            routed = not s.requested_model or s.requested_model == "@edenai"
            add(
                f"routed once, pinned for {s.requests} requests"
                if routed
                else f"{s.requests} requests"
            )
        if s.retries:
            add(f"retried {s.retries}×")
        if s.status in (TurnStatus.STOPPED, TurnStatus.INTERRUPTED):
            add(s.status.value, WARNING_COLOUR)
        self._fields = fields
        self._wrap(force=True)
        spoken = s.spoken()
        self.setAccessibleName(spoken)
        if self._describes is not None:
            self._describes.setAccessibleDescription(spoken)
        tip = [f"Tier: {s.tier_label or 'custom'}"]
        if s.requested_model and s.requested_model != "@edenai":
            tip.append(f"Fixed model: {s.requested_model}")
        elif s.candidates:
            tip.append("Candidates: " + ", ".join(s.candidates))
        else:
            tip.append("Candidates: the router's whole pool")
        if s.cost_source is CostSource.ESTIMATED:
            tip.append("Cost estimated from token usage and list prices")
        elif s.cost_source is CostSource.UNKNOWN:
            tip.append("The server reported no cost")
        tip += routing_tips(s.routing, s.budget_knob)
        self.setToolTip("\n".join(tip))
        self.setAccessibleDescription(self.toolTip())

    def refresh(self) -> None:
        """Show the state again (another appearance: other shades for its marks)."""
        self.show_state(self.state)

    def _wrap(self, force: bool = False) -> None:
        """Put the fields on as many lines as the width needs, breaking between fields only.
        Measured with the font's advances when the fields or the width change, so laying out
        the message list never asks the badge for a height."""
        width = self.contentsRect().width()
        if not force and width == self._wrapped_at:
            return
        self._wrapped_at = width
        lines: list[list[str]] = []
        used = 0
        if width > 0:
            plain = self.fontMetrics()
            bold_font = QFont(self.font())
            bold_font.setBold(True)
            bold = QFontMetrics(bold_font)
            gap = plain.horizontalAdvance(_SEPARATOR)
            slack = 2  # rich text rounds advances its own way
            for html, text, is_bold in self._fields:
                advance = (bold if is_bold else plain).horizontalAdvance(text)
                if lines and used + gap + advance + slack > width:
                    lines.append([html])
                    used = advance
                elif lines:
                    lines[-1].append(html)
                    used += gap + advance
                else:
                    lines.append([html])
                    used = advance
        else:
            lines = [[html for html, _t, _b in self._fields]]
        text = "<br>".join(_SEPARATOR.join(line) for line in lines)
        if text != self.text():
            self.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self._wrap()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._wrap(force=True)


class MessageWidget(QFrame):
    """One message: who, the text, and for replies the badge, error line and actions."""

    copy_requested = Signal()
    regenerate_requested = Signal()
    regenerate_with = Signal(str)  # a tier id: ask again with another tier
    compare_requested = Signal()  # Regenerate's "Compare with…": this prompt in a comparison
    retry_requested = Signal()
    edit_requested = Signal()

    def __init__(
        self, role: str, renderer: MarkdownRenderer, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.role = role
        self.setObjectName("user_message" if role == "user" else "assistant_message")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setProperty("role", role)
        self.setProperty(FOCUS_GROUP, True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        header = QHBoxLayout()
        who = QLabel("You" if role == "user" else "Assistant")
        who.setObjectName("message_role")
        header.addWidget(who)
        header.addStretch(1)
        self.copy_button = self._action(header, "Copy", "Copy this message", self.copy_requested)
        self._header = header
        self._buttons: dict[str, QToolButton] = {}  # Edit, Regenerate, Retry: made when first shown
        self._error_label: QLabel | None = None  # made at the first error or note
        layout.addLayout(header)
        self.view = MessageView(renderer, self)
        self.view.setAccessibleName("Your message" if role == "user" else "Reply")
        layout.addWidget(self.view)
        self.badge: TurnBadge | None = None
        if role == "assistant":
            self.badge = TurnBadge(self, describes=self.view)
            layout.addWidget(self.badge)
        QWidget.setTabOrder(self.view, self.copy_button)  # the text first, then its actions
        self.copy_requested.connect(self._copy)

    def focus_stops(self) -> list[QWidget]:
        """The message's Tab stops in order: its text, then its buttons as the eye reads them."""
        return [self.view, self.copy_button, *self._buttons.values()]

    # Only the last prompt and reply show these, so most messages never create them: fewer
    # widgets per message keep memory and tab switches small in long conversations.
    def _lazy_button(self, key: str, text: str, tip: str, signal: SignalInstance) -> QToolButton:
        button = self._buttons.get(key)
        if button is None:
            before = self.focus_stops()[-1]  # it goes last in the header, and in Tab order
            button = self._action(
                self._header, text, tip, signal, MenuToolButton if key == "regen" else QToolButton
            )
            button.setVisible(False)
            if key == "regen":
                button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
                button.setAccessibleDescription(MENU_KEYS_HINT + " (other tiers)")
            self._buttons[key] = button
            QWidget.setTabOrder(before, button)
        return button

    @property
    def edit_button(self) -> QToolButton:
        return self._lazy_button("edit", "Edit", "Edit and resend", self.edit_requested)

    @property
    def regen_button(self) -> QToolButton:
        return self._lazy_button(
            "regen",
            "Regenerate",
            "Ask again (with this tab's current tier)",
            self.regenerate_requested,
        )

    @property
    def retry_button(self) -> QToolButton:
        return self._lazy_button("retry", "Retry", "Send this turn again", self.retry_requested)

    def hide_actions(self) -> None:
        """Hide Edit, Regenerate and Retry (those that exist) and drop the Regenerate menu."""
        for button in self._buttons.values():
            button.setVisible(False)
        regen = self._buttons.get("regen")
        menu = regen.menu() if regen is not None else None
        if regen is not None and menu is not None:
            regen.setMenu(None)  # type: ignore[arg-type]
            menu.deleteLater()

    @property
    def error_label(self) -> QLabel:
        if self._error_label is None:
            label = QLabel(self)
            label.setObjectName("turn_error")
            label.setWordWrap(True)
            label.setVisible(False)
            layout = self.layout()
            assert isinstance(layout, QVBoxLayout)
            layout.insertWidget(layout.indexOf(self.view) + 1, label)
            self._error_label = label
        return self._error_label

    def _action(
        self,
        row: QHBoxLayout,
        text: str,
        tip: str,
        signal: SignalInstance,
        kind: type[QToolButton] = QToolButton,
    ) -> QToolButton:
        button = kind(self)
        button.setText(text)
        button.setToolTip(tip)
        button.setAccessibleName(tip)
        button.setAutoRaise(True)
        button.clicked.connect(signal.emit)
        row.addWidget(button)
        return button

    def set_regenerate_tiers(self, tiers: list[tuple[str, str]], compare: bool = False) -> None:
        """The Regenerate button's menu: (tier id, label) pairs to ask again with, and with
        `compare` "Compare with…" (this prompt in a new comparison)."""
        menu = QMenu(self.regen_button)
        for tier_id, label in tiers:
            action = menu.addAction(f"With {label}")
            action.triggered.connect(lambda _c=False, t=tier_id: self.regenerate_with.emit(t))
        if compare:
            menu.addSeparator()
            action = menu.addAction("Compare with…")
            action.setObjectName("compare_with")
            action.triggered.connect(lambda _c=False: self.compare_requested.emit())
        self.regen_button.setMenu(menu)

    def _copy(self) -> None:
        QGuiApplication.clipboard().setText(self.view.text)

    def show_error(self, sentence: str | None) -> None:
        if not sentence and self._error_label is None:
            return
        set_text_colour(self.error_label, ERROR_COLOUR)
        self.error_label.setText(sentence or "")
        self.error_label.setVisible(bool(sentence))

    def status_note(self, sentence: str) -> None:
        """A passing note on the turn (a retry under way), not an error."""
        set_text_colour(self.error_label, role=QPalette.ColorRole.PlaceholderText)
        self.error_label.setText(sentence)
        self.error_label.setVisible(True)


class ChatView(QScrollArea):
    """The scrolling list of messages; follows the stream unless the user scrolled up."""

    earlier_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chat_view")
        self.setAccessibleName("Messages")
        # A container, not a Tab stop: Tab goes from message to message, and the view
        # scrolls to the one that takes the focus.
        set_enum_property(self, "focusPolicy", "NoFocus")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        set_enum_property(self, "horizontalScrollBarPolicy", "ScrollBarAlwaysOff")
        # Always there: the text keeps its width when a conversation outgrows the view (no
        # reflow of every message, mid-reply, when the bar would appear).
        set_enum_property(self, "verticalScrollBarPolicy", "ScrollBarAlwaysOn")
        inner = QWidget(self)
        inner.setObjectName("chat_inner")
        self._layout = QVBoxLayout(inner)
        self._layout.setContentsMargins(12, 12, 12, 12)
        self._layout.setSpacing(8)
        self.earlier_button = QPushButton(inner)
        self.earlier_button.setObjectName("show_earlier")
        self.earlier_button.setVisible(False)
        self.earlier_button.clicked.connect(self.earlier_requested.emit)
        centred = QHBoxLayout()  # centred by stretches: an alignment flag needs the Qt namespace
        centred.addStretch(1)
        centred.addWidget(self.earlier_button)
        centred.addStretch(1)
        self._layout.addLayout(centred)
        self._layout.addStretch(1)
        inner.setStyleSheet(CHAT_STYLE)
        self._inner = inner
        self.setWidget(inner)
        self._follow = True
        self._cheap_bar = False
        self._grew_above = False  # messages were inserted above what the reader looks at
        self._last_max = 0
        self.jump_button = QPushButton("Jump to latest ↓", self)
        self.jump_button.setObjectName("jump_to_latest")
        self.jump_button.setStyleSheet(JUMP_BUTTON_STYLE)
        self.jump_button.setVisible(False)
        self.jump_button.clicked.connect(self.scroll_to_end)
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        bar.rangeChanged.connect(self._on_range)
        self._focused: MessageWidget | None = None
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        app.focusChanged.connect(self._focus_changed)

    def restyle(self) -> None:
        """Resolve the style sheet's palette colours again (after the appearance changed)."""
        self._inner.setStyleSheet("")
        self._inner.setStyleSheet(CHAT_STYLE)
        for message in self.messages():
            if message.badge is not None:
                message.badge.refresh()

    def _focus_changed(self, _old: QWidget | None, now: QWidget | None) -> None:
        """The message holding the focus is scrolled into view and framed in the highlight
        colour (a read-only text shows no other sign of focus)."""
        inside = now is not None and self.isAncestorOf(now)
        if not inside and self._focused is None:
            return  # every tab's view hears every focus change: most have nothing to do
        message = None
        widget = now if inside else None
        while widget is not None and widget is not self:
            if isinstance(widget, MessageWidget):
                message = widget
            widget = widget.parentWidget()
        if message is not self._focused:
            for frame, on in ((self._focused, False), (message, True)):
                if frame is not None:
                    frame.setProperty("focused", on)
                    frame.style().unpolish(frame)
                    frame.style().polish(frame)
            self._focused = message
        if message is not None and now is not None and not QGuiApplication.mouseButtons():
            self.ensureWidgetVisible(now, 0, 12)  # by keyboard: a click is on screen already

    def _chain(self, widget: MessageWidget, after: QWidget) -> None:
        """Put a message's Tab stops after `after`: messages are read top to bottom,
        between the tier above and the composer below."""
        for stop in widget.focus_stops():
            QWidget.setTabOrder(after, stop)
            after = stop

    def _last_stop_before(self, index: int) -> QWidget:
        messages = self.messages()
        return messages[index - 1].focus_stops()[-1] if index > 0 else self.earlier_button

    def messages(self) -> list[MessageWidget]:
        out = []
        for i in range(self._layout.count()):
            item = self._layout.itemAt(i)
            w = item.widget() if item is not None else None
            if isinstance(w, MessageWidget):
                out.append(w)
        return out

    def add(self, widget: MessageWidget) -> None:
        after = self._last_stop_before(len(self.messages()))
        self._layout.insertWidget(self._layout.count() - 1, widget)
        self._chain(widget, after)

    def insert(self, index: int, widget: MessageWidget) -> None:
        """Put a message at `index` among the messages (0: the top)."""
        after = self._last_stop_before(index)
        self._layout.insertWidget(index + 1, widget)  # after the "earlier" button
        self._chain(widget, after)
        self._grew_above = True

    def lay_out_now(self, widget: MessageWidget) -> None:
        """Give a message just added its real width now, so that its text, set next, is laid
        out once (laying it out at a placeholder width and again at the real one cost as much
        as the rest of a restored tab's first screen)."""
        if not self.isVisible():
            return  # no real geometry yet: the width comes with the first resize
        self._layout.activate()
        widget.show()

    def settle(self) -> None:
        """Finish the layout now (see `lay_out_now`): messages that got their width early
        and their text after would otherwise be painted once at their earlier height."""
        if self.isVisible():
            settle_layouts()

    def visible_height(self) -> int:
        """How tall a list of messages fills the view: 0 while it is not on screen."""
        return self.maximumViewportSize().height() if self.isVisible() else 0

    def set_earlier(self, count: int) -> None:
        self.earlier_button.setText(f"Show {count} earlier message{'s' if count != 1 else ''}")
        self.earlier_button.setVisible(count > 0)

    def remove(self, widget: MessageWidget) -> None:
        self._layout.removeWidget(widget)
        widget.deleteLater()

    def clear(self) -> None:
        for w in self.messages():
            self.remove(w)

    def streaming(self) -> None:
        """A reply streams here: the bar is repainted on every frame from now on, as its range
        grows, so its groove comes from a cache (`GrooveCachingStyle`); set once per view."""
        bar = self.verticalScrollBar()
        if not self._cheap_bar:
            from desktop_app.ui.widgets.scrollbar import groove_caching_style

            bar.setStyle(groove_caching_style())
            self._cheap_bar = True

    def scroll_to_end(self) -> None:
        self._follow = True
        self.jump_button.setVisible(False)
        bar = self.verticalScrollBar()
        bar.setValue(bar.maximum())

    def _on_scrolled(self, value: int) -> None:
        at_end = value >= self.verticalScrollBar().maximum() - 4
        self._follow = at_end
        if at_end:
            self.jump_button.setVisible(False)

    def _on_range(self, _lo: int, hi: int) -> None:
        grew, self._grew_above = self._grew_above and hi > self._last_max, False
        delta, self._last_max = hi - self._last_max, hi
        bar = self.verticalScrollBar()
        if self._follow:
            bar.setValue(hi)
            return
        if grew:  # earlier messages built above: keep the reader's place
            bar.setValue(bar.value() + delta)
        if hi > 0:
            self.jump_button.setVisible(True)
            self._place_jump()

    def _place_jump(self) -> None:
        hint = self.jump_button.sizeHint()
        vp = self.viewport().geometry()
        self.jump_button.setGeometry(
            vp.right() - hint.width() - 16,
            vp.bottom() - hint.height() - 12,
            hint.width(),
            hint.height(),
        )
        self.jump_button.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.jump_button.isVisible():
            self._place_jump()


class PromptEdit(QPlainTextEdit):
    """Multi-line prompt: Enter sends and Shift+Enter breaks the line (or the reverse)."""

    submit = Signal()
    stop = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("prompt_input")
        self.setAccessibleName("Message")
        self.setPlaceholderText("Ask anything…  (Enter sends, Shift+Enter for a new line)")
        self.enter_sends = True
        self.setTabChangesFocus(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self._fit_font()

    def _fit_font(self) -> None:
        """Four lines of the font in use: it grows with the system's font size (72 px at the
        usual 9-point font)."""
        self.setFixedHeight(4 * self.fontMetrics().lineSpacing() + 16)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_font()

    def set_enter_sends(self, enter_sends: bool) -> None:
        self.enter_sends = enter_sends
        hint = (
            "Enter sends, Shift+Enter for a new line"
            if enter_sends
            else ("Ctrl+Enter sends, Enter for a new line")
        )
        self.setPlaceholderText(f"Ask anything…  ({hint})")

    def keyPressEvent(self, event: QKeyEvent) -> None:
        from PySide6.QtCore import Qt  # not at import: see enum_props

        key = event.key()
        if key == Qt.Key.Key_Escape:
            self.stop.emit()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            mods = event.modifiers()
            shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
            ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
            if ctrl or (self.enter_sends and not shift):
                self.submit.emit()
                return
        super().keyPressEvent(event)


class Composer(QWidget):
    """Prompt field with Send and Stop."""

    send = Signal(str)
    stop = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 12)
        self.input = PromptEdit(self)
        layout.addWidget(self.input, 1)
        buttons = QVBoxLayout()
        self.send_button = QPushButton("Send", self)
        self.send_button.setObjectName("send_button")
        self.send_button.setAccessibleName("Send message")
        self.send_button.setDefault(True)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setObjectName("stop_button")
        self.stop_button.setAccessibleName("Stop the reply")
        self.stop_button.setToolTip("Stop the reply (Esc); what arrived is kept")
        self.stop_button.setEnabled(False)
        buttons.addWidget(self.send_button)
        buttons.addWidget(self.stop_button)
        self.estimate = QLabel(self)  # the likely cost of what is typed (SpendingGate)
        self.estimate.setObjectName("cost_estimate")
        self.estimate.setAccessibleName("Likely cost of this message")
        set_text_colour(self.estimate, role=QPalette.ColorRole.PlaceholderText)
        buttons.addWidget(self.estimate)
        layout.addLayout(buttons)
        self.input.submit.connect(self._submit)
        self.input.stop.connect(self.stop.emit)
        self.send_button.clicked.connect(self._submit)
        self.stop_button.clicked.connect(self.stop.emit)

    def _submit(self) -> None:
        text = self.input.toPlainText().strip()
        if text and self.send_button.isEnabled():
            self.send.emit(text)

    def set_streaming(self, streaming: bool) -> None:
        # A button that is disabled while it has the focus hands it to the next widget in
        # the chain (a message far above): the prompt takes it instead, where Esc stops the
        # reply and typing goes on.
        had_focus = self.send_button.hasFocus() or self.stop_button.hasFocus()
        if had_focus:
            self.input.setFocus()
        self.send_button.setEnabled(not streaming)
        self.stop_button.setEnabled(streaming)
