"""Bad input to the ``attention`` commands in a real headless ChimeraX: one clear message,
nothing changed.

Numbers mean what they mean on the command line (the core's checks, with ChimeraX's
keyword names), output paths are checked before anything else, a run that finds
nothing says so and leaves the previous drawing as it was, a spec that matches
nothing is named, a structure with several attention groups does not merge them
into one contacts file, and of a multi-model file (an NMR ensemble, opened as
submodels ``#1.1``, ``#1.2``) the first model is used, as the log says.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from cxtesting import HPX, cxrun, log_of, of_kind, open_structure, rid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: shared test helpers
from support import segmented_pdb  # noqa: E402

import protattn
from protattn import ResidueId

HEAD = "6-3"
GROUP = "attention pairs"
CONTACTS = "attention contacts"


def pair_keys(pbonds) -> list[tuple[ResidueId, ResidueId]]:
    a, b = pbonds.atoms
    return [(rid(x.residue), rid(y.residue)) for x, y in zip(a, b)]


def group(structure, name: str = GROUP):
    return structure.pseudobond_group(name, create_type=None)


def drawn(structure) -> dict:
    """Every pseudobond group of a structure: its pairs with colour, radius and weight."""
    state = {}
    for name, g in structure.pbg_map.items():
        pbonds = g.pseudobonds
        state[name] = [
            (key, tuple(int(v) for v in colour), float(radius), float(p.attention_weight))
            for key, colour, radius, p in zip(
                pair_keys(pbonds), pbonds.colors, pbonds.radii, pbonds
            )
        ]
    return state


def values(structure, attribute: str = "attention") -> dict:
    return {rid(r): getattr(r, attribute) for r in structure.residues if hasattr(r, attribute)}


@dataclasses.dataclass
class Snapshot:
    """What a command must leave as it was: models, groups, attributes, colours."""

    models: list
    groups: dict
    attention: dict
    ribbons: np.ndarray
    atoms: np.ndarray

    @classmethod
    def of(cls, session, structure) -> Snapshot:
        return cls(
            list(session.models.list()),
            drawn(structure),
            values(structure),
            structure.residues.ribbon_colors.copy(),
            structure.atoms.colors.copy(),
        )

    def assert_same(self, session, structure) -> None:
        assert session.models.list() == self.models
        assert drawn(structure) == self.groups
        assert values(structure) == self.attention
        np.testing.assert_array_equal(structure.residues.ribbon_colors, self.ribbons)
        np.testing.assert_array_equal(structure.atoms.colors, self.atoms)


@pytest.fixture
def drawn_hpx(cx):
    """1HPX with pairs (a group) and colours already drawn: what bad input must not touch."""
    s = open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 2")
    cxrun(cx, f"attention color #1/A layerHead {HEAD}")
    return s


# ---------------------------------------------------------------- one meaning per number

NUMBERS = [
    (f"attention pairs #1 layerHead {HEAD} threshold -1", "threshold must be above 0"),
    (f"attention pairs #1 layerHead {HEAD} threshold 0", "threshold must be above 0"),
    (f"attention pairs #1 layerHead {HEAD} threshold 2", "threshold must be above 0"),
    (f"attention pairs #1 layerHead {HEAD} threshold nan", "threshold must be above 0"),
    (f"attention pairs #1 layerHead {HEAD} topK 0", "topK must be a whole number of at least 1"),
    (f"attention pairs #1 layerHead {HEAD} topK -5", "topK must be a whole number of at least 1"),
    (f"attention pairs #1 layerHead {HEAD} minSeparation -1", "minSeparation must be a whole"),
    (
        f"attention pairs #1 layerHead {HEAD} minSeparation 1000",
        r"^1HPX.pdb #1: minSeparation 1000 leaves no pair: the longest chain has 99 residues",
    ),
    (f"attention pairs #1 layerHead {HEAD} minSeparation 99", "minSeparation 99 leaves no pair"),
    ("attention stats #1 helix threshold 2", "^threshold must be above 0"),
    ("attention stats #1 helix threshold 0", "^threshold must be above 0"),
    ("attention heads #1 helix threshold -0.5", "^threshold must be above 0"),
    ("attention heads #1 helix threshold 1.5", "^threshold must be above 0"),
]


@pytest.mark.parametrize(("command", "message"), NUMBERS)
def test_bad_numbers_are_refused_with_chimeraxs_names_and_change_nothing(
    cx, drawn_hpx, command, message
):
    from chimerax.core.errors import UserError

    before = Snapshot.of(cx, drawn_hpx)
    with log_of(cx) as messages, pytest.raises(UserError, match=message):
        cxrun(cx, command)
    before.assert_same(cx, drawn_hpx)
    assert not of_kind(messages, "html")  # no table: refused before anything ran


def test_numbers_the_command_line_takes_are_taken(cx):
    """minSeparation 0 (self-pairs too, not drawable as pseudobonds) and threshold 1 mean
    what they mean in the core."""
    s = open_structure(cx, HPX)
    chains = protattn.read_structure(HPX).chains
    expected = protattn.compute_pairs(chains, HEAD, min_separation=0).scene.bonds
    assert any(b.a == b.b for b in expected)  # self-pairs above the threshold

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1 layerHead {HEAD} minSeparation 0")

    assert set(pair_keys(group(s).pseudobonds)) == {(b.a, b.b) for b in expected if b.a != b.b}
    n_self = sum(b.a == b.b for b in expected)
    assert of_kind(messages, "info")[-1].endswith(
        f"; {n_self} of a residue with itself not drawn (a pseudobond joins two atoms)"
    )
    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1 layerHead {HEAD} threshold 1")
    assert "no pair to draw" in of_kind(messages, "warning")[-1]


# ------------------------------------------------------ a run that finds nothing says so


def test_pairs_that_find_nothing_say_so_and_keep_the_previous_drawing(cx):
    s = open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} threshold 0.1")
    before = Snapshot.of(cx, s)
    assert len(before.groups[GROUP]) > 20

    with log_of(cx) as messages:
        result = cxrun(cx, f"attention pairs #1 layerHead {HEAD} threshold 0.99")

    assert len(result) == 0
    before.assert_same(cx, s)
    (line,) = of_kind(messages, "info")
    assert line.startswith(f"{s}: antiberty {HEAD}: 0 pairs")
    (warning,) = of_kind(messages, "warning")
    assert warning.startswith(f"{s}: no pair to draw (no weight above threshold 0.99")
    assert "lower threshold (now 0.99) or give topK" in warning
    assert f"the pairs in {GROUP!r} and their key are as they were" in warning


def test_pairs_of_several_structures_keep_the_group_of_one_that_finds_nothing(cx):
    first, second = open_structure(cx, HPX), open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #2 layerHead {HEAD}")
    kept = drawn(second)

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1/A | #2/A:1-3 layerHead {HEAD} minSeparation 3")

    assert group(first).num_pseudobonds > 0
    assert drawn(second) == kept  # #2's three residues have no pair 3 apart
    assert any(w.startswith(f"{second}: no pair to draw") for w in of_kind(messages, "warning"))


def _with_short_chain(path: Path) -> Path:
    """1HPX's chain A and the first 6 residues of chain B (too short for a contact)."""
    lines = [
        line
        for line in HPX.read_text().splitlines()
        if line.startswith("ATOM") and (line[21] == "A" or int(line[22:26]) <= 6)
    ]
    path.write_text("\n".join([*lines, "END", ""]))
    return path


