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

from pymol import cmd
from pymol.Qt import QtCore, QtGui, QtWidgets

from protattn.lm.counts import DEFINITIONS
from protattn.lm.registry import MODELS
from protattn.panel import widgets
from protattn.panel.controller import PanelController
from protattn.panel.grid import AGGREGATES, PROPERTIES, CellPaint, GridCell

from . import dialog_logic as logic
from .dialog_logic import DialogState, PymolHost

__all__ = ["STATUS_LINES", "AttentionDialog", "show_dialog"]

_DIALOG: AttentionDialog | None = None

#: Lines of text the status band shows: at least the first, at most the second; the
#: band grows with a message up to that, a longer one scrolls (and is the tooltip).
STATUS_LINES = (3, 6)


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


class _Poster(QtCore.QObject):
    """Calls functions on the GUI thread for other threads (a queued signal)."""

    call = QtCore.Signal(object)

    def __init__(self, parent) -> None:
        super().__init__(parent)
        self.call.connect(self._run)

    @QtCore.Slot(object)
    def _run(self, job) -> None:
        function, args = job
        function(*args)

    def __call__(self, function: Callable[..., object], *args) -> None:
        self.call.emit((function, args))


def _centred_item() -> QtWidgets.QTableWidgetItem:
    item = QtWidgets.QTableWidgetItem("")
    item.setTextAlignment(QtCore.Qt.AlignCenter)
    return item


def _brushes(paint: CellPaint) -> tuple[QtGui.QBrush | None, QtGui.QBrush | None]:
    if paint.rgb is None:
        return None, None
    text = QtCore.Qt.black if paint.dark_text else QtCore.Qt.white
    return QtGui.QBrush(QtGui.QColor.fromRgbF(*paint.rgb)), QtGui.QBrush(text)


