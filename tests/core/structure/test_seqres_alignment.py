"""Placing observed residues on the SEQRES: synthetic cases at each rule's edge.

A chain of 60 residues tolerates max(2, 60 // 20) = 3 point mismatches against its
SEQRES; a fourth, residues the SEQRES lacks (at the ends or inside), or residues in
another order send it back to its observed residues; where a gap can sit in several
places, residue numbers decide.
"""

from __future__ import annotations

import numpy as np
import pytest

from protattn.structure.model import ObservedResidue, ResidueId, chain_from_residues

_THREE = dict(zip("ACDEFGHIKLMNPQRSTVWY", "ALA CYS ASP GLU PHE GLY HIS ILE LYS LEU MET ASN "
                  "PRO GLN ARG SER THR VAL TRP TYR".split()))  # fmt: skip
SEQRES = "MKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQAPILSRVGDGTQDNLSGAEKAVQVKVK"  # 60


def _observed(letters: str, numbers: list[int] | None = None) -> list[ObservedResidue]:
    numbers = numbers or list(range(1, len(letters) + 1))
    atoms = {"N": np.zeros(3), "CA": np.ones(3), "C": np.full(3, 2.0)}
    return [ObservedResidue(ResidueId("A", n), _THREE[a], atoms) for a, n in zip(letters, numbers)]


def _mutate(sequence: str, positions: list[int]) -> str:
    letters = list(sequence)
    for p in positions:
        letters[p] = "W" if letters[p] != "W" else "Y"
    return "".join(letters)


def test_a_whole_chain_lands_on_its_seqres():
    chain = chain_from_residues("A", _observed(SEQRES), SEQRES)
    assert chain.source == "seqres" and chain.sequence == SEQRES
    assert [r.number for r in chain.residue_ids] == list(range(1, 61))


@pytest.mark.parametrize("mismatches, placed", [(1, True), (3, True), (4, False), (10, False)])
def test_point_mismatches_up_to_the_tolerance(mismatches, placed):
    changed = [2 + (58 // mismatches) * k for k in range(mismatches)]
    observed = _mutate(SEQRES, changed)
    chain = chain_from_residues("A", _observed(observed), SEQRES)
    if placed:
        assert chain.source == "seqres" and chain.sequence == SEQRES
        assert [r.number for r in chain.residue_ids] == list(range(1, 61))
    else:  # too different: the observed residues are the sequence
        assert chain.source == "observed" and chain.sequence == observed


def test_an_unobserved_stretch_becomes_a_gap_at_its_place():
    keep = [k for k in range(60) if not 20 <= k < 30]
    letters = "".join(SEQRES[k] for k in keep)
    chain = chain_from_residues("A", _observed(letters, [k + 1 for k in keep]), SEQRES)
    assert chain.source == "seqres"
    assert [k for k, r in enumerate(chain.residue_ids) if r is None] == list(range(20, 30))


@pytest.mark.parametrize(
    "extra", ["GGS" + SEQRES, SEQRES + "HHHHHH", SEQRES[:30] + "WW" + SEQRES[30:]]
)
def test_residues_the_seqres_lacks_send_the_chain_back_to_its_observed_residues(extra):
    chain = chain_from_residues("A", _observed(extra), SEQRES)
    assert chain.source == "observed" and chain.sequence == extra


def test_residues_in_another_order_do_not_fit():
    shuffled = SEQRES[30:] + SEQRES[:30]
    chain = chain_from_residues("A", _observed(shuffled), SEQRES)
    assert chain.source == "observed" and chain.sequence == shuffled


def test_residue_numbers_break_a_tie_between_equal_gaps():
    # SEQRES SGLVTELGI with only S1, G8 and I9 observed: G could sit at 2 or 8
    seqres = "SGLVTELGI"
    chain = chain_from_residues("A", _observed("SGI", [1, 8, 9]), seqres)
    assert chain.source == "seqres"
    placed = {r.number: k for k, r in enumerate(chain.residue_ids) if r is not None}
    assert placed == {1: 0, 8: 7, 9: 8}
    # numbered the other way, the same residues sit at position 2
    other = chain_from_residues("A", _observed("SGI", [1, 2, 9]), seqres)
    assert {r.number: k for k, r in enumerate(other.residue_ids) if r is not None} == {
        1: 0, 2: 1, 9: 8
    }  # fmt: skip


@pytest.mark.parametrize("where", [0, 59])
def test_a_mismatch_at_an_end_is_placed_not_cut_off(where):
    # leaving the end residue out of the alignment would cost nothing at the SEQRES's
    # end, but an observed residue the SEQRES "lacks" is forbidden: it stays, mismatched
    observed = _mutate(SEQRES, [where])
    chain = chain_from_residues("A", _observed(observed), SEQRES)
    assert chain.source == "seqres" and chain.residue_ids[where] == ResidueId("A", where + 1)
