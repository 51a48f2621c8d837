"""A property of residue pairs, or of attended residues, as counting reads it.

A :class:`PropertyMask` holds the values (contact of a pair; binding site, secondary
structure class or amino acid of the attended residue) and where the property is
judged (``valid``), compact enough to cross to a worker as a message.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "PropertyMask",
]


def as_bool(array, what: str) -> np.ndarray:
    """``array`` as a boolean array, refusing other kinds of value with ``what`` named."""
    a = np.asarray(array)
    if a.dtype == bool:
        return a
    if np.issubdtype(a.dtype, np.integer) and np.isin(a, (0, 1)).all():
        return a.astype(bool)
    raise TypeError(f"{what} must be a boolean array (or of 0/1 integers), not {a.dtype}")


@dataclass(frozen=True, eq=False)
class PropertyMask:
    """How one property applies to one chain of ``L`` residues.

    Attributes
    ----------
    values : numpy.ndarray
        ``shape=(L, L), dtype=bool`` for a property of the pair (``f(i,j)``), or
        ``shape=(L,), dtype=bool`` for a property of the attended residue
        (``f(i,j) = values[j]``).
    valid : numpy.ndarray or None
        ``shape=(L, L), dtype=bool``: the pairs this property is judged on (e.g.
        both residues observed, ``|i - j| >= 6`` for contacts). ``None``: every pair.
        Pairs whose attention is not finite are never considered.
    background_from : PropertyMask or None
        Under the paper's definition, the mask whose frequency is the background
        (of a chain longer than the model's input, the paper's code counts a few
        more residues than the attention covers: :meth:`truncated`). ``None``: this
        mask itself.

    Examples
    --------
    >>> PropertyMask.residue(np.array([True, False, True])).kind
    'residue'
    """

    values: np.ndarray
    valid: np.ndarray | None = None
    background_from: PropertyMask | None = None

    def __post_init__(self) -> None:
        values = as_bool(self.values, "property values")
        if values.ndim not in (1, 2) or (values.ndim == 2 and values.shape[0] != values.shape[1]):
            raise ValueError(f"property values must have shape (L,) or (L, L), not {values.shape}")
        n = values.shape[0]
        valid = self.valid
        if valid is not None:
            valid = as_bool(valid, "valid")
            if valid.shape != (n, n):
                raise ValueError(
                    f"valid must have shape ({n}, {n}) like the property values, not {valid.shape}"
                )
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "valid", valid)

    @classmethod
    def pair(cls, values, valid=None) -> PropertyMask:
        """A property of the pair: ``values`` of ``shape=(L, L), dtype=bool``."""
        values = np.asarray(values)
        if values.ndim != 2:
            raise ValueError(f"a pair property needs values of shape (L, L), not {values.shape}")
        return cls(values, valid)

    @classmethod
    def residue(cls, values, valid=None) -> PropertyMask:
        """A property of the attended residue ``j``: ``values`` of ``shape=(L,), dtype=bool``."""
        values = np.asarray(values)
        if values.ndim != 1:
            raise ValueError(f"a residue property needs values of shape (L,), not {values.shape}")
        return cls(values, valid)

    @property
    def kind(self) -> str:
        """``"pair"`` or ``"residue"``."""
        return "pair" if self.values.ndim == 2 else "residue"

    def __len__(self) -> int:
        return self.values.shape[0]

    def to_message(self) -> dict:
        """The mask as JSON-ready data (bits packed, base64), for the worker protocol."""

        def bits(array: np.ndarray | None) -> dict | None:
            if array is None:
                return None
            packed = np.packbits(np.ascontiguousarray(array, dtype=bool))
            return {
                "shape": list(array.shape),
                "base64": base64.b64encode(packed.tobytes()).decode("ascii"),
            }

        return {
            "values": bits(self.values),
            "valid": bits(self.valid),
            "background_from": (
                None if self.background_from is None else self.background_from.to_message()
            ),
        }

    @classmethod
    def from_message(cls, message: Mapping) -> PropertyMask:
        """The mask of :meth:`to_message`.

        Raises
        ------
        ValueError
            If the message is not such a mask.
        """

        def bits(part: Mapping | None) -> np.ndarray | None:
            if part is None:
                return None
            shape = tuple(int(k) for k in part["shape"])
            raw = np.frombuffer(base64.b64decode(part["base64"], validate=True), np.uint8)
            size = math.prod(shape)
            if raw.size != (size + 7) // 8:
                raise ValueError(
                    f"a mask of shape {shape} needs {(size + 7) // 8} bytes, not {raw.size}"
                )
            return np.unpackbits(raw, count=size).astype(bool).reshape(shape)

        try:
            background = message.get("background_from")
            values, valid = bits(message["values"]), bits(message.get("valid"))
            background_from = None if background is None else cls.from_message(background)
            if values is None:  # what __post_init__ says of np.asarray(None)
                raise TypeError(
                    "property values must be a boolean array (or of 0/1 integers), not object"
                )
            return cls(values, valid, background_from)
        except (KeyError, TypeError, binascii.Error) as e:
            raise ValueError(f"not a property mask message ({type(e).__name__}: {e})") from None

    def _first(self, n: int) -> PropertyMask:
        values = self.values[:n] if self.kind == "residue" else self.values[:n, :n]
        return PropertyMask(values, None if self.valid is None else self.valid[:n, :n])

    def truncated(self, n: int) -> PropertyMask:
        """The property of the first ``n`` residues (a chain cut as the model's input is).

        Its background (paper's definition) is that of the first ``n + 1`` residues
        for a residue property and of the pairs among the first ``n + 2`` for a pair
        property, as in the paper's ``background.py``: it cuts labels to 512 entries
        (the model's 510 residues plus 2), and a residue label array begins with the
        start token's padding, so 511 residues remain.

        Examples
        --------
        >>> cut = PropertyMask.residue(np.array([True, False, False, True])).truncated(2)
        >>> len(cut), len(cut.background_from)
        (2, 3)
        """
        extra = 1 if self.kind == "residue" else 2
        return dataclasses.replace(self._first(n), background_from=self._first(n + extra))
