"""``attention contacts``: contacts predicted from attention, drawn true / false."""

from __future__ import annotations

from chimerax.atomic import Pseudobonds, Residues, ResiduesArg
from chimerax.core.commands import CmdDesc, EnumOf, StringArg, register
from chimerax.core.logger import Logger
from chimerax.core.session import Session

from protattn.api.contacts import predict_chains_contacts
from protattn.palettes import CONTACT_NAMES
from protattn.words import plural

from .arguments import MODEL
from .drawing import PairsPlan, check_group_name, core, draw_plans, nothing_drawn, targets
from .settings import use_settings
from .tables import contacts_table, html_lines

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
    """Predict contacts from attention; draw the top L per chain, blue true / magenta false.

    Usage: attention contacts atom-spec [method apc|esm] [heads all|L-H,L-H]
    [model name] [name group-name]

    apc averages APC-corrected symmetrised attention over the heads (any
    model); esm uses the ESM model's contact head. The top L predictions of each
    chain (|i - j| >= 6) are drawn into the group ``name``: blue where the
    structure has the contact (CB-CB < 8 A), magenta where it has not. Precision
    at L, L/2 and L/5 by range (short 6-11, medium 12-23, long >= 24) is logged
    per chain as an HTML table. A run with nothing to draw (chains too short)
    says so and leaves the group as it was. Of a multi-model file (NMR
    ensemble) the first model the spec touches is used, as the log says.
    """
    use_settings(session)
    check_group_name(name)
    plans, tables = [], []
    for target in targets(session, residues):
        found = core(predict_chains_contacts, target.chains, model, method, heads)
        plans.append(PairsPlan.make(target, found.scene))
        tables.append(contacts_table(found, str(target.structure)))
    heading = html_lines(["contacts predicted from attention: precision of the top L, L/2, L/5"])
    if not any(plan.ends for plan in plans):
        session.logger.info(heading + "".join(tables), is_html=True)
        session.logger.warning(
            nothing_drawn(
                f"{', '.join(str(p.target.structure) for p in plans)}: no contact prediction "
                "to draw (a prediction needs two residues with CA atoms at |i - j| >= 6)",
                "specify protein chains of 7 or more residues",
                f"the predictions in {name!r} are as they were",
            )
        )
        return Pseudobonds()
    drawn = draw_plans(session, plans, name)
    lines = [
        f"{plural(len(drawn), 'prediction')} drawn into {name!r}: {CONTACT_NAMES[True]} "
        f"true contact, {CONTACT_NAMES[False]} false (CB-CB < 8 A, |i - j| >= 6)"
    ]
    no_ca = sum(len(p.scene.bonds) - len(p.bonds) for p in plans)
    if no_ca:
        lines.append(f"{plural(no_ca, 'prediction')} not drawn (residue without CA atom)")
    left = [str(p.target.structure) for p in plans if not p.ends]
    if left:
        lines.append(f"{', '.join(left)}: no prediction to draw; {name!r} is left as it was")
    session.logger.info(heading + "".join(tables) + html_lines(lines), is_html=True)
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
