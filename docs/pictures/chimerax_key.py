"""The README's ChimeraX picture: 1HPX with attention colours, pairs and their keys.

Run in the ChimeraX test venv (``make chimerax-venv``), with ``../shared`` beside
the checkout (SHARED to put it elsewhere)::

    .venv-chimerax/bin/python docs/pictures/chimerax_key.py docs/chimerax_1hpx_key.png

It runs a headless ChimeraX with offscreen rendering and the Qt shim that lets it
draw text, then the commands a user types::

    open 1HPX.pdb
    attention pairs #1 layerHead 6-3 minSeparation 6 colorBy contact key true
    attention color #1 layerHead 6-3 key true
    save PATH width 800 height 600 supersample 3

The pairs' key (top left: blue contact, magenta no contact, radii) and the
residue colours' key (bottom left: ChimeraX's colour key with the values) are
both shown; the colour key belongs to the last drawing made with ``key true``.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("SHARED", ROOT.parent / "shared"))
STRUCTURE = SHARED / "data" / "structures" / "ligand" / "1HPX.pdb"
HEAD = "6-3"
COMMANDS = (
    "set bgColor white",
    "lighting simple",
    "hide #1 atoms",
    "show #1 & ligand atoms",
    "style #1 & ligand stick",
    f"attention pairs #1 layerHead {HEAD} minSeparation 6 colorBy contact key true",
    f"attention color #1 layerHead {HEAD} key true",
    "view",
    "zoom 0.85",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png", type=Path, help="the picture to write (.png)")
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--height", type=int, default=600)
    args = parser.parse_args(argv)
    if not STRUCTURE.is_file():
        parser.error(f"{STRUCTURE} not found; put shared/ beside the checkout or set SHARED")
    sys.path[:0] = [str(ROOT / "core"), str(SHARED / "chimerax")]
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from cxheadless import make_session
    from qtshim import install_qt_shim

    session = make_session(offscreen=True)
    install_qt_shim()  # after the session, before any text is drawn
    session.main_view.resize(args.width, args.height)  # overlays are placed in this size
    from chimerax.core.commands import run

    run(session, f"open {STRUCTURE}", log=False)
    for command in COMMANDS:
        run(session, command, log=False)
    args.png.parent.mkdir(parents=True, exist_ok=True)
    run(
        session,
        f"save {args.png} width {args.width} height {args.height} supersample 3",
        log=False,
    )
    print(f"wrote {args.png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
