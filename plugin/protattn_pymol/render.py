"""Headless PyMOL rendering of a protattn scene on a cartoon, for the command line."""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from protattn import ProtattnError, ResidueId, Scene
from protattn.api.checks import check_output
from protattn.scene import Key

from . import draw

__all__ = ["render_png"]


def render_png(
    path: str | os.PathLike,
    scene: Scene,
    ca: Mapping[ResidueId, np.ndarray],
    png: str | os.PathLike,
    width: int = 1200,
    height: int = 900,
    key: Key | None = None,
) -> int:
    """Draw ``scene``'s pairs and residue colours on a cartoon of ``path`` in a private PyMOL
    and ray-trace a PNG.

    Parameters
    ----------
    path : str or path-like
        The structure file the scene was computed from.
    scene : Scene
    ca : Mapping[ResidueId, numpy.ndarray]
        CA coordinates of the scene's residues (from the same file).
    png : str or path-like
        Output PNG path.
    width, height : int
        Image size in pixels.
    key : Key, optional
        Also draw this key (:meth:`protattn.scene.Scene.key`) into the picture, beside
        the molecule (:func:`.draw.show_key`); by default none, for a caller that puts
        its own key next to the picture.

    Returns
    -------
    int
        The number of pairs drawn.

    Raises
    ------
    ProtattnError
        Before PyMOL starts, if ``png`` is not a ``.png`` path in a writable folder.
    """
    png = os.fspath(check_output(png, (".png",), "png"))
    import pymol2
    from pymol import cmd as global_cmd

    # Start PyMOL's global instance before a private one: a process whose first PyMOL
    # was a pymol2 instance can no longer start the global one ("Missing PyMOL instance").
    global_cmd.get_names()
    with pymol2.PyMOL() as p:  # private: the user's session (if any) is never touched
        cmd = p.cmd
        obj = "structure"
        cmd.load(os.fspath(path), obj)
        cmd.hide("everything")
        cmd.bg_color("white")
        cmd.set("ray_opaque_background", 1)
        cmd.show("cartoon", f"{obj} and polymer.protein")
        cmd.color("grey80", f"{obj} and polymer.protein")
        # pairs are drawn through a see-through cartoon; residue colours on an opaque one
        cmd.set("cartoon_transparency", 0.0 if scene.residues and not scene.bonds else 0.35)
        cmd.show("sticks", f"{obj} and organic and not hydro")
        cmd.color("teal", f"{obj} and organic and elem C")
        if scene.residues:
            draw.color_residues(obj, scene, _self=cmd)
        n = draw.draw_pairs(obj, scene, ca, _self=cmd)
        cmd.orient(f"{obj} and polymer.protein")
        if key is not None:
            cmd.viewport(width, height)  # the key is brought into this picture's frame
            draw.show_key("key", [key], f"{obj} and polymer.protein", _self=cmd)
        cmd.png(png, width=width, height=height, ray=1)
    if not os.path.isfile(png):
        raise ProtattnError(f"PyMOL did not write {png!r}; check that its folder exists")
    return n
