"""Mutations in a structure's own numbering: read, checked against the chain, applied.

Real insertion codes come from 2IGF (Kabat-numbered light chain L: 27, 27A-27E),
whose residue names are read from the file by the hand-written mmCIF parser of
``tests/conftest.py``, never from protattn.
"""

from __future__ import annotations

import numpy as np
import pytest

from protattn.errors import ProtattnError
from protattn.structure.model import Chain, ResidueId
from protattn.structure.mutations import (
    STANDARD,
    THREE_LETTER,
    Mutant,
    Mutation,
    MutationError,
    apply_mutations,
    mutant_from_sequence,
    mutant_of,
    parse_mutations,
)

#: One-letter codes of the residue names 2IGF uses, written out here.
LETTERS = {three: one for one, three in THREE_LETTER.items() if one != "X"}


def _chain() -> Chain:
    """Chain H: Q50 V52 Y52A A52B, one residue without coordinates, G53 W54."""
    ids = (
        ResidueId("H", 50),
        ResidueId("H", 52),
        ResidueId("H", 52, "A"),
        ResidueId("H", 52, "B"),
        None,
        ResidueId("H", 53),
        ResidueId("H", 54),
    )
    backbone = np.arange(7 * 4 * 3, dtype=float).reshape(7, 4, 3)
    atoms = tuple(None if r is None else {"CA": backbone[k, 1]} for k, r in enumerate(ids))
    return Chain("H", "QVYAKGW", ids, backbone, atoms, "seqres")


# ------------------------------------------------------------------ parsing


def test_parse_one_letter_three_letter_chains_insertion_codes_and_separators():
    parsed = parse_mutations("H:Y52AG, tyr52aGLY;V52A  L:T27aA\nQ50W")
    assert parsed == (
        Mutation("Y", 52, "G", "A", "H"),
        Mutation("Y", 52, "G", "a", ""),
        Mutation("V", 52, "A", "", ""),
        Mutation("T", 27, "A", "a", "L"),
        Mutation("Q", 50, "W", "", ""),
    )
    assert [str(m) for m in parsed] == ["H:Y52AG", "Y52aG", "V52A", "L:T27aA", "Q50W"]
    assert parse_mutations(["B:Y101A", "D100A"]) == (
        Mutation("Y", 101, "A", chain="B"),
        Mutation("D", 100, "A"),
    )
    assert parse_mutations("ALA-3GLY") == (Mutation("A", -3, "G"),)  # negative numbers


def test_parse_three_letter_mutant_is_not_read_as_insertion_code():
    # "Y100ALA": residue 100 to alanine, not residue 100A to "LA"
    assert parse_mutations("Y100ALA") == (Mutation("Y", 100, "A"),)
    assert parse_mutations("Y100AALA") == (Mutation("Y", 100, "A", "A"),)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no mutation given"),
        ("Y33", "'Y33' is not a mutation; write it as [CHAIN:]WT NUMBER[ICODE] MUT"),
        ("33A", "'33A' is not a mutation"),
        ("B-Y101A", "'B-Y101A' is not a mutation"),
        ("FOO33A", "'FOO' is not a residue name"),
        ("Y33FOO", "'FOO' is not a residue name"),
        ("Y33X", "X is not one of the 20 standard amino acids"),
        ("Y33B", "B is not one of the 20 standard amino acids"),
        ("Y33UNK", "X is not one of the 20 standard amino acids"),
        ("Y33Y", "'Y33Y' changes nothing: the mutant residue is the wild type, TYR (Y)"),
        ("TYR33Y", "changes nothing"),
    ],
)
def test_parse_refusals_say_what_is_wrong(text, words):
    with pytest.raises(MutationError, match=None) as info:
        parse_mutations(text)
    assert words in str(info.value)
    assert isinstance(info.value, ProtattnError)


# ------------------------------------------------------------------ applying


def test_insertion_codes_map_to_their_own_positions():
    chain = _chain()
    for text, position, letter in [
        ("V52A", 1, "A"),
        ("H:Y52AG", 2, "G"),
        ("Y52aG", 2, "G"),  # insertion codes in either case
        ("A52BW", 3, "W"),
        ("G53P", 5, "P"),
    ]:
        mutant = apply_mutations(chain, text)
        expected = chain.sequence[:position] + letter + chain.sequence[position + 1 :]
        assert mutant.sequence == expected, text
        assert mutant.positions == (position,)
        assert mutant.wild_type is chain


def test_mutant_keeps_the_structure_and_changes_only_the_sequence():
    chain = _chain()
    mutant = apply_mutations(chain, "H:Y52AG,W54F")
    assert mutant.sequence == "QVGAKGF"
    assert mutant.positions == (2, 6)
    assert mutant.chain.id == chain.id
    assert mutant.chain.residue_ids == chain.residue_ids
    assert mutant.chain.backbone is chain.backbone
    assert mutant.chain.atoms is chain.atoms
    assert mutant.labels == ("H:Y52AG", "H:W54F")
    assert mutant.describe() == "H:Y52AG, H:W54F"
    assert chain.sequence == "QVYAKGW"  # the wild type is untouched


def test_unknown_residue_number_gives_the_numbering():
    with pytest.raises(MutationError) as info:
        apply_mutations(_chain(), "Q51A")
    message = str(info.value)
    assert "chain H has no residue 51 (Q51A names it)" in message
    assert "numbered 50-54, with insertion codes 52A, 52B" in message
    assert "1 residues of its sequence have no coordinates" in message


