"""Drawing residue pairs in PyMOL: one CGO object of cylinders vs one distance object per pair.

Both ways draw the same N random residue pairs (CA to CA) of a real structure, each pair with
its own colour and radius, into a group, in the same headless PyMOL process:

(a) protattn's way: ``draw.draw_pairs`` turns a ``protattn.Scene`` of ``PseudoBond`` into one
    CGO object of cylinders (one ``load_cgo`` call) in the group ``attention_<object>``;
(b) PyMOL distance objects: per pair ``cmd.distance`` between the two CA atoms, a colour
    (``set_color``) set as its ``dash_color`` and its ``dash_radius``; then one ``group`` call,
    solid dashes and hidden labels set once on the group.

"Remove" is ``cmd.delete`` of the group (and its members). Times are medians of several runs;
distance objects are run fewer times at large N (see the output). Reported as ratios
(distance / CGO) plus the CGO's absolute times.

    .venv/bin/python benchmarks/bench_pymol_drawing.py [structure.pdb] [--n 100 1000 5000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial

import numpy as np
from pymol import cmd

import protattn
from protattn.scene import palette_colors
from protattn_pymol import draw

OBJ = "bench"
DIST_GROUP = "dist_bench"


def random_scene(residues: list[protattn.ResidueId], n: int, seed: int) -> protattn.Scene:
    """``n`` distinct random residue pairs, colour and radius growing with a random weight."""
    rng = np.random.default_rng(seed)
    n_res = len(residues)
    if n > n_res * (n_res - 1) // 2:
        raise SystemExit(f"{n} pairs asked, only {n_res * (n_res - 1) // 2} exist")
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < n:
        i, j = sorted(rng.choice(n_res, size=2, replace=False))
        pairs.add((int(i), int(j)))
    weights = rng.random(n)
    colors = palette_colors(weights, "attention", 0.0, 1.0)
    bonds = tuple(
        protattn.PseudoBond(
            residues[i], residues[j], float(w), tuple(map(float, c)), 0.05 + 0.25 * float(w)
        )
        for (i, j), w, c in zip(sorted(pairs), weights, colors)
    )
    return protattn.Scene(bonds=bonds, vmin=0.0, vmax=1.0)


def draw_cgo(scene: protattn.Scene, ca) -> None:
    draw.draw_pairs(OBJ, scene, ca)


def remove_cgo() -> None:
    cmd.delete(draw.group_name(OBJ))


def _atom(residue: protattn.ResidueId) -> str:
    return f"/{OBJ}//{residue.chain}/{residue.number}{residue.icode}/CA"


def draw_distances(scene: protattn.Scene, styled: bool = True) -> None:
    """One distance object per pair; ``styled=False``: no per-pair colour or radius."""
    for k, bond in enumerate(scene.bonds):
        name = f"{DIST_GROUP}_{k}"
        cmd.distance(name, _atom(bond.a), _atom(bond.b), mode=0)
        if styled:
            color = f"{DIST_GROUP}_c{k}"
            cmd.set_color(color, list(bond.rgba[:3]))
            cmd.set("dash_color", color, name)
            cmd.set("dash_radius", bond.radius, name)
    cmd.group(DIST_GROUP, f"{DIST_GROUP}_*")
    cmd.set("dash_gap", 0.0, DIST_GROUP)
    cmd.hide("labels", DIST_GROUP)


def remove_distances() -> None:
    cmd.delete(DIST_GROUP)


def _check_cgo(n: int) -> None:
    assert cmd.get_type(draw.pairs_name(OBJ)) == "object:cgo"


def _check_distances(n: int) -> None:
    names = [x for x in cmd.get_names("objects") if x.startswith(f"{DIST_GROUP}_")]
    assert len(names) == n, (len(names), n)


def time_draw_and_remove(draw_fn, remove_fn, check, n: int, repeats: int) -> tuple[float, float]:
    """Median seconds to draw and to remove, over ``repeats`` runs."""
    t_draw, t_remove = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        draw_fn()
        t_draw.append(time.perf_counter() - start)
        check(n)
        start = time.perf_counter()
        remove_fn()
        t_remove.append(time.perf_counter() - start)
        assert not [x for x in cmd.get_names("all") if x != OBJ]
    return statistics.median(t_draw), statistics.median(t_remove)


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds >= 1e-3 else f"{seconds * 1e6:.0f} µs"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("structure", nargs="?", help="default: PyMOL's $PYMOL_DATA/tut/1hpv.pdb")
    parser.add_argument("--n", type=int, nargs="+", default=[100, 1000, 5000])
    parser.add_argument(
        "--max-distance-pairs",
        type=int,
        default=5000,
        help="cap on N for distance objects (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    path = args.structure or cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb")

    chains = protattn.read_structure(path).chains
    ca = protattn.ca_coordinates(chains)
    residues = sorted(ca, key=lambda r: (r.chain, r.number, r.icode))
    cmd.reinitialize()
    cmd.load(path, OBJ)
    print(f"{path}: {len(residues)} residues with CA, pairs drawn CA to CA")

    rows = []
    for n in args.n:
        scene = random_scene(residues, n, seed=n)
        cgo_repeats = 20
        time_draw_and_remove(partial(draw_cgo, scene, ca), remove_cgo, _check_cgo, n, 1)  # warm
        cgo = time_draw_and_remove(
            partial(draw_cgo, scene, ca), remove_cgo, _check_cgo, n, cgo_repeats
        )
        n_dist = min(n, args.max_distance_pairs)
        dist_scene = protattn.Scene(bonds=scene.bonds[:n_dist])
        dist_repeats = 5 if n_dist <= 100 else 3 if n_dist <= 1000 else 1
        dist = time_draw_and_remove(
            partial(draw_distances, dist_scene),
            remove_distances,
            _check_distances,
            n_dist,
            dist_repeats,
        )
        plain = time_draw_and_remove(
            partial(draw_distances, dist_scene, styled=False),
            remove_distances,
            _check_distances,
            n_dist,
            dist_repeats,
        )
        if n_dist < n:  # scale to n, linearly (an underestimate if distance objects grow worse)
            dist = (dist[0] * n / n_dist, dist[1] * n / n_dist)
            plain = (plain[0] * n / n_dist, plain[1] * n / n_dist)
        rows.append((n, n_dist, cgo, dist, plain))
        print(
            f"N={n}: CGO draw {_ms(cgo[0])}, remove {_ms(cgo[1])} (median of {cgo_repeats}); "
            f"distance objects ({n_dist} pairs, median of {dist_repeats}) "
            f"draw {_ms(dist[0])}, remove {_ms(dist[1])}; unstyled draw {_ms(plain[0])}",
            flush=True,
        )

    print()
    print(
        "| N pairs | CGO draw | CGO remove | distance objects draw (ratio) "
        "| distance objects remove (ratio) | unstyled distance objects draw (ratio) |"
    )
    print("|---|---|---|---|---|---|")
    for n, n_dist, cgo, dist, plain in rows:
        capped = "" if n_dist == n else f", from {n_dist} pairs scaled"
        print(
            f"| {n} | {_ms(cgo[0])} | {_ms(cgo[1])} | {_ms(dist[0])} "
            f"({dist[0] / cgo[0]:.0f}×{capped}) | {_ms(dist[1])} ({dist[1] / cgo[1]:.0f}×) "
            f"| {_ms(plain[0])} ({plain[0] / cgo[0]:.0f}×) |"
        )


if __name__ == "__main__":
    main()