def test_contacts_that_find_nothing_say_so_and_keep_the_previous_drawing(cx, tmp_path):
    s = open_structure(cx, _with_short_chain(tmp_path / "short_b.pdb"))
    assert [len(c) for c in s.chains] == [99, 6]
    cxrun(cx, "attention contacts #1/A heads 3-2,5-4")
    before = drawn(s)
    assert len(before[CONTACTS]) == 99

    with log_of(cx) as messages:
        result = cxrun(cx, "attention contacts #1/B heads 3-2,5-4")

    assert len(result) == 0 and drawn(s) == before
    (warning,) = of_kind(messages, "warning")
    assert warning.startswith(f"{s}: no contact prediction to draw")
    assert f"the predictions in {CONTACTS!r} are as they were" in warning


def test_color_that_finds_nothing_keeps_values_and_colours(cx, drawn_hpx, monkeypatch):
    """The core colouring no residue (stood in for): values, colours and keys stay."""
    real = protattn.compute_scores

    def nothing(*args, **kwargs):
        result = real(*args, **kwargs)
        return dataclasses.replace(result, scene=dataclasses.replace(result.scene, residues=()))

    before = Snapshot.of(cx, drawn_hpx)
    monkeypatch.setattr(protattn, "compute_scores", nothing)
    with log_of(cx) as messages:
        result = cxrun(cx, "attention color #1 layerHead 8-mean attribute attention_8_mean")

    assert len(result) == 0
    before.assert_same(cx, drawn_hpx)
    assert not values(drawn_hpx, "attention_8_mean")
    (warning,) = of_kind(messages, "warning")
    assert warning.startswith(f"{drawn_hpx}: no residue to colour")
    assert "residue attribute attention_8_mean, the colours and their key are as they were" in (
        warning
    )


