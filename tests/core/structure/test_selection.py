"""Residue lists in the structure's own numbering: insertion codes, ranges, refusals."""

from __future__ import annotations

import pytest

from protattn.errors import ProtattnError
from protattn.structure.model import ResidueId
from protattn.structure.selection import parse_residues, residue_position


@pytest.fixture(scope="module")
def jrh(shared_dir, load_structure):
    """1JRH: a Kabat-numbered heavy chain with H:35A, H:35B and H:100A-C."""
    return load_structure(shared_dir / "data/structures/antibody/1JRH.cif")


def test_a_range_holds_the_insertions_between_its_ends(jrh):
    chain = jrh.chain("H")
    selected = parse_residues("H:99-101", jrh.chains)
    # brute force: every observed residue from 99 to 101 in the chain's own order
    ids = [r for r in chain.residue_ids if r is not None]
    start = ids.index(ResidueId("H", 99))
    end = ids.index(ResidueId("H", 101))
    assert selected.ids == frozenset(ids[start : end + 1])
    assert {ResidueId("H", 100, c) for c in "ABC"} <= selected.ids
    assert len(selected) == len(ids[start : end + 1]) >= 6
    assert set(selected) == selected.ids and ResidueId("H", 100, "A") in selected


def test_single_residues_and_insertion_codes_in_either_case(jrh):
    selected = parse_residues("H:35A; H:35b, L:91", jrh.chains)
    assert selected.ids == {ResidueId("H", 35, "A"), ResidueId("H", 35, "B"), ResidueId("L", 91)}
    chain = jrh.chain("H")
    mask = selected.mask(chain)
    assert mask.sum() == 2
    assert [chain.residue_ids[k] for k in mask.nonzero()[0]] == [
        ResidueId("H", 35, "A"),
        ResidueId("H", 35, "B"),
    ]
    assert [c.id for c in selected.chains(jrh.chains)] == [
        c.id for c in jrh.chains if c.id in ("L", "H")
    ]
    assert selected.describe().startswith("3 residues (")


def test_position_of_a_residue(jrh):
    chain = jrh.chain("H")
    k = residue_position(chain, 100, "B")
    assert chain.residue_ids[k] == ResidueId("H", 100, "B")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no residues given"),
        ("H:abc", "cannot read residues 'H:abc'"),
        ("Q:5", "no protein chain 'Q'"),
        ("H:9999", "no observed residue 9999"),
        ("H:100Z", "no observed residue 100Z"),
        ("H:101-99", "run backwards"),
        ("35", "say which chain"),
    ],
)
def test_refusals_say_what_and_how(jrh, text, message):
    with pytest.raises(ProtattnError, match=message) as e:
        parse_residues(text, jrh.chains)
    assert "H" in str(e.value) or "residues" in str(e.value)


def test_unknown_residue_names_the_numbering(jrh):
    with pytest.raises(ProtattnError) as e:
        parse_residues("H:9999", jrh.chains)
    first = next(r for r in jrh.chain("H").residue_ids if r is not None)
    assert f"numbered {first.number}{first.icode}-" in str(e.value)
