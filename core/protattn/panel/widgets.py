"""What both panels do with their widgets, written once against Qt's method names only.

PyMOL's dialog and ChimeraX's tool build the same choosers and grid with the Qt
each host ships (PyMOL's ``pymol.Qt``, ChimeraX's ``Qt``), whose enum spellings
differ. The functions here take the host's widgets (and, where an enum or a Qt
class is needed, a factory the host passes in) and call only methods that every
Qt binding has, so this module imports no Qt.

A panel here is any object with the attributes of :data:`OPTION_WIDGETS` (spin
boxes and combo boxes), ``grid`` (a ``QTableWidget``), ``buttons`` (a dict of
push buttons) and ``progress`` (a ``QProgressBar``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .grid import STATS_THRESHOLD, GridCell, cell_paints, is_marked, model_name
from .state import PanelState

__all__ = [
    "MAX_UNKNOWN",
    "OPTION_WIDGETS",
    "configure_options",
    "property_tooltip",
    "widget_state",
    "combo_model",
    "refill_combo",
    "show_busy",
    "reshape_grid",
    "paint_grid",
    "lay_out_choosers",
    "connect_choosers",
    "choose_head",
    "head_enabled",
    "marked",
    "set_up_grid",
    "stack",
    "add_buttons",
]

#: Spin box limit while a model's layers and heads are unknown.
MAX_UNKNOWN = 99

#: The panel's widgets of the state's options, by attribute name.
OPTION_WIDGETS = (
    "layer_spin",
    "head_spin",
    "aggregate_combo",
    "threshold_spin",
    "top_k_spin",
    "min_separation_spin",
    "property_combo",
    "min_arcs_spin",
    "definition_combo",
)


def configure_options(
    panel: Any, aggregates: Sequence[str], properties: Iterable[str], definitions: Iterable[str]
) -> None:
    """Fill, bound and explain the option widgets, with :class:`PanelState`'s defaults."""
    panel.aggregate_combo.addItems(list(aggregates))
    panel.aggregate_combo.setToolTip("none: one head; mean / max: all heads of the layer")
    panel.threshold_spin.setRange(0.0, 1.0)
    panel.threshold_spin.setDecimals(3)
    panel.threshold_spin.setSingleStep(0.05)
    panel.threshold_spin.setValue(PanelState.threshold)
    panel.threshold_spin.setToolTip("draw pairs whose attention max(a_ij, a_ji) is above it")
    panel.top_k_spin.setRange(0, 10000)
    panel.top_k_spin.setSpecialValueText("off")
    panel.top_k_spin.setToolTip("draw the k strongest pairs per chain instead of a threshold")
    panel.min_separation_spin.setRange(1, 1000)
    panel.min_separation_spin.setValue(PanelState.min_separation)
    panel.min_separation_spin.setToolTip("minimum |i - j| in sequence (6 for contacts)")
    panel.property_combo.addItems(list(properties))
    panel.min_arcs_spin.setRange(1, 100000)
    panel.min_arcs_spin.setValue(PanelState.min_arcs)
    panel.min_arcs_spin.setToolTip("heads with too few arcs of high-confidence attention are grey")
    panel.definition_combo.addItems(list(definitions))
    panel.definition_combo.setToolTip(
        "paper: the paper's own counting (arcs >= theta over every pair, heads with more than "
        "min arcs); judged: share and background on the pairs the property is judged on"
    )
    panel.top_k_spin.valueChanged.connect(lambda k: panel.threshold_spin.setEnabled(k == 0))


def property_tooltip(verb: str) -> str:
    """The property chooser's tooltip (``verb``: the host's spelling of colour)."""
    return (
        f"{verb} the grid by each head's share of attention >= {STATS_THRESHOLD:g} on this property"
    )


def widget_state(
    cls: type[PanelState], target: str, chain: str | None, model: str, panel: Any
) -> PanelState:
    """What the widgets say now, as ``cls`` (the host's :class:`PanelState`)."""
    return cls(
        target=target,
        chain=chain,
        model=model,
        layer=panel.layer_spin.value(),
        head=panel.head_spin.value(),
        aggregate=panel.aggregate_combo.currentText(),
        threshold=round(panel.threshold_spin.value(), 3),
        top_k=panel.top_k_spin.value(),
        min_separation=panel.min_separation_spin.value(),
        prop=panel.property_combo.currentText(),
        min_arcs=panel.min_arcs_spin.value(),
        definition=panel.definition_combo.currentText(),
    )


