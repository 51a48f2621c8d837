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
    QSizePolicy,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from protattn.panel import widgets

from . import tool_logic as logic
from .tool_logic import PanelController, PanelState

__all__ = ["AttentionPanel", "AttentionTool"]

_ERROR_STYLE = "color: #b00020"


def _centred_item() -> QTableWidgetItem:
    item = QTableWidgetItem("")
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    return item


def _brushes(paint: logic.CellPaint) -> tuple[QBrush | None, QBrush | None]:
    if paint.rgb is None:
        return None, None
    text = Qt.GlobalColor.black if paint.dark_text else Qt.GlobalColor.white
    return QBrush(QColor.fromRgbF(*paint.rgb)), QBrush(QColor(text))


#: The panel's buttons: action, label, tooltip.
_BUTTONS = (
    ("pairs", "Pairs", "draw the head's strongest residue pairs (attention pairs)"),
    ("color", "Color", "color residues by the attention they receive (attention color)"),
    (
        "contacts",
        "Contacts",
        "predict contacts from all heads and draw them, true / false (attention contacts)",
    ),
    ("clear", "Clear", "remove the structure's attention pseudobonds and values (attention clear)"),
    ("stats", "Log", "log the property's head table and heatmap (attention stats)"),
)


class _CellDelegate(QStyledItemDelegate):
    """Draws grid cells in their own colour, the chosen head (or layer) framed in black."""

    def __init__(self, marked: Callable[[int, int], bool], parent: QWidget) -> None:
        super().__init__(parent)
        self._marked = marked

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
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
        self.controller = PanelController(session, self)
        self._build()
        self._fill_models()
        self.set_shape(self.controller.shape(self._model()))
        self.refresh_structures()
        self._handlers = [
            session.triggers.add_handler(name, self._models_changed)
            for name in (ADD_MODELS, REMOVE_MODELS)
        ]

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
        self.model_combo.setToolTip(
            "a short name (offline: weights are here), or type a Hugging Face id or a model folder"
        )

        self.layer_spin = QSpinBox()
        self.head_spin = QSpinBox()
        self.aggregate_combo = QComboBox()
        self.threshold_spin = QDoubleSpinBox()
        self.top_k_spin = QSpinBox()
        self.min_separation_spin = QSpinBox()
        self.property_combo = QComboBox()
        self.property_combo.setToolTip(widgets.property_tooltip("color"))
        self.min_arcs_spin = QSpinBox()
        self.definition_combo = QComboBox()
        widgets.configure_options(self, logic.AGGREGATES, logic.PROPERTIES, logic.DEFINITIONS)

        self.buttons: dict[str, QPushButton] = {}
        widgets.add_buttons(self, _BUTTONS, lambda label, action: QPushButton(label))
        self.stats_button = self.buttons["stats"]

        self.grid = QTableWidget()
        self.grid.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        widgets.set_up_grid(
            self.grid,
            _CellDelegate(self._marked, self.grid),
            (
                QAbstractItemView.EditTrigger.NoEditTriggers,
                QAbstractItemView.SelectionMode.NoSelection,
                QHeaderView.ResizeMode.Stretch,
            ),
            (26, 20),
            (300, 220),
        )
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        # the status wraps and takes the height its text needs (heightForWidth), so a
        # long message or error is read whole, below the legend, never over it
        self.status = QLabel("ready")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        for label in (self.legend, self.status):
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.setMaximumWidth(100)
        self.progress.setVisible(False)  # shown only while a job runs

        choosers = QGridLayout()
        widgets.lay_out_choosers(
            choosers, self, ("Structure", self.structure_combo), QLabel, QHBoxLayout
        )

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
        widgets.stack(layout, self, choosers, actions, grid_bar, status)

        self.structure_combo.currentIndexChanged.connect(self._structure_changed)
        self.refresh_button.clicked.connect(lambda _=False: self.refresh_structures(force=True))
        widgets.connect_choosers(self)

    def _fill_models(self) -> None:
        self.model_combo.blockSignals(True)
        for choice in logic.model_choices():
            self.model_combo.addItem(choice.label, choice.name)
            self.model_combo.setItemData(
                self.model_combo.count() - 1, choice.tooltip, Qt.ItemDataRole.ToolTipRole
            )
        self.model_combo.setCurrentIndex(self.model_combo.findData(logic.DEFAULT_MODEL))
        self.model_combo.blockSignals(False)

    # ------------------------------------------------------------------- PanelView

    def _model(self) -> str:
        return widgets.combo_model(self.model_combo)

    def state(self) -> PanelState:
        """What the widgets say now."""
        return widgets.widget_state(
            PanelState,
            self.structure_combo.currentData() or "",
            self.chain_combo.currentData(),
            self._model(),
            self,
        )

    def say(self, text: str) -> None:
        """Show ``text`` on the status line (wrapped, whole)."""
        self.status.setStyleSheet("")
        self.status.setToolTip("")
        self.status.setText(text)

    def error(self, text: str) -> None:
        """Show ``text`` on the status line as an error (wrapped, whole; also its tooltip)."""
        self.status.setStyleSheet(_ERROR_STYLE)
        self.status.setToolTip(text)
        self.status.setText(text)

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons and show the busy indicator while a job runs (hidden when idle)."""
        widgets.show_busy(self, busy)
        self.progress.setVisible(busy)

    def set_shape(self, shape: tuple[int, int] | None) -> None:
        """Make the grid ``(layers, heads)`` cells (none while unknown) and bound the spin boxes."""
        if widgets.reshape_grid(self, shape, _centred_item):
            self.controller.show_grid(self.state())

    def show_grid(self, cells: list[list[logic.GridCell]] | None, legend: str) -> None:
        """Colour the grid's cells (blank them if ``cells`` is None) and set the legend."""
        widgets.paint_grid(
            self.grid,
            cells,
            (Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole),
            _brushes,
        )
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
        widgets.refill_combo(self.structure_combo, [(c.label, c.spec) for c in choices])
        self._structure_changed()

    def _models_changed(self, trigger_name: str, models: object) -> None:
        self.refresh_structures()

    def _structure_changed(self, *_) -> None:
        spec = self.structure_combo.currentData()
        choice = next((c for c in self._choices or [] if c.spec == spec), None)
        widgets.refill_combo(
            self.chain_combo,
            [("all chains", None)]
            + [(chain.label, chain.chain_id) for chain in (choice.chains if choice else ())],
        )
        self.controller.update_grid(self.state())

    def _marked(self, row: int, col: int) -> bool:
        return widgets.marked(self, row, col)


class AttentionTool(ToolInstance):
    """The Attention tool: an :class:`AttentionPanel` in a ChimeraX tool window (side dock)."""

    SESSION_ENDURING = False
    SESSION_SAVE = False

    @classmethod
    def get_singleton(
        cls, session: Session, tool_name: str = "Attention", create: bool = True
    ) -> AttentionTool | None:
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
