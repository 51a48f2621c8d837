"""What the ``attention`` commands share: their pseudobond groups and residue attributes.

Every command checks its numbers first (:func:`check_pair_numbers`: the core's
checks, with ChimeraX's keyword names), then computes everything (model, pairs
or scores, the atoms to draw between) and only then changes the session, so an
error leaves it as it was: :func:`core` turns :class:`protattn.ProtattnError`
into ChimeraX's ``UserError``, :class:`PairsPlan` holds what is drawn,
:func:`draw_plans` draws it. A plan with nothing to draw changes nothing: the
previous drawing stays, and the command says so (:func:`nothing_drawn`).
This module also keeps, per session, the names of the groups and attributes the
commands made, so that ``attention clear`` and ``attention save`` find them.
"""

from __future__ import annotations

import keyword
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from chimerax.atomic import (
    Atom,
    AtomicStructure,
    Atoms,
    Pseudobond,
    PseudobondGroup,
    Pseudobonds,
    Residue,
    Residues,
    all_atomic_structures,
)
from chimerax.atomic import concatenate as join_collections
from chimerax.core.attributes import MANAGER_NAME, RegistrationConflict, type_attrs
from chimerax.core.errors import UserError
from chimerax.core.session import Session

import protattn
from protattn.api.checks import check_min_separation, check_threshold, check_top_k
from protattn.api.stats import unknown_only_note
from protattn.scene import PseudoBond, Scene
from protattn.structure.selection import ResidueSelection

from .adapter import StructureChains, no_protein, one_per_ensemble, protein_chains, residue_id

