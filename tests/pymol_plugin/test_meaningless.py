"""Results that mean nothing are said to, not drawn as if they did (and counts read well)."""

from __future__ import annotations

import pytest
from readback import cgo_cylinders

from protattn.lm.counts import DEFAULT_MIN_ARCS
from protattn_pymol import attention_heads, attention_pairs, attention_stats, draw


def _drawn(pm) -> list[str]:
    return sorted(n for n in pm.get_names("all") if n.startswith("attention_"))


@pytest.fixture
def vfb(pm, shared_dir):
    """1VFB (an antibody Fv with lysozyme, no ligand) next to 1hpv."""
    pm.load(str(shared_dir / "data" / "structures" / "antibody" / "1VFB.cif"), "1vfb")
    return pm


def test_binding_sites_without_a_ligand_are_said_and_nothing_is_drawn(vfb, capsys, tmp_path):
    attention_pairs("1vfb", "6-3", top_k=2, _self=vfb)
    before = cgo_cylinders(vfb, draw.pairs_name("1vfb"))
    capsys.readouterr()

    assert attention_heads("1vfb", "binding_site", _self=vfb) == []

    out = capsys.readouterr().out
    assert "attention_heads: warning: binding_site: no binding-site residue" in out
    assert "nothing is ranked or drawn" in out and "drew head" not in out
    assert "95% CI" not in out  # no table of zeros
    assert cgo_cylinders(vfb, draw.pairs_name("1vfb")) == before  # the earlier drawing stays
    assert _drawn(vfb) == ["attention_1vfb", "attention_1vfb_pairs"]

    png = tmp_path / "sites.png"
    attention_stats("1vfb", "binding_site", png=str(png), _self=vfb)
    out = capsys.readouterr().out
    assert out.count("no binding-site residue") == 1 and "no heatmap written" in out
    assert not png.exists()  # a heatmap of zeros is not drawn either


def test_a_top_head_not_shown_to_beat_the_background_is_drawn_with_a_warning(pm, capsys):
    rows = attention_heads("1hpv", "binding_site", top=3, _self=pm)  # min_arcs: the default

    out = capsys.readouterr().out
    assert rows and rows[0]["ci_low"] <= rows[0]["background"] <= rows[0]["ci_high"]
    assert f"heads with more than {DEFAULT_MIN_ARCS} arcs" in out
    assert f"warning: head {rows[0]['layer_head']}'s 95% interval" in out
    assert "contains the background" in out
    assert f"drew head {rows[0]['layer_head']} (warning: its interval contains" in out
    assert cgo_cylinders(pm, draw.pairs_name("1hpv"))


def test_too_few_arcs_says_how_many_and_what_to_change(pm, capsys):
    assert attention_heads("1hpv", "contact", min_arcs=1000, _self=pm) == []

    out = capsys.readouterr().out
    assert "attention_heads: warning: no head has more than 1000 arcs" in out
    assert "the most any head has is" in out and "(now 1000)" in out
    assert _drawn(pm) == []


def test_a_chain_of_unknown_residues_only_is_named(pm, hpv_path, tmp_path, capsys):
    lines = [line for line in open(hpv_path) if line.startswith("ATOM") and line[21] == "A"]
    unknown = [  # residues 1-15 again, as chain C of residues PyMOL and the model do not know
        line[:17] + "UNK C" + line[22:] for line in lines if 1 <= int(line[22:26]) <= 15
    ]
    path = tmp_path / "unknown.pdb"
    path.write_text("".join(lines + unknown) + "END\n")
    pm.load(str(path), "odd")

    attention_pairs("odd", "6-3", top_k=1, _self=pm)
    assert "chain C has only unknown residues" in capsys.readouterr().out

    attention_pairs("odd and chain A", "6-3", top_k=1, _self=pm)
    out = capsys.readouterr().out
    assert "1 pair on chain A" in out and "drew 1 pair into" in out  # not "1 pairs"
