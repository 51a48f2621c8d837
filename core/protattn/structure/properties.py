"""Ground-truth properties of a chain: contacts, binding sites, secondary structure, amino acids.

These are the properties whose agreement with attention the BERTology analysis
measures (Vig et al., ICLR 2021): Cβ–Cβ contacts, ligand binding sites,
secondary structure in four classes and amino-acid identity. Everything is
computed from a :class:`~protattn.structure.model.Structure` with numpy alone; every
array is indexed by sequence position (0-based), so it lines up with the
attention maps of the same :class:`~protattn.structure.model.Chain`, and unobserved
positions are never a contact, a site residue or a secondary-structure element.

Secondary structure is assigned by a re-implementation of DSSP (Kabsch & Sander,
Biopolymers 22, 1983, as in DSSP 2.x) from the backbone N, CA, C and O atoms,
so no external program is needed.
"""

from __future__ import annotations

import numpy as np

from .model import Chain, one_letter

__all__ = [
    "CONTACT_CUTOFF",
    "AMINO_ACIDS",
    "RANGE_BANDS",
    "contact_map",
    "observed_pairs",
    "band_mask",
    "band_of",
    "amino_acid_mask",
    "CONTACT_CUTOFF",
]

#: Cβ–Cβ distance (Å) below which two residues are in contact.
CONTACT_CUTOFF = 8.0

#: The twenty standard amino acids, one-letter codes.
AMINO_ACIDS = "ACDEFGHIKLMNPQRSTVWY"

#: Sequence-separation ranges of contacts (inclusive; ``None``: no upper bound).
RANGE_BANDS: dict[str, tuple[int, int | None]] = {
    "short": (6, 11),
    "medium": (12, 23),
    "long": (24, None),
}


def contact_map(
    chain: Chain, cutoff: float = CONTACT_CUTOFF, min_separation: int = 6
) -> np.ndarray:
    """Residue contacts: Cβ–Cβ below ``cutoff`` at sequence separation ``>= min_separation``.

    Parameters
    ----------
    chain : Chain
        Cβ is virtual for glycine and wherever the Cβ atom is missing (see
        :attr:`~protattn.structure.model.Chain.cb`).
    cutoff : float
        Distance in Å (strictly below is a contact).
    min_separation : int
        Smallest ``|i - j|`` counted; 0 also counts the diagonal.

    Returns
    -------
    numpy.ndarray
        ``shape=(L, L), dtype=bool``, symmetric; ``False`` wherever a residue is unobserved.

    Examples
    --------
    >>> import numpy as np
    >>> from protattn.structure import Chain, ResidueId
    >>> bb = np.zeros((8, 4, 3)); bb[:, 3, 0] = np.arange(8) * 1.0   # Cβ 1 Å apart on a line
    >>> c = Chain("A", "G" * 8, tuple(ResidueId("A", k) for k in range(8)), bb, ({},) * 8)
    >>> np.argwhere(np.triu(contact_map(c, cutoff=6.5))).tolist()
    [[0, 6], [1, 7]]
    """
    cb = chain.cb
    with np.errstate(invalid="ignore"):
        distance = np.linalg.norm(cb[:, None, :] - cb[None, :, :], axis=-1)
        contacts = distance < cutoff  # NaN (unobserved) compares False
    return contacts & (_separation(len(chain)) >= min_separation) & observed_pairs(chain)


def observed_pairs(chain: Chain) -> np.ndarray:
    """Pairs of observed residues, ``shape=(L, L), dtype=bool``: where a contact can be judged."""
    observed = chain.observed & ~np.isnan(chain.cb).any(axis=1)
    return observed[:, None] & observed[None, :]


def _separation(length: int) -> np.ndarray:
    k = np.arange(length)
    return np.abs(k[:, None] - k[None, :])


def band_mask(length: int, band: str) -> np.ndarray:
    """Pairs whose sequence separation falls in a range band.

    Parameters
    ----------
    length : int
        Chain length ``L``.
    band : {"short", "medium", "long", "all"}
        See :data:`RANGE_BANDS`; ``"all"`` is every ``|i - j| >= 6``.

    Returns
    -------
    numpy.ndarray
        ``shape=(L, L), dtype=bool``.

    Examples
    --------
    >>> band_mask(14, "medium")[0].nonzero()[0].tolist()
    [12, 13]
    """
    if band == "all":
        lo, hi = RANGE_BANDS["short"][0], None
    elif band in RANGE_BANDS:
        lo, hi = RANGE_BANDS[band]
    else:
        raise ValueError(
            f"range band {band!r} is not known; choose one of {', '.join([*RANGE_BANDS, 'all'])}"
        )
    sep = _separation(length)
    mask = sep >= lo
    if hi is not None:
        mask &= sep <= hi
    return mask


def band_of(separation: int) -> str:
    """Range band of a sequence separation: ``short``, ``medium``, ``long``, or ``local`` (< 6)."""
    for name, (lo, hi) in RANGE_BANDS.items():
        if separation >= lo and (hi is None or separation <= hi):
            return name
    return "local"


# ------------------------------------------------------------------------ binding sites


def amino_acid_mask(chain: Chain, aa: str) -> np.ndarray:
    """Positions whose residue is amino acid ``aa``, ``shape=(L,), dtype=bool``.

    Parameters
    ----------
    chain : Chain
    aa : str
        One-letter (``"C"``) or three-letter (``"CYS"``) code, any case. The mask
        follows the sequence the model sees, so unobserved residues count too.
    """
    code = aa.strip().upper()
    if len(code) == 3:
        code = one_letter(code)
    if len(code) != 1 or code not in AMINO_ACIDS:
        raise ValueError(
            f"amino acid {aa!r} is not one of the twenty; give a one-letter code "
            f"({AMINO_ACIDS}) or a three-letter name"
        )
    return np.frombuffer(chain.sequence.encode("ascii"), dtype="S1") == code.encode()


# ------------------------------------------------------------------------ JSON summaries
