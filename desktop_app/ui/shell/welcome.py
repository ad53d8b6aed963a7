"""First run: what RouteChat does, where to get a key, test and save it, or try the demo."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.widgets.a11y import name_clear_button
from desktop_app.ui.widgets.enum_props import set_enum_property
from desktop_app.ui.widgets.theme import ERROR_COLOUR, SUCCESS_COLOUR, set_text_colour

KEY_URL = "https://app.edenai.run/admin/iam/api-keys"


class WelcomePage(QWidget):
    test_key = Signal(str)
    save_key = Signal(str, bool)  # key, remember in the keyring (False: this session only)
    try_demo = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcome_page")
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        card = QFrame(self)
        card.setObjectName("welcome_card")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(640)
        lay = QVBoxLayout(card)
        lay.setContentsMargins(28, 24, 28, 24)
        lay.setSpacing(10)
        title = QLabel("<h1>Welcome to RouteChat</h1>")
        lay.addWidget(title)
        intro = QLabel(
            "RouteChat sends your questions to <b>Eden AI's smart router</b>, which picks the "
            "model for each message from a pool you choose: budget, balanced, premium, or a pool "
            "for code, creative writing or quick answers. Every reply shows <b>which model "
            "answered</b>, <b>what it cost</b>, its tokens and how long it took."
        )
        intro.setWordWrap(True)
        lay.addWidget(intro)
        where = QLabel(
            f'Get an API key from your <a href="{KEY_URL}">Eden AI account</a> '
            "(API keys page), then paste it here. It is stored in your system keyring, "
            "never in a file."
        )
        where.setWordWrap(True)
        where.setOpenExternalLinks(True)
        # Tab reaches the link and Enter opens it: where a key comes from, for everyone.
        set_enum_property(where, "textInteractionFlags", "TextBrowserInteraction")
        where.setObjectName("key_source")
        lay.addWidget(where)
        row = QHBoxLayout()
        self.key_field = QLineEdit(card)
        self.key_field.setObjectName("key_field")
        self.key_field.setAccessibleName("Eden AI API key")
        self.key_field.setPlaceholderText("Paste your Eden AI API key")
        self.key_field.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_field.setClearButtonEnabled(True)
        name_clear_button(self.key_field, "Clear the key")
        row.addWidget(self.key_field, 1)
        self.test_button = QPushButton("&Test key", card)
        self.test_button.setObjectName("test_key_button")
        row.addWidget(self.test_button)
        lay.addLayout(row)
        self.remember = QCheckBox("Remember in the system keyring", card)
        self.remember.setObjectName("remember_key")
        self.remember.setChecked(True)
        lay.addWidget(self.remember)
        self.result_label = QLabel(card)
        self.result_label.setObjectName("key_test_result")
        self.result_label.setWordWrap(True)
        set_enum_property(self.result_label, "textInteractionFlags", "TextSelectableByMouse")
        lay.addWidget(self.result_label)
        buttons = QHBoxLayout()
        self.save_button = QPushButton("&Start chatting", card)
        self.save_button.setObjectName("save_key_button")
        self.save_button.setDefault(True)
        self.demo_button = QPushButton("Try &demo mode", card)
        self.demo_button.setObjectName("demo_button")
        self.demo_button.setToolTip(
            "Chat with a local stand-in for Eden AI: made-up answers, real routing badges, "
            "no key and no cost"
        )
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        lay.addLayout(buttons)
        demo_note = QLabel(
            "Demo mode runs a local server on this computer: answers are invented, nothing "
            "is sent to Eden AI and nothing costs money."
        )
        demo_note.setWordWrap(True)
        set_text_colour(demo_note, role=QPalette.ColorRole.PlaceholderText)
        lay.addWidget(demo_note)
        h = QHBoxLayout()
        h.addStretch(1)
        h.addWidget(card, 3)
        h.addStretch(1)
        outer.addLayout(h)
        outer.addStretch(2)
        # As the eye reads the card: the link, the key and its buttons, then demo mode (left)
        # before Start chatting (right).
        chain = (where, self.key_field, self.test_button, self.remember, self.demo_button)
        for first, second in zip(chain, (*chain[1:], self.save_button), strict=True):
            QWidget.setTabOrder(first, second)
        self.test_button.clicked.connect(self._test)
        self.save_button.clicked.connect(self._save)
        self.key_field.returnPressed.connect(self._save)
        self.demo_button.clicked.connect(self.try_demo.emit)
        self._refused = False
        self._update_enabled()
        self.key_field.textChanged.connect(self._key_edited)

    def _update_enabled(self) -> None:
        has = bool(self.key_field.text().strip())
        self.test_button.setEnabled(has)
        self.save_button.setEnabled(has and not self._refused)

    def set_key_refused(self, refused: bool) -> None:
        """The server refused the key just tested: it cannot be saved until it is changed."""
        self._refused = refused
        self._update_enabled()

    def _key_edited(self) -> None:
        self._refused = False
        self._update_enabled()

    def _test(self) -> None:
        self.test_key.emit(self.key_field.text().strip())

    def _save(self) -> None:
        key = self.key_field.text().strip()
        if key:
            self.save_key.emit(key, self.remember.isChecked())

    def show_result(self, ok: bool | None, text: str) -> None:
        """None: in progress."""
        colour = None if ok is None else SUCCESS_COLOUR if ok else ERROR_COLOUR
        set_text_colour(self.result_label, colour)
        self.result_label.setText(text)

    def set_keyring_problem(self, problem: str | None) -> None:
        if problem:
            self.remember.setChecked(False)
            self.remember.setEnabled(False)
            self.remember.setText("Use for this session only (no system keyring available)")
            self.show_result(False, problem)
