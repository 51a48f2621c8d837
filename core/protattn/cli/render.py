"""Pictures for the command line, drawn by a renderer another package registers.

The core draws nothing itself: a renderer is a function ``render(path, scene, ca, png,
width, height) -> int`` (pairs drawn) registered under the entry-point group
:data:`GROUP`. protattn's PyMOL plugin package registers ``pymol``
(:func:`protattn_pymol.render.render_png`, headless PyMOL, ray-traced); another host
could register its own in its package metadata::

    [project.entry-points."protattn.renderers"]
    pymol = "protattn_pymol.render:render_png"
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import entry_points
from typing import Any

from ..errors import ProtattnError
from ..scene import Scene
from ..structure.model import ResidueId

__all__ = ["GROUP", "renderer", "picture"]

#: The entry-point group renderers are registered under.
GROUP = "protattn.renderers"


def renderer(name: str = "pymol") -> Callable[..., Any]:
    """The renderer registered as ``name``.

    Raises
    ------
    ProtattnError
        If none is installed under that name, with how to install PyMOL's.
    """
    found = [e for e in entry_points(group=GROUP) if e.name == name]
    if not found:
        raise ProtattnError(
            f"no {name!r} renderer is installed for pictures (entry point group {GROUP!r}); "
            "protattn draws them with headless PyMOL: pip install 'protattn[pymol]' (the "
            "protattn package with its PyMOL plugin and pymol-open-source)"
        )
    return found[0].load()


def picture(
    render: Callable[..., Any],
    path: str,
    scene: Scene,
    ca: Mapping[ResidueId, Any],
    png: str,
    caption: str,
    width: int = 1200,
    height: int = 900,
    key: bool = True,
) -> int:
    """Render ``scene`` on ``path`` into ``png`` with ``render`` (:func:`renderer`) and,
    unless ``key`` is False, put the scene's key under it.

    Returns
    -------
    int
        The number of pairs drawn.
    """
    n = int(render(path, scene, ca, png, width, height))
    if key:
        from ..report.key import attach_key

        attach_key(png, scene.key(), caption)
    return n
