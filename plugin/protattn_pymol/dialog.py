"""The protattn dialog (Plugin menu -> protattn): pick a structure, a model and a head; draw.

Qt comes from :mod:`pymol.Qt`; the dialog is made on first use and kept in the
module global ``_DIALOG``. Every button builds a command with
:mod:`.dialog_logic` and runs it with ``cmd.do``, so that it is echoed, logged
and replayable. Work with the model (loading it, the first run, the grid's
statistics) runs first in a background thread, on chains read from PyMOL on
the GUI thread beforehand and with no PyMOL call; the drawing command then runs
on the GUI thread (``cmd.do`` runs it there at once) and finds the attention in
the core's memory. torch is imported by the first such job, never when the
dialog opens.
"""

from __future__ import annotations

from collections.abc import Callable

from pymol import CmdException, cmd
from pymol.Qt import QtCore, QtGui, QtWidgets

from . import dialog_logic as logic
from .adapter import chains_by_object, structures_by_object
from .dialog_logic import DialogState

__all__ = ["AttentionDialog", "show_dialog"]

_DIALOG: AttentionDialog | None = None

_MAX_UNKNOWN = 99  # spin box limit while a model's layers and heads are unknown


def show_dialog(_self=cmd) -> AttentionDialog:
    """Show the dialog (made on first use), with the objects now loaded in PyMOL."""
    global _DIALOG
    if _DIALOG is None:
        _DIALOG = AttentionDialog(_self=_self)
    _DIALOG.refresh_objects()
    _DIALOG.show()
    _DIALOG.raise_()
    _DIALOG.activateWindow()
    return _DIALOG


class _Job(QtCore.QThread):
    """One function run off the GUI thread; progress and outcome come back as signals."""

    progress = QtCore.Signal(str)
    outcome = QtCore.Signal(object)  # (value, exception or None)

    def __init__(self, function: Callable[[Callable[[str], None]], object], parent) -> None:
        super().__init__(parent)
        self._function = function

    def run(self) -> None:
        try:
            value = self._function(self.progress.emit)
        except BaseException as e:  # shown in the dialog and PyMOL's log; the dialog never
            self.outcome.emit((None, e))  # stays busy
        else:
            self.outcome.emit((value, None))


class _CellDelegate(QtWidgets.QStyledItemDelegate):
    """Draws grid cells in their own colour, the chosen head (or layer) framed in black."""

    def __init__(self, marked: Callable[[int, int], bool], parent) -> None:
        super().__init__(parent)
        self._marked = marked

    def paint(self, painter, option, index) -> None:
        option = QtWidgets.QStyleOptionViewItem(option)
        option.state &= ~(QtWidgets.QStyle.State_Selected | QtWidgets.QStyle.State_HasFocus)
        super().paint(painter, option, index)
        if self._marked(index.row(), index.column()):
            painter.save()
            painter.setPen(QtGui.QPen(QtCore.Qt.black, 3))
            painter.drawRect(option.rect.adjusted(1, 1, -2, -2))
            painter.restore()


