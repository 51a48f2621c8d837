"""``attention pairs`` and ``attention color`` with arguments typed at random, through
ChimeraX's own command parser (``run(session, "attention pairs #1/A " + text)``).

Each command draws, or raises one ``UserError``: protattn's, or ChimeraX's own for a bad
keyword or value (its ``AnnotationError`` is a ``UserError``); never another exception,
and a refused command leaves the session as it was. The budget is the profile's in
``conftest.py`` (40 examples a test; ``HYPOTHESIS_PROFILE=deep`` for more). Every
failing example found is kept below as an ``@example``, with what was wrong.

Palette names ChimeraX does not know are looked up online (colourlovers.com), so the
palettes typed here are protattn's and ChimeraX's names and colour lists only; model
names are a few fixed ones (a Hugging Face id would be a download).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from cxtesting import HPX, cxrun, open_structure, rid

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: shared test helpers
from support import require  # noqa: E402

require("hypothesis", "chimerax_bundle/setup-test-env.sh installs it in the ChimeraX venv")
from hypothesis import event, example, given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


def mostly(good: st.SearchStrategy[str], bad: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Good values three times in four: one refused value hides what the others would do."""
    return st.one_of(good, good, good, bad)


#: Numbers as users type them, and what they type instead.
NUMBER = st.one_of(
    st.sampled_from(
        ["0", "1", "-1", "0.1", "0.5", "2", "nan", "inf", "-inf", "1e999", "1e-320", "-0"]
        + ["99999999999999999999", "0x10", "1_0", "\u00bd", "\u0661", "3,1", "off", "abc"]
    ),
    st.from_regex(r"[-+]?\d{0,3}(\.\d{0,3})?(e[-+]?\d{1,3})?", fullmatch=True),
    st.integers(-(10**22), 10**22).map(str),
    st.floats().map(repr),
)
FRACTION = st.floats(0.001, 1.0).map(lambda x: f"{x:.3g}")
LAYER_HEAD = mostly(
    st.one_of(
        st.tuples(st.integers(1, 8), st.integers(1, 8)),
        st.tuples(st.integers(1, 8), st.sampled_from(["mean", "max"])),
    ).map(lambda lh: f"{lh[0]}-{lh[1]}"),
    st.one_of(
        st.sampled_from(["9-1", "0-1", "1-9", "6", "x", "8-MEAN", "6-min", "\u0666-\u0663"]),
        st.from_regex(r"-?\d{1,2}-(\d{1,2}|mean|max|MEAN|min)", fullmatch=True),
        st.text(alphabet="0123456789-meanx\u0663", max_size=6),
    ),
)
#: Never a bare unknown name: ChimeraX would fetch it from the web.
PALETTE = mostly(
    st.sampled_from(
        ["attention", "white_red", "enrichment", "viridis", "^viridis", "bluered", "^rainbow"]
        + ["rdylbu", "blue:white:red", "0,blue:0.5,white:1,red", "#ff0000:#0000ff", "red:red"]
        + ["1,red:0,blue", "^^attention", "^blue_white_red", "magma", "0,blue:10,red"]
    ),
    st.one_of(
        st.sampled_from(
            ["^", ":", "0,red:", "1,red:1,blue", "nan,red:1,blue", "1,2,3:red", "0,red:inf,blue"]
            + ["-1e308,red:1e308,blue", "1e39,red:2e39,blue"]
        ),
        st.text(alphabet="0123456789.,-einf", max_size=5).map(lambda t: f"{t},red:1,blue"),
        st.lists(st.sampled_from(["red", "white", "#00f", "0.5,red", "x", ""]), min_size=2).map(
            ":".join
        ),
    ),
)
BOOL = mostly(st.sampled_from(["true", "false", "1", "0"]), st.sampled_from(["yes", "maybe", "t"]))
RANGE = mostly(
    st.one_of(
        st.sampled_from(["full", "auto", "0,1", "0.1,0.3", "0,0.05"]),
        st.integers(0, 98).flatmap(
            lambda lo: st.integers(lo + 1, 100).map(lambda hi: f"{lo / 100:g},{hi / 100:g}")
        ),
    ),
    st.one_of(
        st.sampled_from(["1,0", "0,0", "nan,1", "x", "-1e308,1e308", "0.1", "1,2,3"]),
        st.tuples(NUMBER, NUMBER).map(",".join),
    ),
)
RADIUS = mostly(
    st.sampled_from(["0.2", "0.05,0.3", "1", "10", "0.001,0.01"]),
    st.one_of(st.sampled_from(["0.3,0.05", "1e308", "1e-320", "0", "11", "-0.2", "x"]), RANGE),
)
NAME = mostly(
    st.sampled_from(["x", "'attention pairs'", "top5", "\u00e9", "'two words'"]),
    st.sampled_from(['""', "' '", "'a\tb'"]),
)
ATTRIBUTE = mostly(
    st.from_regex(r"attention_[a-z0-9_]{1,8}", fullmatch=True),
    st.one_of(
        st.sampled_from(["attention", "_x", "1abc", '""', "number", "None", "name", "'x y'"]),
        st.sampled_from(["\u00e9", "attention_\u00e9", "\U0001d51e", "\u00aa"]),
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
    ),
)
WINDOW = mostly(
    st.sampled_from(["64", "510"]),
    st.sampled_from(["0", "-1", "abc", "600", "99999999999999999999", "1.5"]),
)
STRIDE = mostly(st.just("32"), st.sampled_from(["0", "-3", "99999999999999999999", "x"]))
WHOLE = {
    "topK": st.integers(1, 60),
    "minSeparation": st.integers(0, 30),
    "dashes": st.integers(0, 100),
}
#: Anything at all, but for ';', which would start another command.
JUNK = st.text(st.characters(blacklist_characters=";"), min_size=1, max_size=8)
WEIGHT = "attention_weight"
#: How ChimeraX's command parser words a bad keyword or value.
_PARSER_SAYS = ("Invalid ", "Expected ", "Missing ", "Repeated ", "Incomplete ", "Extra ")

