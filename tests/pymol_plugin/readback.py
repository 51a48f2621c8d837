"""Reading back what protattn drew, from PyMOL's own session data."""

from __future__ import annotations


def cgo_cylinders(pymol_cmd, name: str) -> list[tuple[float, ...]]:
    """Cylinders (x1 y1 z1 x2 y2 z2 r r1 g1 b1 r2 g2 b2) of a CGO object, from the session."""
    for entry in pymol_cmd.get_session(name)["names"]:
        if entry and entry[0] == name:
            state = entry[5][2][0]  # object data, states, first state
            data = next(x for x in state if isinstance(x, list))[1]
            break
    else:
        raise AssertionError(f"no CGO object {name} in PyMOL")
    cylinders, k = [], 0
    while k < len(data) and data[k] != 0.0:  # 0.0 is CGO STOP
        assert data[k] == 9.0, f"unexpected CGO op {data[k]} at {k}"
        cylinders.append(tuple(data[k + 1 : k + 14]))
        k += 14
    return cylinders


def b_and_colours(pymol_cmd, selection: str) -> list[tuple]:
    """Every atom's identity, b-factor (4 decimals) and colour index."""
    found: list = []
    pymol_cmd.iterate(
        selection,
        "found.append((model, segi, chain, resi, name, alt, round(b, 4), color))",
        space={"found": found},
    )
    return found


def session_state(pymol_cmd, objects: tuple[str, ...] = ("1vfb", "1hpv")) -> tuple:
    """What a refused command must not change: the objects, each atom's b-factor and
    colour, and the atoms shown as sticks."""
    return (
        tuple(pymol_cmd.get_names("all")),
        *(b_and_colours(pymol_cmd, name) for name in objects),
        pymol_cmd.count_atoms("rep sticks"),
    )


def b_by_atom(pymol_cmd, selection: str) -> dict[tuple[str, int, str], list[float]]:
    """The b-factors of every atom of each residue, by (chain, number, insertion code)."""
    found: dict = {}
    pymol_cmd.iterate(
        selection,
        "found.setdefault((chain, resv, resi[len(str(resv)):]), []).append(b)",
        space={"found": found},
    )
    return found
