"""``attention aminoacids``: every head's attention between amino acids, against BLOSUM62."""

from __future__ import annotations

import html

from chimerax.atomic import Residues, ResiduesArg, all_residues
from chimerax.core.commands import CmdDesc, FloatArg, PositiveIntArg, SaveFileNameArg, register
from chimerax.core.errors import UserError
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.aminoacids import AminoAcidProfiles, amino_acid_profiles
from protattn.api.checks import check_output, check_threshold
from protattn.report.plots import FORMATS

from .arguments import MODEL
from .drawing import checked, core, targets
from .settings import use_settings

__all__ = ["attention_aminoacids", "register_command"]


def attention_aminoacids(
    session: Session,
    chains: Residues | None = None,
    *,
    threshold: float = 0.3,
    min_arcs: int = 100,
    model: str = "antiberty",
    top: int = 5,
    png: str | None = None,
) -> AminoAcidProfiles:
    """Count every head's high-confidence arcs between amino acids over the protein chains.

    Usage: attention aminoacids [atom-spec] [threshold t] [minArcs n] [model name]
    [top n] [png path]

    e.g. attention aminoacids #1 png ~/aminoacids.png

    Counts, over each whole protein chain the spec touches (every open
    structure's without one; its full sequence, cut to 510 residues as the
    paper's code cuts it), every head's arcs of attention of at least threshold
    (the paper's 0.3; 0.05 to 1) between amino acids, as the command line's
    ``protattn aminoacids``. Logs the core's summary line (the amino acids'
    attention similarity over the heads with at least minArcs arcs, default
    100, against BLOSUM62: Pearson r, and the best single head), then the top
    heads whose own similarity is closest to BLOSUM62 and each amino acid's
    favourite head. ``png`` saves the paper's figure there (.png, .svg or .pdf;
    the path is checked before the model runs). The status line shows the chains
    done while they are counted. Nothing in the session is changed. Of a
    multi-model file (NMR ensemble) the first model the spec touches is counted.
    Returns the profiles.
    """
    use_settings(session)
    threshold = checked(check_threshold, threshold, "threshold")
    path = None if png is None else checked(check_output, png, tuple(FORMATS), "png")
    found = targets(session, all_residues(session) if chains is None else chains)
    sequences = [(f"{t.structure}/{c.id}", c.sequence) for t in found for c in t.chains]
    result = core(
        amino_acid_profiles,
        sequences,
        model,
        threshold=threshold,
        min_arcs=min_arcs,
        progress=lambda p: session.logger.status(
            f"attention aminoacids: {p.text()}", secondary=True
        ),
    )
    session.logger.status("", secondary=True)
    for entry in result.truncated:
        session.logger.info(
            f"{entry} residues: cut to the model's input, as the paper's code cuts it"
        )
    summary, *table = result.table(top)
    session.logger.info(summary)
    session.logger.info(f"<pre>{html.escape(chr(10).join(table))}</pre>", is_html=True)
    if path is not None:
        try:
            result.figure(path)
        except OSError as e:
            raise UserError(f"png {png!r}: the figure could not be written: {e}") from e
        session.logger.info(f"attention aminoacids: drew the figure into {path}")
    return result


def register_command(logger: Logger) -> None:
    """Register ``attention aminoacids`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        optional=[("chains", ResiduesArg)],
        keyword=[
            ("threshold", FloatArg),
            ("min_arcs", PositiveIntArg),
            MODEL,
            ("top", PositiveIntArg),
            ("png", SaveFileNameArg),
        ],
        synopsis="every head's attention between amino acids, against BLOSUM62",
    )
    register("attention aminoacids", desc, attention_aminoacids, logger=logger)