PAIRS_OPTIONS = {
    "threshold": mostly(FRACTION, NUMBER),
    **{key: mostly(whole.map(str), NUMBER) for key, whole in WHOLE.items()},
    "symmetrize": mostly(st.sampled_from(["max", "mean"]), st.just("min")),
    "model": mostly(st.just("antiberty"), st.sampled_from(["nosuchmodel", "/no/such/dir"])),
    "palette": PALETTE,
    "name": NAME,
    "replace": BOOL,
    "window": WINDOW,
    "stride": STRIDE,
    "concatenate": BOOL,
    "colorBy": mostly(st.sampled_from(["weight", "contact"]), st.just("size")),
    "range": RANGE,
    "radius": RADIUS,
    "key": BOOL,
}
COLOR_OPTIONS = {
    "model": mostly(st.just("antiberty"), st.just("nosuchmodel")),
    "palette": PALETTE,
    "window": WINDOW,
    "stride": STRIDE,
    "concatenate": BOOL,
    "attribute": ATTRIBUTE,
    "range": RANGE,
    "key": BOOL,
}


@st.composite
def typed(draw, options: dict) -> str:
    """What follows the spec: a layer-head (mostly first), a few other keywords with their
    values in any order, and now and then junk or a second layer-head."""
    keys = draw(st.lists(st.sampled_from(sorted(options)), unique=True, max_size=4))
    parts = [f"{key} {draw(options[key])}" for key in keys]
    if draw(st.integers(0, 9)):  # a layer-head nine times in ten
        parts.insert(draw(st.sampled_from([0, 0, 0, len(parts)])), f"layerHead {draw(LAYER_HEAD)}")
    extra = draw(st.integers(0, 9))
    if extra == 0:
        parts.insert(draw(st.integers(0, len(parts))), draw(JUNK))
    elif extra == 1:
        parts.append(f"layerHead {draw(LAYER_HEAD)}")
    return " ".join(parts)


def state(session, structure) -> dict:
    """All a command may change: models, pseudobonds, residue attributes, colours, keys."""
    from chimerax.atomic import Residue

    groups = {}
    for name, group in structure.pbg_map.items():
        pbonds = group.pseudobonds
        a, b = pbonds.atoms
        groups[name] = (
            group.dashes,
            [
                (rid(x.residue), rid(y.residue), c, float(r), getattr(p, WEIGHT, None))
                for x, y, c, r, p in zip(a, b, pbonds.colors.tolist(), pbonds.radii, pbonds)
            ],
        )
    registered = getattr(Residue, "_attr_registration", None)
    names = sorted(registered.reg_attr_info) if registered is not None else []
    return {
        "models": [(m.id, m.name) for m in session.models.list()],
        "groups": groups,
        "attributes": {n: [getattr(r, n, None) for r in structure.residues] for n in names},
        "ribbons": structure.residues.ribbon_colors.tolist(),
        "atoms": np.asarray(structure.atoms.colors).tolist(),
    }


