"""PyMOL commands of the paper's analysis: attention_heads, attention_contacts, attention_stats,
attention_aminoacids, attention_probe.

Each parses and checks its arguments as typed at the prompt (outputs too, before
any work), asks one core request (:mod:`protattn.api`) and draws the scene it
returns (:mod:`.draw`); a run with nothing to draw says so and leaves the earlier
drawing as it was.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable

from pymol import CmdException, cmd

import protattn
from protattn.analysis.probing import ProbeResult
from protattn.api import heads as head_requests
from protattn.api.aminoacids import AminoAcidProfiles, amino_acid_profiles
from protattn.api.contacts import predict_chains_contacts
from protattn.api.pairs import on_one_scale
from protattn.api.probe import probe_structures, task_names
from protattn.api.report import nothing_to_rank, property_report
from protattn.api.stats import ChainProgress
from protattn.lm.counts import DEFAULT_MIN_ARCS
from protattn.palettes import CONTACT_NAMES
from protattn.report.plots import FORMATS
from protattn.report.probing import probe_figure
from protattn.words import plural

from . import draw
from .adapter import chains_by_object, state_notes, structures_by_object
from .arguments import (
    core,
    flag,
    number,
    output_of,
    residues_by_object,
    selected_residues,
    state_of,
    threshold_of,
)

#: attention_heads with a good residues=, for messages.
_HEADS_EXAMPLE = "attention_heads 1vfb, selection, residues=1vfb and chain B and resi 99-104"

__all__ = [
    "attention_heads",
    "attention_contacts",
    "attention_stats",
    "attention_aminoacids",
    "attention_probe",
]


def attention_heads(
    selection: str = "polymer.protein",
    prop: str = "",
    top: int = 10,
    threshold: float = 0.3,
    min_arcs: int = DEFAULT_MIN_ARCS,
    model: str = "antiberty",
    site_kinds: str = "ligand",
    draw_top: int = 1,
    quiet: int = 1,
    definition: str = "paper",
    state: int = -1,
    residues: str = "",
    *,
    _self=cmd,
) -> list[dict]:
    """
    DESCRIPTION

        Rank the heads of a protein language model by how much of their
        high-confidence attention (weight of at least threshold) lands on a
        property of the selected structures, and draw the top head's pairs.

        Under the paper's definition (the default, as in Vig et al. 2021 and
        its code), a head's share is the fraction of all its arcs (i, j) with
        a_ij >= threshold that are 3D contacts (CB-CB < 8 A, |i - j| >= 6),
        or whose attended residue j has the property (binding_site: within
        4 A of a ligand); heads with more than min_arcs arcs are ranked, each
        share with a Bonferroni-corrected 95% (Wald) interval and the
        property's background rate. definition=judged counts only the pairs
        the property is judged on (a_ij > threshold; Wilson interval).

        prop=selection ranks heads by your own residues (an epitope, a CDR,
        an active site), given as a PyMOL selection with residues=: a head's
        share is the fraction of its arcs whose attended residue is one of
        them, over the chains that hold them, and the top head is drawn on
        those chains. Objects holding none of the residues are left out;
        several objects must hold the same residues (conformers, models of
        one protein numbered alike), as one set of residues counts in each.

        A ranking that would mean nothing is not shown: when the structures
        have no positive of the property (binding_site without a ligand), or no
        head has enough arcs (the message says how many the best has and what
        to change), a warning is printed, nothing is drawn, what was drawn
        before stays, and the command returns an empty list. A top head whose
        interval contains the background is drawn with a warning saying so.

    USAGE

        attention_heads selection [, prop [, top [, threshold [, min_arcs
            [, model [, site_kinds [, draw_top [, quiet [, definition
            [, state [, residues ]]]]]]]]]]]

    ARGUMENTS

        selection = str: protein chains to analyse (all their chains are counted)

        prop = contact, binding_site, binding_site:CODE, helix, strand,
        turn_bend, other, aa:X, or selection (the residues of residues=)
        {default: contact; selection when residues is given}

        top = int: rows to print {default: 10}

        threshold = float: high-confidence attention, above 0 and at most 1
        {default: 0.3, the paper's}

        min_arcs = int: heads with this many arcs or fewer (paper), or fewer
        (judged), are not ranked {default: 100}

        model = str: protein language model {default: antiberty}

        site_kinds = str: HETATM kinds making binding sites, comma-separated:
        ligand, ion, glycan, additive {default: ligand}

        draw_top = 0/1: draw the top head's pairs (contact: blue, no contact:
        magenta; other properties: coloured by weight) {default: 1}

        definition = paper or judged: how shares, backgrounds and intervals
        are counted {default: paper}

        state = int: the object state whose coordinates give contacts and
        binding sites, 1-based; 0 or -1: the current state {default: -1}

        residues = str: a PyMOL selection of the residues of prop=selection
        (sele, or 1vfb and chain B and resi 99-104); only with that property

    EXAMPLE

        attention_heads 1hpv, binding_site
        attention_heads 1hpv, contact, top=5
        attention_heads 1hpv, contact, definition=judged
        attention_heads 1vfb, selection, residues=1vfb and chain B and resi 99-104
        attention_heads 1vfb, residues=sele, min_arcs=20

    SEE ALSO

        attention_pairs, attention_contacts
    """
    asked = str(residues).strip()
    prop = str(prop).strip() or ("selection" if asked else "contact")
    if prop == "selection" and not asked:
        raise CmdException(
            "prop selection ranks heads by your residues: give them as a PyMOL selection, "
            f"e.g. {_HEADS_EXAMPLE}"
        )
    if asked and prop != "selection":
        raise CmdException(
            f"residues= names the residues of prop selection, not of {prop}; give "
            f"prop=selection (or leave prop out), e.g. {_HEADS_EXAMPLE}"
        )
    top = number(top, "top", int)
    threshold = threshold_of(threshold)
    min_arcs = number(min_arcs, "min_arcs", int)
    drawing = flag(draw_top, "draw_top")
    flag(quiet, "quiet")
    state = state_of(state)
    structures = structures_by_object(selection, state, _self=_self)
    chosen, notes = None, []
    if asked:
        held, notes = residues_by_object(
            asked,
            {obj: list(s.chains) for obj, s in structures.items()},
            "attention_heads",
            _HEADS_EXAMPLE,
            _self,
        )
        if len({r.ids for r in held.values()}) > 1:  # the core counts one set in each
            sizes = ", ".join(f"{obj}: {len(r)}" for obj, r in held.items())
            raise CmdException(
                f"residues {asked!r} selects different residues in {', '.join(held)} "
                f"({sizes}), and the ranking counts the same residue numbers in every "
                "object; select the same residues in each (e.g. residues=chain B and resi "
                "99-104) or rank one object"
            )
        chosen = next(iter(held.values()))
        structures = {obj: s for obj, s in structures.items() if obj in held}
    for note in state_notes("attention_heads", structures, state, _self=_self):
        print(note)
    within = [selected_residues(selection, obj, s.chains, _self) for obj, s in structures.items()]
    result = core(
        head_requests.top_heads,
        structures.values(),
        prop,
        model,
        top,
        threshold,
        min_arcs,
        str(site_kinds),
        str(definition).strip(),
        draw=drawing,
        within=within,
        selection=None if chosen is None else chosen.ids,
    )
    for note in notes:  # once all is computed: a refused command says only why
        print(note)
    empty = result.empty
    for line in result.table():
        if line != empty:
            print(f" {line}")
    if empty:
        print(f" attention_heads: warning: {empty}")
        return []
    for obj, drawn in zip(structures, on_one_scale(result.pairs, "objects")):
        n = draw.draw_pairs(
            obj, drawn.scene, protattn.ca_coordinates(structures[obj].chains), _self=_self
        )
        doubt = " (warning: its interval contains the background)" if result.warning else ""
        if not n:
            print(
                f" attention_heads: {obj}: head {result.best}{doubt} has no pair of the "
                f"selected residues above {threshold:g} to draw; {draw.kept(obj, _self=_self)}"
            )
            continue
        print(
            f" attention_heads: {obj}: drew head {result.best}{doubt}: {drawn.summary()}; "
            f"drew {plural(n, 'pair')}"
        )
    return list(result.rows)


def attention_contacts(
    selection: str = "polymer.protein",
    method: str = "apc",
    heads: str = "all",
    model: str = "antiberty",
    quiet: int = 1,
    state: int = -1,
    *,
    _self=cmd,
) -> dict:
    """
    DESCRIPTION

        Predict contacts from attention and draw the top L predictions of each
        selected chain (|i - j| >= 6), blue where they are true contacts
        (CB-CB < 8 A) and magenta where not; print precision at L, L/2 and L/5
        by range (short 6-11, medium 12-23, long >= 24).

        method apc: the average over heads of APC-corrected symmetrised
        attention (any model); method esm: the ESM model's own contact head.
        A chain too short for any prediction (6 residues or fewer) is said
        to be, and the earlier drawing stays as it was.

    USAGE

        attention_contacts selection [, method [, heads [, model [, quiet
            [, state ]]]]]

    ARGUMENTS

        selection = str: protein chains {default: polymer.protein}

        method = apc or esm {default: apc}

        heads = all, or layer-heads averaged by apc, e.g. 6-3+7-1 {default: all}

        model = str: protein language model {default: antiberty}

        state = int: the object state whose coordinates judge the predictions
        (and carry the drawing), 1-based; 0 or -1: the current state
        {default: -1}

    EXAMPLE

        attention_contacts 1hpv and chain A
        attention_contacts 1hpv and chain A, heads=6-3+5-1

    SEE ALSO

        attention_heads, attention_pairs
    """
    flag(quiet, "quiet")
    state = state_of(state)
    by_object = chains_by_object(selection, state, _self=_self)
    for note in state_notes("attention_contacts", by_object, state, _self=_self):
        print(note)
    predicted = {
        obj: core(predict_chains_contacts, chains, model, str(method), str(heads))
        for obj, chains in by_object.items()
    }
    legend = f"{CONTACT_NAMES[True]}: true contact, {CONTACT_NAMES[False]}: false"
    for obj, found in predicted.items():
        n = draw.draw_pairs(obj, found.scene, protattn.ca_coordinates(by_object[obj]), _self=_self)
        if not n:  # the earlier drawing stays
            short = ", ".join(f"{c.id or '(blank)'} ({len(c)})" for c in by_object[obj])
            print(
                f" attention_contacts: {obj}: nothing found: no pair of residues 6 or more "
                f"apart in sequence to predict on chain {short}; "
                f"{draw.kept(obj, _self=_self)}; select chains of more than 6 residues"
            )
            continue
        for line in found.lines(f"{obj}"):
            print(f" attention_contacts: {line} ({legend})")
        print(f" attention_contacts: {obj}: drew {plural(n, 'predicted contact')}")
    return {
        (obj, chain): result
        for obj, found in predicted.items()
        for chain, result in found.results.items()
    }


def progress_printer(command: str, every: float = 2.0) -> Callable[[ChainProgress], None]:
    """Print ``command: 3 of 12 chains, 1.2 chains/s, about 8 s left`` to PyMOL's output,
    at most every ``every`` seconds and for the last chain (one chain: nothing)."""
    last = [-math.inf]

    def report(progress: ChainProgress) -> None:
        final = progress.done == progress.total
        if progress.total > 1 and (final or progress.seconds - last[0] >= every):
            last[0] = progress.seconds
            print(f" {command}: {progress.text()}")

    return report


def attention_stats(
    selection: str = "polymer.protein",
    prop: str = "contact",
    png: str = "",
    threshold: float = 0.3,
    min_arcs: int = DEFAULT_MIN_ARCS,
    model: str = "antiberty",
    site_kinds: str = "ligand",
    definition: str = "paper",
    state: int = -1,
    *,
    _self=cmd,
) -> protattn.HeadStatistics:
    """
    DESCRIPTION

        Per-head statistics of one property over the selected structures: for
        every layer and head, the share of high-confidence attention (at least
        threshold) on the property, against its background rate, with the layer
        profile's centre of gravity. Writes the layer x head figure (the paper's
        heatmap) to a PNG and prints where. The paper's definition is the
        default; definition=judged counts only the pairs each property is
        judged on (see attention_heads). When the structures have no positive
        of the property (binding_site without a ligand), a warning says so and
        no heatmap is written. The counts of every chain of every selected
        object are summed as protattn survey sums them (the same counts in any
        order); over several chains, progress is printed every few seconds
        (chains done, chains/s, time left). "all" selects every loaded object.

    USAGE

        attention_stats selection [, prop [, png [, threshold [, min_arcs
            [, model [, site_kinds [, definition [, state ]]]]]]]]

    ARGUMENTS

        prop = contact, binding_site, helix, strand, turn_bend, other, aa:X
        {default: contact}

        png = str: where to write the heatmap, a .png, .svg or .pdf file in a
        folder that exists (checked before the model runs) {default:
        attention_<prop>.png in the current directory}

        threshold = float: high-confidence attention, above 0 and at most 1
        {default: 0.3}

        min_arcs = int: heads with this many arcs or fewer (paper), or fewer
        (judged), are hatched in the heatmap and not ranked {default: 100}

        model, site_kinds: as for attention_heads

        definition = paper or judged {default: paper}

        state = int: the object state whose coordinates give the property,
        1-based; 0 or -1: the current state {default: -1}

    EXAMPLE

        attention_stats 1hpv, binding_site, png=/tmp/sites.png

    SEE ALSO

        attention_heads
    """
    prop = str(prop)
    png = output_of(str(png).strip() or f"attention_{prop.replace(':', '_')}.png", FORMATS, "png")
    threshold = threshold_of(threshold)
    min_arcs = number(min_arcs, "min_arcs", int)
    state = state_of(state)
    structures = structures_by_object(selection, state, _self=_self)
    for note in state_notes("attention_stats", structures, state, _self=_self):
        print(note)
    report = core(
        property_report,
        structures.values(),
        prop,
        model,
        threshold,
        min_arcs,
        str(site_kinds),
        str(definition).strip(),
        top=5,
        progress=progress_printer("attention_stats"),
    )
    empty = nothing_to_rank(report.statistics, prop)
    if empty:  # every share 0: a heatmap would only show zeros
        for line in report.table():
            if line != empty:
                print(f" {line}")
        print(f" attention_stats: warning: {empty}; no heatmap written")
        return report.statistics
    report.heatmap(png)
    print(f" attention_stats: {prop}: {report.summary()}")
    for line in report.table():
        print(f" {line}")
    print(f" attention_stats: heatmap written to {os.path.abspath(png)}")
    return report.statistics


def attention_aminoacids(
    selection: str = "all",
    threshold: float = 0.3,
    png: str = "",
    top: int = 5,
    min_arcs: int = 100,
    model: str = "antiberty",
    quiet: int = 0,
    *,
    _self=cmd,
) -> AminoAcidProfiles:
    """
    DESCRIPTION

        Every head's high-confidence attention between amino acids, against
        BLOSUM62 (Vig et al. 2021): counts the arcs (weight of at least
        threshold) of every head between amino acids over the protein chains
        of the selection, each whole, then prints how the amino acids'
        attention similarity (the paper's Pearson r over heads) and each
        head's own similarity compare with BLOSUM62, and each amino acid's
        favourite head. Only the sequences count: nothing is drawn. Chains
        longer than 510 residues are cut, as the paper's code cuts them; over
        several chains, progress is printed every few seconds.

    USAGE

        attention_aminoacids [ selection [, threshold [, png [, top
            [, min_arcs [, model [, quiet ]]]]]]]

    ARGUMENTS

        selection = str: protein chains to count {default: all, every chain
        of every loaded object}

        threshold = float: arcs are weights of at least it, from 0.05 to 1
        {default: 0.3, the paper's}

        png = str: also write the figure (attention similarity beside
        BLOSUM62, each head's r) to a .png, .svg or .pdf file in a folder that
        exists (checked before the model runs) {default: no figure}

        top = int: heads closest to BLOSUM62 to list {default: 5}

        min_arcs = int: heads with fewer arcs are left out of the similarity
        {default: 100, the paper's}

        model = str: protein language model {default: antiberty}

        quiet = 0/1: 1 prints the summary line only {default: 0}

    EXAMPLE

        attention_aminoacids
        attention_aminoacids 1vfb, png=/tmp/aminoacids.png
        attention_aminoacids 1vfb and chain C, threshold=0.5, quiet=1

    SEE ALSO

        attention_stats, attention_heads
    """
    figure = output_of(str(png).strip(), FORMATS, "png") if str(png).strip() else None
    threshold = threshold_of(threshold)
    top = number(top, "top", int)
    min_arcs = number(min_arcs, "min_arcs", int)
    if top < 1 or min_arcs < 0:
        raise CmdException(f"top must be 1 or more and min_arcs 0 or more, not {top}, {min_arcs}")
    short = flag(quiet, "quiet")
    by_object = chains_by_object(selection, _self=_self)
    chains = [(f"{obj} {c.id}", c.sequence) for obj, found in by_object.items() for c in found]
    result = core(
        amino_acid_profiles,
        chains,
        model,
        threshold=threshold,
        min_arcs=min_arcs,
        progress=progress_printer("attention_aminoacids"),
    )
    for entry in result.truncated:
        print(f" attention_aminoacids: note: {entry} residues: cut, as the paper's code cuts them")
    print(f" attention_aminoacids: {result.summary()}")
    for line in [] if short else result.table(top)[1:]:  # the table's first line: the summary
        print(f" {line}")
    if figure is not None:
        result.figure(figure)
        print(f" attention_aminoacids: figure written to {os.path.abspath(figure)}")
    return result


#: attention_probe with good arguments, for messages.
_PROBE_EXAMPLE = "attention_probe all, tasks=secondary_structure+contact"


def attention_probe(
    selection: str = "all",
    tasks: str = "all",
    held_out: float = 0.25,
    seed: int = 0,
    png: str = "",
    model: str = "antiberty",
    quiet: int = 0,
    *,
    _self=cmd,
) -> ProbeResult:
    """
    DESCRIPTION

        What each layer of a protein language model knows: a diagnostic
        classifier (logistic regression) trained per layer on some protein
        chains of the selection and judged on the others, held out (chains of
        one sequence on one side). Secondary structure (the paper's 4 classes,
        accuracy) and binding sites (a heavy atom within 4 A of a ligand,
        precision at L/20) are probed from the hidden states, layer 0 the
        embeddings; contacts (CB-CB < 8 A, |i - j| >= 6, precision at L/5)
        from the attention, both directions of every head, from layer 1.
        Prints one table per task: the metric at each layer with a bootstrap
        interval over the test chains, beside what a probe without
        information scores. The chains of the selection run whole (their
        observed residues), with the labels of their objects' coordinates and
        ligands; over several chains, progress is printed every few seconds.
        Nothing is drawn. Needs the model in PyMOL's Python (not a worker)
        and scikit-learn.

    USAGE

        attention_probe [ selection [, tasks [, held_out [, seed [, png
            [, model [, quiet ]]]]]]]

    ARGUMENTS

        selection = str: protein chains to train and test on, at least two
        of different sequence {default: all, every chain of every loaded
        object}

        tasks = all, or some of secondary_structure, binding_site, contact
        joined by + {default: all}

        held_out = float: the share of chains (by distinct sequence) tested
        on, above 0 and below 1 {default: 0.25}

        seed = int: seeds the split of the chains, the non-contacts drawn for
        training and the bootstrap {default: 0}

        png = str: also write the figure (each task's metric against the
        layer) to a .png, .svg or .pdf file in a folder that exists (checked
        before the model runs) {default: no figure}

        model = str: protein language model {default: antiberty}

        quiet = 0/1: 1 prints the table's first line only {default: 0}

    EXAMPLE

        attention_probe
        attention_probe all, tasks=secondary_structure+contact, png=/tmp/probe.png
        attention_probe 1vfb or 3hfm or 1igy or 2igf, held_out=0.3, seed=1

    SEE ALSO

        attention_stats, attention_heads
    """
    figure = output_of(str(png).strip(), FORMATS, "png") if str(png).strip() else None
    names = core(task_names, str(tasks).replace("+", ",").strip() or "all")
    share = number(held_out, "held_out")
    if not 0.0 < share < 1.0:
        raise CmdException(
            f"held_out is the share of chains tested on, above 0 and below 1 (e.g. 0.25), "
            f"not {held_out!r}"
        )
    seed = number(seed, "seed", int)
    short = flag(quiet, "quiet")
    structures = structures_by_object(selection, _self=_self)
    chains = [f"{obj} {c.id or '(blank)'}" for obj, s in structures.items() for c in s.chains]
    distinct = {c.sequence for s in structures.values() for c in s.chains}
    if len(distinct) < 2:
        raise CmdException(
            f"attention_probe trains on some chains and tests on others: it needs at least "
            f"2 protein chains of different sequence, and {selection!r} holds "
            f"{plural(len(chains), 'chain')} ({', '.join(chains)})"
            + (" of one sequence" if len(chains) > 1 else "")
            + f"; load more structures (e.g. of antibodies) and select them, e.g. "
            f"{_PROBE_EXAMPLE}"
        )
    result = core(
        probe_structures,
        structures.values(),
        model,
        names,
        held_out=share,
        seed=seed,
        progress=progress_printer("attention_probe"),
    )
    lines = result.table()
    print(f" attention_probe: {lines[0]}")
    if not short:
        for line in lines[1:]:
            print(f" {line}")
        for note in result.notes:
            print(f" attention_probe: note: {note}")
    if figure is not None:
        core(probe_figure, result, path=figure)
        print(f" attention_probe: figure written to {os.path.abspath(figure)}")
    return result
