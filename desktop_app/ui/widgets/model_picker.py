"""One searchable model picker, used wherever a model is chosen: a fixed-model tier, a pool's
candidates and fallback, a comparison column.

Filters by text (every word, in the id or description), provider, "supports tools" and input
modality; shows input and output prices per 1M tokens, context length and tool support, and
how old the prices are. A table model over the catalogue (no widget per row), so a list of
thousands of models opens at once. Opened with open(), never exec().
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.api.models import ModelInfo

COLUMNS = ("Model", "Input $/1M", "Output $/1M", "Context", "Tools")
ANY = ""
_Index = QModelIndex | QPersistentModelIndex


def _price(value: float | None) -> str:
    return "—" if value is None else f"{value:,.2f}"


def _sort_key(column: int) -> Any:
    """Numbers as numbers (an unknown price last), names as text."""
    return (
        lambda m: m.id,
        lambda m: m.input_per_mtok if m.input_per_mtok is not None else float("inf"),
        lambda m: m.output_per_mtok if m.output_per_mtok is not None else float("inf"),
        lambda m: m.context_length or 0,
        lambda m: (m.supports_tools, m.id),
    )[column]


class ModelTable(QAbstractTableModel):
    """The catalogue's models as rows. Sorting and filtering run in Python over the list in one
    pass (a proxy comparing rows through `data()` crosses into Python for every comparison:
    seconds for thousands of models)."""

    def __init__(self, models: Sequence[ModelInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.models = sorted(models, key=lambda m: m.id)
        self.haystacks = [f"{m.id} {m.description}".lower() for m in self.models]

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        pairs = sorted(
            zip(self.models, self.haystacks, strict=True),
            key=lambda pair: _sort_key(column)(pair[0]),
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        self.models = [m for m, _ in pairs]
        self.haystacks = [h for _, h in pairs]
        self.layoutChanged.emit()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.models)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        m = self.models[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                m.id,
                _price(m.input_per_mtok),
                _price(m.output_per_mtok),
                f"{m.context_length:,}" if m.context_length else "—",
                "yes" if m.supports_tools else "no",
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            modalities = ", ".join(m.input_modalities)
            return f"{m.description}\nInput: {modalities}".strip()
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (1, 2, 3):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class ModelFilter(QSortFilterProxyModel):
    """Text (every word), provider, tools and modality: which rows pass is worked out in one
    pass over the list when a filter changes; Qt then only reads the answers. Sorting is
    handed to the table (see `ModelTable.sort`)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._accepted: list[bool] = []

    def _table(self) -> ModelTable:
        source = self.sourceModel()
        assert isinstance(source, ModelTable)
        return source

    def _refresh(self, change: Callable[[], None]) -> None:
        """Run `change`, then let Qt read the new answers (Qt 6.10+ wants the change
        bracketed; invalidateRowsFilter before it)."""
        modern = hasattr(self, "endFilterChange")
        if modern:
            self.beginFilterChange()
        change()
        if modern:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def set_filters(self, text: str, provider: str, tools: bool, modality: str) -> None:
        self._refresh(lambda: self._compute(text.lower().split(), provider, tools, modality))

    def _compute(self, words: list[str], provider: str, tools: bool, modality: str) -> None:
        table = self._table()
        self._accepted = [
            all(w in hay for w in words)
            and (not provider or m.provider == provider)
            and (not tools or m.supports_tools)
            and (not modality or modality in m.input_modalities)
            for m, hay in zip(table.models, table.haystacks, strict=True)
        ]
        self._filters = (words, provider, tools, modality)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        def resort() -> None:
            self._table().sort(column, order)
            self._compute(*self._filters)  # rows moved: the answers follow them

        self._refresh(resort)

    def filterAcceptsRow(self, row: int, parent: _Index) -> bool:
        return row < len(self._accepted) and self._accepted[row]


