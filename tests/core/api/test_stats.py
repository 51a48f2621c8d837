"""The analysis front ends ask for: statistics over structures, head ranking, contacts."""

from __future__ import annotations

import numpy as np
import pytest

import protattn
from protattn.api import contacts as api_contacts
from protattn.api import report as api_report
from protattn.api import stats as api_stats
from protattn.errors import ProtattnError


@pytest.fixture(scope="module")
def hpx(shared_dir, load_structure):
    return load_structure(shared_dir / "data" / "structures" / "ligand" / "1HPX.pdb")


def test_property_names():
    assert api_stats.property_names(None) == api_stats.DEFAULT_PROPERTIES
    assert api_stats.property_names("contact, binding_site:KNI aa:W") == (
        "contact",
        "binding_site:KNI",
        "aa:W",
    )
    for bad in ("contacts", "aa:J", "aa:", "binding_site:", "helix2"):
        with pytest.raises(ProtattnError, match="unknown property"):
            api_stats.property_names([bad])


def test_binding_site_statistics_count_arcs_by_hand(hpx, antiberty):
    theta = 0.3
    stats = api_stats.head_statistics(
        [hpx],
        antiberty,
        ["binding_site", "contact"],
        threshold=theta,
        min_arcs=1,
        definition="judged",
    )
    sites = protattn.structure.sites.binding_sites(hpx, kinds=("ligand",))
    assert {s.ligand.name for s in sites} == {"KNI"}  # the inhibitor, not water or ions
    arcs = np.zeros((8, 8))
    hits = np.zeros((8, 8))
    contact_arcs = np.zeros((8, 8))
    contact_hits = np.zeros((8, 8))
    for chain in hpx.chains:
        a = protattn.chain_attention(antiberty, chain.sequence).attention
        on_site = protattn.structure.sites.site_mask(chain, sites)
        high = a > np.float32(theta)
        observed_j = chain.observed[None, None, None, :]
        arcs += (high & observed_j).sum(axis=(2, 3))
        hits += (high & observed_j & on_site[None, None, None, :]).sum(axis=(2, 3))
        n = len(chain)
        sep = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) >= 6
        both = chain.observed[:, None] & chain.observed[None, :]
        truth = np.linalg.norm(chain.cb[:, None] - chain.cb[None, :], axis=-1) < 8.0
        considered = high & (sep & both)[None, None]
        contact_arcs += considered.sum(axis=(2, 3))
        contact_hits += (considered & truth[None, None]).sum(axis=(2, 3))
    site = stats["binding_site"]
    np.testing.assert_array_equal(site.n_arcs, arcs)
    np.testing.assert_array_equal(site.hits, hits)
    np.testing.assert_array_equal(stats["contact"].n_arcs, contact_arcs)
    np.testing.assert_array_equal(stats["contact"].hits, contact_hits)

    rows = api_report.rank_heads(stats, "binding_site", top=5)
    shares = [r["share"] for r in rows]
    assert shares == sorted(shares, reverse=True) and len(rows) == 5
    best = np.nanargmax(np.where(arcs > 0, hits / np.maximum(arcs, 1), -1))
    assert rows[0]["layer_head"] == f"{best // 8 + 1}-{best % 8 + 1}"


def test_one_ligand_by_code_and_the_set_sums_over_structures(
    hpx, antiberty, shared_dir, load_structure
):
    other = load_structure(shared_dir / "data" / "structures" / "ligand" / "1AKU.pdb")
    both = api_stats.head_statistics([hpx, other], antiberty, ["binding_site"], min_arcs=1)
    one = api_stats.head_statistics([hpx], antiberty, ["binding_site"], min_arcs=1)
    two = api_stats.head_statistics([other], antiberty, ["binding_site"], min_arcs=1)
    np.testing.assert_array_equal(
        both["binding_site"].n_arcs, one["binding_site"].n_arcs + two["binding_site"].n_arcs
    )
    fmn = api_stats.head_statistics([other], antiberty, ["binding_site:FMN"], min_arcs=1)
    none = api_stats.head_statistics([other], antiberty, ["binding_site:KNI"], min_arcs=1)
    assert fmn["binding_site:FMN"].background > 0
    assert none["binding_site:KNI"].background == 0


def test_no_chain_to_analyse_is_a_clear_error(hpx, antiberty):
    with pytest.raises(protattn.StructureError, match="among chains Q"):
        api_stats.head_statistics([hpx], antiberty, ["contact"], chains=["Q"])


def test_contact_prediction_scores_the_chosen_heads(hpx, antiberty):
    chain = hpx.chain("A")
    result = api_contacts.predict_contacts(chain, antiberty, "apc", heads=["3-2", "5-4"])
    attention = protattn.chain_attention(antiberty, chain.sequence).attention
    expected = protattn.analysis.contacts.unsupervised_contacts(attention, [(3, 2), (5, 4)])
    np.testing.assert_allclose(result.scores, expected)
    assert [str(h) for h in result.heads] == ["3-2", "5-4"]
    assert len(result.pairs) == len(chain)  # top L
    assert all(p.j - p.i >= 6 for p in result.pairs)
    truth = protattn.structure.properties.contact_map(chain, 8.0, 6)
    for p in result.pairs:
        assert p.contact == bool(truth[p.i, p.j])
    blue = protattn.scene.CONTACT_COLORS[True]
    assert all((b.rgba == blue) == bool(b.contact) for b in result.scene.bonds)
    assert "precision at L" in result.summary()
    # long-range precision at L, written out: the L best-scored pairs at least 24 apart
    # among those whose truth is known, and the share of them in contact
    observed = chain.observed
    long_pairs = [
        (result.scores[i, j], i, j)
        for i in range(len(chain))
        for j in range(i + 24, len(chain))
        if observed[i] and observed[j]
    ]
    best = sorted(long_pairs, key=lambda t: (-t[0], t[1], t[2]))[: len(chain)]
    expected_long = sum(bool(truth[i, j]) for _, i, j in best) / len(chain)
    assert result.precision["long"]["L"] == pytest.approx(expected_long)
    assert result.precision["all"]["L"] == pytest.approx(
        sum(p.contact for p in result.pairs) / len(chain)
    )


def test_esm_method_needs_an_esm_model(hpx, antiberty):
    with pytest.raises(protattn.ModelError, match="only ESM models"):
        api_contacts.predict_contacts(hpx.chain("A"), antiberty, "esm")
    with pytest.raises(ProtattnError, match="single heads"):
        api_contacts.predict_contacts(hpx.chain("A"), antiberty, "apc", heads=["3-mean"])
