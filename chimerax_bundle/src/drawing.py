"""What the ``attention`` commands share: their pseudobond groups and residue attributes.

Every command computes everything first (model, pairs or scores, the atoms to
draw between) and only then changes the session, so an error leaves it as it
was: :func:`core` turns :class:`protattn.ProtattnError` into ChimeraX's
``UserError``, :class:`PairsPlan` holds what is drawn, :func:`draw_plans` draws it.
This module also keeps, per session, the names of the groups and attributes the
commands made, so that ``attention clear`` and ``attention save`` find them.
"""

from __future__ import annotations

import keyword
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from chimerax.atomic import (
    Atom,
    AtomicStructure,
    Pseudobond,
    PseudobondGroup,
    Pseudobonds,
    Residue,
    Residues,
)
from chimerax.atomic import concatenate as join_collections
from chimerax.core.attributes import MANAGER_NAME, RegistrationConflict, type_attrs
from chimerax.core.errors import UserError
from chimerax.core.session import Session

import protattn
from protattn.api.stats import unknown_only_note
from protattn.scene import PseudoBond, Scene

from .adapter import StructureChains, protein_chains

__all__ = [
    "ATTRIBUTE",
    "PAIRS_GROUP",
    "WEIGHT",
    "PairsPlan",
    "attention_groups",
    "check_attribute_name",
    "core",
    "draw_plans",
    "group_names",
    "protattn_attributes",
    "register_float",
    "remember_attribute",
    "set_attribute",
    "targets",
    "warn_unknown_only",
]

PAIRS_GROUP = "attention pairs"
#: Residue attribute (float) that ``attention color`` sets (another with ``attribute``).
ATTRIBUTE = "attention"
#: Pseudobond attribute (float): the attention weight of each pair drawn. Registered, so
#: that sessions keep it and ``attention save ... format contacts`` works after a restore.
WEIGHT = "attention_weight"
#: Who registers the attributes (ChimeraX keeps it with the registration, in sessions too).
_REGISTRANT = "protattn"

_NO_PROTEIN = (
    "no protein chain in the specified atoms; specify residues of a protein, "
    "e.g. '#1', '#1/H' or 'protein'"
)

# Names of the pseudobond groups drawn by protattn in each session, so that
# `attention clear` finds groups given another name with `name`.
_GROUP_NAMES: weakref.WeakKeyDictionary[Session, set[str]] = weakref.WeakKeyDictionary()
# Residue attributes `attention color ... attribute NAME` set in each session, for
# `attention clear` (also those another registrant, e.g. `open x.defattr`, registered first).
_ATTRIBUTE_NAMES: weakref.WeakKeyDictionary[Session, set[str]] = weakref.WeakKeyDictionary()


def group_names(session: Session) -> set[str]:
    """The names of the pseudobond groups protattn drew in this session."""
    return _GROUP_NAMES.setdefault(session, {PAIRS_GROUP})


def attention_groups(
    session: Session, structure: AtomicStructure, name: str | None = None
) -> list[PseudobondGroup]:
    """The structure's pseudobond groups drawn by protattn (only ``name`` if given).

    A group is protattn's if this session drew it, or if its pseudobonds carry the
    registered ``attention_weight`` attribute (a group restored from a session file).
    """
    names = group_names(session)
    return [
        group
        for group_name, group in sorted(structure.pbg_map.items())
        if (name is None or group_name == name)
        and (
            group_name in names or (group.num_pseudobonds and hasattr(group.pseudobonds[0], WEIGHT))
        )
    ]


def protattn_attributes(session: Session) -> list[str]:
    """Residue attributes of protattn: ``attention``, those set with ``attribute NAME`` in
    this session and those registered by protattn (also when restored from a session)."""
    registered = getattr(Residue, "_attr_registration", None)
    info = registered.reg_attr_info if registered is not None else {}
    names = {n for n, (who, _) in info.items() if who == _REGISTRANT}
    names |= _ATTRIBUTE_NAMES.get(session, set())
    return [ATTRIBUTE] + sorted(names - {ATTRIBUTE})


def check_attribute_name(session: Session, name: str) -> None:
    """Refuse residue attribute names that ChimeraX could not keep as a float attribute."""
    if not name.isidentifier() or keyword.iskeyword(name):
        raise UserError(
            f"{name!r} is not an attribute name: use letters, digits and _, "
            "starting with a letter, e.g. attribute attention_8_mean"
        )
    if hasattr(Residue, name):
        raise UserError(
            f"{name!r} is a built-in residue attribute; give another name, "
            f"e.g. attribute attention_{name}"
        )
    floats = session.get_state_manager(MANAGER_NAME).attributes_returning(Residue, [float])
    if name in type_attrs(Residue) and name not in floats:
        raise UserError(
            f"residue attribute {name!r} is already registered with another type; "
            f"give another name, e.g. attribute attention_{name}"
        )


