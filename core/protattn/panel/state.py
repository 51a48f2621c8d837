"""The panel's state, its actions and their options, and its model chooser: no host, no Qt.

Both panels (PyMOL's dialog, ChimeraX's tool) read their widgets into one
:class:`PanelState` and build their command lines from :func:`command_options`,
spelling the options in their own language::

    >>> state = PanelState("1hpv", "A", layer=6, head=3)
    >>> command_options("pairs", state)
    [('layer_head', '6-3'), ('threshold', '0.1')]
    >>> command_options("stats", PanelState("1hpv", prop="contacts", definition="judged"))
    [('property', 'contact'), ('threshold', '0.3'), ('min_arcs', '100'), ('definition', 'judged')]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..compute import backend
from ..lm.counts import DEFAULT_DEFINITION, DEFAULT_MIN_ARCS, check_definition
from ..lm.registry import MODELS
from .grid import STATS_THRESHOLD, layer_head_text, model_label, number_text, property_of

__all__ = [
    "ACTIONS",
    "DEFAULT_MODEL",
    "DEFAULT_THRESHOLD",
    "DEFAULT_MIN_SEPARATION",
    "DEFAULT_MIN_ARCS",
    "PanelState",
    "command_options",
    "command_names",
    "ModelChoice",
    "model_choices",
]

#: What the panels do: their buttons (pairs, color, contacts, clear) and the grid's "log
#: statistics" (stats). A host offers those its commands have.
ACTIONS = ("pairs", "color", "contacts", "clear", "stats")

#: The commands' default model (left out of the command lines).
DEFAULT_MODEL = "antiberty"

#: The panels' default threshold of drawn pairs (written in every ``pairs`` command).
DEFAULT_THRESHOLD = 0.1

#: The ``pairs`` commands' default minimum sequence separation (left out of the lines).
DEFAULT_MIN_SEPARATION = 1


@dataclass(frozen=True)
class PanelState:
    """What a panel's widgets say, as plain values.

    Attributes
    ----------
    target : str
        What is analysed, as the host names it (a PyMOL object, a ChimeraX atom spec
        such as ``#1``); ``""`` when none is open.
    chain : str or None
        Chain id, or None for all protein chains of the target (``""`` is a blank id).
    model : str
        Short name, Hugging Face id or model folder.
    layer, head : int
        1-based, as in the paper.
    aggregate : {"none", "mean", "max"}
        ``none`` draws one head; ``mean`` / ``max`` combine the layer's heads.
    threshold : float
        Pairs with attention above it are drawn (unless ``top_k``).
    top_k : int
        Draw the ``top_k`` strongest pairs per chain instead (0: use the threshold).
    min_separation : int
        Minimum ``|i - j|`` in sequence of a drawn pair.
    prop : str
        A key of :data:`~.grid.PROPERTIES`: what the grid is coloured by.
    min_arcs : int
        Grid cells of heads with too few high-confidence arcs are grey.
    definition : str
        Of the grid's statistics: ``paper`` (the paper's own counting) or ``judged``.
    """

    target: str = ""
    chain: str | None = None
    model: str = DEFAULT_MODEL
    layer: int = 1
    head: int = 1
    aggregate: str = "none"
    threshold: float = DEFAULT_THRESHOLD
    top_k: int = 0
    min_separation: int = DEFAULT_MIN_SEPARATION
    prop: str = "none"
    min_arcs: int = DEFAULT_MIN_ARCS
    definition: str = DEFAULT_DEFINITION

    def __init_subclass__(cls, target_name: str | None = None, **kw: Any) -> None:
        """A host's state: ``target_name`` is its name of the target (``obj``, ``structure``).

        The subclass is made with that keyword too (or positionally, or ``target=``),
        and reads it back as a property.
        """
        super().__init_subclass__(**kw)
        if target_name is None:
            return
        base_init = cls.__mro__[1].__init__  # type: ignore[misc]  # the dataclass's own

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if target_name in kwargs:
                kwargs["target"] = kwargs.pop(target_name)
            base_init(self, *args, **kwargs)

        cls.__init__ = __init__  # type: ignore[method-assign]  # takes the host's keyword
        setattr(
            cls,
            target_name,
            property(lambda self: self.target, doc=f"The target (``{target_name}``)."),
        )

    @property
    def layer_head(self) -> str:
        """``"6-3"``, or ``"6-mean"`` / ``"6-max"`` with an aggregate."""
        return layer_head_text(self.layer, self.head, self.aggregate)

    @property
    def property_name(self) -> str | None:
        """The grid's property as the stats commands name it (None: no grid colours)."""
        return property_of(self.prop)

    def with_head(self, layer: int, head: int) -> PanelState:
        """This state with one head chosen (what clicking a grid cell does)."""
        return replace(self, layer=int(layer), head=int(head), aggregate="none")

    def chosen_target(self, missing: str) -> str:
        """The target, stripped; ValueError(``missing``) if there is none."""
        if not self.target.strip():
            raise ValueError(missing)
        return self.target.strip()

    def chosen_model(self) -> str:
        """The model, stripped.

        Raises
        ------
        ValueError
            If none is given.
        """
        model = self.model.strip()
        if not model:
            raise ValueError("no model given; choose one, or type a Hugging Face id or folder")
        return model