__all__ = [
    "ATTRIBUTE",
    "PAIRS_GROUP",
    "WEIGHT",
    "PairsPlan",
    "attention_groups",
    "check_attribute_name",
    "check_group_name",
    "check_pair_numbers",
    "checked",
    "core",
    "draw_plans",
    "group_names",
    "nothing_drawn",
    "protattn_attributes",
    "register_float",
    "remember_attribute",
    "selected_in",
    "set_attribute",
    "show_sticks",
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
    # ASCII only: ChimeraX's atom specs (``select ::name>0.02``) read no other names
    if not (name.isascii() and name.isidentifier()) or keyword.iskeyword(name):
        raise UserError(
            f"{name!r} is not an attribute name: use letters, digits and _ (ASCII), "
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


def check_group_name(name: str) -> None:
    """Refuse pseudobond group names that ChimeraX would show as nothing or mangle."""
    if not name.strip() or not name.isprintable():
        raise UserError(
            f"{name!r} is not a group name: give one with a visible character and no "
            "control characters, e.g. name 'attention 6-3' (the default is "
            f"{PAIRS_GROUP!r})"
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


def targets(session: Session, residues: Residues) -> list[StructureChains]:
    """The protein chains ``residues`` touch, per structure; UserError if none.

    The message names the spec as typed (``residues.spec``, which ChimeraX's
    ``ResiduesArg`` sets). Of an ensemble (the submodels of a multi-model file)
    only the first model the spec touches is kept, and the log says so
    (:func:`~.adapter.one_per_ensemble`).
    """
    spec = getattr(residues, "spec", None)
    named = f" {spec!r}" if spec else " the specified atoms"
    if not len(residues):
        open_ones = ", ".join(
            f"{s.atomspec} {s.name}"
            for s in sorted(all_atomic_structures(session), key=lambda s: s.id)
        )
        raise UserError(
            f"nothing matches{named}: it specifies no residue ("
            + (f"open structures: {open_ones}" if open_ones else "no structure is open")
            + "); specify residues of a protein, e.g. '#1', '#1/H' or 'protein'"
        )
    found = protein_chains(residues)
    if not found:
        held, fix = no_protein(residues)
        raise UserError(f"no protein chain in{named} (it holds {held}); {fix}")
    found, notes = one_per_ensemble(found)
    for note in notes:
        session.logger.info(note)
    return found


def selected_in(
    found: Sequence[StructureChains], residues: Residues, every: bool = False
) -> list[ResidueSelection]:
    """The residues of ``residues`` (the ``residues`` keyword) in each target's protein chains.

    A residue is taken by its own identity (author chain id, number and insertion
    code, :func:`~.adapter.residue_id`) where it is a residue of a target's chains,
    so a spec naming another structure's residues selects nothing here. Each
    selection's text is the spec as typed, for the log.

    Parameters
    ----------
    found : sequence of StructureChains
        The targets (:func:`targets`) of the command's first spec.
    residues : Residues
        The residues named, as ChimeraX's ``ResiduesArg`` parsed them.
    every : bool
        Refuse a target that holds none of them (``attention query`` colours each
        target by its own selection); else refuse only when no target holds any.

    Returns
    -------
    list of ResidueSelection
        One per target, in order (empty where a target holds none).

    Raises
    ------
    UserError
        When the spec matches no residue, or none (or, with ``every``, not one of a
        target's) in the targets' protein chains; nothing has changed then.
    """
    spec = getattr(residues, "spec", None) or "the specified atoms"
    example = "e.g. residues /B:99-104"
    if not len(residues):
        raise UserError(
            f"residues {spec!r} matches no residue; name residues of a protein chain of "
            f"the structures, {example}"
        )
    selections = []
    for target in found:
        ids = frozenset(
            rid
            for rid, r in zip(map(residue_id, residues), residues)
            if target.residues.get(rid) is r
        )
        selections.append(ResidueSelection(ids, spec))
    chains = "; ".join(f"{t.structure} chains {', '.join(c.id for c in t.chains)}" for t in found)
    if not any(selections):
        held = ""
        if not protein_chains(residues):
            held = f" (it holds {no_protein(residues)[0]})"
        raise UserError(
            f"residues {spec!r} holds no residue of the protein chains used ({chains})"
            f"{held}; name residues of those chains, {example}, or include their chains "
            "in the first spec"
        )
    if every:
        holder = next(t for t, selection in zip(found, selections) if selection)
        for target, selection in zip(found, selections):
            if not selection:
                raise UserError(
                    f"residues {spec!r} holds no residue of {target.structure}'s protein "
                    f"chains ({', '.join(c.id for c in target.chains)}); name only the "
                    "structures that hold them in the first spec, e.g. "
                    f"{holder.structure.atomspec}"
                )
    return selections


def checked(check: Callable[..., _T], *args, where: str = "") -> _T:
    """A value through one of the core's argument checks (:mod:`protattn.api.checks`).

    Called with ChimeraX's keyword names (``topK``, ``minSeparation``) before any
    model runs; the core's message becomes a ``UserError``, after ``where`` if given.
    """
    try:
        return check(*args)
    except protattn.ProtattnError as e:
        raise UserError(f"{where}: {e}" if where else str(e)) from e


def check_pair_numbers(
    found: Iterable[StructureChains],
    threshold: float,
    top_k: int | None,
    min_separation: int,
    concatenate: bool = False,
) -> tuple[float, int | None, int]:
    """``threshold``, ``topK`` and ``minSeparation`` checked as the core and the command
    line check them, with ChimeraX's keyword names; UserError before anything runs.

    ``minSeparation`` must leave a pair in each structure's longest chosen chain
    (any value with ``concatenate`` of several chains: pairs between chains are kept).
    """
    threshold = checked(check_threshold, threshold, "threshold", "topK")
    top_k = checked(check_top_k, top_k, "topK")
    for target in found:
        together = concatenate and len(target.chains) > 1
        lengths = () if together else [len(c) for c in target.chains]
        min_separation = checked(
            check_min_separation,
            min_separation,
            lengths,
            "minSeparation",
            where=str(target.structure),
        )
    return threshold, top_k, min_separation


def nothing_drawn(what: str, fix: str, kept: str) -> str:
    """The warning of a run that found nothing to draw: what, how to fix it, what stays."""
    return f"{what}; {fix}. Nothing changed: {kept}"


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
        The scene's pairs whose residues both have a CA atom, but for pairs of a
        residue with itself (no pseudobond joins an atom to itself).
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
            if a is not None and b is not None and a is not b:
                bonds.append(bond)
                ends.append((a, b))
        return cls(target, scene, summary, bonds, ends)

    @classmethod
    def of(cls, target: StructureChains, result: protattn.PairsResult) -> PairsPlan:
        """The plan of a :func:`protattn.compute_pairs` result."""
        return cls.make(target, result.scene, result.summary())

    @property
    def self_pairs(self) -> int:
        """Pairs of a residue with itself (``minSeparation 0``): a pseudobond needs two atoms."""
        return sum(1 for bond in self.scene.bonds if bond.a == bond.b)

    def log_line(self) -> str:
        line = f"{self.target.structure}: {self.summary}"
        if self.self_pairs:
            line += (
                f"; {self.self_pairs} of a residue with itself not drawn (a pseudobond "
                "joins two atoms)"
            )
        no_ca = len(self.scene.bonds) - len(self.bonds) - self.self_pairs
        if no_ca:
            line += f"; {no_ca} not drawn (residue without CA atom)"
        return line


def draw_plans(
    session: Session, plans: Iterable[PairsPlan], name: str, replace: bool = True, dashes: int = 0
) -> Pseudobonds:
    """Draw each plan's pseudobonds into its structure's group ``name``.

    With ``replace`` the group's earlier pseudobonds go first. A plan with nothing
    to draw leaves its structure's group as it was (a run that found nothing does
    not erase the previous drawing). Each pseudobond gets its pair's weight as the
    attribute ``attention_weight``.
    """
    register_float(session, Pseudobond, WEIGHT)
    drawn = []
    for plan in plans:
        if not plan.ends:
            continue
        group = plan.target.structure.pseudobond_group(name, create_type="normal")
        if replace:
            group.pseudobonds.delete()
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


def show_sticks(residues: Residues) -> Atoms:
    """Show the residues' heavy atoms as sticks (what a command points at); those atoms.

    Hydrogens are left as they were, and so is the selection: the user's own.
    """
    atoms = residues.atoms
    atoms = atoms[~np.isin(atoms.element_names, ("H", "D"))]
    atoms.draw_modes = Atom.STICK_STYLE
    atoms.displays = True
    return atoms