class ModelPicker(QDialog):
    """Choose one model; `chosen` carries its id."""

    chosen = Signal(str)

    def __init__(
        self,
        models: Sequence[ModelInfo],
        age: str,
        parent: QWidget | None = None,
        *,
        title: str = "Choose a model",
        tools_only: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("model_picker")
        self.setWindowTitle(title)
        self.resize(760, 520)
        self.search = QLineEdit(self)
        self.search.setObjectName("model_search")
        self.search.setPlaceholderText("Search models (e.g. “gpt mini”, “claude”)")
        self.search.setAccessibleName("Search models")
        self.search.setClearButtonEnabled(True)
        self.provider = QComboBox(self)
        self.provider.setObjectName("model_provider")
        self.provider.setAccessibleName("Provider")
        self.provider.addItem("All providers", ANY)
        for name in sorted({m.provider for m in models if m.provider}):
            self.provider.addItem(name, name)
        self.tools = QCheckBox("&Supports tools", self)
        self.tools.setObjectName("model_tools_only")
        self.tools.setChecked(tools_only)
        self.modality = QComboBox(self)
        self.modality.setObjectName("model_modality")
        self.modality.setAccessibleName("Input modality")
        self.modality.addItem("Any input", ANY)
        for kind in sorted({k for m in models for k in m.input_modalities}):
            self.modality.addItem(f"Takes {kind}", kind)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 1)
        filters.addWidget(self.provider)
        filters.addWidget(self.modality)
        filters.addWidget(self.tools)
        self.table_model = ModelTable(models, self)
        self.proxy = ModelFilter(self)
        self.proxy.setSourceModel(self.table_model)
        self.proxy._compute([], ANY, tools_only, ANY)
        self.table = QTableView(self)
        self.table.setObjectName("model_table")
        self.table.setAccessibleName("Models")
        self.table.setModel(self.proxy)
        header = self.table.horizontalHeader()
        header.setSortIndicatorShown(True)
        header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)  # the table starts by id
        header.sortIndicatorChanged.connect(self.proxy.sort)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header.setSectionsClickable(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        # Widths from the header text, not the contents: measuring thousands of rows is slow.
        metrics = header.fontMetrics()
        for col in range(1, len(COLUMNS)):
            header.resizeSection(col, metrics.horizontalAdvance(COLUMNS[col]) + 36)
        self.table.doubleClicked.connect(lambda _i: self._choose())
        self.count = QLabel(self)
        self.count.setObjectName("model_count")
        self.age = QLabel(age, self)
        self.age.setObjectName("catalogue_age")
        info = QHBoxLayout()
        info.addWidget(self.count, 1)
        info.addWidget(self.age)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("&Choose")
        buttons.accepted.connect(self._choose)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(filters)
        lay.addWidget(self.table, 1)
        lay.addLayout(info)
        lay.addWidget(buttons)
        self.search.textChanged.connect(self._refilter)
        self.provider.currentIndexChanged.connect(self._refilter)
        self.modality.currentIndexChanged.connect(self._refilter)
        self.tools.toggled.connect(self._refilter)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self._refilter()
        self.search.setFocus()

    def _refilter(self) -> None:
        self.proxy.set_filters(
            self.search.text(),
            str(self.provider.currentData() or ""),
            self.tools.isChecked(),
            str(self.modality.currentData() or ""),
        )
        shown, total = self.proxy.rowCount(), self.table_model.rowCount()
        self.count.setText(f"{shown:,} of {total:,} models")
        if shown and not self.table.selectionModel().hasSelection():
            self.table.selectRow(0)
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.ok.setEnabled(self.current_id() is not None)

    def select(self, model_id: str) -> None:
        """Start with `model_id` selected (when the filters show it)."""
        for row in range(self.proxy.rowCount()):
            index = self.proxy.index(row, 0)
            if index.data() == model_id:
                self.table.selectRow(row)
                self.table.scrollTo(index)
                return

    def current_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        return str(rows[0].data()) if rows else None

    def _choose(self) -> None:
        model_id = self.current_id()
        if model_id is None:
            return
        self.chosen.emit(model_id)
        self.accept()