def register_float(session: Session, cls: type, name: str) -> None:
    """Register ``cls.name`` as a float attribute (kept in sessions); a no-op when it is."""
    try:
        cls.register_attr(session, name, _REGISTRANT, attr_type=float)
    except RegistrationConflict as e:
        raise UserError(f"{e}; give another name (attribute NAME)") from e


def remember_attribute(session: Session, name: str) -> None:
    """Note a residue attribute set by the commands, for ``attention clear``."""
    _ATTRIBUTE_NAMES.setdefault(session, set()).add(name)


def targets(residues: Residues) -> list[StructureChains]:
    """The protein chains ``residues`` touch, per structure; UserError if none."""
    targets = protein_chains(residues)
    if not targets:
        raise UserError(_NO_PROTEIN)
    return targets


def warn_unknown_only(session: Session, found: Iterable[StructureChains]) -> None:
    """A warning for each chain of unknown residues only (the model saw X...X).

    The drawing's log line notes it too, as the core words it; the warning makes
    it stand out.
    """
    for target in found:
        for chain in target.chains:
            if chain.sequence and set(chain.sequence) <= {"X"}:
                session.logger.warning(unknown_only_note(f"{target.structure} {chain.id}"))


_T = TypeVar("_T")


def core(compute: Callable[..., _T], *args, **kwargs) -> _T:
    """Call the core, turning its errors into ``UserError``."""
    try:
        return compute(*args, **kwargs)
    except protattn.ProtattnError as e:
        raise UserError(str(e)) from e


@dataclass
class PairsPlan:
    """What one structure's pseudobonds will be, computed before drawing.

    Attributes
    ----------
    target : StructureChains
    scene : Scene
        The pairs to draw (from the core).
    summary : str
        The core's log line for them (e.g. :meth:`protattn.PairsResult.summary`).
    bonds : list of PseudoBond
        The scene's pairs whose residues both have a CA atom.
    ends : list of (Atom, Atom)
        Their CA atoms.
    """

    target: StructureChains
    scene: Scene
    summary: str
    bonds: list[PseudoBond]
    ends: list[tuple[Atom, Atom]]

    @classmethod
    def make(cls, target: StructureChains, scene: Scene, summary: str = "") -> PairsPlan:
        bonds, ends = [], []
        for bond in scene.bonds:
            a = target.residues[bond.a].find_atom("CA")
            b = target.residues[bond.b].find_atom("CA")
            if a is not None and b is not None:
                bonds.append(bond)
                ends.append((a, b))
        return cls(target, scene, summary, bonds, ends)

    @classmethod
    def of(cls, target: StructureChains, result: protattn.PairsResult) -> PairsPlan:
        """The plan of a :func:`protattn.compute_pairs` result."""
        return cls.make(target, result.scene, result.summary())

    def log_line(self) -> str:
        line = f"{self.target.structure}: {self.summary}"
        no_ca = len(self.scene.bonds) - len(self.bonds)
        if no_ca:
            line += f"; {no_ca} not drawn (residue without CA atom)"
        return line


def draw_plans(
    session: Session, plans: Iterable[PairsPlan], name: str, replace: bool = True, dashes: int = 0
) -> Pseudobonds:
    """Draw each plan's pseudobonds into its structure's group ``name``.

    With ``replace`` the group's earlier pseudobonds go first; a group left empty is
    closed. Each pseudobond gets its pair's weight as the attribute ``attention_weight``.
    """
    register_float(session, Pseudobond, WEIGHT)
    drawn = []
    for plan in plans:
        structure = plan.target.structure
        group = structure.pseudobond_group(name, create_type="normal" if plan.ends else None)
        if group is None:
            continue
        if replace:
            group.pseudobonds.delete()
        if plan.ends:
            group.dashes = dashes
            pbonds = Pseudobonds([group.new_pseudobond(a, b) for a, b in plan.ends])
            for pbond, bond in zip(pbonds, plan.bonds):
                setattr(pbond, WEIGHT, float(bond.weight))
            pbonds.halfbonds = False
            pbonds.colors = np.array(
                [np.round(np.asarray(b.rgba) * 255) for b in plan.bonds], dtype=np.uint8
            )
            pbonds.radii = np.array([b.radius for b in plan.bonds], dtype=np.float32)
            drawn.append(pbonds)
        elif group.num_pseudobonds == 0:
            session.models.close([group])
        group_names(session).add(name)
    return join_collections(drawn, Pseudobonds)


def set_attribute(
    session: Session,
    attribute: str,
    scores: Iterable[tuple[StructureChains, protattn.ScoresResult]],
) -> None:
    """Set a registered float residue attribute to each result's residue values."""
    register_float(session, Residue, attribute)
    remember_attribute(session, attribute)
    for target, result in scores:
        for coloured in result.scene.residues:
            setattr(target.residues[coloured.residue], attribute, float(coloured.value))