def combo_model(combo: Any) -> str:
    """An editable model chooser's model: the chosen item's short name, or the text typed."""
    index, text = combo.currentIndex(), combo.currentText()
    if index >= 0 and text == combo.itemText(index):
        return combo.itemData(index)
    return model_name(text)


def refill_combo(combo: Any, items: Iterable[tuple[str, Any]], default: int = 0) -> None:
    """Replace a combo box's ``(text, data)`` items, keeping the current data if still there.

    Without the current data, item ``default`` is chosen (-1: none, or none left). No
    signal is sent: the caller reacts to the new choice itself.
    """
    current = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for text, data in items:
        combo.addItem(text, data)
    index = combo.findData(current) if current is not None else -1
    combo.setCurrentIndex(index if index >= 0 else min(default, combo.count() - 1))
    combo.blockSignals(False)


def show_busy(panel: Any, busy: bool) -> None:
    """Disable the buttons and run the busy indicator while a job runs."""
    for button in panel.buttons.values():
        button.setEnabled(not busy)
    panel.progress.setRange(0, 0 if busy else 1)  # (0, 0): a busy indicator
    panel.progress.setValue(0)


def reshape_grid(panel: Any, shape: tuple[int, int] | None, new_item: Callable[[], Any]) -> bool:
    """Make the grid ``(layers, heads)`` cells (none while unknown); bound the spin boxes.

    ``new_item`` makes an empty, centred ``QTableWidgetItem``. The shape is kept in
    ``panel.grid_shape``; returns False (and changes nothing) if the grid has it already.
    """
    if shape == getattr(panel, "grid_shape", None) and panel.grid.rowCount():
        return False
    panel.grid_shape = shape
    layers, heads = shape or (MAX_UNKNOWN, MAX_UNKNOWN)
    panel.layer_spin.setRange(1, layers)
    panel.head_spin.setRange(1, heads)
    rows, cols = shape or (0, 0)
    panel.grid.clear()
    panel.grid.setRowCount(rows)
    panel.grid.setColumnCount(cols)
    panel.grid.setHorizontalHeaderLabels([str(h + 1) for h in range(cols)])
    panel.grid.setVerticalHeaderLabels([str(k + 1) for k in range(rows)])
    for row in range(rows):
        for col in range(cols):
            panel.grid.setItem(row, col, new_item())
    return True


def paint_grid(
    table: Any,
    cells: list[list[GridCell]] | None,
    roles: tuple[Any, Any],
    brushes: Callable[[Any], tuple[Any, Any]],
) -> None:
    """Paint a ``QTableWidget``'s cells with :func:`.grid.cell_paints` of ``cells``.

    ``roles`` are Qt's background and foreground item data roles; ``brushes(paint)``
    gives the two brushes of a :class:`.grid.CellPaint` (None, None for a blank one).
    """
    for paint in cell_paints(cells, table.rowCount(), table.columnCount()):
        item = table.item(paint.row, paint.col)
        item.setText(paint.text)
        item.setToolTip(paint.tooltip)
        for role, brush in zip(roles, brushes(paint)):
            item.setData(role, brush)


def lay_out_choosers(
    layout: Any,
    panel: Any,
    target: tuple[str, Any],
    label: Callable[[str], Any],
    row: Callable[[], Any],
) -> None:
    """Place the choosers in a ``QGridLayout``: target, chain, model, head, pair options.

    ``target`` is the target chooser's label and combo box; ``label(text)`` makes a
    ``QLabel``, ``row()`` a ``QHBoxLayout``.
    """
    layout.addWidget(label(target[0]), 0, 0)
    layout.addWidget(target[1], 0, 1)
    for text, widget, r, c in (
        ("Chain", panel.chain_combo, 0, 2),
        ("Layer", panel.layer_spin, 2, 0),
        ("Head", panel.head_spin, 2, 2),
        ("Threshold", panel.threshold_spin, 3, 0),
        ("Top k", panel.top_k_spin, 3, 2),
    ):
        layout.addWidget(label(text), r, c)
        layout.addWidget(widget, r, c + 1)
    layout.addWidget(panel.refresh_button, 0, 4)
    layout.addWidget(label("Model"), 1, 0)
    layout.addWidget(panel.model_combo, 1, 1, 1, 4)
    layout.addWidget(panel.aggregate_combo, 2, 4)
    separation = row()
    separation.addWidget(label("Min sep."))
    separation.addWidget(panel.min_separation_spin)
    layout.addLayout(separation, 3, 4)
    layout.setColumnStretch(1, 1)
    layout.setColumnStretch(3, 1)