# ------------------------------------------------------------------------------ messages


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("#5", r"^nothing matches '#5': it specifies no residue \(open structures: #1 1HPX.pdb\)"),
        ("#1/Z", r"^nothing matches '#1/Z'"),
        (
            "#1 & ~protein",
            r"^no protein chain in '#1 & ~protein' \(it holds 1 ligand \(KNI\) and 6 waters\); "
            "specify residues of a protein",
        ),
    ],
)
def test_a_spec_matching_nothing_is_named(cx, drawn_hpx, spec, message):
    from chimerax.core.errors import UserError

    before = Snapshot.of(cx, drawn_hpx)
    for verb in ("pairs", "color"):
        with pytest.raises(UserError, match=message):
            cxrun(cx, f"attention {verb} {spec} layerHead {HEAD}")
    with pytest.raises(UserError, match=message):
        cxrun(cx, f"attention stats {spec} helix")
    before.assert_same(cx, drawn_hpx)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "x.pdb",
            r"cannot tell the format from '.pdb'; give a path ending in "
            r"\.defattr \(defattr\), \.txt \(contacts\)",
        ),
        ("x", "cannot tell the format from a name without an extension"),
        (
            "x.txt format defattr",
            "format defattr writes .defattr files; give a path ending "
            "in .defattr, or format contacts for a .txt file",
        ),
        ("x.defattr format contacts", "format contacts writes .txt files"),
        ("no/such/folder/x.txt", "the folder .* does not exist; create it"),
        ("no/such/folder/x.defattr", "the folder .* does not exist; create it"),
    ],
)
def test_output_paths_are_checked_before_anything_else(cx, tmp_path, name, message):
    """Checked first: with nothing drawn yet the path's fault is the one told."""
    from chimerax.core.errors import UserError

    out = tmp_path / "out"
    out.mkdir()
    open_structure(cx, HPX)
    with pytest.raises(UserError, match=message):
        cxrun(cx, f"attention save {out}/{name}")
    assert list(out.iterdir()) == []


def test_the_format_follows_the_extension(cx, tmp_path):
    s = open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 3")
    cxrun(cx, f"attention color #1 layerHead {HEAD}")

    pairs = cxrun(cx, f"attention save {tmp_path / 'pairs.txt'}")
    residues = cxrun(cx, f"attention save {tmp_path / 'values.DEFATTR'}")

    assert len((tmp_path / "pairs.txt").read_text().split("\n")) == len(pairs) == 6
    assert (tmp_path / "values.DEFATTR").read_text().startswith("attribute: attention\n")
    assert len(residues) == len(values(s)) == 198