#: The dialog's buttons: action, label, tooltip.
_BUTTONS = (
    ("pairs", "Pairs", "draw the head's strongest residue pairs (attention_pairs)"),
    ("color", "Colour", "colour residues by the attention they receive (attention_color)"),
    ("contacts", "Contacts", "predict contacts from all heads and draw them (attention_contacts)"),
    ("clear", "Clear", "remove the drawings, restore b-factors (attention_clear)"),
)


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
        self.last_error: str | None = None
        self.controller = PanelController(PymolHost(_Poster(self), _self=_self), self)
        self.setObjectName("protattn")
        self.setWindowTitle("protattn: language model attention")
        self._build()
        self.set_shape(None)
        self.controller.start("listing models", self._list_models, self._show_models)

    @property
    def history(self) -> list[str]:
        """The commands the dialog ran, in order (also in PyMOL's log)."""
        return self.controller.history

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
        self.model_combo.setToolTip(
            "a short name (offline: usable without a network), "
            "or type a Hugging Face id or model folder"
        )
        for name, spec in MODELS.items():
            self.model_combo.addItem(logic.model_label(name), name)
            self.model_combo.setItemData(
                self.model_combo.count() - 1,
                f"{spec.source} {spec.note}".strip(),
                QtCore.Qt.ToolTipRole,
            )
        self.model_combo.setCurrentIndex(self.model_combo.findData(logic.DEFAULT_MODEL))

        self.layer_spin = w.QSpinBox(objectName="layer")
        self.head_spin = w.QSpinBox(objectName="head")
        self.aggregate_combo = w.QComboBox(objectName="aggregate")
        for name in ("top_k", "min_separation", "min_arcs"):
            setattr(self, f"{name}_spin", w.QSpinBox(objectName=name))
        self.threshold_spin = w.QDoubleSpinBox(objectName="threshold")
        self.property_combo = w.QComboBox(objectName="property")
        self.property_combo.setToolTip(widgets.property_tooltip("colour"))
        self.definition_combo = w.QComboBox(objectName="definition")
        widgets.configure_options(self, AGGREGATES, PROPERTIES, DEFINITIONS)
        # a threshold must be above 0 (attention_pairs refuses 0): its smallest step
        self.threshold_spin.setMinimum(10.0 ** -self.threshold_spin.decimals())

        self.buttons: dict[str, QtWidgets.QPushButton] = {}
        widgets.add_buttons(
            self, _BUTTONS, lambda label, action: w.QPushButton(label, objectName=action)
        )

        self.grid = w.QTableWidget(objectName="grid")
        widgets.set_up_grid(
            self.grid,
            _CellDelegate(self._marked, self.grid),
            (
                w.QAbstractItemView.NoEditTriggers,
                w.QAbstractItemView.NoSelection,
                w.QHeaderView.Stretch,
            ),
            (28, 22),
            (340, 260),
        )
        self.legend = w.QLabel(objectName="legend")
        self.status = w.QLabel("ready", objectName="status")
        self.status.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        for label in (self.legend, self.status):
            label.setWordWrap(True)
            label.setAlignment(QtCore.Qt.AlignLeft | QtCore.Qt.AlignTop)
        # word-wrapped labels get one line's height from the layout otherwise
        self.legend.setMinimumHeight(2 * self.legend.fontMetrics().lineSpacing() + 4)
        # the status lives in a band of its own, as high as its text (STATUS_LINES): it
        # takes room from the grid, never covers it or pushes the legend over it
        self.status_area = w.QScrollArea(objectName="status_area")
        self.status_area.setWidget(self.status)
        self.status_area.setWidgetResizable(True)
        self.status_area.setFrameShape(w.QFrame.NoFrame)
        self.status_area.setHorizontalScrollBarPolicy(QtCore.Qt.ScrollBarAlwaysOff)
        self._fit_status()
        self.status_area.setSizePolicy(w.QSizePolicy.Expanding, w.QSizePolicy.Fixed)
        self.progress = w.QProgressBar(objectName="progress")
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(120)
        self.progress.hide()  # shown only while a job runs

        structure = w.QGridLayout()
        widgets.lay_out_choosers(
            structure, self, ("Object", self.object_combo), w.QLabel, w.QHBoxLayout
        )

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
        progress.addWidget(self.progress, 0, QtCore.Qt.AlignTop)
        progress.addWidget(self.status_area, 1)

        layout = w.QVBoxLayout(self)
        layout.setSizeConstraint(w.QLayout.SetMinimumSize)  # grows with the legend's lines
        widgets.stack(layout, self, structure, actions, grid_bar, progress)

        self.object_combo.currentIndexChanged.connect(self._object_changed)
        self.refresh_button.clicked.connect(self.refresh_objects)
        widgets.connect_choosers(self)

    # ---------------------------------------------------------------------- PanelView

    def model(self) -> str:
        """The chosen model's short name, or the id or folder typed in."""
        return widgets.combo_model(self.model_combo)

    def state(self) -> DialogState:
        """What the widgets say now."""
        return widgets.widget_state(
            DialogState,
            self.object_combo.currentText(),
            self.chain_combo.currentData(),
            self.model(),
            self,
        )

    @property
    def busy(self) -> bool:
        """Whether a background job is running."""
        return self.controller.busy

    def set_shape(self, shape: tuple[int, int] | None) -> None:
        """Make the grid ``(layers, heads)`` cells (none while unknown) and bound the spin boxes."""
        if widgets.reshape_grid(self, shape, _centred_item):
            self.controller.show_grid(self.state())
            self.grid.viewport().update()

    def show_grid(self, cells: list[list[GridCell]] | None, legend: str) -> None:
        """Colour the grid's cells (blank them if ``cells`` is None) and set the legend."""
        widgets.paint_grid(
            self.grid, cells, (QtCore.Qt.BackgroundRole, QtCore.Qt.ForegroundRole), _brushes
        )
        self.legend.setText(legend)

    def say(self, text: str) -> None:
        """Show ``text`` on the status line."""
        self.last_error = None
        self.status.setStyleSheet("")
        self._status_text(text)

    def error(self, text: str) -> None:
        """Show ``text`` on the status line as an error (and in PyMOL's output)."""
        self.last_error = text
        print(f" protattn: {text}")
        self.status.setStyleSheet("color: #b00020")
        self._status_text(text)

    def _status_text(self, text: str) -> None:
        """The whole text, wrapped in the status band (scrolled to its start) and as tooltip."""
        self.status.setText(text)
        self.status.setToolTip(text)
        self._fit_status()
        self.status_area.verticalScrollBar().setValue(0)

    def _fit_status(self) -> None:
        """Make the status band as high as its wrapped text, in whole lines (STATUS_LINES)."""
        fewest, most = STATUS_LINES
        spacing = self.status.fontMetrics().lineSpacing()
        width = max(1, self.status_area.viewport().width())
        lines = -(-self.status.heightForWidth(width) // spacing)  # rounded up
        if lines > most:  # a scroll bar takes some of the width: wrap for what is left
            bar = self.status_area.verticalScrollBar().sizeHint().width()
            lines = -(-self.status.heightForWidth(max(1, width - bar)) // spacing)
        self.status_area.setFixedHeight(min(max(lines, fewest), most) * spacing + 2)
        self.status_area.verticalScrollBar().setSingleStep(spacing)

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """A new width wraps the status anew."""
        super().resizeEvent(event)
        self._fit_status()

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons and show the busy indicator while a job runs (hidden when idle)."""
        widgets.show_busy(self, busy)
        self.progress.setVisible(busy)

    # ---------------------------------------------------------------------- PyMOL side

    def refresh_objects(self) -> None:
        """Fill the object chooser with PyMOL's protein objects, keeping the current one."""
        current = self.object_combo.currentText()
        names = [
            name
            for name in self._cmd.get_object_list() or []
            if self._cmd.count_atoms(f"({name}) and polymer.protein")
        ]
        self.object_combo.blockSignals(True)
        self.object_combo.clear()
        self.object_combo.addItems(names)
        if current in names:
            self.object_combo.setCurrentIndex(names.index(current))
        self.object_combo.blockSignals(False)
        self._object_changed()

    def _object_changed(self, *_) -> None:
        obj = self.object_combo.currentText()
        chains = self._cmd.get_chains(f"({obj}) and polymer.protein") if obj else []
        widgets.refill_combo(
            self.chain_combo,
            [("all chains", None)] + [(chain or "(blank)", chain) for chain in chains],
        )
        self.controller.update_grid(self.state())

    def run_action(self, action: str) -> None:
        """Run a button's command: compute in the background, then ``cmd.do`` it here."""
        self.controller.run_action(action, self.state())

    # ------------------------------------------------------------------------ models

    @staticmethod
    def _list_models(progress) -> tuple[dict, dict]:
        statuses = logic.model_statuses()
        shapes = {name: logic.model_shape(name) for name, s in statuses.items() if s != "missing"}
        return statuses, shapes

    def _show_models(self, value) -> None:
        statuses, shapes = value
        self.controller.known_shapes(shapes)
        for index in range(self.model_combo.count()):
            name = self.model_combo.itemData(index)
            if name in statuses:
                self.model_combo.setItemText(index, logic.model_label(name, statuses[name]))
        self.controller.model_changed(self.state())
        if not self.busy:
            offline = sum(1 for s in statuses.values() if s != "missing")
            self.say(
                f"{offline} of {len(statuses)} known models are here for offline use; "
                f"{self.status.text()}"
            )

    def _marked(self, row: int, col: int) -> bool:
        """Whether a grid cell is the chosen head (or in the chosen layer, with an aggregate)."""
        return widgets.marked(self, row, col)