def _draws_or_refuses(session, structure, command: str, drawn: type) -> None:
    from chimerax.core.commands import AnnotationError
    from chimerax.core.errors import UserError

    before = state(session, structure)
    try:
        result = cxrun(session, command)
    except UserError as e:  # protattn's, or ChimeraX's own AnnotationError / parse error
        assert str(e).strip(), command
        assert state(session, structure) == before, f"{command!r} was refused but changed things"
        parser = str(e).startswith(_PARSER_SAYS) or isinstance(e, AnnotationError)
        event("refused by ChimeraX's parser" if parser else "refused by protattn")
    else:
        assert isinstance(result, drawn), (command, result)
        event("drawn" if len(result) else "nothing to draw")


@pytest.fixture
def cx_hpx(cx):
    """The session with 1HPX as #1, kept between examples: each checks its own before and
    after, so what one draws is the next one's starting point."""
    open_structure(cx, HPX)
    return cx


def _hpx(session):
    from chimerax.atomic import all_atomic_structures

    (structure,) = all_atomic_structures(session)
    return structure


@given(text=typed(PAIRS_OPTIONS))
@example(text="layerHead 6-3 palette nan,red:1,blue")  # NaN colours: drawn black
@example(text="layerHead 6-3 palette 0,red:inf,blue")  # ... and inf
@example(text="layerHead 6-3 radius 1e308")  # float32 radii of inf
@example(text="layerHead 6-3 radius 1e-320")  # ... and of 0
@example(text="layerHead 6-3 dashes 99999999999999999999")  # the next frame never came
@example(text='layerHead 6-3 name ""')  # a group without a name
@example(text="layerHead 6-3 name \x00")  # ... that \x00 named too
@example(text="layerHead 6-3 topK 99999999999999999999 minSeparation 98")
@example(text="layerHead 6-3 threshold \u0661")  # an Arabic-Indic 1 is 1 to Python
@example(text="layerHead 6-3 \ud800")
def test_typed_pairs_arguments_draw_or_are_refused_changing_nothing(cx_hpx, text):
    from chimerax.atomic import Pseudobonds

    structure = _hpx(cx_hpx)
    _draws_or_refuses(cx_hpx, structure, f"attention pairs #1/A {text}", Pseudobonds)


@given(text=typed(COLOR_OPTIONS))
@example(text="layerHead 6-3 attribute \u00e9")  # set, but ::\u00e9>0 selects nothing
@example(text="layerHead 6-3 attribute \U0001d51e")
@example(text="layerHead 6-3 palette 1,red:1,blue")  # two colours at one value
@example(text="layerHead 8-mean palette -1e308,red:1e308,blue")  # a span of inf
@example(text="layerHead 6-3 range -1e308,1e308")  # a span of inf: NaN in color byattribute
def test_typed_color_arguments_colour_or_are_refused_changing_nothing(cx_hpx, text):
    from chimerax.atomic import Residues

    structure = _hpx(cx_hpx)
    _draws_or_refuses(cx_hpx, structure, f"attention color #1/A {text}", Residues)


def test_the_fixed_bugs_are_refused_with_what_to_give(cx_hpx):
    """The examples above that drew nonsense are refused now, each saying what is allowed."""
    from chimerax.core.errors import UserError

    _hpx(cx_hpx)
    for text, says in [
        ("palette nan,red:1,blue", "give each colour a different finite value (or none)"),
        ("palette 1,red:1,blue", "give each colour a different finite value (or none)"),
        ("radius 1e308", "a radius is a positive number of \u00c5 from 0.001 to 10"),
        ("range -1e308,1e308", "a range needs finite lo < hi and hi - lo"),
        ("dashes 101", 'Invalid "dashes" argument: Must be less than or equal to 100'),
        ('name ""', "'' is not a group name: give one with a visible character"),
        ("name \x00", "is not a group name"),
    ]:
        with pytest.raises(UserError, match=re.escape(says)):
            cxrun(cx_hpx, f"attention pairs #1/A layerHead 6-3 {text}")
    for attribute in ("\u00e9", "\U0001d51e"):
        with pytest.raises(UserError, match="use letters, digits and _ \\(ASCII\\)"):
            cxrun(cx_hpx, f"attention color #1/A layerHead 6-3 attribute {attribute}")