def command_options(action: str, state: PanelState) -> list[tuple[str, str]]:
    """The options of an action's command after its target, in order, as ``(name, text)``.

    Names are neutral (``layer_head``, ``top_k``, ``threshold``, ``min_separation``,
    ``property``, ``min_arcs``, ``definition``, ``model``); each host spells them in
    its command language. Options equal to the commands' defaults are left out,
    except the threshold of ``pairs`` (unless ``top_k`` replaces it) and the
    threshold and minimum arcs of ``stats``, which are the grid's.

    Parameters
    ----------
    action : {"pairs", "color", "contacts", "clear", "stats"}
    state : PanelState

    Returns
    -------
    list of tuple of str
        Empty for ``clear``.

    Raises
    ------
    ValueError
        With a message for the status line, if the state makes no command.
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
    if action == "clear":
        return []
    options: list[tuple[str, str]] = []
    if action in ("pairs", "color"):
        options.append(("layer_head", state.layer_head))
    if action == "pairs":
        if int(state.top_k) > 0:
            options.append(("top_k", str(int(state.top_k))))
        else:
            if float(state.threshold) < 0:
                raise ValueError(f"threshold must be 0 or more, not {state.threshold}")
            options.append(("threshold", number_text(state.threshold)))
        if int(state.min_separation) < 1:
            raise ValueError(f"minimum separation must be 1 or more, not {state.min_separation}")
        if int(state.min_separation) != DEFAULT_MIN_SEPARATION:
            options.append(("min_separation", str(int(state.min_separation))))
    elif action == "stats":
        prop = state.property_name
        if prop is None:
            raise ValueError("choose a property (contacts, binding site) for the statistics")
        if int(state.min_arcs) < 1:
            raise ValueError(f"minimum arcs must be 1 or more, not {state.min_arcs}")
        options += [
            ("property", prop),
            ("threshold", number_text(STATS_THRESHOLD)),
            ("min_arcs", str(int(state.min_arcs))),
        ]
        check_definition(state.definition)
        if state.definition != DEFAULT_DEFINITION:
            options.append(("definition", state.definition))
    model = state.chosen_model()
    if model != DEFAULT_MODEL:
        options.append(("model", model))
    return options


def command_names(prefix: str, actions: Sequence[str] = ACTIONS) -> dict[str, str]:
    """Each action's command name in a host: ``prefix`` and the action (``attention_pairs``).

    >>> command_names("attention ", ("pairs", "clear"))
    {'pairs': 'attention pairs', 'clear': 'attention clear'}
    """
    return {action: prefix + action for action in actions}


@dataclass(frozen=True)
class ModelChoice:
    """One known model in the model chooser; ``offline``: usable without a network."""

    name: str
    status: str
    label: str
    tooltip: str

    @property
    def offline(self) -> bool:
        return self.status != "missing"


def model_choices(missing: str = "not downloaded") -> list[ModelChoice]:
    """Every model protattn knows, marked offline when its weights are where models run.

    ``missing`` is said in the label of a model whose weights are not here
    (:func:`.grid.model_label`). Imports no torch; asks the worker when models run in
    one (starting it).
    """
    statuses = backend.model_statuses()
    out = []
    for name, spec in MODELS.items():
        status = statuses.get(name, "missing")
        where = (
            "weights here: works offline"
            if status != "missing"
            else "not downloaded: needs the network on first use"
        )
        note = f"; {spec.note}" if spec.note else ""
        out.append(
            ModelChoice(
                name, status, model_label(name, status, missing), f"{spec.source}; {where}{note}"
            )
        )
    return out
