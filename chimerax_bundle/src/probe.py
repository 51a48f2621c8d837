"""``attention probe``: what each layer knows, a probe per layer judged on held-out chains."""

from __future__ import annotations

import base64
import io

from chimerax.atomic import Residues, ResiduesArg, all_residues
from chimerax.core.commands import (
    CmdDesc,
    EnumOf,
    FloatArg,
    ListOf,
    NonNegativeIntArg,
    SaveFileNameArg,
    register,
)
from chimerax.core.errors import UserError
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.analysis.probing import TASKS, ProbeResult
from protattn.api.checks import check_output
from protattn.api.probe import probe_structures, task_names
from protattn.report.plots import FORMATS

from .arguments import MODEL
from .drawing import checked, core, targets
from .settings import use_settings
from .tables import html_lines, probe_tables

__all__ = ["attention_probe", "register_command"]


def attention_probe(
    session: Session,
    chains: Residues | None = None,
    *,
    tasks: list[str] | None = None,
    held_out: float = 0.25,
    seed: int = 0,
    png: str | None = None,
    model: str = "antiberty",
) -> ProbeResult:
    """Train a probe per layer on some protein chains and judge it on the others.

    Usage: attention probe [atom-spec] [tasks name,...|all] [heldOut share]
    [seed n] [png path] [model name]

    e.g. attention probe tasks secondary_structure,contact png ~/probe.png

    As the command line's ``protattn probe``, over each whole protein chain the
    spec touches (every open structure's without one): a logistic-regression
    probe per layer of the model learns from the training chains and is judged
    on the held-out chains (the share ``heldOut``, default 0.25, counted by
    distinct sequence, so that no sequence is on both sides; ``seed``, default
    0, seeds the split, the sampling and the intervals). Tasks (default all):
    secondary_structure (4 classes, accuracy) and binding_site (precision at
    L/20) from the hidden states, layer 0 the embeddings; contact (precision at
    L/5) from attention, both directions of every head. The table of each task
    (the metric at each layer with its bootstrap interval over test chains, and
    what a probe without information scores) and the figure go to the log;
    ``png`` also saves the figure there (.png, .svg or .pdf; the path is checked
    before any work). Fewer than two protein chains of different sequences are
    refused: name more. The status line shows the chains done. Nothing in the
    session is changed. Of a multi-model file (NMR ensemble) the first model
    the spec touches is used. Needs scikit-learn and the model in ChimeraX's
    Python. Returns the probes.
    """
    use_settings(session)
    names = checked(task_names, tasks)
    if not 0.0 < held_out < 1.0:
        raise UserError(
            f"heldOut is the share of chains tested on, above 0 and below 1 (e.g. heldOut "
            f"0.25), not {held_out:g}"
        )
    path = None if png is None else checked(check_output, png, tuple(FORMATS), "png")
    found = targets(session, all_residues(session) if chains is None else chains)
    distinct = {c.sequence for t in found for c in t.chains if not set(c.sequence) <= {"X"}}
    if len(distinct) < 2:
        held = ", ".join(f"{t.structure.atomspec}/{c.id}" for t in found for c in t.chains)
        raise UserError(
            f"attention probe trains on some chains and tests on others: it needs at least 2 "
            f"protein chains of different sequences, and {held} "
            + ("holds" if len(held.split(", ")) == 1 else "hold")
            + f" {len(distinct)}; open more structures or name more chains"
        )
    result = core(
        probe_structures,
        [t.core_structure() for t in found],
        model,
        names,
        held_out=held_out,
        seed=seed,
        progress=lambda p: session.logger.status(f"attention probe: {p.text()}", secondary=True),
    )
    session.logger.status("", secondary=True)
    from protattn.report.probing import probe_figure

    figure = probe_figure(result)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80)
    image = base64.b64encode(buffer.getvalue()).decode("ascii")
    session.logger.info(
        probe_tables(result)
        + html_lines([f"note: {note}" for note in result.notes])
        + f'<img src="data:image/png;base64,{image}" alt="probes by layer">',
        is_html=True,
    )
    if path is not None:
        try:
            probe_figure(result, path=path)
        except OSError as e:
            raise UserError(f"png {png!r}: the figure could not be written: {e}") from e
        session.logger.info(f"attention probe: drew the figure into {path}")
    return result


def register_command(logger: Logger) -> None:
    """Register ``attention probe`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        optional=[("chains", ResiduesArg)],
        keyword=[
            ("tasks", ListOf(EnumOf((*TASKS, "all")))),
            ("held_out", FloatArg),
            ("seed", NonNegativeIntArg),
            ("png", SaveFileNameArg),
            MODEL,
        ],
        synopsis="a probe per layer, trained and judged on held-out chains",
    )
    register("attention probe", desc, attention_probe, logger=logger)
