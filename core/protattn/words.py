"""Numbers in words for log lines: ``1 pair``, ``2 pairs``."""

from __future__ import annotations

__all__ = ["plural"]


def plural(n: int, noun: str, many: str | None = None) -> str:
    """``n`` and the noun, singular for exactly one.

    Examples
    --------
    >>> plural(1, "pair"), plural(2, "pair"), plural(0, "pair"), plural(3, "chain", "chains")
    ('1 pair', '2 pairs', '0 pairs', '3 chains')
    >>> plural(2, "residue coloured", "residues coloured")
    '2 residues coloured'
    """
    return f"{n} {noun if n == 1 else (many or noun + 's')}"
