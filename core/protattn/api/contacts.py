"""Contacts predicted from attention for a structure's chain, scored against its contacts.

The front ends' ``contacts`` request: unsupervised (APC over all heads, or chosen
heads) or an ESM model's own contact head, with precision at L, L/2, L/5 by range.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..analysis.contacts import esm_contact_probabilities
from ..analysis.pairs import Pair, chain_pairs
from ..analysis.precision import BANDS, contact_precision
from ..compute.backend import get_model
from ..errors import ProtattnError
from ..lm.contract import Model, StreamRequest
from ..lm.heads import HeadSpec
from ..lm.inference import compact_attention, stream_chain
from ..scene import Scene, pair_scene, share_scale
from ..structure.model import Chain
from ..structure.properties import contact_map, observed_pairs
from .options import parse_heads

__all__ = [
    "ContactsResult",
    "ChainsContacts",
    "predict_contacts",
    "predict_chains_contacts",
]


@dataclass(frozen=True)
class ContactsResult:
    """Contacts predicted from attention for one chain, scored against the structure.

    Attributes
    ----------
    method : str
        ``"apc"`` (unsupervised: APC-corrected symmetrised attention averaged over
        heads) or ``"esm"`` (the ESM model's logistic-regression contact head).
    heads : tuple of HeadSpec
        Heads averaged (``"apc"``); empty for ``"esm"``.
    scores : numpy.ndarray
        ``shape=(L, L)``.
    precision : ContactPrecision
        Band (``short`` 6–11, ``medium`` 12–23, ``long`` ≥ 24, ``all`` ≥ the minimum
        separation, and ESM's ``local`` 3–5) to ``{"L": p, "L/2": p, "L/5": p}``.
    pairs : tuple of Pair
        The top ``L`` predictions (``|i - j| >= 6``), with their true contact status.
    scene : Scene
        The predictions coloured by contact: blue true, magenta false
        (:data:`protattn.palettes.CONTACT_COLORS`).
    """

    method: str
    heads: tuple[HeadSpec, ...]
    scores: np.ndarray
    precision: dict
    pairs: tuple[Pair, ...]
    scene: Scene

    def summary(self) -> str:
        p = self.precision
        bands = [b for b in ("long", "medium", "short", "local", "all") if b in p]
        line = f"contacts ({self.method}): precision at L, L/2, L/5 — " + ", ".join(
            f"{b} {p[b]['L']:.2f}/{p[b]['L/2']:.2f}/{p[b]['L/5']:.2f}" for b in bands
        )
        return f"{line}; {self.scene.scale_text()}" if self.scene.bonds else line


def predict_contacts(
    chain: Chain,
    model: str | Model = "antiberty",
    method: str = "apc",
    heads: Sequence[HeadSpec | str] | None = None,
    top: int | None = None,
    min_separation: int = 6,
    window: int | None = None,
    stride: int | None = None,
    device: str | None = None,
    dtype: str | None = None,
) -> ContactsResult:
    """Predict contacts of one chain from attention and score them against its structure.

    Parameters
    ----------
    chain : Chain
    model : str or Model
        A name for :func:`protattn.compute.backend.get_model`, or a model it returned.
    method : {"apc", "esm"}
        ``"apc"``: average over ``heads`` of APC(a + aᵀ) (any model); ``"esm"``: the
        model's own contact head (ESM models only).
    heads : sequence of HeadSpec or "L-H" strings, or str, optional
        Heads averaged by ``"apc"`` (default all); a string is read by
        :func:`protattn.api.options.parse_heads` (``"6-3+7-1"``, ``"all"``).
    top : int, optional
        Predictions drawn (default ``L``).
    min_separation : int
    window, stride : int, optional
    device : str, optional
    dtype : {"float32", "float16", "bfloat16"}, optional
        The model's precision when loaded here by name (half precision on a GPU only).

    Returns
    -------
    ContactsResult
    """
    from ..lm.heads import parse_layer_head

    lm = get_model(model, device, dtype) if isinstance(model, str) else model
    if isinstance(heads, str):
        heads = parse_heads(heads)
    if method not in ("apc", "esm"):
        raise ProtattnError(f"method must be 'apc' or 'esm', not {method!r}")
    specs = tuple(parse_layer_head(h, lm.n_layers, lm.n_heads) for h in heads or ())
    if any(s.head is None for s in specs):
        raise ProtattnError("contact prediction averages single heads: give L-H, not L-mean")
    if method == "esm":
        scores = esm_contact_probabilities(lm, chain.sequence)
    elif specs:  # chosen heads: one more pass, each head's features summed as it comes
        chosen = stream_chain(
            lm,
            chain.sequence,
            window,
            stride,
            StreamRequest(
                contact_heads=tuple((s.layer, s.head) for s in specs if s.head is not None)
            ),
        )
        if chosen.contact_scores is None:
            raise ProtattnError(f"{lm.name} gave no contact scores for heads {heads}")
        scores = chosen.contact_scores
    else:  # all heads: filed with the run's compact attention
        scores = (
            compact_attention(lm, chain.sequence, window, stride)
            .contact_scores()
            .astype(np.float64)
        )
    truth = contact_map(chain, 8.0, min_separation)
    valid = observed_pairs(chain)
    precision = contact_precision(scores, truth, valid, min_separation=min_separation)
    low, high = BANDS["local"]
    # ESM's local band (3-5) lies below the pairs scored above
    if high is not None and min_separation > high:
        local = contact_precision(
            scores, contact_map(chain, 8.0, low), valid, min_separation=low, bands=("local",)
        )
        precision["local"] = local["local"]
        for counts in ("true_positives", "candidates", "contacts", "auc"):
            getattr(precision, counts).update(getattr(local, counts))
    n = len(chain)
    k = top or n
    pairs = chain_pairs(
        chain,
        np.where(valid, scores, np.nan),
        threshold=-np.inf,
        top_k=k,
        min_separation=min_separation,
        symmetrize_by="max",
    )
    return ContactsResult(
        method, specs, scores, precision, tuple(pairs), pair_scene(pairs, color_by="contact")
    )


@dataclass(frozen=True)
class ChainsContacts:
    """Contacts predicted for several chains of one structure, and one scene of them all.

    Attributes
    ----------
    results : dict of str to ContactsResult
        Chain id to that chain's prediction, in the order the chains were given.
    scene : Scene
        Every chain's predictions, coloured true (green) / false (red) contact.
    """

    results: Mapping[str, ContactsResult]
    scene: Scene

    def lines(self, prefix: str = "") -> list[str]:
        """One log line per chain: ``{prefix}/A: contacts (apc): precision ...``."""
        return [f"{prefix}/{chain}: {result.summary()}" for chain, result in self.results.items()]


def predict_chains_contacts(
    chains: Sequence[Chain],
    model: str | Model = "antiberty",
    method: str = "apc",
    heads: Sequence[HeadSpec | str] | str | None = None,
    **options,
) -> ChainsContacts:
    """Predict contacts for each chain (:func:`predict_contacts`) and merge their scenes.

    Parameters
    ----------
    chains : sequence of Chain
        Each is predicted on its own (contacts within chains).
    model, method, heads
        As for :func:`predict_contacts`.
    **options
        ``top``, ``min_separation``, ``window``, ``stride``, ``device``, ``dtype``.

    Returns
    -------
    ChainsContacts
        Every prediction made before it returns: an error leaves nothing half done.
    """
    results = {
        chain.id: predict_contacts(chain, model, method, heads, **options) for chain in chains
    }
    if not results:
        return ChainsContacts(results, Scene(color_by="contact"))
    scenes = share_scale([r.scene for r in results.values()], f"{len(results)} chains")
    results = {
        chain: replace(result, scene=scene)
        for (chain, result), scene in zip(results.items(), scenes)
    }
    merged = replace(
        scenes[0],
        bonds=tuple(b for scene in scenes for b in scene.bonds),
        skipped=sum(scene.skipped for scene in scenes),
    )
    return ChainsContacts(results, merged)
