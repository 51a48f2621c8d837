"""The ``heads`` request, the stats report and several chains' contacts in one scene."""

from __future__ import annotations

import pytest

import protattn
from protattn.api import heads as api_heads
from protattn.api.contacts import predict_chains_contacts, predict_contacts
from protattn.api.report import property_report, rank_heads, ranking_table
from protattn.api.stats import head_statistics


@pytest.fixture(scope="module")
def hpx(shared_dir, load_structure):
    return load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb")


def test_top_head_options_and_attribute_names():
    assert api_heads.top_head_options("contact") == {"min_separation": 6, "color_by": "contact"}
    assert api_heads.top_head_options("helix") == {"min_separation": 1, "color_by": "weight"}
    assert api_heads.top_head_legend("contact") and not api_heads.top_head_legend("helix")
    assert api_heads.property_attribute("binding_site:KNI") == "attention_binding_site_KNI"


@pytest.mark.parametrize("prop", ["contact", "binding_site"])
def test_top_heads_ranks_and_draws_the_best_head(hpx, antiberty, prop):
    within = {r for r in hpx.chains[0].residue_ids if r is not None}
    result = api_heads.top_heads(
        [hpx],
        prop,
        "antiberty",
        top=3,
        min_arcs=1,
        site_kinds="ligand",
        within=[within],
        scores=True,
    )
    stats = head_statistics([hpx], antiberty, [prop], min_arcs=1)
    assert list(result.rows) == rank_heads(stats, prop, 3)
    assert result.table() == ranking_table(stats, prop, rank_heads(stats, prop, 3))
    assert result.best == result.rows[0]["layer_head"]
    expected = protattn.compute_pairs(
        hpx.chains, result.best, threshold=0.3, within=within, **api_heads.top_head_options(prop)
    )
    (pairs,) = result.pairs
    assert pairs.pairs == expected.pairs
    assert {p.chain for p in pairs.pairs} <= {hpx.chains[0].id}
    (scores,) = result.scores
    assert {c.residue for c in scores.scene.residues} <= within


def test_top_heads_without_drawing(hpx):
    result = api_heads.top_heads([hpx], "contact", min_arcs=1, draw=False)
    assert result.rows and result.pairs == () and result.scores == ()


def test_property_report_shows_the_statistics(hpx, antiberty):
    report = property_report([hpx], "contact", "antiberty", min_arcs=1, top=4)
    stats = report.statistics
    assert report.table() == ranking_table(stats, "contact", stats.ranking("contact")[:4])
    assert report.summary().endswith(f"{stats.center_of_gravity('contact'):.2f}")
    figure = report.heatmap()
    assert "contact" in figure.axes[0].get_title()


def test_several_chains_contacts_merge_into_one_scene(hpx, antiberty):
    found = predict_chains_contacts(hpx.chains, "antiberty", "apc", "all")
    assert list(found.results) == [c.id for c in hpx.chains]
    one = predict_contacts(hpx.chains[1], antiberty)
    assert found.results[hpx.chains[1].id].pairs == one.pairs
    assert len(found.scene.bonds) == sum(len(r.scene.bonds) for r in found.results.values())
    assert found.lines("1HPX ")[1] == f"1HPX /{hpx.chains[1].id}: {one.summary()}"


def test_contacts_read_a_head_list(hpx, antiberty):
    chain = hpx.chains[0]
    assert (
        predict_contacts(chain, antiberty, heads="6-3+5-1").heads
        == predict_contacts(chain, antiberty, heads=["6-3", "5-1"]).heads
    )
