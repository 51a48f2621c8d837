"""Keys of the drawings (``key true``): ChimeraX's colour key and 2D labels.

A drawing's key is made the way ChimeraX users make one: the ``key`` command
(colour samples labelled with their values, or the contact classes) and two 2D
labels (``2dlabels create``): the model, head and what is measured, and the scale
in words with the pairs' radii. Pairs keep their key at the top left of the
graphics window, residue colours theirs at the bottom left, so both can be read
in one picture; but ChimeraX has one colour key per session, so the colour key
shows the latest drawing drawn with ``key true`` and moves to that drawing's
place. A drawing of the same kind without ``key true`` removes the stale key
of its kind, and ``attention clear`` removes the keys of what it clears.

Which key describes which drawing is known to this process only. A session file
keeps the keys themselves (the 2D labels, named ``protattn_<kind>_title`` and
``protattn_<kind>_scale``, and the colour key) but not that record, so a key found
in a restored session is taken in again (:func:`shown_keys`): a kind's 2D labels
make its key protattn's, the colour key is protattn's if it sits where protattn
puts that kind's key, with its size and font, and the drawing it describes is
worked out from the session's attention groups or attributes where only one can be
meant; the log says what could not be worked out.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from chimerax.atomic import AtomicStructure
from chimerax.core.commands import quote_if_necessary, run
from chimerax.core.errors import UserError
from chimerax.core.session import Session

from protattn.palettes import hex_color
from protattn.scene import Key

__all__ = [
    "KIND_PAIRS",
    "KIND_COLOR",
    "Place",
    "PLACES",
    "check_key",
    "key_arguments",
    "show_key",
    "shown_keys",
    "drop_keys",
]

KIND_PAIRS = "pairs"
KIND_COLOR = "color"


@dataclass(frozen=True)
class Place:
    """Where one kind's key goes, in fractions of the graphics window (from its lower left).

    Attributes
    ----------
    title, scale : (float, float)
        Lower left corners of the two 2D labels.
    key : (float, float)
        Lower left corner of the colour key (its value labels are centred under
        its ends, so it starts further in).
    size : (float, float)
        The colour key's width and height.
    """

    title: tuple[float, float]
    scale: tuple[float, float]
    key: tuple[float, float]
    size: tuple[float, float] = (0.38, 0.035)


#: The places of the pairs' key (top left) and the residue colours' key (bottom left).
PLACES: dict[str, Place] = {
    KIND_PAIRS: Place(title=(0.03, 0.94), scale=(0.03, 0.905), key=(0.08, 0.83)),
    KIND_COLOR: Place(title=(0.03, 0.19), scale=(0.03, 0.155), key=(0.08, 0.08)),
}
_TITLE_SIZE, _SCALE_SIZE, _KEY_FONT = 16, 12, 14
_SAMPLES_PER_LABEL = 4  # colour samples between two labelled values of a continuous key


def _label_names(kind: str) -> tuple[str, str]:
    return f"protattn_{kind}_title", f"protattn_{kind}_scale"


@dataclass
class _Shown:
    """A kind's key on screen: the structures and the group or attribute it describes.

    ``None`` for either is not known (a key restored from a session file): it then
    matches any structure or drawing.
    """

    structures: list[AtomicStructure] | None = field(default_factory=list)
    drawing: str | None = ""

    def live(self) -> bool:
        """Whether the key was shown on structures still open (not a closed session's)."""
        return self.structures is None or any(not s.deleted for s in self.structures)


# per session: the kinds whose 2D labels protattn shows, and which kind's colour key it made
_SHOWN: weakref.WeakKeyDictionary[Session, dict[str, _Shown]] = weakref.WeakKeyDictionary()
_COLOR_KEY: weakref.WeakKeyDictionary[Session, tuple[str, object]] = weakref.WeakKeyDictionary()


def check_key(session: Session, key: bool) -> None:
    """Refuse ``key true`` before anything is drawn where ChimeraX renders nothing."""
    if key and session.main_view.render is None:
        raise UserError(
            "key true needs ChimeraX's graphics (its window, or --offscreen) to draw the "
            "colour key and 2D labels; leave key out here"
        )


def key_arguments(key: Key) -> str:
    """The ``key`` command's colours and labels for a drawing's key.

    A continuous scale is sampled evenly from its palette, labelled at the key's
    values; classes (contact colours) are one colour each, with their names.
    """
    if key.palette is None:
        return " ".join(
            quote_if_necessary(f"{hex_color(rgba)}:{label}") for label, rgba in key.colors
        )
    labels = [label for label, _ in key.colors]
    n = (len(labels) - 1) * _SAMPLES_PER_LABEL + 1
    rgb = key.palette.rgb_at(np.linspace(0.0, 1.0, n))
    words = []
    for i, color in enumerate(rgb):
        label = labels[i // _SAMPLES_PER_LABEL] if i % _SAMPLES_PER_LABEL == 0 else ""
        words.append(quote_if_necessary(f"{hex_color(color)}:{label}"))
    return " ".join(words)


def _delete_labels(session: Session, kind: str) -> int:
    """Delete a kind's 2D labels; how many there were (none once their session closed)."""
    from chimerax.label.label2d import find_label

    deleted = 0
    for name in _label_names(kind):
        label = find_label(session, name)
        if label is not None:
            label.delete()
            deleted += 1
    return deleted


def _placed_as(model: object, kind: str) -> bool:
    """Whether a colour key sits where protattn puts ``kind``'s, with its size and font."""
    place = PLACES[kind]
    try:
        return bool(
            np.allclose(model.pos, place.key)
            and np.allclose(model.size, place.size)
            and model.font_size == _KEY_FONT
        )
    except (AttributeError, TypeError, ValueError):
        return False


def _delete_color_key(session: Session, kind: str) -> bool:
    """Delete the colour key protattn made for ``kind``; whether one went.

    The key protattn made in this process is known by its model; a key restored
    from a session file (the record of its maker is not in it) is protattn's if
    it sits where protattn puts ``kind``'s key (:func:`_placed_as`).
    """
    from chimerax.color_key.model import get_model

    owner = _COLOR_KEY.get(session)
    model = get_model(session, create=False)
    if model is None or model.deleted:
        return False
    if owner is not None and owner[1] is model:
        if owner[0] != kind:
            return False
    elif owner is not None and not getattr(owner[1], "deleted", True):
        return False  # not the key protattn made: the user's own
    elif not _placed_as(model, kind):
        return False  # restored, and not where protattn puts this kind's key
    _COLOR_KEY.pop(session, None)
    run(session, "key delete", log=False)
    return True


def _labels_shown(session: Session, kind: str) -> bool:
    from chimerax.label.label2d import find_label

    return any(find_label(session, name) is not None for name in _label_names(kind))


def _restored_drawing(session: Session, kind: str) -> tuple[list[AtomicStructure], str | None]:
    """The structures and the group or attribute a restored key of ``kind`` can describe.

    The structures are those with a drawing of the kind (an attention group, residues
    with a protattn attribute); the drawing is named if only one is in the session.
    """
    from chimerax.atomic import all_atomic_structures

    from .drawing import attention_groups, protattn_attributes

    on: list[AtomicStructure] = []
    drawings: set[str] = set()
    for structure in all_atomic_structures(session):
        if kind == KIND_PAIRS:
            names = {group.name for group in attention_groups(session, structure)}
        else:
            residues = structure.residues
            names = {
                a for a in protattn_attributes(session) if any(hasattr(r, a) for r in residues)
            }
        if names:
            on.append(structure)
            drawings |= names
    return on, (drawings.pop() if len(drawings) == 1 else None)


def shown_keys(session: Session) -> dict[str, _Shown]:
    """The keys protattn shows, by kind, with those restored from a session file taken in.

    A kind whose record is of a closed session (or missing) but whose 2D labels are
    in the session is recorded again, on the structures with a drawing of that kind
    (:func:`_restored_drawing`); the log says so, and what the session does not
    tell. A record whose labels and structures are gone is dropped.
    """
    shown = _SHOWN.setdefault(session, {})
    for kind in PLACES:
        record = shown.get(kind)
        if record is not None and record.live():
            continue
        if not _labels_shown(session, kind):
            shown.pop(kind, None)
            continue
        structures, drawing = _restored_drawing(session, kind)
        shown[kind] = _Shown(structures or None, drawing)
        what = "pairs' key" if kind == KIND_PAIRS else "residue colours' key"
        if drawing is not None:
            described = f"taken as the key of {drawing!r} on " + ", ".join(
                str(s) for s in structures
            )
        else:
            described = (
                "the session does not tell which drawing it describes, so any "
                f"{'pairs' if kind == KIND_PAIRS else 'colours'} drawn without key true, "
                "or attention clear, removes it"
            )
        session.logger.info(f"protattn's {what} was restored from a session: {described}")
    return shown


def show_key(
    session: Session,
    kind: str,
    key: Key,
    heading: str,
    structures: Iterable[AtomicStructure],
    drawing: str = "",
) -> None:
    """Show a drawing's key in its kind's place: the colour key and the two 2D labels.

    Parameters
    ----------
    session : Session
    kind : {"pairs", "color"}
    key : protattn.scene.Key
    heading : str
        What is drawn, e.g. ``"antiberty 6-3"``; the title reads ``heading: key.title``.
    structures : iterable of AtomicStructure
        Those the drawing is on (``attention clear`` of them removes the key).
    drawing : str
        The pseudobond group or residue attribute drawn: a later drawing of the same
        kind into it without a key removes this key (:func:`drop_keys`).
    """
    from chimerax.color_key.model import get_model

    place = PLACES[kind]
    _delete_labels(session, kind)
    title_name, scale_name = _label_names(kind)
    for name, text, (x, y), size in (
        (title_name, f"{heading}: {key.title}", place.title, _TITLE_SIZE),
        (scale_name, key.text, place.scale, _SCALE_SIZE),
    ):
        run(
            session,
            f"2dlabels create {name} text {quote_if_necessary(text)} "
            f"xpos {x:g} ypos {y:g} size {size}",
            log=False,
        )
    (x, y), (w, h) = place.key, place.size
    treatment = "distinct" if key.palette is None else "blended"
    run(
        session,
        f"key {key_arguments(key)} pos {x:g},{y:g} size {w:g},{h:g} "
        f"colorTreatment {treatment} numericLabelSpacing equal fontSize {_KEY_FONT}",
        log=False,
    )
    _COLOR_KEY[session] = (kind, get_model(session, create=False))
    _SHOWN.setdefault(session, {})[kind] = _Shown(list(structures), drawing)


def drop_keys(
    session: Session,
    kinds: Iterable[str] = (KIND_PAIRS, KIND_COLOR),
    structures: Iterable[AtomicStructure] | None = None,
    drawing: str | None = None,
) -> int:
    """Remove the keys of ``kinds``: only those on one of ``structures`` and only the
    key of the group or attribute ``drawing``, if given.

    Returns
    -------
    int
        How many kinds' keys were removed (closed with their session: not counted).
    """
    shown = shown_keys(session)
    chosen = None if structures is None else set(structures)
    removed = 0
    for kind in list(kinds):
        record = shown.get(kind)
        if record is None:
            continue
        if (
            chosen is not None
            and record.structures is not None
            and not chosen.intersection(record.structures)
        ):
            continue
        if drawing is not None and record.drawing is not None and record.drawing != drawing:
            continue
        labels = _delete_labels(session, kind)
        key = _delete_color_key(session, kind)
        del shown[kind]
        removed += bool(labels or key)
    return removed
