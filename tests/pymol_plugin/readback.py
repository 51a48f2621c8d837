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
