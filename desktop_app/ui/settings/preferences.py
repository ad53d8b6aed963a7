"""Settings → Preferences, generated from the `Settings` fields: each labelled field becomes a
row (its label, range, unit, help and choices are declared once, in config/settings.py), one
tab per section. Opened with open(), never exec()."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal, get_args, get_origin
from urllib.parse import urlsplit

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.config.settings import (
    SettingField,
    Settings,
    labelled_fields,
    settings_from_dict,
    settings_to_dict,
)
from desktop_app.routing.tiers import Tier
from desktop_app.ui.widgets.theme import ERROR_COLOUR, set_text_colour


def _value_at(data: dict[str, Any], path: str) -> Any:
    for part in path.split(".")[:-1]:
        data = data[part]
    return data[path.rsplit(".", 1)[-1]]


def _set_at(data: dict[str, Any], path: str, value: Any) -> None:
    for part in path.split(".")[:-1]:
        data = data[part]
    data[path.rsplit(".", 1)[-1]] = value


def _optional(hint: Any) -> tuple[Any, bool]:
    """(the inner type, whether None is allowed) of `X | None`."""
    args = get_args(hint)
    if args and type(None) in args and get_origin(hint) is not Literal:
        (inner,) = (a for a in args if a is not type(None))
        return inner, True
    return hint, False


class Editor:
    """A row's widget and how to read it back (None: the setting's "none" value)."""

    __slots__ = ("read", "widget")

    def __init__(self, widget: QWidget, read: Callable[[], Any]) -> None:
        self.widget = widget
        self.read = read


def _choice_box(options: Sequence[tuple[Any, str]], value: Any) -> Editor:
    box = QComboBox()
    for data, text in options:
        box.addItem(text, data)
    box.setCurrentIndex(max(0, box.findData(value)))
    return Editor(box, box.currentData)


def make_editor(f: SettingField, value: Any, tiers: Sequence[Tier]) -> Editor:
    hint, nullable = _optional(f.hint)
    meta = f.meta
    choices = meta.get("choices")
    if get_origin(hint) is Literal:
        labels = choices if isinstance(choices, dict) else {}
        return _choice_box([(v, labels.get(v, str(v))) for v in get_args(hint)], value)
    if choices == "tiers":
        return _choice_box([(t.id, t.label) for t in tiers], value)
    if hint is bool:
        box = QCheckBox(f.label)
        box.setChecked(bool(value))
        return Editor(box, box.isChecked)
    if hint is int:
        spin = QSpinBox()
        lo, hi = int(meta.get("min", 0)), int(meta.get("max", 1_000_000))
        if nullable:  # one step below the range means "none"
            spin.setRange(lo - 1, hi)
            spin.setSpecialValueText(str(meta.get("none_label", "None")))
            spin.setValue(lo - 1 if value is None else int(value))
            return Editor(spin, lambda: None if spin.value() < lo else spin.value())
        spin.setRange(lo, hi)
        spin.setValue(int(value))
        return Editor(spin, spin.value)
    if hint is float:
        dspin = QDoubleSpinBox()
        decimals = 1 if meta.get("unit") == "s" else 2
        dspin.setDecimals(decimals)
        low, high = float(meta.get("min", 0.0)), float(meta.get("max", 1e9))
        if meta.get("unit"):
            dspin.setSuffix(f" {meta['unit']}")
        if nullable:  # one step below the range means "none"
            step = 10.0**-decimals
            dspin.setRange(low - step, high)
            dspin.setSpecialValueText(str(meta.get("none_label", "None")))
            dspin.setValue(low - step if value is None else float(value))
            return Editor(dspin, lambda: None if dspin.value() < low else dspin.value())
        dspin.setRange(low, high)
        dspin.setValue(float(value))
        return Editor(dspin, dspin.value)
    line = QLineEdit(str(value or ""))
    return Editor(line, lambda: line.text().strip())


def _with_mnemonic(label: str, taken: set[str]) -> str:
    """`label` with an Alt+letter not yet used in its tab (keyboard users jump to the row)."""
    for i, ch in enumerate(label):
        if ch.isalpha() and ch.lower() not in taken:
            taken.add(ch.lower())
            return f"{label[:i]}&{label[i:]}"
    return label


class PreferencesDialog(QDialog):
    saved = Signal(object)  # the new Settings

    def __init__(
        self, settings: Settings, tiers: list[Tier], key_stored: bool, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("preferences_dialog")
        self.setWindowTitle("Preferences")
        self._settings = settings
        self._key_stored = key_stored
        self._editors: dict[str, Editor] = {}
        self._fields: dict[str, SettingField] = {}
        current = settings_to_dict(settings)
        forms: dict[str, tuple[QFormLayout, set[str]]] = {}
        self.sections = QTabWidget(self)
        self.sections.setObjectName("preference_sections")
        for f in labelled_fields():
            section = str(f.meta.get("section", "General"))
            if section not in forms:
                page = QWidget()
                form = QFormLayout(page)
                self.sections.addTab(page, section)
                forms[section] = (form, set())
            form, taken = forms[section]
            editor = make_editor(f, _value_at(current, f.path), tiers)
            widget = editor.widget
            widget.setObjectName("pref_" + f.path.replace(".", "_"))
            widget.setAccessibleName(f.label)
            if f.meta.get("help"):
                widget.setToolTip(str(f.meta["help"]))
            if isinstance(widget, QCheckBox):
                widget.setText(_with_mnemonic(f.label, taken))
                form.addRow("", widget)
            else:
                label = QLabel(_with_mnemonic(f.label, taken) + ":")
                label.setBuddy(widget)
                form.addRow(label, widget)
            self._editors[f.path] = editor
            self._fields[f.path] = f
        self.message = QLabel()
        self.message.setObjectName("preferences_message")
        self.message.setWordWrap(True)
        set_text_colour(self.message, ERROR_COLOUR)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.sections)
        lay.addWidget(self.message)
        lay.addWidget(buttons)

    def field(self, path: str) -> QWidget:
        """The editor of the setting at `path` ("default_tier", "timeouts.connect")."""
        return self._editors[path].widget

    def collect(self) -> Settings:
        """The dialog's values as Settings; ValueError names each value that is not valid."""
        data = settings_to_dict(self._settings)
        problems: list[str] = []
        for path, editor in self._editors.items():
            raw = editor.read()
            try:
                value = self._fields[path].check(raw)
            except ValueError as exc:
                problems.append(f"{self._fields[path].label}: {exc}")
                continue
            _set_at(data, path, value)
        if problems:
            raise ValueError(" ".join(problems))
        settings, warnings = settings_from_dict(data)
        if warnings:
            raise ValueError(" ".join(warnings))
        return settings

    def _save(self) -> None:
        try:
            settings = self.collect()
        except ValueError as exc:
            self.message.setText(str(exc))
            return
        old_host = urlsplit(self._settings.base_url).hostname
        new_host = urlsplit(settings.base_url).hostname
        if self._key_stored and old_host != new_host:
            box = QMessageBox(
                QMessageBox.Icon.Warning,
                "Send your key to another server?",
                f"Your API key will be sent to {new_host} instead of {old_host}. "
                "Only continue if you trust that server.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                self,
            )
            box.setObjectName("confirm_host_change")
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.finished.connect(
                lambda b: self._finish(settings) if b == QMessageBox.StandardButton.Yes else None
            )
            box.open()
            return
        self._finish(settings)

    def _finish(self, settings: Settings) -> None:
        self.saved.emit(settings)
        self.accept()
