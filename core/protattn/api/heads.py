"""The ``heads`` request: rank heads by a property, then the top head's pairs and scores.

PyMOL's ``attention_heads``, ChimeraX's ``attention heads`` and the panels ask
:func:`top_heads`; how the top head is drawn (:func:`top_head_options`) is
decided here once.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from ..analysis.results import HeadStatistics
from ..lm.counts import DEFAULT_DEFINITION, DEFAULT_MIN_ARCS
from ..palettes import CONTACT_NAMES
from ..structure.model import Chain, ResidueId, Structure
from .options import parse_site_kinds
from .pairs import PairsResult, ScoresResult, compute_pairs, compute_scores
from .report import interval_warning, nothing_to_rank, rank_heads, ranking_table, too_few_arcs
from .stats import head_statistics

__all__ = [
    "HeadsResult",
    "top_head_options",
    "top_head_legend",
    "property_attribute",
    "top_heads",
]


def top_head_options(prop: str) -> dict:
    """How the top head of ``prop`` is drawn: contacts by contact (|i - j| >= 6), else by weight.

    Parameters
    ----------
    prop : str

    Returns
    -------
    dict
        ``min_separation`` and ``color_by`` for :func:`protattn.compute_pairs`.

    Examples
    --------
    >>> top_head_options("contact")
    {'min_separation': 6, 'color_by': 'contact'}
    """
    if prop == "contact":
        return {"min_separation": 6, "color_by": "contact"}
    return {"min_separation": 1, "color_by": "weight"}


def top_head_legend(prop: str) -> str:
    """What the top head's colours mean, for a log line (empty when coloured by weight)."""
    if prop != "contact":
        return ""
    return f" ({CONTACT_NAMES[True]}: contact, {CONTACT_NAMES[False]}: not)"


def property_attribute(prop: str) -> str:
    """A residue attribute name for a property's values: ``attention_binding_site``.

    Examples
    --------
    >>> property_attribute("aa:C")
    'attention_aa_C'
    """
    return "attention_" + re.sub(r"\W", "_", prop)


@dataclass(frozen=True)
class HeadsResult:
    """Heads ranked by one property over some structures, and the top head's scenes.

    Attributes
    ----------
    prop : str
    statistics : HeadStatistics
    rows : tuple of dict
        The ranked heads, best first (:meth:`HeadStatistics.ranking` rows).
    pairs : tuple of PairsResult
        The top head's pairs, one per structure (in order); empty when not drawn.
    scores : tuple of ScoresResult
        The attention each residue receives from the top head, one per structure;
        empty unless asked for.
    """

    prop: str
    statistics: HeadStatistics
    rows: tuple[dict, ...]
    pairs: tuple[PairsResult, ...] = ()
    scores: tuple[ScoresResult, ...] = ()

    @property
    def empty(self) -> str | None:
        """Why nothing was ranked or drawn (no positive, too few arcs), else None."""
        if self.rows:
            return None
        return nothing_to_rank(self.statistics, self.prop) or too_few_arcs(
            self.statistics, self.prop
        )

    @property
    def warning(self) -> str | None:
        """A warning when the drawn top head's interval contains the background."""
        if not self.rows:
            return None
        return interval_warning(self.statistics, self.prop, self.rows[0])

    @property
    def best(self) -> str | None:
        """The top head, ``"L-H"``; None when no head has enough arcs."""
        return self.rows[0]["layer_head"] if self.rows else None

    def table(self) -> list[str]:
        """The ranking as text lines (:func:`protattn.api.report.ranking_table`)."""
        return ranking_table(self.statistics, self.prop, list(self.rows))


def top_heads(
    structures: Iterable[Structure],
    prop: str = "contact",
    model: str = "antiberty",
    top: int | None = 10,
    threshold: float = 0.3,
    min_arcs: int = DEFAULT_MIN_ARCS,
    site_kinds: str | Sequence[str] = "ligand",
    definition: str = DEFAULT_DEFINITION,
    draw: bool = True,
    within: Sequence[Collection[ResidueId] | None] | None = None,
    scores: bool = False,
    selection: Collection[ResidueId] | None = None,
) -> HeadsResult:
    """Rank heads by their share of high-confidence attention on ``prop``; the top head's scenes.

    Parameters
    ----------
    structures : iterable of Structure
        Every chain of every structure is counted.
    prop : str
        ``contact``, ``binding_site``, ``binding_site:CODE``, ``helix``, ``strand``,
        ``turn_bend``, ``other`` or ``aa:X``.
    model : str
    top : int, optional
        Rows kept (None or 0: all).
    threshold : float
        High-confidence attention θ; also the top head's pair threshold.
    min_arcs : int
    site_kinds : str or sequence of str
        As :func:`protattn.api.options.parse_site_kinds` reads them.
    definition : {"paper", "judged"}
    draw : bool
        Also compute the top head's pairs on each structure (:func:`top_head_options`).
    within : sequence of collections of ResidueId, optional
        Per structure, the residues pairs and scores are kept for (None: all).
    scores : bool
        Also compute the attention each residue receives from the top head.
    selection : collection of ResidueId, optional
        The residues of ``prop="selection"`` (an active site, an epitope): heads are
        ranked by the share of their attention landing on them, over the chains that
        hold them, and the top head is drawn on those chains.

    Returns
    -------
    HeadsResult
        No rows and nothing drawn when the structures have no positive of ``prop``
        or no head has enough arcs (:attr:`HeadsResult.empty` says which); a top head
        whose interval contains the background is drawn, with
        :attr:`HeadsResult.warning`.
    """
    structures = list(structures)
    stats = head_statistics(
        structures,
        model,
        [prop],
        threshold=threshold,
        min_arcs=min_arcs,
        site_kinds=parse_site_kinds(site_kinds),
        definition=definition,
        selection=selection,
    )
    rows = tuple(rank_heads(stats, prop, top))
    if not (rows and draw):
        return HeadsResult(prop, stats, rows)
    best = rows[0]["layer_head"]
    keep = list(within) if within is not None else [None] * len(structures)

    def chains_of(structure: Structure) -> list[Chain]:
        """The chains holding the selection (all, where none does or it is not asked)."""
        held = [
            c
            for c in structure.chains
            if prop == "selection"
            and selection is not None
            and any(r in selection for r in c.residue_ids if r)
        ]
        return held or list(structure.chains)

    pairs = tuple(
        compute_pairs(
            chains_of(s),
            best,
            model=model,
            threshold=float(threshold),
            within=w,
            **top_head_options(prop),
        )
        for s, w in zip(structures, keep)
    )
    received = (
        tuple(
            compute_scores(chains_of(s), best, model=model, within=w)
            for s, w in zip(structures, keep)
        )
        if scores
        else ()
    )
    return HeadsResult(prop, stats, rows, pairs, received)
