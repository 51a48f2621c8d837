"""Mutations in a structure's own numbering, checked against the chain and applied to its sequence.

A mutation is written ``[CHAIN:]WT NUMBER [ICODE] MUT`` without spaces: the wild-type
residue, the author residue number with its insertion code (Kabat's ``52A``), and the
residue it becomes, each residue as one letter or three (``Y101A``, ``B:Y101A``,
``H:TYR52AALA``, ``L:T27aA``). Several are separated by commas, semicolons or spaces.
Only observed residues have a number: a residue of the sequence without coordinates is
changed by giving a whole second sequence instead (:func:`mutant_from_sequence`).

:func:`mutant_of` reads either and checks it against the chain; the
:class:`Mutant` it returns keeps the chain's residues and coordinates, with the
mutant sequence: what the language model sees changes, the structure the answers
are judged on does not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from ..errors import ProtattnError
from .model import Chain

__all__ = [
    "STANDARD",
    "THREE_LETTER",
    "MutationError",
    "Mutation",
    "Mutant",
    "parse_mutations",
    "apply_mutations",
    "mutant_from_sequence",
    "mutant_of",
]

#: The 20 standard amino acids: the residues a mutation may give.
STANDARD = "ACDEFGHIKLMNPQRSTVWY"

#: Three-letter names of the standard amino acids (and ``UNK`` for ``X``).
THREE_LETTER = {
    "A": "ALA",
    "C": "CYS",
    "D": "ASP",
    "E": "GLU",
    "F": "PHE",
    "G": "GLY",
    "H": "HIS",
    "I": "ILE",
    "K": "LYS",
    "L": "LEU",
    "M": "MET",
    "N": "ASN",
    "P": "PRO",
    "Q": "GLN",
    "R": "ARG",
    "S": "SER",
    "T": "THR",
    "V": "VAL",
    "W": "TRP",
    "Y": "TYR",
    "X": "UNK",
}
_ONE_LETTER = {three: one for one, three in THREE_LETTER.items()}

_MUTATION = re.compile(
    r"(?:(?P<chain>[^:\s,;]+):)?"
    r"(?P<wt>[A-Za-z]{3}|[A-Za-z])"
    r"(?P<number>-?\d+)"
    r"(?P<icode>[A-Za-z]?)"
    r"(?P<mut>[A-Za-z]{3}|[A-Za-z])"
)
_SEPARATORS = re.compile(r"[\s,;]+")
_HOW = "[CHAIN:]WT NUMBER[ICODE] MUT, e.g. Y101A, B:Y101A, H:A52aG or TYR101ALA"


class MutationError(ProtattnError):
    """A mutation that cannot be read, or does not fit the chain it is applied to."""


def _name(letter: str) -> str:
    """``"TYR (Y)"``: a residue as messages name it."""
    return f"{THREE_LETTER.get(letter, 'UNK')} ({letter})"


def _letter(written: str, token: str, role: str) -> str:
    """One-letter code of a residue written as one letter or three."""
    up = written.upper()
    if len(up) == 1:
        return up
    if up not in _ONE_LETTER:
        raise MutationError(
            f"{token!r}: {written!r} is not a residue name; write the {role} residue as one "
            f"letter or a standard three-letter name ({_HOW})"
        )
    return _ONE_LETTER[up]


@dataclass(frozen=True)
class Mutation:
    """One residue changed, as written in the structure's numbering.

    Attributes
    ----------
    wild_type, mutant : str
        One-letter codes.
    number : int
        The author residue number.
    icode : str
        Its insertion code (``""`` for none), as written.
    chain : str
        The chain it names (``""``: the chain it is applied to).

    Examples
    --------
    >>> str(Mutation("Y", 101, "A", chain="B")), str(Mutation("A", 52, "G", "a"))
    ('B:Y101A', 'A52aG')
    """

    wild_type: str
    number: int
    mutant: str
    icode: str = ""
    chain: str = ""

    def __str__(self) -> str:
        where = f"{self.chain}:" if self.chain else ""
        return f"{where}{self.wild_type}{self.number}{self.icode}{self.mutant}"


def parse_mutations(text: str | Iterable[str]) -> tuple[Mutation, ...]:
    """Mutations as a user writes them (see the module documentation for the syntax).

    Parameters
    ----------
    text : str or iterable of str
        ``"B:Y101A,B:D100A"``, ``"Y101A D100A"``, or one mutation per item.

    Returns
    -------
    tuple of Mutation
        In the order written; not yet checked against a chain (:func:`apply_mutations`).

    Raises
    ------
    MutationError
        For a token that is not a mutation, a residue name that is none, a mutant
        residue outside the 20 standard amino acids, a residue mutated to itself, or
        no mutation at all.

    Examples
    --------
    >>> [str(m) for m in parse_mutations("B:Y101A, tyr33gly;L:T27aA")]
    ['B:Y101A', 'Y33G', 'L:T27aA']
    >>> parse_mutations("H:A52AG")[0]
    Mutation(wild_type='A', number=52, mutant='G', icode='A', chain='H')
    """
    items = [text] if isinstance(text, str) else list(text)
    tokens = [t for item in items for t in _SEPARATORS.split(item) if t]
    if not tokens:
        raise MutationError(f"no mutation given; write them as {_HOW}")
    out = []
    for token in tokens:
        match = _MUTATION.fullmatch(token)
        if match is None:
            raise MutationError(f"{token!r} is not a mutation; write it as {_HOW}")
        wt = _letter(match["wt"], token, "wild-type")
        mut = _letter(match["mut"], token, "mutant")
        if mut not in STANDARD:
            raise MutationError(
                f"{token!r}: {mut} is not one of the 20 standard amino acids; a residue "
                f"can become one of {STANDARD}"
            )
        if mut == wt:
            raise MutationError(
                f"{token!r} changes nothing: the mutant residue is the wild type, {_name(wt)}"
            )
        out.append(Mutation(wt, int(match["number"]), mut, match["icode"], match["chain"] or ""))
    return tuple(out)


@dataclass(frozen=True)
class Mutant:
    """A chain with a changed sequence and the wild type's residues and coordinates.

    Attributes
    ----------
    chain : Chain
        The mutant: its :attr:`~Chain.sequence` changed, its residue ids, backbone
        and atoms those of ``wild_type`` (what the structure says is judged on the
        wild type's coordinates).
    wild_type : Chain
    positions : tuple of int
        The 0-based sequence positions that differ, in order.
    """

    chain: Chain
    wild_type: Chain
    positions: tuple[int, ...]

    @property
    def sequence(self) -> str:
        return self.chain.sequence

    @property
    def labels(self) -> tuple[str, ...]:
        """Each change as a mutation: ``"B:Y101A"``; by sequence position where the
        residue has no coordinates (``"Y5A (position 5, no coordinates)"``)."""
        out = []
        for k in self.positions:
            wt, mut = self.wild_type.sequence[k], self.chain.sequence[k]
            rid = self.wild_type.residue_ids[k]
            out.append(
                f"{self.chain.id}:{wt}{rid.number}{rid.icode}{mut}"
                if rid is not None
                else f"{wt}{k + 1}{mut} (position {k + 1}, no coordinates)"
            )
        return tuple(out)

    def describe(self) -> str:
        """The changes in one phrase: ``"B:Y101A"``, ``"B:Y101A, B:D100A"``, ``"no change"``."""
        return ", ".join(self.labels) or "no change"


def _numbering(chain: Chain) -> str:
    """The residue numbers a chain has, for a message: ``"1-116"`` or with insertion codes."""
    ids = [r for r in chain.residue_ids if r is not None]
    if not ids:
        return "no residue with coordinates"
    text = f"{ids[0].number}{ids[0].icode}-{ids[-1].number}{ids[-1].icode}"
    coded = [f"{r.number}{r.icode}" for r in ids if r.icode]
    if coded:
        shown = ", ".join(coded[:8]) + (", ..." if len(coded) > 8 else "")
        text += f", with insertion codes {shown}"
    return text


def _position(chain: Chain, mutation: Mutation) -> int:
    """The sequence position of the residue a mutation names; MutationError if none."""
    number, icode = mutation.number, mutation.icode
    same_number = [
        (k, r) for k, r in enumerate(chain.residue_ids) if r is not None and r.number == number
    ]
    exact = [k for k, r in same_number if r.icode == icode]
    if len(exact) == 1:
        return exact[0]
    folded = [k for k, r in same_number if r.icode.upper() == icode.upper()]
    if len(folded) == 1:
        return folded[0]
    unobserved = sum(r is None for r in chain.residue_ids)
    tail = (
        f"; {unobserved} residues of its sequence have no coordinates and no number: "
        "give a second sequence to change those"
        if unobserved
        else ""
    )
    if same_number:
        names = ", ".join(f"{number}{r.icode}" for _, r in same_number)
        raise MutationError(
            f"chain {chain.id} has no residue {number}{icode} ({mutation} names it); "
            f"residue {number} is there as {names}"
        )
    raise MutationError(
        f"chain {chain.id} has no residue {number}{icode} ({mutation} names it); its "
        f"residues are numbered {_numbering(chain)}{tail}"
    )


def _label(chain: Chain, k: int) -> str:
    rid = chain.residue_ids[k]
    return f"{rid.number}{rid.icode}" if rid is not None else f"at position {k + 1}"


def apply_mutations(chain: Chain, mutations: str | Sequence[Mutation]) -> Mutant:
    """The mutant of ``chain`` that ``mutations`` give, each checked against the chain.

    Parameters
    ----------
    chain : Chain
    mutations : str or sequence of Mutation
        Text for :func:`parse_mutations`, or mutations parsed already. A chain
        prefix must name ``chain`` (its :attr:`~Chain.id`, or the author chain id of
        its residues).

    Returns
    -------
    Mutant

    Raises
    ------
    MutationError
        If a mutation names another chain, a residue number the chain does not have
        (the message gives the chain's numbering), a wild type other than the
        chain's residue there (the message names the residue), or two mutations
        name one residue.
    """
    parsed = parse_mutations(mutations) if isinstance(mutations, str) else tuple(mutations)
    if not parsed:
        raise MutationError(f"no mutation given; write them as {_HOW}")
    names = {chain.id} | {r.chain for r in chain.residue_ids if r is not None}
    sequence = list(chain.sequence)
    done: dict[int, Mutation] = {}
    for m in parsed:
        if m.chain and m.chain not in names:
            raise MutationError(
                f"{m} names chain {m.chain}, but the chain mutated is {chain.id}; one chain "
                "is compared at a time"
            )
        k = _position(chain, m)
        if k in done:
            raise MutationError(
                f"two mutations of residue {_label(chain, k)} of chain {chain.id}: "
                f"{done[k]} and {m}; give one per residue"
            )
        actual = chain.sequence[k]
        if actual != m.wild_type:
            raise MutationError(
                f"residue {_label(chain, k)} of chain {chain.id} is {_name(actual)}, not "
                f"{m.wild_type}; the mutation says {m}"
            )
        done[k] = m
        sequence[k] = m.mutant
    return Mutant(replace(chain, sequence="".join(sequence)), chain, tuple(sorted(done)))


def mutant_from_sequence(chain: Chain, sequence: str) -> Mutant:
    """The mutant whose sequence is given whole: as long as ``chain``'s, residue for residue.

    Parameters
    ----------
    chain : Chain
    sequence : str
        One-letter codes (any case; spaces and line breaks are ignored). Where it
        differs from the chain, a standard amino acid.

    Returns
    -------
    Mutant
        With no positions where the sequences are the same.

    Raises
    ------
    MutationError
        If the lengths differ (both are named), or a changed residue is not one of
        the 20 standard amino acids.

    Examples
    --------
    >>> import numpy as np
    >>> from protattn.structure.model import Chain
    >>> wt = Chain("A", "ACDE", (None,) * 4, np.full((4, 4, 3), np.nan), (None,) * 4)
    >>> mutant_from_sequence(wt, "acGe").labels
    ('D3G (position 3, no coordinates)',)
    """
    text = re.sub(r"\s+", "", sequence).upper()
    if len(text) != len(chain):
        raise MutationError(
            f"the second sequence has {len(text)} residues and chain {chain.id} has "
            f"{len(chain)}; give a sequence of the same length (a residue for each "
            "residue), or mutations"
        )
    changed = tuple(k for k, (a, b) in enumerate(zip(chain.sequence, text)) if a != b)
    odd = sorted({text[k] for k in changed if text[k] not in STANDARD})
    if odd:
        raise MutationError(
            f"the second sequence has {', '.join(odd)} where chain {chain.id} has another "
            f"residue: a residue can become one of the 20 standard amino acids ({STANDARD})"
        )
    return Mutant(replace(chain, sequence=text), chain, changed)


def mutant_of(chain: Chain, mutant: str | Sequence[Mutation] | Mutant) -> Mutant:
    """Mutations or a second sequence, read and checked against ``chain``.

    Parameters
    ----------
    chain : Chain
    mutant : str or sequence of Mutation or Mutant
        Text with a digit is mutations (:func:`parse_mutations`); text of letters
        only is a second sequence (:func:`mutant_from_sequence`); a Mutant must be
        of ``chain``.

    Returns
    -------
    Mutant

    Raises
    ------
    MutationError
        As :func:`apply_mutations` or :func:`mutant_from_sequence`.
    """
    if isinstance(mutant, Mutant):
        if mutant.wild_type.sequence != chain.sequence or (
            mutant.wild_type.residue_ids != chain.residue_ids
        ):
            raise MutationError(f"the mutant given is not one of chain {chain.id}")
        return mutant
    if isinstance(mutant, str):
        if re.search(r"\d", mutant):
            return apply_mutations(chain, mutant)
        return mutant_from_sequence(chain, mutant)
    return apply_mutations(chain, list(mutant))