class AttentionDialog(QtWidgets.QDialog):
    """Object, chain, model and head choosers, the layer x head grid, and the action buttons.

    Attributes
    ----------
    history : list of str
        The commands the dialog ran, in order (also in PyMOL's log).
    last_error : str or None
        The error the status line shows, None when it shows progress or success.
    """

    def __init__(self, parent=None, *, _self=cmd) -> None:
        super().__init__(parent)
        self._cmd = _self
        self.history: list[str] = []
        self.last_error: str | None = None
        self._job: _Job | None = None
        self._on_done: Callable[[object], None] | None = None
        self._threads: set[_Job] = set()
        self._grid_pending = False
        self._shapes: dict[str, tuple[int, int] | None] = {}
        self._shape: tuple[int, int] | None = None
        self._stats: tuple[tuple, logic.GridStats] | None = None
        self.setObjectName("protattn")
        self.setWindowTitle("protattn: language model attention")
        self._build()
        self._set_shape(None)
        self._show_legend()
        self._start("listing models", self._list_models, self._show_models)

    # ------------------------------------------------------------------------- widgets

    def _build(self) -> None:
        w = QtWidgets
        self.object_combo = w.QComboBox(objectName="object")
        self.object_combo.setToolTip("PyMOL object to analyse")
        self.chain_combo = w.QComboBox(objectName="chain")
        self.chain_combo.setToolTip("one chain, or all chains of the object")
        self.refresh_button = w.QPushButton("Refresh", objectName="refresh")
        self.refresh_button.setToolTip("read the objects and chains loaded in PyMOL again")
        self.model_combo = w.QComboBox(objectName="model")
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(w.QComboBox.NoInsert)
        self.model_combo.setToolTip("a short name (offline: usable without a network), "
                                    "or type a Hugging Face id or model folder")
        for name, spec in logic.MODELS.items():
            self.model_combo.addItem(logic.model_label(name), name)
            self.model_combo.setItemData(self.model_combo.count() - 1,
                                         f"{spec.source} {spec.note}".strip(),
                                         QtCore.Qt.ToolTipRole)
        self.model_combo.setCurrentIndex(self.model_combo.findData(logic.DEFAULT_MODEL))

        self.layer_spin = w.QSpinBox(objectName="layer")
        self.head_spin = w.QSpinBox(objectName="head")
        self.aggregate_combo = w.QComboBox(objectName="aggregate")
        self.aggregate_combo.addItems(logic.AGGREGATES)
        self.aggregate_combo.setToolTip("none: one head; mean / max: all heads of the layer")
        self.threshold_spin = w.QDoubleSpinBox(objectName="threshold")
        self.threshold_spin.setRange(0.0, 1.0)
        self.threshold_spin.setDecimals(3)
        self.threshold_spin.setSingleStep(0.05)
        self.threshold_spin.setValue(0.1)
        self.threshold_spin.setToolTip("draw pairs whose attention max(a_ij, a_ji) is above it")
        self.top_k_spin = w.QSpinBox(objectName="top_k")
        self.top_k_spin.setRange(0, 10000)
        self.top_k_spin.setSpecialValueText("off")
        self.top_k_spin.setToolTip("draw the k strongest pairs per chain instead of a threshold")
        self.min_separation_spin = w.QSpinBox(objectName="min_separation")
        self.min_separation_spin.setRange(1, 1000)
        self.min_separation_spin.setToolTip("minimum |i - j| in sequence (6 for contacts)")

        self.buttons = {}
        for action, label, tip in (
                ("pairs", "Pairs", "draw the head's strongest residue pairs (attention_pairs)"),
                ("color", "Colour", "colour residues by the attention they receive "
                                    "(attention_color)"),
                ("contacts", "Contacts", "predict contacts from all heads and draw them "
                                         "(attention_contacts)"),
                ("clear", "Clear", "remove the drawings, restore b-factors (attention_clear)")):
            button = w.QPushButton(label, objectName=action)
            button.setToolTip(tip)
            button.clicked.connect(lambda _=False, a=action: self.run_action(a))
            self.buttons[action] = button

        self.property_combo = w.QComboBox(objectName="property")
        self.property_combo.addItems(list(logic.PROPERTIES))
        self.property_combo.setToolTip("colour the grid by each head's share of attention "
                                       f">= {logic.STATS_THRESHOLD:g} on this property")
        self.min_arcs_spin = w.QSpinBox(objectName="min_arcs")
        self.min_arcs_spin.setRange(1, 100000)
        self.min_arcs_spin.setValue(DialogState.min_arcs)
        self.min_arcs_spin.setToolTip("heads with too few arcs of high-confidence attention "
                                      "are grey")
        self.definition_combo = w.QComboBox(objectName="definition")
        self.definition_combo.addItems(list(logic.DEFINITIONS))
        self.definition_combo.setToolTip(
            "paper: the paper's own counting (arcs >= theta over every pair, heads with more than "
            "min arcs); judged: share and background on the pairs the property is judged on")
        self.grid = w.QTableWidget(objectName="grid")
        self.grid.setEditTriggers(w.QAbstractItemView.NoEditTriggers)
        self.grid.setSelectionMode(w.QAbstractItemView.NoSelection)
        self.grid.setItemDelegate(_CellDelegate(self._marked, self.grid))
        for header, size in ((self.grid.horizontalHeader(), 28),
                             (self.grid.verticalHeader(), 22)):
            header.setMinimumSectionSize(size)
            header.setSectionResizeMode(w.QHeaderView.Stretch)
        self.grid.setMinimumSize(340, 260)
        self.grid.setToolTip("rows: layers, columns: heads; click a cell to draw its pairs")
        self.legend = w.QLabel(objectName="legend")
        self.status = w.QLabel("ready", objectName="status")
        self.status.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        for label, lines in ((self.legend, 2), (self.status, 3)):
            # word-wrapped labels get one line's height from the layout otherwise
            label.setWordWrap(True)
            label.setAlignment(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop)
            label.setMinimumHeight(lines * label.fontMetrics().lineSpacing() + 4)
        self.progress = w.QProgressBar(objectName="progress")
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(120)

        structure = w.QGridLayout()
        structure.addWidget(w.QLabel("Object"), 0, 0)
        structure.addWidget(self.object_combo, 0, 1)
        structure.addWidget(w.QLabel("Chain"), 0, 2)
        structure.addWidget(self.chain_combo, 0, 3)
        structure.addWidget(self.refresh_button, 0, 4)
        structure.addWidget(w.QLabel("Model"), 1, 0)
        structure.addWidget(self.model_combo, 1, 1, 1, 4)
        structure.addWidget(w.QLabel("Layer"), 2, 0)
        structure.addWidget(self.layer_spin, 2, 1)
        structure.addWidget(w.QLabel("Head"), 2, 2)
        structure.addWidget(self.head_spin, 2, 3)
        structure.addWidget(self.aggregate_combo, 2, 4)
        structure.addWidget(w.QLabel("Threshold"), 3, 0)
        structure.addWidget(self.threshold_spin, 3, 1)
        structure.addWidget(w.QLabel("Top k"), 3, 2)
        structure.addWidget(self.top_k_spin, 3, 3)
        separation = w.QHBoxLayout()
        separation.addWidget(w.QLabel("Min sep."))
        separation.addWidget(self.min_separation_spin)
        structure.addLayout(separation, 3, 4)
        structure.setColumnStretch(1, 1)
        structure.setColumnStretch(3, 1)

        actions = w.QHBoxLayout()
        for button in self.buttons.values():
            actions.addWidget(button)

        grid_bar = w.QHBoxLayout()
        grid_bar.addWidget(w.QLabel("Grid (rows: layers, columns: heads) by"))
        grid_bar.addWidget(self.property_combo, 1)
        grid_bar.addWidget(w.QLabel("min arcs"))
        grid_bar.addWidget(self.min_arcs_spin)
        grid_bar.addWidget(self.definition_combo)

        progress = w.QHBoxLayout()
        progress.addWidget(self.progress)
        progress.addWidget(self.status, 1)

        layout = w.QVBoxLayout(self)
        layout.setSizeConstraint(w.QLayout.SetMinimumSize)  # grows with the legend's lines
        layout.addLayout(structure)
        layout.addLayout(actions)
        layout.addLayout(grid_bar)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.legend)
        layout.addLayout(progress)

        self.object_combo.currentIndexChanged.connect(self._object_changed)
        self.chain_combo.currentIndexChanged.connect(self._grid_outdated)
        self.refresh_button.clicked.connect(self.refresh_objects)
        self.model_combo.activated.connect(self._model_changed)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        self.model_combo.lineEdit().editingFinished.connect(self._model_changed)
        self.aggregate_combo.currentIndexChanged.connect(self._head_enabled)
        self.layer_spin.valueChanged.connect(self._mark_head)
        self.head_spin.valueChanged.connect(self._mark_head)
        self.top_k_spin.valueChanged.connect(
            lambda k: self.threshold_spin.setEnabled(k == 0))
        self.property_combo.currentIndexChanged.connect(self._grid_outdated)
        self.min_arcs_spin.editingFinished.connect(self._grid_outdated)
        self.definition_combo.currentIndexChanged.connect(self._grid_outdated)
        self.grid.cellClicked.connect(self._cell_clicked)

    # -------------------------------------------------------------------------- state

    def model(self) -> str:
        """The chosen model's short name, or the id or folder typed in."""
        index, text = self.model_combo.currentIndex(), self.model_combo.currentText()
        if index >= 0 and text == self.model_combo.itemText(index):
            return self.model_combo.itemData(index)
        return logic.model_name(text)

    def state(self) -> DialogState:
        """What the widgets say now."""
        return DialogState(
            obj=self.object_combo.currentText(),
            chain=self.chain_combo.currentData(),
            model=self.model(),
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

    @property
    def busy(self) -> bool:
        """Whether a background job is running."""
        return self._job is not None

    # ---------------------------------------------------------------------- PyMOL side

    def refresh_objects(self) -> None:
        """Fill the object chooser with PyMOL's protein objects, keeping the current one."""
        current = self.object_combo.currentText()
        names = [name for name in self._cmd.get_object_list() or []
                 if self._cmd.count_atoms(f"({name}) and polymer.protein")]
        self.object_combo.blockSignals(True)
        self.object_combo.clear()
        self.object_combo.addItems(names)
        if current in names:
            self.object_combo.setCurrentIndex(names.index(current))
        self.object_combo.blockSignals(False)
        self._object_changed()

    def _object_changed(self, *_) -> None:
        obj = self.object_combo.currentText()
        current = self.chain_combo.currentData()
        self.chain_combo.blockSignals(True)
        self.chain_combo.clear()
        self.chain_combo.addItem("all chains", None)
        for chain in (self._cmd.get_chains(f"({obj}) and polymer.protein") if obj else []):
            self.chain_combo.addItem(chain or "(blank)", chain)
        index = self.chain_combo.findData(current) if current is not None else 0
        self.chain_combo.setCurrentIndex(max(index, 0))
        self.chain_combo.blockSignals(False)
        self._grid_outdated()

    def run_action(self, action: str) -> None:
        """Run a button's command: compute in the background, then ``cmd.do`` it here."""
        try:
            state = self.state()
            line = logic.command(action, state)
            chains = ({} if action == "clear"
                      else chains_by_object(state.selection, _self=self._cmd))
        except (ValueError, CmdException) as e:
            self._error(e)
            return
        if action == "clear":
            self._do(line, "")
            return

        def job(progress):
            summary = logic.prepare(action, state, chains, progress)
            return summary, logic.loaded_shape(state.model)

        def done(value):
            summary, shape = value
            self._set_shape(shape, state.model)
            self._do(line, summary)

        self._start(f"{action}: {line}", job, done)

    def _do(self, line: str, summary: str) -> None:
        self.history.append(line)
        self._cmd.do(line)
        self._say(f"ran: {line}" + (f"\n{summary}" if summary else ""))

    # ------------------------------------------------------------------------ models

    @staticmethod
    def _list_models(progress) -> tuple[dict, dict]:
        statuses = logic.model_statuses()
        shapes = {name: logic.model_shape(name) for name, s in statuses.items()
                  if s != "missing"}
        return statuses, shapes

    def _show_models(self, value) -> None:
        statuses, shapes = value
        self._shapes.update(shapes)
        for index in range(self.model_combo.count()):
            name = self.model_combo.itemData(index)
            if name in statuses:
                self.model_combo.setItemText(index, logic.model_label(name, statuses[name]))
        self._model_changed()
        if not self.busy:
            offline = sum(1 for s in statuses.values() if s != "missing")
            self._say(f"{offline} of {len(statuses)} known models are here for offline use; "
                      f"{self.status.text()}")

    def _model_changed(self, *_) -> None:
        model = self.model()
        if model not in self._shapes:
            self._shapes[model] = logic.model_shape(model)
        shape = self._shapes[model]
        self._set_shape(shape, model)
        if not self.busy:
            self._say(f"model {model}: " + (f"{shape[0]} layers x {shape[1]} heads" if shape
                                            else "layers and heads known once it is loaded"))
        self._grid_outdated()

    def _set_shape(self, shape: tuple[int, int] | None, model: str | None = None) -> None:
        if model is not None and shape is not None:
            self._shapes[model] = shape
        if shape == self._shape and self.grid.rowCount():
            return
        self._shape = shape
        layers, heads = shape or (_MAX_UNKNOWN, _MAX_UNKNOWN)
        self.layer_spin.setRange(1, layers)
        self.head_spin.setRange(1, heads)
        self.grid.clear()
        self.grid.setRowCount(layers if shape else 0)
        self.grid.setColumnCount(heads if shape else 0)
        self.grid.setHorizontalHeaderLabels([str(h + 1) for h in range(heads if shape else 0)])
        self.grid.setVerticalHeaderLabels([str(k + 1) for k in range(layers if shape else 0)])
        for row in range(self.grid.rowCount()):
            for col in range(self.grid.columnCount()):
                item = QtWidgets.QTableWidgetItem("")
                item.setToolTip(f"{row + 1}-{col + 1}: click to draw its pairs")
                item.setTextAlignment(QtCore.Qt.AlignCenter)
                self.grid.setItem(row, col, item)
        self._paint_grid()
        self._mark_head()

    # -------------------------------------------------------------------------- grid

    @staticmethod
    def _grid_key(state: DialogState) -> tuple:
        return (state.obj, state.chain, state.model, state.prop, state.min_arcs,
                state.definition)

    def _grid_outdated(self, *_) -> None:
        """Recompute the grid's colours for the current choices (in the background)."""
        state = self.state()
        if self._stats is not None and self._stats[0] == self._grid_key(state):
            return
        self._paint_grid()  # no colours until the statistics for these choices are in
        if state.prop == "none" or not state.obj:
            return
        if self.busy:
            self._grid_pending = True
            return
        try:
            structures = list(structures_by_object(state.selection, _self=self._cmd).values())
        except (ValueError, CmdException) as e:
            self._error(e)
            return

        def job(progress):
            return (logic.grid_statistics(structures, state, progress),
                    logic.loaded_shape(state.model))

        def done(value):
            stats, shape = value
            self._set_shape(shape, state.model)
            self._stats = (self._grid_key(state), stats)
            self._paint_grid()
            self._say(f"grid: {state.prop} for {state.selection} with {state.model}")

        self._start(f"{state.prop} statistics for {state.selection}", job, done)

    def _paint_grid(self) -> None:
        state = self.state()
        stats = self._stats[1] if self._stats and self._stats[0] == self._grid_key(state) else None
        if stats is not None and stats.shape != (self.grid.rowCount(), self.grid.columnCount()):
            stats = None
        cells = (logic.grid_cells(stats.share, stats.enough_arcs, stats.n_arcs,
                                  stats.background, state.prop) if stats is not None else None)
        for row in range(self.grid.rowCount()):
            for col in range(self.grid.columnCount()):
                item = self.grid.item(row, col)
                if cells is None:
                    item.setText("")
                    item.setData(QtCore.Qt.BackgroundRole, None)
                    item.setData(QtCore.Qt.ForegroundRole, None)
                    item.setToolTip(f"{row + 1}-{col + 1}: click to draw its pairs")
                    continue
                cell = cells[row][col]
                item.setText(cell.text)
                item.setToolTip(cell.tooltip)
                item.setBackground(QtGui.QBrush(QtGui.QColor.fromRgbF(*cell.rgb)))
                item.setForeground(QtGui.QBrush(
                    QtCore.Qt.black if logic.text_is_dark(cell.rgb) else QtCore.Qt.white))
        self._show_legend(stats, state.prop)

    def _show_legend(self, stats: logic.GridStats | None = None, label: str = "") -> None:
        self.legend.setText(logic.grid_legend(stats, label if stats is not None else ""))

    def _cell_clicked(self, row: int, col: int) -> None:
        self.aggregate_combo.setCurrentText("none")
        self.layer_spin.setValue(row + 1)
        self.head_spin.setValue(col + 1)
        if self.busy:
            self._say("busy: wait for the running job, then click again")
            return
        self.run_action("pairs")

    def _head_enabled(self, *_) -> None:
        self.head_spin.setEnabled(self.aggregate_combo.currentText() == "none")
        self._mark_head()

    def _marked(self, row: int, col: int) -> bool:
        """Whether a grid cell is the chosen head (or in the chosen layer, with an aggregate)."""
        if row != self.layer_spin.value() - 1:
            return False
        return self.aggregate_combo.currentText() != "none" or col == self.head_spin.value() - 1

    def _mark_head(self, *_) -> None:
        self.grid.viewport().update()

    # ------------------------------------------------------------------------ jobs

    def _start(self, label: str, function, on_done: Callable[[object], None]) -> None:
        if self.busy:
            self._say(f"busy: {label} has to wait for the running job")
            return
        job = _Job(function, self)
        self._job, self._on_done = job, on_done
        self._threads.add(job)
        job.progress.connect(self._say)
        job.outcome.connect(self._job_done)
        job.finished.connect(lambda: self._threads.discard(job))
        job.finished.connect(job.deleteLater)
        for button in self.buttons.values():
            button.setEnabled(False)
        self.progress.setRange(0, 0)  # busy indicator
        self._say(label)
        job.start()

    def _job_done(self, outcome) -> None:
        value, error = outcome
        on_done, self._job, self._on_done = self._on_done, None, None
        for button in self.buttons.values():
            button.setEnabled(True)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        try:
            if error is not None:
                self._error(error)
            else:
                on_done(value)
        except Exception as e:  # a slot must not raise into Qt's event loop
            self._error(e)
        if self._grid_pending:
            self._grid_pending = False
            self._grid_outdated()

    # ----------------------------------------------------------------------- status

    def _say(self, text: str) -> None:
        self.last_error = None
        self.status.setStyleSheet("")
        self.status.setText(text)

    def _error(self, error: Exception) -> None:
        self.last_error = str(error) or type(error).__name__
        print(f" protattn: {self.last_error}")
        self.status.setStyleSheet("color: #b00020")
        self.status.setText(self.last_error)
