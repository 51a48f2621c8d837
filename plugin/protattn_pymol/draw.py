"""protattn scenes to PyMOL: CGO cylinders for pairs, b-factors and a spectrum for residues.

Everything protattn draws for an object lives in the group ``attention_<object>``.
Residue values go into the b-factor column, where PyMOL users expect per-residue
values; the original b-factors are kept by the plugin and put back by
``attention_clear``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pymol import cgo, cmd

from protattn import ResidueId, Scene
from protattn.scene import PALETTES

from .adapter import icode

__all__ = ["group_name", "pairs_name", "draw_pairs", "color_residues", "clear"]

# b-factors replaced by attention_color, per PyMOL instance and object, to restore on clear:
# atom -> (original b, the value written). An atom whose b is no longer the value written
# (the object was reloaded or edited since) keeps its b.
_SAVED_B: dict[tuple[int, str], dict[tuple[str, str, int, str, str], tuple[float, float]]] = {}


def group_name(obj: str) -> str:
    return f"attention_{obj}"


def pairs_name(obj: str) -> str:
    return f"attention_{obj}_pairs"


def draw_pairs(obj: str, scene: Scene, ca: Mapping[ResidueId, np.ndarray], *, _self=cmd) -> int:
    """Draw ``scene``'s pseudo-bonds as one CGO object in the object's group.

    Replaces what an earlier call drew for ``obj``. Returns the number of cylinders.
    """
    name = pairs_name(obj)
    _self.delete(name)
    data: list[float] = []
    for bond in scene.bonds:
        a, b = ca.get(bond.a), ca.get(bond.b)
        if a is None or b is None:
            continue
        rgb = bond.rgba[:3]
        data += [cgo.CYLINDER, *a, *b, bond.radius, *rgb, *rgb]
    if not data:
        return 0
    _self.load_cgo(data, name, zoom=0)
    _self.group(group_name(obj), name)
    return len(data) // 14


def _palette_colors(palette: str, _self) -> str:
    names = []
    for k, rgb in enumerate(PALETTES[palette]):
        names.append(f"protattn_{palette}_{k}")
        _self.set_color(names[-1], list(rgb))
    return " ".join(names)


def color_residues(obj: str, scene: Scene, selection: str = "all", *, _self=cmd) -> int:
    """Write residue values into b-factors of ``obj`` and colour them with ``spectrum``.

    ``selection`` limits the colouring; residues absent from the scene keep their
    b-factors and colours. Returns the number of residues coloured.
    """
    values = {(r.residue.chain, r.residue.number, r.residue.icode): r.value for r in scene.residues}
    if not values:
        return 0
    saved = _SAVED_B.setdefault((id(_self), obj), {})
    touched: set[tuple[str, int, str]] = set()

    def assign(chain, resi, resv, name, alt, b):
        key = (chain, resv, icode(resi, resv))
        if key not in values:
            return b
        atom = (chain, resi, resv, name, alt)
        saved[atom] = (saved[atom][0] if atom in saved else b, values[key])
        touched.add(key)
        return values[key]

    _self.alter(
        f"{obj} and polymer.protein",
        "b = assign(chain, resi, resv, name, alt, b)",
        space={"assign": assign},
    )
    _self.spectrum(
        "b",
        _palette_colors(scene.palette, _self),
        f"({selection}) and {obj} and polymer.protein",
        minimum=scene.vmin,
        maximum=scene.vmax,
    )
    return len(touched)


def clear(obj: str, *, _self=cmd) -> None:
    """Remove what protattn drew for ``obj`` and put its original b-factors back."""
    _self.delete(group_name(obj))
    _self.delete(pairs_name(obj))
    saved = _SAVED_B.pop((id(_self), obj), None)
    if saved and obj in _self.get_names("objects"):

        def restore(chain, resi, resv, name, alt, b):
            original, written = saved.get((chain, resi, resv, name, alt), (b, b))
            return original if abs(b - written) <= 1e-4 * max(1.0, abs(written)) else b

        _self.alter(
            f"{obj} and polymer.protein",
            "b = restore(chain, resi, resv, name, alt, b)",
            space={"restore": restore},
        )
