"""Settings → Pools: the user's candidate pools, made and kept as the Eden AI guide advises.

Left: the presets (read-only; a quality/cost setting and Duplicate) and the user's pools (New,
Duplicate, Delete, move up/down, Import, Export). Right: the selected pool, its candidates in
preference order (drag to reorder; the first is what Eden AI uses when ranking fails), the
quality/cost slider, the fallback model and "requires tool support", with the guide's checks
shown while editing. Every change goes through `PoolService` (checked, then saved atomically).
Opened with open(); file dialogs too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from desktop_app.api.models import ModelInfo
from desktop_app.routing.pools import Check, Pool, PoolError
from desktop_app.services.pools import PoolService
from desktop_app.ui.widgets.model_picker import ModelPicker
from desktop_app.ui.widgets.theme import ERROR_COLOUR, set_text_colour

ID_ROLE = Qt.ItemDataRole.UserRole
_LEVEL_MARK = {"refused": "✖", "warning": "⚠", "advice": "ℹ", "info": "·"}


class PoolsDialog(QDialog):
    changed = Signal()  # pools were saved: tiers lists refresh

    def __init__(
        self,
        pools: PoolService,
        models: Callable[[], tuple[ModelInfo, ...]],
        age: Callable[[], str],
        parent: QWidget | None = None,
        *,
        select: str | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pools_dialog")
        self.setWindowTitle("Pools")
        self.resize(980, 620)
        self._pools = pools
        self._models = models
        self._age = age
        self._current: Pool | None = None
        self._picker: ModelPicker | None = None
        self._file_dialog: QFileDialog | None = None

        # --- the list ---------------------------------------------------------------------
        self.list = QListWidget(self)
        self.list.setObjectName("pool_list")
        self.list.setAccessibleName("Pools")
        self.new_button = self._button("&New", "Create a pool", self.new_pool, "pool_new")
        self.duplicate_button = self._button(
            "D&uplicate", "Copy the selected pool or tier into a new pool", self.duplicate,
            "pool_duplicate",
        )  # fmt: skip
        self.delete_button = self._button("&Delete", "Delete this pool", self.delete, "pool_delete")
        self.up_button = self._button(
            "Move &up", "Move this pool up", lambda: self.move_pool(-1), "pool_up"
        )
        self.down_button = self._button(
            "Move do&wn", "Move this pool down", lambda: self.move_pool(1), "pool_down"
        )
        self.import_button = self._button(
            "&Import…", "Add the pools of a JSON file", self.import_file, "pool_import"
        )
        self.export_button = self._button(
            "E&xport…", "Write your pools to a JSON file", self.export_file, "pool_export"
        )
        left_buttons = QHBoxLayout()
        for b in (self.new_button, self.duplicate_button, self.delete_button):
            left_buttons.addWidget(b)
        order_buttons = QHBoxLayout()
        for b in (self.up_button, self.down_button, self.import_button, self.export_button):
            order_buttons.addWidget(b)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        left.addLayout(left_buttons)
        left.addLayout(order_buttons)

        # --- the pool ---------------------------------------------------------------------
        self.name = QLineEdit(self)
        self.name.setObjectName("pool_name")
        self.name.setAccessibleName("Pool name")
        self.name.setMaxLength(40)
        self.description = QLineEdit(self)
        self.description.setObjectName("pool_description")
        self.description.setAccessibleName("Description")
        self.candidates = QListWidget(self)
        self.candidates.setObjectName("pool_candidates")
        self.candidates.setAccessibleName("Candidates, in preference order")
        self.candidates.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.candidates.model().rowsMoved.connect(lambda *_a: self._edited())
        first_note = QLabel(
            "In preference order: drag to reorder. The first is what Eden AI uses when it "
            "cannot rank a request."
        )
        first_note.setWordWrap(True)
        self.add_candidate = self._button(
            "&Add model…", "Choose a model from Eden AI's list", self.pick_candidate,
            "pool_add_candidate",
        )  # fmt: skip
        self.remove_candidate = self._button(
            "&Remove", "Remove the selected candidate", self.drop_candidate,
            "pool_remove_candidate",
        )  # fmt: skip
        cand_buttons = QHBoxLayout()
        cand_buttons.addWidget(self.add_candidate)
        cand_buttons.addWidget(self.remove_candidate)
        cand_buttons.addStretch(1)
        self.quality_first = QCheckBox("&Quality first (no quality/cost setting)", self)
        self.quality_first.setObjectName("pool_quality_first")
        self.knob = QSlider(Qt.Orientation.Horizontal, self)
        self.knob.setObjectName("pool_quality_cost")
        self.knob.setAccessibleName("Quality/cost: 0 best model, 10 cheapest model")
        self.knob.setRange(0, 10)
        self.knob.setPageStep(1)
        self.knob.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.knob_value = QLabel(self)
        knob_row = QHBoxLayout()
        knob_row.addWidget(QLabel("Best model"))
        knob_row.addWidget(self.knob, 1)
        knob_row.addWidget(QLabel("Cheapest model that can handle it"))
        knob_row.addWidget(self.knob_value)
        self.fallback = QLineEdit(self)
        self.fallback.setObjectName("pool_fallback")
        self.fallback.setAccessibleName("Fallback model")
        self.fallback.setPlaceholderText("none: RouteChat retries with the first candidate")
        self.pick_fallback = self._button(
            "&Pick…", "Choose the fallback model", self.pick_fallback_model, "pool_pick_fallback"
        )
        fallback_row = QHBoxLayout()
        fallback_row.addWidget(self.fallback, 1)
        fallback_row.addWidget(self.pick_fallback)
        self.tools = QCheckBox("Requires &tool support (refuses models that cannot call tools)")
        self.tools.setObjectName("pool_requires_tools")
        form = QFormLayout()
        form.addRow(self._label("Na&me:", self.name), self.name)
        form.addRow(self._label("Descri&ption:", self.description), self.description)
        form.addRow(self._label("&Candidates:", self.candidates), self.candidates)
        form.addRow("", cand_buttons)
        form.addRow("", first_note)
        form.addRow("Quality/cost:", self.quality_first)
        form.addRow("", knob_row)
        form.addRow(self._label("&Fallback:", self.fallback), fallback_row)
        form.addRow("", self.tools)
        self.checks = QLabel(self)
        self.checks.setObjectName("pool_checks")
        self.checks.setWordWrap(True)
        self.checks.setTextFormat(Qt.TextFormat.PlainText)
        self.message = QLabel(self)
        self.message.setObjectName("pool_message")
        self.message.setWordWrap(True)
        set_text_colour(self.message, ERROR_COLOUR)
        self.save_button = self._button("&Save pool", "Save this pool", self.save, "pool_save")
        self.save_button.setDefault(True)
        self.age = QLabel(self)
        self.age.setObjectName("pool_prices_age")
        right = QVBoxLayout()
        right.addLayout(form)
        right.addWidget(self.checks)
        right.addWidget(self.message)
        save_row = QHBoxLayout()
        save_row.addWidget(self.age, 1)
        save_row.addWidget(self.save_button)
        right.addLayout(save_row)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 3)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(body, 1)
        lay.addWidget(close)

        self.list.currentItemChanged.connect(lambda item, _old: self._show(item))
        for signal in (
            self.name.textChanged,
            self.description.textChanged,
            self.fallback.textChanged,
            self.tools.toggled,
            self.quality_first.toggled,
            self.knob.valueChanged,
        ):
            signal.connect(lambda *_a: self._edited())
        self.refresh(select)

    # --- building blocks ------------------------------------------------------------------
    def _button(self, text: str, tip: str, slot: Callable[[], None], name: str) -> QPushButton:
        button = QPushButton(text, self)
        button.setObjectName(name)
        button.setToolTip(tip)
        button.clicked.connect(lambda _c=False: slot())
        return button

    def _label(self, text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text, self)
        label.setBuddy(buddy)
        return label

    # --- the list ---------------------------------------------------------------------------
    def refresh(self, select: str | None = None) -> None:
        """Fill the list again (after a change), keeping or moving the selection."""
        keep = select or (self._current.id if self._current else None)
        self.list.blockSignals(True)
        self.list.clear()
        for pool in self._pools.all_pools():
            text = f"{pool.name}  (built-in)" if pool.preset else pool.name
            item = QListWidgetItem(text, self.list)
            item.setData(ID_ROLE, pool.id)
            item.setToolTip(pool.description or ", ".join(pool.candidates))
        self.list.blockSignals(False)
        row = next(
            (i for i in range(self.list.count()) if self.list.item(i).data(ID_ROLE) == keep),
            0,
        )
        self.list.setCurrentRow(row)
        self._show(self.list.currentItem())

    def _pool(self, pool_id: str) -> Pool | None:
        return next((p for p in self._pools.all_pools() if p.id == pool_id), None)

    def _show(self, item: QListWidgetItem | None) -> None:
        self._current = self._pool(str(item.data(ID_ROLE))) if item is not None else None
        pool = self._current
        self.message.clear()
        widgets: tuple[QWidget, ...] = (
            self.name, self.description, self.candidates, self.add_candidate,
            self.remove_candidate, self.fallback, self.pick_fallback, self.tools,
        )  # fmt: skip
        editable = pool is not None and not pool.preset
        for w in widgets:
            w.setEnabled(editable)
        self.delete_button.setEnabled(editable)
        self.up_button.setEnabled(editable)
        self.down_button.setEnabled(editable)
        self.quality_first.setEnabled(pool is not None)
        self.save_button.setEnabled(pool is not None)
        for w in (*widgets, self.quality_first, self.knob):
            w.blockSignals(True)
        self.name.setText(pool.name if pool else "")
        self.description.setText(pool.description if pool else "")
        self.candidates.clear()
        for c in pool.candidates if pool else ():
            self.candidates.addItem(c)
        self.fallback.setText(pool.fallback or "" if pool else "")
        self.tools.setChecked(bool(pool and pool.requires_tools))
        knob = pool.quality_cost if pool else None
        self.quality_first.setChecked(knob is None)
        self.knob.setValue(knob if knob is not None else 5)
        for w in (*widgets, self.quality_first, self.knob):
            w.blockSignals(False)
        self._edited()

    # --- editing ----------------------------------------------------------------------------
    def _candidates(self) -> list[str]:
        return [self.candidates.item(i).text() for i in range(self.candidates.count())]

    def _edited(self) -> None:
        self.knob.setEnabled(self._current is not None and not self.quality_first.isChecked())
        self.knob_value.setText("" if self.quality_first.isChecked() else str(self.knob.value()))
        self.age.setText(self._age())
        if self._current is None:
            self.checks.setText("")
            return
        found: list[Check] = self._pools.checks(
            self._candidates(),
            requires_tools=self.tools.isChecked(),
            fallback=self.fallback.text().strip() or None,
        )
        self.checks.setText("\n".join(f"{_LEVEL_MARK[c.level]} {c.message}" for c in found))
        blocked = any(c.level == "refused" for c in found)
        self.save_button.setEnabled(not blocked or bool(self._current.preset))

    def pick_candidate(self) -> None:
        picker = self._open_picker("Add a candidate", self.tools.isChecked())
        picker.chosen.connect(self._add_candidate)

    def _add_candidate(self, model_id: str) -> None:
        if model_id not in self._candidates():
            self.candidates.addItem(model_id)
            self._edited()

    def drop_candidate(self) -> None:
        row = self.candidates.currentRow()
        if row >= 0:
            self.candidates.takeItem(row)
            self._edited()

    def pick_fallback_model(self) -> None:
        picker = self._open_picker("Choose the fallback model", False)
        picker.chosen.connect(self.fallback.setText)

    def _open_picker(self, title: str, tools_only: bool) -> ModelPicker:
        picker = ModelPicker(self._models(), self._age(), self, title=title, tools_only=tools_only)
        self._picker = picker
        picker.open()
        return picker

    def save(self) -> None:
        pool = self._current
        if pool is None:
            return
        knob = None if self.quality_first.isChecked() else self.knob.value()
        try:
            if pool.preset:
                self._pools.set_preset_quality_cost(pool.id, knob)
                saved_id = pool.id
            else:
                saved = self._pools.update(
                    pool.id,
                    name=self.name.text().strip(),
                    description=self.description.text().strip(),
                    candidates=tuple(self._candidates()),
                    quality_cost=knob,
                    fallback=self.fallback.text().strip() or None,
                    requires_tools=self.tools.isChecked(),
                )
                saved_id = saved.id
        except PoolError as exc:
            self.message.setText(str(exc))
            return
        self.changed.emit()
        self.refresh(saved_id)
        self.message.setText("")

    def new_pool(self) -> None:
        base, n = "New pool", 2
        name = base
        while self._pool(name.lower().replace(" ", "-")) is not None:
            name = f"{base} {n}"
            n += 1
        models = {m.id for m in self._models()}
        start: list[str] = [
            m for m in ("openai/gpt-4o-mini", "google/gemini-2.0-flash") if m in models
        ]
        try:
            pool = self._pools.add(name, start or ["openai/gpt-4o-mini"])
        except PoolError as exc:
            self.message.setText(str(exc))
            return
        self.changed.emit()
        self.refresh(pool.id)
        self.name.setFocus()
        self.name.selectAll()

    def duplicate(self) -> None:
        if self._current is None:
            return
        try:
            pool = self._pools.duplicate(self._current.id)
        except PoolError as exc:
            self.message.setText(str(exc))
            return
        self.changed.emit()
        self.refresh(pool.id)

    def delete(self) -> None:
        if self._current is None or self._current.preset:
            return
        index = self.list.currentRow()
        self._pools.remove(self._current.id)
        self._current = None
        self.changed.emit()
        self.refresh()
        self.list.setCurrentRow(max(0, index - 1))

    def move_pool(self, step: int) -> None:
        pool = self._current
        if pool is None or pool.preset:
            return
        mine = [p.id for p in self._pools.pools]
        self._pools.move(pool.id, mine.index(pool.id) + step)
        self.changed.emit()
        self.refresh(pool.id)

    # --- files ------------------------------------------------------------------------------
    def export_file(self) -> None:
        dialog = QFileDialog(self, "Export pools")
        dialog.setObjectName("pools_export_dialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter("RouteChat pools (*.json)")
        dialog.setDefaultSuffix("json")
        dialog.selectFile(str(Path.home() / "routechat-pools.json"))
        dialog.fileSelected.connect(lambda path: self.write_export(Path(path)))
        self._file_dialog = dialog
        dialog.open()

    def write_export(self, path: Path) -> bool:
        try:
            path.write_text(self._pools.export_text(), encoding="utf-8")
        except OSError as exc:
            self.message.setText(f"Could not write {path}: {exc.strerror or exc}.")
            return False
        self.message.setText("")
        return True

    def import_file(self) -> None:
        dialog = QFileDialog(self, "Import pools")
        dialog.setObjectName("pools_import_dialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setNameFilter("RouteChat pools (*.json)")
        dialog.fileSelected.connect(lambda path: self.read_import(Path(path)))
        self._file_dialog = dialog
        dialog.open()

    def read_import(self, path: Path) -> bool:
        try:
            text = path.read_text(encoding="utf-8")
            added = self._pools.import_text(text, where=path.name)
        except (OSError, UnicodeDecodeError) as exc:
            self.message.setText(f"Could not read {path.name}: {exc}.")
            return False
        except PoolError as exc:
            self.message.setText(str(exc))
            return False
        self.changed.emit()
        self.refresh(added[-1].id if added else None)
        return True
