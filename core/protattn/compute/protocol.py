"""The worker protocol's version and its array codec, shared by both ends.

Host (:mod:`protattn.compute.client`) and worker (:mod:`protattn.compute.server`)
speak JSON lines; the operations and their messages are documented in
:mod:`protattn.compute.server`. Arrays cross as base64 of their bytes with dtype
and shape, so a float32 weight arrives bit for bit:

>>> import numpy as np
>>> a = np.arange(6, dtype=np.float32).reshape(2, 3)
>>> bool((decode_array(encode_array(a)) == a).all())
True
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from ..errors import BadRequest

__all__ = [
    "PROTOCOL",
    "encode_array",
    "decode_array",
]

#: Version of the protocol; a host refuses a worker that speaks another.
PROTOCOL = 2


_NUMERIC_KINDS = frozenset("biuf")


def encode_array(array: np.ndarray, dtype: str | None = None) -> dict[str, Any]:
    """An array as the protocol's ``ARRAY`` object.

    Parameters
    ----------
    array : numpy.ndarray
        Numeric or bool.
    dtype : str, optional
        Type sent (default the array's own).

    Returns
    -------
    dict
        ``{"dtype", "shape", "base64"}``, little-endian, C order.
    """
    array = np.asarray(array)
    kind = np.dtype(dtype or array.dtype)
    data = array.astype(kind.newbyteorder("<"), order="C", copy=False)  # 0-d stays 0-d
    return {
        "dtype": kind.name,
        "shape": list(data.shape),
        "base64": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def decode_array(payload: dict[str, Any]) -> np.ndarray:
    """The array of a protocol ``ARRAY`` object, in its own type.

    Parameters
    ----------
    payload : dict
        ``{"dtype", "shape", "base64"}``.

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    BadRequest
        If the object is not an ``ARRAY`` or its bytes do not fill its shape.
    """
    try:
        dtype = np.dtype(payload["dtype"]).newbyteorder("<")
        shape = tuple(int(n) for n in payload["shape"])
        raw = base64.b64decode(payload["base64"], validate=True)
        if dtype.kind not in _NUMERIC_KINDS:
            raise ValueError(f"dtype {payload['dtype']} is not a numeric type")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))
    except (KeyError, TypeError, ValueError) as e:
        raise BadRequest(f"not a protocol ARRAY object ({type(e).__name__}: {e})") from None


# ------------------------------------------------------------------ parameters
