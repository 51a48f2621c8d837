"""Arguments every front end takes as text: site kinds, head lists and run options.

PyMOL, ChimeraX and the command line read these from their own prompts and
command lines; the rules that turn them into the core's arguments live here once.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "parse_site_kinds",
    "parse_heads",
    "run_options",
]


def parse_site_kinds(text: str | Iterable[str]) -> list[str]:
    """The HETATM kinds named in ``"ligand,ion"`` (blanks dropped), in order.

    Parameters
    ----------
    text : str or iterable of str
        Comma-separated kinds, or kinds already split (each may hold commas too).

    Returns
    -------
    list of str
        E.g. ``["ligand", "ion"]``; unknown kinds are refused later, by
        :func:`protattn.api.stats.head_statistics`, with the kinds it knows.

    Examples
    --------
    >>> parse_site_kinds(" ligand, ion ,")
    ['ligand', 'ion']
    """
    items = [text] if isinstance(text, str) else list(text)
    return [kind.strip() for item in items for kind in str(item).split(",") if kind.strip()]


def parse_heads(text: str | None) -> list[str] | None:
    """The heads named in ``"6-3+7-1"`` or ``"6-3,7-1"``; None for ``"all"`` or nothing.

    Parameters
    ----------
    text : str or None

    Returns
    -------
    list of str or None
        ``"L-H"`` strings, checked against the model by whoever uses them
        (:func:`protattn.api.contacts.predict_contacts`); None: every head.

    Examples
    --------
    >>> parse_heads("6-3+7-1"), parse_heads("all")
    (['6-3', '7-1'], None)
    """
    text = "" if text is None else str(text).strip()
    if text in ("", "all"):
        return None
    return [h.strip() for h in text.replace("+", ",").split(",") if h.strip()]


def run_options(
    window: int | None = None, stride: int | None = None, concatenate: bool | int = False
) -> dict:
    """How chains are run: keyword arguments of :func:`protattn.compute_pairs` and friends.

    Parameters
    ----------
    window, stride : int, optional
        0, negative or None: the default (windows only past the model's limit; half the window).
    concatenate : bool or int
        Run a structure's chains as one input.

    Returns
    -------
    dict
        ``window``, ``stride`` (None or positive) and ``concatenate`` (bool).

    Examples
    --------
    >>> run_options(0, 0, 1)
    {'window': None, 'stride': None, 'concatenate': True}
    """
    return {
        "window": window if window and window > 0 else None,
        "stride": stride if stride and stride > 0 else None,
        "concatenate": bool(concatenate),
    }