def test_unknown_insertion_code_names_the_ones_there():
    with pytest.raises(
        MutationError, match=r"no residue 52C .*residue 52 is there as 52, 52A, 52B"
    ):
        apply_mutations(_chain(), "Y52CG")


def test_wrong_wild_type_names_the_actual_residue():
    with pytest.raises(MutationError) as info:
        apply_mutations(_chain(), "H:A52AG")
    assert str(info.value) == (
        "residue 52A of chain H is TYR (Y), not A; the mutation says H:A52AG"
    )


def test_two_mutations_at_one_residue_are_refused():
    with pytest.raises(
        MutationError, match=r"two mutations of residue 52A of chain H: Y52AG and Y52aW"
    ):
        apply_mutations(_chain(), "Y52AG Y52aW")


def test_mutation_of_another_chain_is_refused():
    with pytest.raises(MutationError, match="names chain L, but the chain mutated is H"):
        apply_mutations(_chain(), "L:Q50A")


def test_no_mutation_is_refused():
    with pytest.raises(MutationError, match="no mutation given"):
        apply_mutations(_chain(), [])


# ------------------------------------------------------------------ a second sequence


def test_second_sequence_of_the_same_length():
    chain = _chain()
    mutant = mutant_from_sequence(chain, "qvg ak\ngw")
    assert mutant.sequence == "QVGAKGW"
    assert mutant.positions == (2,)
    assert mutant.labels == ("H:Y52AG",)
    at_gap = mutant_from_sequence(chain, "QVYAPGW")  # the residue without coordinates
    assert at_gap.labels == ("K5P (position 5, no coordinates)",)
    same = mutant_from_sequence(chain, chain.sequence)
    assert same.positions == () and same.describe() == "no change"


def test_second_sequence_of_another_length_names_both_lengths():
    with pytest.raises(MutationError) as info:
        mutant_from_sequence(_chain(), "QVYAKG")
    assert "the second sequence has 6 residues and chain H has 7" in str(info.value)


def test_second_sequence_with_a_non_standard_residue_is_refused():
    with pytest.raises(MutationError, match=r"has B, Z where chain H has another residue"):
        mutant_from_sequence(_chain(), "BVYZKGW")


def test_mutant_of_tells_mutations_from_a_sequence():
    chain = _chain()
    assert mutant_of(chain, "Y52AG").sequence == "QVGAKGW"
    assert mutant_of(chain, "QVGAKGW").positions == (2,)
    assert mutant_of(chain, [Mutation("W", 54, "F")]).sequence == "QVYAKGF"
    given = apply_mutations(chain, "Q50A")
    assert mutant_of(chain, given) is given
    other = Mutant(given.chain, given.chain, ())
    with pytest.raises(MutationError, match="not one of chain H"):
        mutant_of(chain, other)


def test_every_standard_residue_is_a_target():
    chain = _chain()
    for letter in STANDARD.replace("Q", ""):
        assert apply_mutations(chain, f"Q50{letter}").sequence[0] == letter
        assert apply_mutations(chain, f"GLN50{THREE_LETTER[letter]}").sequence[0] == letter


# ------------------------------------------------------------------ a real antibody


@pytest.fixture(scope="module")
def igf_light(shared_dir, load_structure, cif_loop):
    """2IGF chain L, and its residue names by (number, insertion code), from the file."""
    path = shared_dir / "data" / "structures" / "antibody" / "2IGF.cif"
    names = {}
    for row in cif_loop(path, "_atom_site"):
        if row["auth_asym_id"] == "L" and row["group_PDB"] == "ATOM":
            icode = row["pdbx_PDB_ins_code"]
            names[(int(row["auth_seq_id"]), "" if icode in "?." else icode)] = row["label_comp_id"]
    return load_structure(path).chain("L"), names


def test_real_insertion_codes(igf_light):
    chain, names = igf_light
    coded = sorted(icode for (number, icode) in names if number == 27 and icode)
    assert coded == ["A", "B", "C", "D", "E"]  # Kabat's CDR-L1 insertions
    for icode in ["", *coded]:
        wt = LETTERS[names[(27, icode)]]
        target = "A" if wt != "A" else "G"
        mutant = apply_mutations(chain, f"L:{wt}27{icode.lower()}{target}")
        (k,) = mutant.positions
        assert chain.residue_ids[k] == ResidueId("L", 27, icode)
        assert mutant.sequence[k] == target
        assert mutant.sequence[:k] + mutant.sequence[k + 1 :] == (
            chain.sequence[:k] + chain.sequence[k + 1 :]
        )


def test_real_wrong_wild_type_names_the_file_residue(igf_light):
    chain, names = igf_light
    actual = names[(27, "C")]
    wrong = "W" if LETTERS[actual] != "W" else "Y"
    with pytest.raises(MutationError) as info:
        apply_mutations(chain, f"L:{wrong}27CA")
    assert str(info.value) == (
        f"residue 27C of chain L is {actual} ({LETTERS[actual]}), not {wrong}; "
        f"the mutation says L:{wrong}27CA"
    )


def test_real_numbering_in_the_refusal(igf_light):
    chain, names = igf_light
    numbers = sorted(n for n, _ in names)
    with pytest.raises(MutationError) as info:
        apply_mutations(chain, "A999G")
    assert f"numbered {numbers[0]}-{numbers[-1]}, with insertion codes 27A, 27B" in str(info.value)