def connect_choosers(panel: Any) -> None:
    """Connect the choosers both panels have to ``panel.controller``, on ``panel.state()``.

    The grid's choosers update the grid, the model's resize it, a changed aggregate
    enables the head chooser, a changed head reframes the grid, and a clicked cell
    chooses its head and draws its pairs.
    """

    def grid_changed(*_: Any) -> None:
        panel.controller.update_grid(panel.state())

    def model_changed(*_: Any) -> None:
        panel.controller.model_changed(panel.state())

    def cell_clicked(row: int, col: int) -> None:
        panel.controller.click_cell(panel.state(), *choose_head(panel, row, col))

    panel.chain_combo.currentIndexChanged.connect(grid_changed)
    # chosen from the list, even the item that was current (after a name was typed)
    panel.model_combo.activated.connect(model_changed)
    panel.model_combo.currentIndexChanged.connect(model_changed)
    panel.model_combo.lineEdit().editingFinished.connect(model_changed)
    panel.aggregate_combo.currentIndexChanged.connect(lambda *_: head_enabled(panel))
    panel.layer_spin.valueChanged.connect(lambda *_: panel.grid.viewport().update())
    panel.head_spin.valueChanged.connect(lambda *_: panel.grid.viewport().update())
    panel.property_combo.currentIndexChanged.connect(grid_changed)
    panel.min_arcs_spin.editingFinished.connect(grid_changed)
    panel.definition_combo.currentIndexChanged.connect(grid_changed)
    panel.grid.cellClicked.connect(cell_clicked)


def choose_head(panel: Any, row: int, col: int) -> tuple[int, int]:
    """Show the head of grid cell ``(row, col)`` (0-based) chosen; its ``(layer, head)``."""
    panel.aggregate_combo.setCurrentText("none")
    panel.layer_spin.setValue(row + 1)
    panel.head_spin.setValue(col + 1)
    return row + 1, col + 1


def head_enabled(panel: Any) -> None:
    """The head chooser counts only without an aggregate; the grid's frame follows."""
    panel.head_spin.setEnabled(panel.aggregate_combo.currentText() == "none")
    panel.grid.viewport().update()


def marked(panel: Any, row: int, col: int) -> bool:
    """Whether grid cell ``(row, col)`` is framed (:func:`.grid.is_marked` of the choosers)."""
    return is_marked(
        row,
        col,
        panel.layer_spin.value(),
        panel.head_spin.value(),
        panel.aggregate_combo.currentText(),
    )


def set_up_grid(
    grid: Any,
    delegate: Any,
    flags: tuple[Any, Any, Any],
    sections: tuple[int, int],
    size: tuple[int, int],
) -> None:
    """A read-only ``QTableWidget`` of stretched cells, painted by ``delegate``.

    ``flags`` are Qt's no-edit trigger, no-selection mode and stretch resize mode;
    ``sections`` the smallest column width and row height, ``size`` the table's.
    """
    no_edit, no_selection, stretch = flags
    grid.setEditTriggers(no_edit)
    grid.setSelectionMode(no_selection)
    grid.setItemDelegate(delegate)
    for header, smallest in zip((grid.horizontalHeader(), grid.verticalHeader()), sections):
        header.setMinimumSectionSize(smallest)
        header.setSectionResizeMode(stretch)
    grid.setMinimumSize(*size)
    grid.setToolTip("rows: layers, columns: heads; click a cell to draw its pairs")


def stack(layout: Any, panel: Any, choosers: Any, actions: Any, grid_bar: Any, status: Any) -> None:
    """Fill the panel's ``QVBoxLayout``: choosers, buttons, grid bar, grid, legend, status."""
    for part in (choosers, actions, grid_bar):
        layout.addLayout(part)
    layout.addWidget(panel.grid, 1)
    layout.addWidget(panel.legend)
    layout.addLayout(status)


def add_buttons(
    panel: Any, specs: Iterable[tuple[str, str, str]], new_button: Callable[[str, str], Any]
) -> None:
    """Add ``(action, label, tooltip)`` buttons to ``panel.buttons``, each running its action.

    ``new_button(label, action)`` makes a ``QPushButton``; a click calls
    ``panel.run_action(action)``.
    """
    for action, label, tip in specs:
        button = new_button(label, action)
        button.setToolTip(tip)
        button.clicked.connect(lambda _=False, a=action: panel.run_action(a))
        panel.buttons[action] = button
