"""Secondary structure by DSSP (Kabsch & Sander, Biopolymers 22, 1983), in numpy.

A re-implementation of DSSP 2.x's hydrogen bonds, bridges, ladders, helices and
bends from the backbone N, CA, C and O atoms (no external program), and the
reduction of its eight codes to the paper's four classes (:data:`SS_CLASSES`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .model import Chain, Structure, join_chains

__all__ = [
    "SS_CLASSES",
    "dssp",
    "secondary_structure",
]

#: The four secondary-structure classes of the paper, and the mark of an unobserved residue.
SS_CLASSES = {"H": "helix", "E": "strand", "T": "turn/bend", "C": "other", "-": "unobserved"}

# ----------------------------------------------------------------------------- contacts


#: Longest C–N distance (Å) of a peptide bond for DSSP; longer is a chain break.
_DSSP_BREAK = 2.5
#: 0.084 * 332 (kcal/mol · Å), the electrostatic H-bond model of Kabsch & Sander.
_HBOND_COUPLING = 0.084 * 332.0
_HBOND_MAX = -0.5
_HBOND_MIN = -9.9
_MIN_CA_DISTANCE = 9.0
_BEND_ANGLE = 70.0

#: Reduction of DSSP's eight states to the paper's four classes.
_DSSP_TO_CLASS = {
    "H": "H",
    "G": "H",
    "I": "H",
    "E": "E",
    "B": "E",
    "T": "T",
    "S": "T",
    "C": "C",
    "-": "-",
}


def _backbone_with_oxygen(chain: Chain) -> tuple[np.ndarray, ...]:
    n, ca, c = (chain.backbone[:, k] for k in range(3))
    o = np.full((len(chain), 3), np.nan)
    for k, atoms in enumerate(chain.atoms):
        if atoms and "O" in atoms:
            o[k] = atoms["O"]
    valid = chain.observed & ~np.isnan(np.stack([n, ca, c, o], axis=1)).any(axis=(1, 2))
    return n, ca, c, o, valid


#: Donors whose H-bond energies are computed at once (bounds memory to ~block x L).
_HBOND_BLOCK = 256


def _hbonds(
    n: np.ndarray,
    ca: np.ndarray,
    c: np.ndarray,
    o: np.ndarray,
    h: np.ndarray,
    donor: np.ndarray,
    acceptor: np.ndarray,
) -> set[tuple[int, int]]:
    """H-bonds as ``(i, j)``: the C=O of residue ``i`` accepts from the N–H of residue ``j``.

    DSSP's rules: energy below -0.5 kcal/mol (rounded to 0.001 and floored at
    -9.9), CA–CA under 9 Å, no bond from the N–H of ``i + 1`` to the C=O of ``i``,
    and only each donor's two best (lowest-energy) acceptors.
    """
    bonds: set[tuple[int, int]] = set()
    a_idx = np.flatnonzero(acceptor)
    all_donors = np.flatnonzero(donor)
    if not len(a_idx) or not len(all_donors):
        return bonds
    ca_a = ca[a_idx]
    for start in range(0, len(all_donors), _HBOND_BLOCK):
        block = all_donors[start : start + _HBOND_BLOCK]
        d2 = ((ca[block][:, None, :] - ca_a[None, :, :]) ** 2).sum(axis=-1)
        near = (
            (d2 < _MIN_CA_DISTANCE**2)
            & (block[:, None] != a_idx[None, :])
            & (block[:, None] != a_idx[None, :] + 1)
        )
        p, q = np.nonzero(near)
        d, a = block[p], a_idx[q]
        r_on, r_ch, r_oh, r_cn = (
            np.linalg.norm(x[d] - y[a], axis=-1) for x, y in ((n, o), (h, c), (h, o), (n, c))
        )
        with np.errstate(divide="ignore"):
            energy = _HBOND_COUPLING * (1 / r_on + 1 / r_ch - 1 / r_oh - 1 / r_cn)
        close = np.minimum.reduce([r_on, r_ch, r_oh, r_cn]) < 0.5
        energy = np.maximum(np.where(close, _HBOND_MIN, np.round(energy, 3)), _HBOND_MIN)
        good = energy < _HBOND_MAX
        d, a, energy = d[good], a[good], energy[good]
        # each donor keeps its two lowest-energy acceptors (ties: the first in sequence)
        order = np.lexsort((a, energy, d))
        d, a = d[order], a[order]
        first = np.searchsorted(d, d)  # index of each donor's best acceptor
        keep = np.arange(len(d)) - first < 2
        bonds.update(zip(a[keep].tolist(), d[keep].tolist()))
    return bonds


def _udiff(a: int, b: int) -> int:
    """``a - b`` as DSSP's unsigned arithmetic sees it (negative is huge)."""
    return a - b if a >= b else 1 << 32