def test_save_of_several_groups_names_them_and_how_to_choose(cx, tmp_path):
    from chimerax.core.errors import UserError

    open_structure(cx, HPX)
    cxrun(cx, f"attention pairs #1 layerHead {HEAD} topK 3")
    cxrun(cx, f'attention pairs #1 layerHead {HEAD} topK 5 name "top five"')
    path = tmp_path / "pairs.txt"

    with pytest.raises(UserError) as error:
        cxrun(cx, f"attention save {path}")

    assert str(error.value) == (
        f"1HPX.pdb #1 has 2 attention groups ('attention pairs', 'top five'); a contacts "
        f'file holds one: name one, e.g. attention save {path} name "top five"'
    )
    assert not path.exists()
    cxrun(cx, f'attention save {path} name "top five"')
    assert len(path.read_text().split("\n")) == 10


# -------------------------------------------------------------- multi-model (NMR) files


def _two_models(path: Path) -> Path:
    """1HPX's protein as an NMR-style file: MODEL 1 as in 1HPX, MODEL 2 moved and stretched."""
    lines = HPX.read_text().splitlines()
    out = [line for line in lines if line.startswith(("HEADER", "SEQRES"))]
    atoms = [line for line in lines if line.startswith("ATOM")]
    for model, scale in ((1, 1.0), (2, 1.15)):
        out.append(f"MODEL     {model:4d}")
        for line in atoms:
            xyz = [float(line[30 + 8 * i : 38 + 8 * i]) * scale + model for i in range(3)]
            out.append(line[:30] + "".join(f"{v:8.3f}" for v in xyz) + line[54:])
        out.append("ENDMDL")
    path.write_text("\n".join([*out, "END", ""]))
    return path


def test_an_ensemble_uses_its_first_model_says_so_and_a_submodel_chooses_another(cx, tmp_path):
    first, second = cxrun(cx, f"open {_two_models(tmp_path / 'nmr.pdb')}")
    assert (first.atomspec, second.atomspec) == ("#1.1", "#1.2")
    note = (
        "#1 holds 2 models of the same chains (#1.1, #1.2; e.g. an NMR ensemble): using "
        "#1.1 only; name one model, e.g. #1.2, to use another"
    )

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1 layerHead {HEAD}")
    assert of_kind(messages, "info")[0] == note
    assert of_kind(messages, "info")[1].startswith(f"{first}: antiberty {HEAD}")
    expected = protattn.compute_pairs(protattn.read_structure(HPX).chains, HEAD).scene.bonds
    assert set(pair_keys(group(first).pseudobonds)) == {(b.a, b.b) for b in expected}
    assert group(second) is None

    with log_of(cx) as messages:
        cxrun(cx, f"attention pairs #1.2 layerHead {HEAD} colorBy contact")
    assert note not in of_kind(messages, "info")
    assert {a.structure for a in group(second).pseudobonds.atoms[0]} == {second}
    assert len(group(first).pseudobonds) == len(expected)  # #1.1's drawing is its own

    with log_of(cx) as messages:
        ensemble = cxrun(cx, "attention stats #1 contact minArcs 20")
        one = cxrun(cx, "attention stats #1.1 contact minArcs 20")
    assert note in of_kind(messages, "info")
    np.testing.assert_array_equal(ensemble["contact"].n_arcs, one["contact"].n_arcs)  # once


def test_segments_chimerax_cannot_tell_apart_are_refused_not_drawn_on_the_wrong_residues(
    cx, tmp_path
):
    from chimerax.core.errors import UserError

    path = segmented_pdb(HPX, tmp_path / "seg.pdb", {"A": "PROA", "B": "PROB"})
    structure = open_structure(cx, path)
    try:
        # ChimeraX keeps no segment ids: both segments are one chain, numbered 1-99 twice
        assert len(structure.chains) == 1
        for verb in ("pairs", "color"):
            with pytest.raises(UserError, match="two residues numbered 1: the file tells chains"):
                cxrun(cx, f"attention {verb} #{structure.id_string} layerHead {HEAD}")
        assert not [m for m in structure.child_models() if m.name == GROUP]
        assert not hasattr(structure.residues[0], "attention") or (
            getattr(structure.residues[0], "attention", None) is None
        )
    finally:
        cxrun(cx, f"close #{structure.id_string}")
