"""One checker of the arguments every front end takes, before any work is done.

PyMOL, ChimeraX, the command line and the Python API hand their users' values to
these functions, so a value means the same everywhere and a bad one gets the same
message: what was given, what is allowed, how to fix it. Each raises
:class:`~protattn.errors.ProtattnError` (hosts show it as their own error) and
returns the value in the form the core uses.
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Sequence
from pathlib import Path

from ..errors import ProtattnError

__all__ = [
    "OFF",
    "check_threshold",
    "check_top_k",
    "check_min_separation",
    "DIRECTIONS",
    "check_direction",
    "check_output",
]

#: What users type to switch top-k (or another optional number) off.
OFF = ("", "off", "none", "no", "false")


def _number(value: object, name: str, example: str) -> float:
    if isinstance(value, bool):
        raise ProtattnError(f"{name} must be a number (e.g. {example}), not {value!r}")
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ProtattnError(f"{name} must be a number (e.g. {example}), not {value!r}") from None
    return number


def check_threshold(value: object, name: str = "threshold", top_k: str = "top-k") -> float:
    """An attention threshold: a finite number in (0, 1].

    Weights lie in 0-1, so 0 or less would keep every pair and above 1 none.
    ``name`` and ``top_k`` are the front end's names of the two options.

    Examples
    --------
    >>> check_threshold("0.1"), check_threshold(1)
    (0.1, 1.0)
    """
    number = _number(value, name, "0.1")
    if not math.isfinite(number) or not 0.0 < number <= 1.0:
        raise ProtattnError(
            f"{name} must be above 0 and at most 1 (attention weights lie in 0-1), not "
            f"{value!r}: 0 or less would keep every pair, above 1 none; e.g. 0.1, or {top_k} "
            "to keep the strongest pairs"
        )
    return number


def check_top_k(value: object, name: str = "top_k") -> int | None:
    """The number of strongest pairs to keep: a whole number of at least 1, or off (None).

    ``None``, ``""`` and ``"off"`` switch it off (the threshold decides); 0 and negative
    numbers are refused everywhere rather than meaning "off" in one front end and "no
    pairs" in another.

    Examples
    --------
    >>> check_top_k("20"), check_top_k("off"), check_top_k(None)
    (20, None, None)
    """
    if value is None or (isinstance(value, str) and value.strip().lower() in OFF):
        return None
    number = _number(value, name, "20")
    if not math.isfinite(number) or number != int(number) or number < 1:
        raise ProtattnError(
            f"{name} must be a whole number of at least 1 (the strongest pairs kept), not "
            f"{value!r}; leave it out, or give off, to keep the pairs above the threshold"
        )
    return int(number)


def check_min_separation(
    value: object, lengths: Collection[int] = (), name: str = "min_separation"
) -> int:
    """A minimum sequence separation ``|i - j|``: a whole number from 0, below the longest chain.

    Parameters
    ----------
    value : object
    lengths : collection of int
        The chains' lengths; a separation at or above the longest leaves no pair.
    name : str
        As the front end calls the option.

    Examples
    --------
    >>> check_min_separation("6", [99])
    6
    """
    number = _number(value, name, "6")
    if not math.isfinite(number) or number != int(number) or number < 0:
        raise ProtattnError(
            f"{name} must be a whole number of residues from 0 up (1: no self-pairs; 6: "
            f"the contact convention), not {value!r}"
        )
    longest = max(lengths, default=0)
    if lengths and number >= longest:
        raise ProtattnError(
            f"{name} {int(number)} leaves no pair: the longest chain has {longest} residues, "
            f"so |i - j| is at most {longest - 1}; use a smaller separation"
        )
    return int(number)


#: The query view's directions: the attention residues receive *from* the selection,
#: or give *to* it.
DIRECTIONS = ("from", "to")


def check_direction(value: object, name: str = "direction") -> str:
    """The query view's direction: ``from`` (attention received from the selection) or
    ``to`` (attention given to it), any case.

    Examples
    --------
    >>> check_direction(" To ")
    'to'
    """
    text = str(value).strip().lower()
    if text not in DIRECTIONS:
        raise ProtattnError(
            f"{name} must be from (the attention each residue receives from the selection) "
            f"or to (the share it gives to the selection), not {value!r}"
        )
    return text


def check_output(
    path: str | os.PathLike, suffixes: Sequence[str] | None = None, what: str = "output"
) -> Path:
    """An output path, checked before any work: its folder exists and is writable, its
    extension is one of ``suffixes`` (when given).

    Parameters
    ----------
    path : str or os.PathLike
    suffixes : sequence of str, optional
        Allowed extensions with their dot (``(".png", ".svg", ".pdf")``), any case.
    what : str
        What is written there, for the message (``"--heatmap"``).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> check_output("x.png", (".png", ".svg")).suffix
    '.png'
    """
    target = Path(os.fspath(path)).expanduser()
    if suffixes is not None and target.suffix.lower() not in {s.lower() for s in suffixes}:
        raise ProtattnError(
            f"{what} {os.fspath(path)!r}: cannot write a {target.suffix or 'file without an '}"
            f"{'' if target.suffix else 'extension'}; give a path ending in "
            f"{', '.join(suffixes)}"
        )
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise ProtattnError(
            f"{what} {os.fspath(path)!r}: the folder {os.fspath(folder)!r} does not exist; "
            "create it or choose another path"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ProtattnError(
            f"{what} {os.fspath(path)!r}: the folder {os.fspath(folder)!r} is not writable; "
            "choose another path"
        )
    if target.is_dir():
        raise ProtattnError(f"{what} {os.fspath(path)!r} is a folder; give a file name in it")
    return target