def _bridge(
    hb: set[tuple[int, int]], i: int, j: int, no_break: Callable[[int, int], bool]
) -> str | None:
    """Bridge type of residues ``i < j`` (Kabsch & Sander): ``"p"``, ``"a"`` or None."""
    if j - i < 3 or not no_break(i - 1, i + 1) or not no_break(j - 1, j + 1):
        return None
    if ((i - 1, j) in hb and (j, i + 1) in hb) or ((j - 1, i) in hb and (i, j + 1) in hb):
        return "p"
    if ((i, j) in hb and (j, i) in hb) or ((i - 1, j + 1) in hb and (j - 1, i + 1) in hb):
        return "a"
    return None


def _ladders(
    hb: set[tuple[int, int]], no_break: Callable[[int, int], bool]
) -> list[tuple[str, list[int], list[int]]]:
    """Bridges grouped into ladders (with β-bulges), as DSSP 2.x builds them.

    Returns ``(type, i positions, j positions)`` per ladder, both ascending.
    """
    # every bridge uses at least one H-bond (a, d): the pairs it can belong to
    candidates = set()
    for a, d in hb:
        for x, y in ((a + 1, d), (d - 1, a), (d, a + 1), (a, d - 1), (a, d), (a + 1, d - 1)):
            candidates.add((min(x, y), max(x, y)))
    bridges: list[tuple[str, list[int], list[int]]] = []
    for i, j in sorted(candidates):
        kind = _bridge(hb, i, j, no_break)
        if kind is None:
            continue
        for k_type, bi, bj in bridges:
            if k_type != kind or i != bi[-1] + 1:
                continue
            if kind == "p" and bj[-1] + 1 == j:
                bi.append(i)
                bj.append(j)
                break
            if kind == "a" and bj[0] - 1 == j:
                bi.append(i)
                bj.insert(0, j)
                break
        else:
            bridges.append((kind, [i], [j]))
    bridges.sort(key=lambda b: b[1][0])
    # join ladders separated by a β-bulge
    x = 0
    while x < len(bridges):
        y = x + 1
        while y < len(bridges):
            kind, bi, bj = bridges[x]
            k2, ci, cj = bridges[y]
            ibi, iei, jbi, jei = bi[0], bi[-1], bj[0], bj[-1]
            ibj, iej, jbj, jej = ci[0], ci[-1], cj[0], cj[-1]
            if (
                kind != k2
                or not no_break(min(ibi, ibj), max(iei, iej))
                or not no_break(min(jbi, jbj), max(jei, jej))
                or _udiff(ibj, iei) >= 6
                or (iei >= ibj and ibi <= iej)
            ):
                y += 1
                continue
            if kind == "p":
                bulge = (_udiff(jbj, jei) < 6 and _udiff(ibj, iei) < 3) or _udiff(jbj, jei) < 3
            else:
                bulge = (_udiff(jbi, jej) < 6 and _udiff(ibj, iei) < 3) or _udiff(jbi, jej) < 3
            if bulge:
                bi.extend(ci)
                if kind == "p":
                    bj.extend(cj)
                else:
                    bj[:0] = cj
                del bridges[y]
            else:
                y += 1
        x += 1
    return bridges


def _chain_hbonds(chain: Chain) -> tuple[set[tuple[int, int]], np.ndarray]:
    """DSSP's H-bonds of a chain (see :func:`_hbonds`) and its peptide bonds.

    Returns the H-bonds and ``bonded``, ``shape=(L-1,)``: whether residue ``k`` is
    peptide-bonded to ``k + 1`` (both complete, C–N at most 2.5 Å).
    """
    length = len(chain)
    n, ca, c, o, valid = _backbone_with_oxygen(chain)
    bonded = np.zeros(max(length - 1, 0), dtype=bool)
    h = np.full((length, 3), np.nan)
    donor = np.zeros(length, dtype=bool)
    if length > 1:
        with np.errstate(invalid="ignore"):
            bonded = (
                valid[:-1] & valid[1:] & (np.linalg.norm(c[:-1] - n[1:], axis=-1) <= _DSSP_BREAK)
            )
            # amide H along the previous C=O; no H (so no donor) after a break, on proline
            co = c[:-1] - o[:-1]
            h[1:] = n[1:] + co / np.linalg.norm(co, axis=-1, keepdims=True)
        donor[1:] = bonded & (np.frombuffer(chain.sequence[1:].encode("ascii"), "S1") != b"P")
    return _hbonds(n, ca, c, o, h, donor, valid), bonded


