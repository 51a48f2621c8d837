"""The Attention panel (Tools -> Structure Analysis -> Attention): widgets only.

The panel shows a :class:`~.tool_logic.PanelState` and forwards clicks to a
:class:`~.tool_logic.PanelController`, which builds every action as an
``attention ...`` command and runs it with ChimeraX's ``run`` (logged and
replayable), after the model work ran in a background thread. This module is
imported only when the panel is first shown (Qt is there then); it holds no logic
that :mod:`.tool_logic` does not test.

:class:`AttentionPanel` is the panel's widget tree, a ``QWidget`` that goes into
any parent; :class:`AttentionTool` is the ChimeraX tool that shows one in its
tool window (``MainToolWindow``, which needs ChimeraX's main window). The tests
build an :class:`AttentionPanel` offscreen in a headless session.
"""

from __future__ import annotations

from collections.abc import Callable

from chimerax.core import tools
from chimerax.core.models import ADD_MODELS, REMOVE_MODELS
from chimerax.core.session import Session
from chimerax.core.tools import ToolInstance
from Qt.QtCore import QModelIndex, Qt
from Qt.QtGui import QBrush, QColor, QPainter, QPen
from Qt.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from . import tool_logic as logic
from .tool_logic import PanelController, PanelState

__all__ = ["AttentionPanel", "AttentionTool"]

_MAX_UNKNOWN = 99  # spin box limit while a model's layers and heads are unknown
_ERROR_STYLE = "color: #b00020"


class _CellDelegate(QStyledItemDelegate):
    """Draws grid cells in their own colour, the chosen head (or layer) framed in black."""

    def __init__(self, marked: Callable[[int, int], bool], parent: QWidget) -> None:
        super().__init__(parent)
        self._marked = marked

    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex) -> None:
        super().paint(painter, option, index)
        if self._marked(index.row(), index.column()):
            painter.save()
            painter.setPen(QPen(QColor(Qt.GlobalColor.black), 3))
            painter.drawRect(option.rect.adjusted(1, 1, -2, -2))
            painter.restore()


