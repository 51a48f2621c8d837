"""protattn scenes to PyMOL: CGO cylinders for pairs, b-factors and exact colours for residues,
and a CGO key of what the colours and thicknesses mean.

Everything protattn draws for an object lives in the group ``attention_<object>``:
the pairs (``attention_<object>_pairs``) and the key (``attention_<object>_key``).
Residue values go into the b-factor column, where PyMOL users expect per-residue
values; the original b-factors are kept by the plugin (and in saved sessions,
:mod:`.sessions`) and put back by ``attention_clear``. Residues take the scene's own
colours (one ``0xrrggbb`` colour each), so a colour in PyMOL is the colour the core
computed.

The plugin remembers the last scene drawn of each kind (pairs, residue colours) per
PyMOL instance and object, so that ``attention_key`` can draw their key later.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from pymol import cgo, cmd, vfont

from protattn import ResidueId, Scene
from protattn.scene import Key

from .adapter import icode

__all__ = [
    "group_name",
    "pairs_name",
    "key_name",
    "draw_pairs",
    "kept",
    "color_residues",
    "scenes",
    "draw_key",
    "show_key",
    "key_cgo",
    "clear",
    "saved_b_factors",
    "keep_b_factors",
    "holds_written",
]

_Atom = tuple[str, str, str, int, str, str]  # segi, chain, resi, resv, name, alt

# b-factors replaced by attention_color, per PyMOL instance and object, to restore on clear:
# atom -> (original b, the value written). An atom whose b is no longer the value written
# (the object was reloaded or edited since) keeps its b.
_SAVED_B: dict[tuple[int, str], dict[_Atom, tuple[float, float]]] = {}

# the last scene of each kind ("pairs", "residues") drawn per PyMOL instance and object
_SCENES: dict[tuple[int, str], dict[str, Scene]] = {}

_KINDS = ("pairs", "residues")


def saved_b_factors(*, _self=cmd) -> dict[str, dict[_Atom, tuple[float, float]]]:
    """The original b-factors kept for each object of this PyMOL instance:
    atom -> (original b, the value ``attention_color`` wrote)."""
    return {obj: saved for (who, obj), saved in _SAVED_B.items() if who == id(_self)}


def keep_b_factors(obj: str, saved: dict[_Atom, tuple[float, float]], *, _self=cmd) -> None:
    """Make ``saved`` the original b-factors kept for ``obj`` (empty: keep none)."""
    if saved:
        _SAVED_B[(id(_self), obj)] = dict(saved)
    else:
        _SAVED_B.pop((id(_self), obj), None)


def holds_written(b: float, written: float) -> bool:
    """Whether an atom's b-factor ``b`` is still the value ``written`` by attention_color
    (to PyMOL's precision: b-factors are single precision)."""
    return abs(b - written) <= 1e-4 * max(1.0, abs(written))


def group_name(obj: str) -> str:
    return f"attention_{obj}"


def pairs_name(obj: str) -> str:
    return f"attention_{obj}_pairs"


def key_name(obj: str) -> str:
    return f"attention_{obj}_key"


def _remember(obj: str, kind: str, scene: Scene | None, _self) -> None:
    """Keep ``scene`` as the object's last drawing of ``kind`` (None: it has none now)."""
    store = _SCENES.setdefault((id(_self), obj), {})
    if scene is None:
        store.pop(kind, None)
    else:
        store[kind] = scene
    if key_name(obj) in (_self.get_names("objects") or []):  # a key shown stays true
        draw_key(obj, _self=_self)


def scenes(obj: str, *, _self=cmd) -> list[Scene]:
    """The scenes drawn for ``obj`` that are still there: its pairs, then its residue colours."""
    store = _SCENES.get((id(_self), obj), {})
    names = _self.get_names("objects") or []
    if obj not in names:
        return []
    if "pairs" in store and pairs_name(obj) not in names:  # deleted, or a new session
        store.pop("pairs")
    if "residues" in store and not _still_coloured(obj, store["residues"], _self):
        store.pop("residues")
    return [store[kind] for kind in _KINDS if kind in store]


def _still_coloured(obj: str, scene: Scene, _self) -> bool:
    """Whether ``obj``'s b-factors still hold the values ``scene`` wrote (not reloaded)."""
    found: dict[tuple[str, str, int, str], float] = {}

    def note(segi: str, chain: str, resi: str, resv: int, b: float) -> None:
        ins = icode(resi, resv)  # by segment, and without it (a chain not split by segment)
        found[(segi, chain, resv, ins)] = found[("", chain, resv, ins)] = b

    _self.iterate(  # every atom of a residue holds its value; a residue may lack CA
        f"{obj} and polymer.protein",
        "note(segi, chain, resi, resv, b)",
        space={"note": note},
    )
    for r in scene.residues:
        b = found.get(_key(r.residue))
        if b is None or abs(b - r.value) > 1e-4 * max(1.0, abs(r.value)):
            return False
    return True


def _key(residue: ResidueId) -> tuple[str, str, int, str]:
    """A residue as PyMOL's atoms name it: segment, chain, number, insertion code."""
    return (residue.segment, residue.chain, residue.number, residue.icode)


def _lookup(table: Mapping, segi: str, chain: str, resv: int, ins: str):
    """The entry of an atom's residue: by its segment where the chain's residues carry
    one (chains told apart by segment), else by chain, number and insertion code."""
    found = table.get((segi, chain, resv, ins))
    return found if found is not None else table.get(("", chain, resv, ins))


def draw_pairs(obj: str, scene: Scene, ca: Mapping[ResidueId, np.ndarray], *, _self=cmd) -> int:
    """Draw ``scene``'s pseudo-bonds as one CGO object in the object's group.

    Replaces what an earlier call drew for ``obj`` (and its key, if one is shown).
    A scene with nothing to draw (no pair, or none between residues in ``ca``)
    changes nothing: the earlier drawing, its group and key stay as they were, and
    no empty group is made. Returns the number of cylinders (0: nothing changed).
    """
    data: list[float] = []
    for bond in scene.bonds:
        a, b = ca.get(bond.a), ca.get(bond.b)
        if a is None or b is None:
            continue
        rgb = bond.rgba[:3]
        data += [cgo.CYLINDER, *a, *b, bond.radius, *rgb, *rgb]
    if not data:
        return 0
    name = pairs_name(obj)
    _self.delete(name)
    _self.load_cgo(data, name, zoom=0)
    _self.group(group_name(obj), name)
    _remember(obj, "pairs", scene, _self)
    return len(data) // 14


def kept(obj: str, *, _self=cmd) -> str:
    """What a command that draws nothing new says of ``obj``'s earlier drawing."""
    names = _self.get_names("objects") or []
    before = [n for n in (pairs_name(obj), key_name(obj)) if n in names]
    if before:
        return f"nothing drawn; {' and '.join(before)} from before stay as they were"
    return "nothing drawn"


def _hex(rgb: Sequence[float]) -> str:
    return "0x" + "".join(f"{min(255, max(0, round(float(c) * 255))):02x}" for c in rgb[:3])


def color_residues(obj: str, scene: Scene, selection: str = "all", *, _self=cmd) -> int:
    """Write residue values into b-factors of ``obj`` and give residues the scene's colours.

    Each residue takes its :class:`~protattn.scene.ResidueColor` RGB exactly (as a
    ``0xrrggbb`` colour), so shared or fixed scales (``range``) look in PyMOL as the
    core computed them. ``selection`` limits the colouring; residues absent from the
    scene keep their b-factors and colours. Returns the number of residues coloured
    (0: nothing changed, and the last colouring stays the one ``attention_key`` shows).
    """
    values = {_key(r.residue): r.value for r in scene.residues}
    if not values:
        return 0
    colors = {_key(r.residue): _self.get_color_index(_hex(r.rgba)) for r in scene.residues}
    saved = _SAVED_B.setdefault((id(_self), obj), {})
    touched: set[tuple[str, str, int, str]] = set()

    def assign(segi, chain, resi, resv, name, alt, b):
        value = _lookup(values, segi, chain, resv, icode(resi, resv))
        if value is None:
            return b
        atom = (segi, chain, resi, resv, name, alt)
        saved[atom] = (saved[atom][0] if atom in saved else b, value)
        touched.add((segi, chain, resv, icode(resi, resv)))
        return value

    def paint(segi, chain, resi, resv, color):
        found = _lookup(colors, segi, chain, resv, icode(resi, resv))
        return color if found is None else found

    _self.alter(
        f"{obj} and polymer.protein",
        "b = assign(segi, chain, resi, resv, name, alt, b)",
        space={"assign": assign},
    )
    if not touched:  # no atom of the scene's residues: nothing was changed
        if not saved:
            _SAVED_B.pop((id(_self), obj), None)
        return 0
    where = f"({selection}) and {obj} and polymer.protein"
    _self.alter(where, "color = paint(segi, chain, resi, resv, color)", space={"paint": paint})
    _self.recolor(obj)
    _remember(obj, "residues", scene, _self)
    return len(touched)


# --------------------------------------------------------------------------------- keys

_FONT = vfont.plain
_ADVANCE = 0.72  # the plain font's advance per character, in glyph heights (about)


# characters the plain font lacks, written with those it has
_SPELLING = str.maketrans({":": " -", "=": "-", "\u00c5": "A", "\u2265": ">", "\u2264": "<"})


def _text_width(text: str, size: float) -> float:
    return sum(_FONT[c][0] if c in _FONT else _ADVANCE for c in text) * size


class _Canvas:
    """CGO drawn in a plane facing the camera: ``x`` right, ``y`` up, from ``origin``."""

    def __init__(self, origin: np.ndarray, axes: np.ndarray, ink: Sequence[float]) -> None:
        self.origin, self.axes, self.ink = origin, axes, [float(c) for c in ink[:3]]
        self.data: list[float] = []
        self.points: list[np.ndarray] = []

    def at(self, x: float, y: float) -> np.ndarray:
        point = self.origin + x * self.axes[0] + y * self.axes[1]
        self.points.append(point)
        return point

    def rect(self, x0: float, y0: float, x1: float, y1: float, rgb: Sequence[float]) -> None:
        corners = [self.at(x0, y0), self.at(x1, y0), self.at(x1, y1), self.at(x0, y1)]
        self.data += [cgo.BEGIN, cgo.TRIANGLES, cgo.NORMAL, *self.axes[2], cgo.COLOR, *rgb[:3]]
        for k in (0, 1, 2, 0, 2, 3):
            self.data += [cgo.VERTEX, *corners[k]]
        self.data.append(cgo.END)

    def cylinder(self, x0: float, x1: float, y: float, radius: float, rgb: Sequence[float]) -> None:
        a, b = self.at(x0, y), self.at(x1, y)
        self.data += [cgo.CYLINDER, *a, *b, radius, *rgb[:3], *rgb[:3]]

    def line(self, x0: float, y0: float, x1: float, y1: float, width: float) -> None:
        a, b = self.at(x0, y0), self.at(x1, y1)
        self.data += [cgo.SAUSAGE, *a, *b, width, *self.ink, *self.ink]

    def text(self, x: float, y: float, text: str, size: float) -> float:
        """``text`` with its baseline at ``y``; returns its width."""
        text = text.translate(_SPELLING)
        self.at(x, y + size)
        pos = list(self.at(x, y))
        axes = [list(self.axes[0] * size), list(self.axes[1] * size), list(self.axes[2] * size)]
        cgo.cyl_text(self.data, _FONT, pos, text, radius=0.07 * size, color=self.ink, axes=axes)
        width = _text_width(text, size)
        self.at(x + width, y)
        return width


def _draw_one(canvas: _Canvas, key: Key, x: float, unit: float) -> float:
    """One key with its top left at ``(x, 0)``; returns its width."""
    size = 0.6 * unit
    widths = [canvas.text(x, -size, key.title or "attention", size)]
    top = -size - 0.7 * unit
    bar = 0.9 * unit
    if key.palette is not None:  # a continuous scale: a bar of the palette, low at the bottom
        height, n = 6.0 * unit, 48
        bottom = top - height
        for k, rgb in enumerate(key.palette.samples(n)):
            canvas.rect(x, bottom + k * height / n, x + bar, bottom + (k + 1) * height / n, rgb)
        for k, (label, _) in enumerate(key.colors):
            t = k / max(1, len(key.colors) - 1)
            y = bottom + t * height
            canvas.line(x + bar, y, x + bar + 0.25 * unit, y, 0.05 * size)
            widths.append(
                bar + 0.45 * unit + canvas.text(x + bar + 0.45 * unit, y - size / 2, label, size)
            )
    else:  # classes (contact colours): a swatch each
        bottom = top
        for k, (label, rgba) in enumerate(key.colors):
            y = top - k * 1.4 * unit
            canvas.rect(x, y - unit, x + unit, y, rgba)
            widths.append(
                1.4 * unit + canvas.text(x + 1.4 * unit, y - unit / 2 - size / 2, label, size)
            )
            bottom = y - unit
    y = bottom - 0.6 * unit
    for k, (label, radius) in enumerate(key.radii):  # pairs: their thickness at a few values
        y -= max(1.2 * unit, 2 * radius + 0.4 * unit) if k else max(0.6 * unit, radius + 0.2 * unit)
        same = key.palette is not None and len(key.colors) == len(key.radii)
        rgb = key.colors[k][1] if same else (0.55, 0.55, 0.55)  # as pairs of that value
        canvas.cylinder(x, x + 2.4 * unit, y, radius, rgb)
        widths.append(2.8 * unit + canvas.text(x + 2.8 * unit, y - size / 2, label, size))
    return max(widths)


def key_cgo(
    keys: Sequence[Key], coords: np.ndarray, view: Sequence[float], ink: Sequence[float]
) -> tuple[list[float], np.ndarray]:
    """The CGO of ``keys`` side by side, to the right of ``coords``, facing ``view``.

    Parameters
    ----------
    keys : sequence of Key
        Each a title, a colour bar (or class swatches) with value labels, and
        for pairs a few cylinders of the key's radii (in A, as the pairs are drawn).
    coords : numpy.ndarray
        Atom coordinates the key is placed beside, ``shape=(n, 3)``.
    view : sequence of float
        PyMOL's view (``cmd.get_view()``): the key lies in the plane through the
        atoms' centre that faces the camera, text reading left to right.
    ink : RGB
        The colour of text and ticks (one that stands out on the background).

    Returns
    -------
    (list of float, numpy.ndarray)
        The CGO, and the points it spans (model space, ``shape=(m, 3)``).
    """
    rotation = np.array(view[:9], dtype=float).reshape(3, 3)
    axes = rotation.T  # rows: the screen's x (right), y (up) and z (to the viewer) in the model
    coords = np.asarray(coords, dtype=float).reshape(-1, 3)
    on_screen = coords @ axes.T
    low, high = on_screen.min(axis=0), on_screen.max(axis=0)
    unit = max(0.5, (high[1] - low[1]) / 14.0)
    origin = axes.T @ np.array([high[0] + 2.0 * unit, high[1], on_screen[:, 2].mean()])
    canvas = _Canvas(origin, axes, ink)
    x = 0.0
    for key in keys:
        x += _draw_one(canvas, key, x, unit) + 1.5 * unit
    return canvas.data, np.array(canvas.points)


def _ink(_self) -> tuple[float, float, float]:
    """Black on a light background, white on a dark one."""
    value = _self.get_setting_tuple("bg_rgb")[1]
    r, g, b = value if len(value) == 3 else _self.get_color_tuple(value[0])
    light = 0.3 * r + 0.59 * g + 0.11 * b > 0.5
    return (0.0, 0.0, 0.0) if light else (1.0, 1.0, 1.0)


def _frustum(_self) -> tuple[np.ndarray, float, float]:
    """The view, and the tangents of half the vertical and horizontal fields of view."""
    view = np.array(_self.get_view(), dtype=float)
    width, height = _self.get_viewport()
    tan = math.tan(math.radians(float(_self.get("field_of_view")) / 2))
    return view, tan, tan * width / max(1, height)


def _in_view(points: np.ndarray, _self) -> bool:
    """Whether every point lies inside the camera's current field of view."""
    view, tan_y, tan_x = _frustum(_self)
    camera = (points - view[12:15]) @ view[:9].reshape(3, 3) + view[9:12]
    depth = -camera[:, 2]
    return bool(
        (depth > 0).all()
        and (np.abs(camera[:, 1]) <= depth * tan_y).all()
        and (np.abs(camera[:, 0]) <= depth * tan_x).all()
    )


def _frame(points: np.ndarray, _self, margin: float = 1.08) -> None:
    """Move the camera (same orientation) so that it sees every point, filling the view."""
    view, tan_y, tan_x = _frustum(_self)
    rotation = view[:9].reshape(3, 3)
    local = points @ rotation  # screen x, y and z (to the viewer) of each point
    low, high = local.min(axis=0), local.max(axis=0)
    centre = (low + high) / 2
    half = (high - low) / 2
    distance = max(half[1] / tan_y, half[0] / tan_x) * margin + half[2]
    view[12:15] = rotation @ centre  # the origin of rotation: the middle of what is shown
    view[9:12] = (0.0, 0.0, -distance)
    view[15], view[16] = distance - half[2] - 5.0, distance + half[2] + 5.0  # clipping slab
    _self.set_view([float(v) for v in view])


def show_key(name: str, keys: Sequence[Key], beside: str, *, zoom: bool = True, _self=cmd) -> None:
    """Load ``keys`` (:func:`key_cgo`) as the CGO object ``name`` beside the atoms of ``beside``.

    With ``zoom``, the camera moves back (keeping its orientation) when the key lies
    outside the view, so that the screen and ``png`` / ``ray`` show it.
    """
    data, points = key_cgo(keys, _self.get_coords(beside), _self.get_view(), _ink(_self))
    _self.delete(name)
    _self.load_cgo(data, name, zoom=0)
    if zoom and not _in_view(points, _self):
        _frame(np.concatenate([points, np.asarray(_self.get_coords(beside)).reshape(-1, 3)]), _self)


def draw_key(obj: str, *, zoom: bool = True, _self=cmd) -> int:
    """Draw the key of ``obj``'s drawings into its group; returns the number of keys (0: none).

    The keys of its pairs and of its residue colours stand side by side, to the right
    of the object as the camera sees it now (:func:`show_key`).
    """
    drawn = scenes(obj, _self=_self)
    name = key_name(obj)
    if not drawn:
        _self.delete(name)
        return 0
    show_key(name, [s.key() for s in drawn], obj, zoom=zoom, _self=_self)
    _self.group(group_name(obj), name)
    return len(drawn)


def clear(obj: str, *, _self=cmd) -> None:
    """Remove what protattn drew for ``obj`` and put its original b-factors back."""
    _self.delete(group_name(obj))
    _self.delete(pairs_name(obj))
    _self.delete(key_name(obj))
    _SCENES.pop((id(_self), obj), None)
    saved = _SAVED_B.pop((id(_self), obj), None)
    if saved and obj in _self.get_names("objects"):

        def restore(segi, chain, resi, resv, name, alt, b):
            original, written = saved.get((segi, chain, resi, resv, name, alt), (b, b))
            return original if holds_written(b, written) else b

        _self.alter(
            f"{obj} and polymer.protein",
            "b = restore(segi, chain, resi, resv, name, alt, b)",
            space={"restore": restore},
        )
