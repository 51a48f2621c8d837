"""``attention contacts``: contacts predicted from attention, drawn true / false."""

from __future__ import annotations

from chimerax.atomic import Pseudobonds, Residues, ResiduesArg
from chimerax.core.commands import CmdDesc, EnumOf, StringArg, register
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.contacts import predict_chains_contacts

from .arguments import MODEL
from .drawing import PairsPlan, core, draw_plans, targets
from .settings import use_settings

__all__ = ["attention_contacts", "register_command"]


def attention_contacts(
    session: Session,
    residues: Residues,
    *,
    method: str = "apc",
    heads: str = "all",
    model: str = "antiberty",
    name: str = "attention contacts",
) -> Pseudobonds:
    """Predict contacts from attention; draw the top L per chain, green true / red false.

    Usage: attention contacts atom-spec [method apc|esm] [heads all|L-H,L-H]
    [model name] [name group-name]

    apc averages APC-corrected symmetrised attention over the heads (any
    model); esm uses the ESM model's contact head. Precision at L, L/2 and L/5
    by range (short 6-11, medium 12-23, long >= 24) is logged per chain.
    """
    use_settings(session)
    plans, lines = [], []
    for target in targets(residues):
        found = core(predict_chains_contacts, target.chains, model, method, heads)
        plans.append(PairsPlan.make(target, found.scene))
        lines += found.lines(f"{target.structure} ")
    drawn = draw_plans(session, plans, name)
    session.logger.info("\n".join(lines) + "\n(green: true contact, red: false)")
    return drawn


def register_command(logger: Logger) -> None:
    """Register ``attention contacts`` (the bundle API calls it on first use)."""
    desc = CmdDesc(
        required=[("residues", ResiduesArg)],
        keyword=[
            ("method", EnumOf(("apc", "esm"))),
            ("heads", StringArg),
            MODEL,
            ("name", StringArg),
        ],
        synopsis="predict contacts from attention and draw them, true / false",
    )
    register("attention contacts", desc, attention_contacts, logger=logger)