class AttentionPanel(QWidget):
    """Structure, chain, model and head choosers, the action buttons and the layer x head grid.

    The :class:`~.tool_logic.PanelView` of a :class:`~.tool_logic.PanelController`;
    it follows the session's structures (model added / removed triggers) until
    :meth:`release`.

    Parameters
    ----------
    session : Session
    parent : QWidget, optional
        Where the panel goes (the tool window's ``ui_area`` in the application).
    """

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self._choices: list[logic.StructureChoice] | None = None
        self._shape: tuple[int, int] | None = None
        self.controller = PanelController(session, self)
        self._build()
        self._fill_models()
        self.set_shape(self.controller.shape(self._model()))
        self.refresh_structures()
        self._handlers = [session.triggers.add_handler(name, self._models_changed)
                          for name in (ADD_MODELS, REMOVE_MODELS)]

    def release(self) -> None:
        """Stop following the session; outcomes of a running job are dropped."""
        self.controller.close()
        for handler in self._handlers:
            self.session.triggers.remove_handler(handler)
        self._handlers = []

    # ------------------------------------------------------------------------ widgets

    def _build(self) -> None:
        self.structure_combo = QComboBox()
        self.structure_combo.setToolTip("atomic structure with a protein chain")
        self.chain_combo = QComboBox()
        self.chain_combo.setToolTip("one protein chain, or all of the structure's")
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("read the open structures and their chains again")
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.setToolTip("a short name (offline: weights are here), or type a "
                                    "Hugging Face id or a model folder")

        self.layer_spin = QSpinBox()
        self.head_spin = QSpinBox()
        self.aggregate_combo = QComboBox()
        self.aggregate_combo.addItems(list(logic.AGGREGATES))
        self.aggregate_combo.setToolTip("none: one head; mean / max: all heads of the layer")
        self.threshold_spin = QDoubleSpinBox()
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setDecimals(3)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(PanelState.threshold)
        self.threshold_spin.setToolTip("draw pairs whose attention max(a_ij, a_ji) is above it")
        self.top_k_spin = QSpinBox()
        self.top_k_spin.setRange(0, 10000)
        self.top_k_spin.setSpecialValueText("off")
        self.top_k_spin.setToolTip("draw the k strongest pairs per chain instead of a threshold")
        self.min_separation_spin = QSpinBox()
        self.min_separation_spin.setRange(1, 1000)
        self.min_separation_spin.setValue(PanelState.min_separation)
        self.min_separation_spin.setToolTip("minimum |i - j| in sequence (6 for contacts)")

        self.buttons: dict[str, QPushButton] = {}
        for action, label, tip in (
                ("pairs", "Pairs", "draw the head's strongest residue pairs (attention pairs)"),
                ("color", "Color", "color residues by the attention they receive "
                                   "(attention color)"),
                ("contacts", "Contacts", "predict contacts from all heads and draw them, "
                                         "true / false (attention contacts)"),
                ("clear", "Clear", "remove the structure's attention pseudobonds and values "
                                   "(attention clear)")):
            button = QPushButton(label)
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, a=action: self.run_action(a))
            self.buttons[action] = button

        self.property_combo = QComboBox()
        self.property_combo.addItems(list(logic.PROPERTIES))
        self.property_combo.setToolTip("color the grid by each head's share of attention "
                                       f">= {logic.STATS_THRESHOLD:g} on this property")
        self.min_arcs_spin = QSpinBox()
        self.min_arcs_spin.setRange(1, 100000)
        self.min_arcs_spin.setValue(PanelState.min_arcs)
        self.min_arcs_spin.setToolTip("heads with too few arcs of high-confidence attention "
                                      "are grey")
        self.definition_combo = QComboBox()
        self.definition_combo.addItems(list(logic.DEFINITIONS))
        self.definition_combo.setToolTip(
            "paper: the paper's own counting (arcs >= theta over every pair, heads with more than "
            "min arcs); judged: share and background on the pairs the property is judged on")
        self.stats_button = QPushButton("Log")
        self.stats_button.setToolTip("log the property's head table and heatmap "
                                     "(attention stats)")
        self.stats_button.clicked.connect(lambda _=False: self.run_action("stats"))
        self.buttons["stats"] = self.stats_button

        self.grid = QTableWidget()
        self.grid.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.grid.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.grid.setItemDelegate(_CellDelegate(self._marked, self.grid))
        for header, size in ((self.grid.horizontalHeader(), 26),
                             (self.grid.verticalHeader(), 20)):
            header.setMinimumSectionSize(size)
            header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.grid.setMinimumSize(300, 220)
        self.grid.setToolTip("rows: layers, columns: heads; click a cell to draw its pairs")
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.status = QLabel("ready")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(100)

        choosers = QGridLayout()
        choosers.addWidget(QLabel("Structure"), 0, 0)
        choosers.addWidget(self.structure_combo, 0, 1)
        choosers.addWidget(QLabel("Chain"), 0, 2)
        choosers.addWidget(self.chain_combo, 0, 3)
        choosers.addWidget(self.refresh_button, 0, 4)
        choosers.addWidget(QLabel("Model"), 1, 0)
        choosers.addWidget(self.model_combo, 1, 1, 1, 4)
        choosers.addWidget(QLabel("Layer"), 2, 0)
        choosers.addWidget(self.layer_spin, 2, 1)
        choosers.addWidget(QLabel("Head"), 2, 2)
        choosers.addWidget(self.head_spin, 2, 3)
        choosers.addWidget(self.aggregate_combo, 2, 4)
        choosers.addWidget(QLabel("Threshold"), 3, 0)
        choosers.addWidget(self.threshold_spin, 3, 1)
        choosers.addWidget(QLabel("Top k"), 3, 2)
        choosers.addWidget(self.top_k_spin, 3, 3)
        separation = QHBoxLayout()
        separation.addWidget(QLabel("Min sep."))
        separation.addWidget(self.min_separation_spin)
        choosers.addLayout(separation, 3, 4)
        choosers.setColumnStretch(1, 1)
        choosers.setColumnStretch(3, 1)

        actions = QHBoxLayout()
        for action in ("pairs", "color", "contacts", "clear"):
            actions.addWidget(self.buttons[action])

        grid_bar = QHBoxLayout()
        grid_bar.addWidget(QLabel("Grid by"))
        grid_bar.addWidget(self.property_combo, 1)
        grid_bar.addWidget(QLabel("min arcs"))
        grid_bar.addWidget(self.min_arcs_spin)
        grid_bar.addWidget(self.definition_combo)
        grid_bar.addWidget(self.stats_button)

        status = QHBoxLayout()
        status.addWidget(self.progress)
        status.addWidget(self.status, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(choosers)
        layout.addLayout(actions)
        layout.addLayout(grid_bar)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.legend)
        layout.addLayout(status)

        self.structure_combo.currentIndexChanged.connect(self._structure_changed)
        self.chain_combo.currentIndexChanged.connect(self._grid_changed)
        self.refresh_button.clicked.connect(lambda _=False: self.refresh_structures(force=True))
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        # chosen from the list, even the item that was current (after a name was typed)
        self.model_combo.activated.connect(self._model_changed)
        self.model_combo.lineEdit().editingFinished.connect(self._model_changed)
        self.aggregate_combo.currentIndexChanged.connect(self._aggregate_changed)
        self.layer_spin.valueChanged.connect(self._mark_head)
        self.head_spin.valueChanged.connect(self._mark_head)
        self.top_k_spin.valueChanged.connect(lambda k: self.threshold_spin.setEnabled(k == 0))
        self.property_combo.currentIndexChanged.connect(self._grid_changed)
        self.min_arcs_spin.editingFinished.connect(self._grid_changed)
        self.definition_combo.currentIndexChanged.connect(self._grid_changed)
        self.grid.cellClicked.connect(self._cell_clicked)

    def _fill_models(self) -> None:
        self.model_combo.blockSignals(True)
        for choice in logic.model_choices():
            self.model_combo.addItem(choice.label, choice.name)
            self.model_combo.setItemData(self.model_combo.count() - 1, choice.tooltip,
                                         Qt.ItemDataRole.ToolTipRole)
        self.model_combo.setCurrentIndex(self.model_combo.findData(logic.DEFAULT_MODEL))
        self.model_combo.blockSignals(False)

    # ------------------------------------------------------------------- PanelView

    def _model(self) -> str:
        index, text = self.model_combo.currentIndex(), self.model_combo.currentText()
        if index >= 0 and text == self.model_combo.itemText(index):
            return self.model_combo.itemData(index)
        return logic.model_name(text)

    def state(self) -> PanelState:
        """What the widgets say now."""
        return PanelState(
            structure=self.structure_combo.currentData() or "",
            chain=self.chain_combo.currentData(),
            model=self._model(),
            layer=self.layer_spin.value(),
            head=self.head_spin.value(),
            aggregate=self.aggregate_combo.currentText(),
            threshold=round(self.threshold_spin.value(), 3),
            top_k=self.top_k_spin.value(),
            min_separation=self.min_separation_spin.value(),
            prop=self.property_combo.currentText(),
            min_arcs=self.min_arcs_spin.value(),
            definition=self.definition_combo.currentText(),
        )

    def say(self, text: str) -> None:
        """Show ``text`` on the status line."""
        self.status.setStyleSheet("")
        self.status.setText(text)

    def error(self, text: str) -> None:
        """Show ``text`` on the status line as an error."""
        self.status.setStyleSheet(_ERROR_STYLE)
        self.status.setText(text)

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons and run the busy indicator while a job runs."""
        for button in self.buttons.values():
            button.setEnabled(not busy)
        self.progress.setRange(0, 0 if busy else 1)  # (0, 0): a busy indicator
        self.progress.setValue(0)

    def set_shape(self, shape: tuple[int, int] | None) -> None:
        """Make the grid ``(layers, heads)`` cells (none while unknown) and bound the spin boxes."""
        if shape == self._shape and self.grid.rowCount():
            return
        self._shape = shape
        layers, heads = shape or (_MAX_UNKNOWN, _MAX_UNKNOWN)
        self.layer_spin.setRange(1, layers)
        self.head_spin.setRange(1, heads)
        rows, cols = shape or (0, 0)
        self.grid.clear()
        self.grid.setRowCount(rows)
        self.grid.setColumnCount(cols)
        self.grid.setHorizontalHeaderLabels([str(h + 1) for h in range(cols)])
        self.grid.setVerticalHeaderLabels([str(k + 1) for k in range(rows)])
        for row in range(rows):
            for col in range(cols):
                item = QTableWidgetItem("")
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.grid.setItem(row, col, item)
        self.controller.show_grid(self.state())

    def show_grid(self, cells: list[list[logic.GridCell]] | None, legend: str) -> None:
        """Colour the grid's cells (blank them if ``cells`` is None) and set the legend."""
        if cells is not None and (len(cells), len(cells[0]) if cells else 0) != (
                self.grid.rowCount(), self.grid.columnCount()):
            cells = None
        for row in range(self.grid.rowCount()):
            for col in range(self.grid.columnCount()):
                item = self.grid.item(row, col)
                if cells is None:
                    item.setText("")
                    item.setData(Qt.ItemDataRole.BackgroundRole, None)
                    item.setData(Qt.ItemDataRole.ForegroundRole, None)
                    item.setToolTip(f"{row + 1}-{col + 1}: click to draw its pairs")
                    continue
                cell = cells[row][col]
                item.setText(cell.text)
                item.setToolTip(cell.tooltip)
                item.setBackground(QBrush(QColor.fromRgbF(*cell.rgb)))
                item.setForeground(QBrush(QColor(
                    Qt.GlobalColor.black if logic.text_is_dark(cell.rgb)
                    else Qt.GlobalColor.white)))
        self.legend.setText(legend)

    # ---------------------------------------------------------------------- events

    def run_action(self, action: str) -> None:
        """A button: ``action`` (pairs, color, contacts, clear, stats) on the current choices."""
        self.controller.run_action(action, self.state())

    def refresh_structures(self, force: bool = False) -> None:
        """Fill the structure chooser with the open protein structures, keeping the current one."""
        choices = logic.structure_choices(self.session)
        if choices == self._choices and not force:
            return
        self._choices = choices
        current = self.structure_combo.currentData()
        self.structure_combo.blockSignals(True)
        self.structure_combo.clear()
        for choice in choices:
            self.structure_combo.addItem(choice.label, choice.spec)
        index = self.structure_combo.findData(current) if current else -1
        self.structure_combo.setCurrentIndex(max(index, 0) if choices else -1)
        self.structure_combo.blockSignals(False)
        self._structure_changed()

    def _models_changed(self, trigger_name: str, models: object) -> None:
        self.refresh_structures()

    def _structure_changed(self, *_) -> None:
        spec = self.structure_combo.currentData()
        choice = next((c for c in self._choices or [] if c.spec == spec), None)
        current = self.chain_combo.currentData()
        self.chain_combo.blockSignals(True)
        self.chain_combo.clear()
        self.chain_combo.addItem("all chains", None)
        for chain in choice.chains if choice else ():
            self.chain_combo.addItem(chain.label, chain.chain_id)
        index = self.chain_combo.findData(current) if current is not None else 0
        self.chain_combo.setCurrentIndex(max(index, 0))
        self.chain_combo.blockSignals(False)
        self._grid_changed()

    def _model_changed(self, *_) -> None:
        model = self._model()
        shape = self.controller.shape(model)
        self.set_shape(shape)
        if not self.controller.worker.busy:
            self.say(f"model {model}: " + (f"{shape[0]} layers x {shape[1]} heads" if shape
                                           else "layers and heads known once it is loaded"))
        self._grid_changed()

    def _grid_changed(self, *_) -> None:
        self.controller.update_grid(self.state())

    def _aggregate_changed(self, *_) -> None:
        self.head_spin.setEnabled(self.aggregate_combo.currentText() == "none")
        self._mark_head()

    def _cell_clicked(self, row: int, col: int) -> None:
        self.aggregate_combo.setCurrentText("none")
        self.layer_spin.setValue(row + 1)
        self.head_spin.setValue(col + 1)
        self.controller.click_cell(self.state(), row + 1, col + 1)

    def _marked(self, row: int, col: int) -> bool:
        """Whether a grid cell is the chosen head (or in the chosen layer, with an aggregate)."""
        if row != self.layer_spin.value() - 1:
            return False
        return self.aggregate_combo.currentText() != "none" or col == self.head_spin.value() - 1

    def _mark_head(self, *_) -> None:
        self.grid.viewport().update()


class AttentionTool(ToolInstance):
    """The Attention tool: an :class:`AttentionPanel` in a ChimeraX tool window (side dock)."""

    SESSION_ENDURING = False
    SESSION_SAVE = False

    @classmethod
    def get_singleton(cls, session: Session, tool_name: str = "Attention",
                      create: bool = True) -> AttentionTool | None:
        """The session's panel (made if ``create``), shown."""
        return tools.get_singleton(session, cls, tool_name, create=create, display=True)

    def __init__(self, session: Session, tool_name: str) -> None:
        from chimerax.ui import MainToolWindow  # ChimeraX's window: the application has it

        super().__init__(session, tool_name)
        self.tool_window = MainToolWindow(self)
        self.panel = AttentionPanel(session, self.tool_window.ui_area)
        layout = QVBoxLayout(self.tool_window.ui_area)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.panel)
        self.tool_window.manage(placement="side")

    def delete(self) -> None:
        self.panel.release()
        super().delete()
