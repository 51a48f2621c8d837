"""Residues a user names on the command line, in the structure's own numbering.

A residue list is written ``[CHAIN:]FROM[-TO]`` items separated by commas, semicolons
or spaces: ``H:31-35,H:50-58,L:91``. Numbers are the file's author numbers with their
insertion codes (Kabat's ``H:52A``, ``H:100a``) and may be negative (``A:-3--1``). A
range runs in the chain's own order from ``FROM`` to ``TO``, so ``H:52-53`` holds
``52``, ``52A``, ``52B`` and ``53`` where the chain has them. The chain may be left out
when the structure has one protein chain. Only observed residues have numbers.

In PyMOL and ChimeraX a selection names the residues instead; both become a
:class:`ResidueSelection`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import ProtattnError
from .model import Chain, ResidueId

__all__ = ["ResidueSelection", "parse_residues", "residue_position"]

_NUMBER = r"-?\d+[A-Za-z]?"
_ITEM = re.compile(rf"^(?:(?P<chain>[^:\s,;]+):)?(?P<start>{_NUMBER})(?:-(?P<end>{_NUMBER}))?$")
_SEPARATORS = re.compile(r"[\s,;]+")
_HOW = "[CHAIN:]FROM[-TO] items, e.g. H:31-35,H:52A,L:91"


@dataclass(frozen=True)
class ResidueSelection:
    """A set of residues, by identity, and how it was written.

    Attributes
    ----------
    ids : frozenset of ResidueId
    text : str
        As given (a residue list, or a host's selection), for logs and keys.
    """

    ids: frozenset[ResidueId]
    text: str = ""

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, residue: object) -> bool:
        return residue in self.ids

    def __iter__(self) -> Iterator[ResidueId]:
        return iter(self.ids)

    def mask(self, chain: Chain) -> np.ndarray:
        """Positions of ``chain`` in the selection, ``shape=(L,), dtype=bool``."""
        return np.array([rid is not None and rid in self.ids for rid in chain.residue_ids])

    def chains(self, chains: Iterable[Chain]) -> list[Chain]:
        """The chains holding at least one selected residue, in order."""
        return [c for c in chains if self.mask(c).any()]

    def describe(self) -> str:
        """``"7 residues (H:31-35,H:52A)"``."""
        n = len(self.ids)
        text = f" ({self.text})" if self.text else ""
        return f"{n} residue{'' if n == 1 else 's'}{text}"


def _split(token: str) -> tuple[int, str]:
    icode = token[-1] if token[-1].isalpha() else ""
    return int(token[: len(token) - len(icode)]), icode


def residue_position(chain: Chain, number: int, icode: str = "") -> int:
    """The sequence position (0-based) of author residue ``number`` + ``icode`` in ``chain``.

    An insertion code matches in either case when the chain has only one of them.

    Raises
    ------
    ProtattnError
        If the chain has no such observed residue, naming its numbering.

    Examples
    --------
    >>> import numpy as np
    >>> ids = (ResidueId("H", 52), ResidueId("H", 52, "A"), None, ResidueId("H", 53))
    >>> c = Chain("H", "GAGS", ids, np.zeros((4, 4, 3)), ({},) * 4)
    >>> residue_position(c, 52, "a"), residue_position(c, 53)
    (1, 3)
    """
    exact = [
        k
        for k, rid in enumerate(chain.residue_ids)
        if rid is not None and rid.number == number and rid.icode == icode
    ]
    if not exact and icode:
        exact = [
            k
            for k, rid in enumerate(chain.residue_ids)
            if rid is not None and rid.number == number and rid.icode.upper() == icode.upper()
        ]
    if len(exact) == 1:
        return exact[0]
    observed = [rid for rid in chain.residue_ids if rid is not None]
    span = (
        f"{observed[0].number}{observed[0].icode}-{observed[-1].number}{observed[-1].icode}"
        if observed
        else "none observed"
    )
    if len(exact) > 1:
        raise ProtattnError(
            f"chain {chain.id} has {len(exact)} residues numbered {number}{icode}; "
            "add the insertion code that tells them apart"
        )
    raise ProtattnError(
        f"chain {chain.id} has no observed residue {number}{icode} (its residues are "
        f"numbered {span}); give a residue of the chain"
    )


def parse_residues(text: str | Sequence[str], chains: Sequence[Chain]) -> ResidueSelection:
    """Read a residue list (see the module's description) against ``chains``.

    Parameters
    ----------
    text : str or sequence of str
    chains : sequence of Chain
        The protein chains the residues are in.

    Returns
    -------
    ResidueSelection

    Raises
    ------
    ProtattnError
        For an item that cannot be read, an unknown chain or residue, a range that
        runs backwards, a chain left out where there are several, or nothing at all.

    Examples
    --------
    >>> ids = tuple(ResidueId("H", k) for k in (30, 31, 32, 33))
    >>> c = Chain("H", "GASG", ids, np.zeros((4, 4, 3)), ({},) * 4)
    >>> sorted(str(r) for r in parse_residues("31-32 H:30", [c]).ids)
    ['H:30', 'H:31', 'H:32']
    """
    written = text if isinstance(text, str) else ",".join(text)
    items = [t for t in _SEPARATORS.split(written.strip()) if t]
    if not items:
        raise ProtattnError(f"no residues given; write them as {_HOW}")
    by_id = {c.id: c for c in chains}
    chosen: set[ResidueId] = set()
    for item in items:
        match = _ITEM.match(item)
        if match is None:
            raise ProtattnError(f"cannot read residues {item!r}; write them as {_HOW}")
        name = match["chain"]
        if name is None:
            if len(chains) != 1:
                raise ProtattnError(
                    f"residues {item!r}: say which chain, e.g. {chains[0].id}:{item} "
                    f"(the chains are {', '.join(by_id)})"
                    if chains
                    else "there is no protein chain to select residues in"
                )
            chain = chains[0]
        elif name in by_id:
            chain = by_id[name]
        else:
            raise ProtattnError(
                f"residues {item!r}: no protein chain {name!r}; choose from {', '.join(by_id)}"
            )
        start = residue_position(chain, *_split(match["start"]))
        end = residue_position(chain, *_split(match["end"])) if match["end"] else start
        if end < start:
            raise ProtattnError(
                f"residues {item!r} run backwards in chain {chain.id}; write the first "
                "residue first"
            )
        chosen.update(rid for rid in chain.residue_ids[start : end + 1] if rid is not None)
    return ResidueSelection(frozenset(chosen), written.strip())