def _dssp_codes(chain: Chain) -> str:
    """DSSP codes of one (possibly joined) chain; see :func:`dssp`."""
    length = len(chain)
    if length == 0:
        return ""
    ca = chain.backbone[:, 1]
    valid = _backbone_with_oxygen(chain)[4]
    hb, bonded = _chain_hbonds(chain)
    breaks = np.concatenate([[0], np.cumsum(~bonded)])

    def no_break(i: int, j: int) -> bool:  # residues i..j all valid and bonded in a row
        return bool(0 <= i <= j < length and valid[i] and breaks[j] == breaks[i])

    ss = ["C" if v else "-" for v in valid]

    # bridges and ladders: E for ladders of two or more bridges, B for a lone bridge
    for _, bi, bj in _ladders(hb, no_break):
        code = "E" if len(bi) > 1 else "B"
        for lo, hi in ((bi[0], bi[-1]), (bj[0], bj[-1])):
            for k in range(lo, hi + 1):
                if ss[k] != "E":
                    ss[k] = code

    # n-turns at i: Hbond(i, i + n) with no break in between
    turn = {
        stride: np.array(
            [(i, i + stride) in hb and no_break(i, i + stride) for i in range(length)], dtype=bool
        )
        for stride in (3, 4, 5)
    }
    # minimal helices: two consecutive n-turns; alpha first, then 3-10 and pi where free
    for i in range(1, length - 4):
        if turn[4][i - 1] and turn[4][i]:
            ss[i : i + 4] = ["H"] * 4
    for stride, code in ((3, "G"), (5, "I")):
        for i in range(1, length - stride):
            if (
                turn[stride][i - 1]
                and turn[stride][i]
                and all(ss[k] in ("C", code) for k in range(i, i + stride))
            ):
                ss[i : i + stride] = [code] * stride

    # turns (inside an n-turn) and bends (CA(i-2)->CA(i) against CA(i)->CA(i+2) over 70 deg)
    for i in range(1, length - 1):
        if ss[i] != "C":
            continue
        if any(i >= k and turn[stride][i - k] for stride in (3, 4, 5) for k in range(1, stride)):
            ss[i] = "T"
        elif 2 <= i < length - 2 and no_break(i - 2, i + 2):
            u, v = ca[i] - ca[i - 2], ca[i + 2] - ca[i]
            cos = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))
            if np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))) > _BEND_ANGLE:
                ss[i] = "S"
    return "".join(ss)


def dssp(chain: Chain, structure: Structure | None = None) -> str:
    """DSSP secondary structure of every position, from the backbone N, CA, C and O.

    A re-implementation of Kabsch & Sander (1983) as DSSP 2.x computes it:
    electrostatic H-bonds (E < -0.5 kcal/mol, amide H placed along the previous
    residue's C=O, each N–H keeping its two best), n-turns, minimal helices from
    two consecutive n-turns (α first, then 3₁₀ and π where still free), bridges
    and ladders with β-bulges, and bends (CA angle over 70°). A chain break
    (C–N over 2.5 Å, or an unobserved or incomplete neighbour) stops every
    H-bond pattern across it and leaves the next residue without an amide H.

    Parameters
    ----------
    chain : Chain
        The residues' ``O`` atoms are read from :attr:`~protattn.structure.model.Chain.atoms`.
    structure : Structure, optional
        The structure ``chain`` belongs to: H-bonds to its other protein chains
        count too (a strand paired with another chain's strand), as DSSP run on
        the whole entry sees them. Without it the chain is taken alone.

    Returns
    -------
    str
        ``len(chain)`` DSSP codes: ``H`` α-helix, ``G`` 3₁₀-helix, ``I`` π-helix,
        ``E`` strand, ``B`` isolated bridge, ``T`` turn, ``S`` bend, ``C`` none of
        these, ``-`` unobserved (or without a complete backbone).

    Notes
    -----
    DSSP 4 gives π-helices priority over α-helices and marks polyproline (``P``);
    this follows DSSP 2.x (α first, no ``P``).
    """
    if structure is None:
        return _dssp_codes(chain)
    chains = list(structure.chains)
    if not any(c is chain for c in chains):
        chains = [chain, *(c for c in chains if c.id != chain.id)]
    return dssp_of_chains(chains)[[id(c) for c in chains].index(id(chain))]


def dssp_of_chains(chains: Sequence[Chain]) -> list[str]:
    """:func:`dssp` of each of ``chains``, all in one context (joined end to end)."""
    if not chains:
        return []
    codes = _dssp_codes(join_chains(chains))
    ends = np.cumsum([0, *(len(c) for c in chains)])
    return [codes[a:b] for a, b in zip(ends[:-1], ends[1:])]


def dssp_classes(codes: str) -> str:
    """DSSP codes reduced to the paper's four classes (H, E, T, C; ``-`` unobserved)."""
    return "".join(_DSSP_TO_CLASS[code] for code in codes)


def secondary_structure(chain: Chain, structure: Structure | None = None) -> str:
    """Secondary structure in the paper's four classes, one letter per position.

    Parameters
    ----------
    chain : Chain
    structure : Structure, optional
        Take H-bonds to the structure's other chains into account (see :func:`dssp`).

    Returns
    -------
    str
        ``len(chain)`` letters: ``H`` helix (DSSP H, G, I), ``E`` strand (E, B),
        ``T`` turn or bend (T, S), ``C`` other, ``-`` unobserved. See :func:`dssp`.
    """
    return dssp_classes(dssp(chain, structure))


# -------------------------------------------------------------------------- amino acids
