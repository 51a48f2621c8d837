"""attention_pairs and attention_color with arguments typed at random, as at PyMOL's prompt:
each call draws, or raises one CmdException and leaves the session as it was; never
another exception.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pymol import CmdException

from protattn_pymol import attention_color, attention_pairs

#: Values of the kinds a user types: numbers in many spellings, words, blanks, lists.
TYPED = st.one_of(
    st.sampled_from(["", "0", "1", "-1", "0.1", "0.5", "2", "nan", "inf", "off", "abc", "3,1"]),
    st.from_regex(r"[-+]?\d{0,3}(\.\d{0,2})?", fullmatch=True),
    st.text(alphabet="0123456789.,-+eaf ", max_size=6),
)

OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        "threshold": TYPED,
        "top_k": TYPED,
        "min_separation": TYPED,
        "palette": st.sampled_from(["attention", "rainbow", "^viridis", "nope", "red:blue", ""]),
        "range": TYPED,
        "radius": TYPED,
        "state": TYPED,
        "key": TYPED,
        "color_by": st.sampled_from(["weight", "contact", "size"]),
        "symmetrize": st.sampled_from(["max", "mean", "min"]),
    },
)


def _session(pm) -> tuple:
    names = tuple(pm.get_names("all"))
    b = tuple(round(a.b, 4) for a in pm.get_model("1hpv and name CA").atom)
    return names, b


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(options=OPTIONS, layer_head=st.sampled_from(["6-3", "8-mean", "9-1", "6-9", "x", ""]))
def test_typed_arguments_draw_or_refuse_in_one_line_and_change_nothing(pm, options, layer_head):
    before = _session(pm)
    try:
        attention_pairs("1hpv and chain A", layer_head, **options, _self=pm)
    except CmdException as e:
        assert str(e) and "\n" not in str(e).strip()
        assert _session(pm) == before  # refused: nothing drawn, nothing changed


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    range_=TYPED,
    palette=st.sampled_from(["attention", "blue_white_red", "nope", "0,red:1,blue"]),
    state=TYPED,
)
def test_typed_colour_arguments_colour_or_refuse_and_keep_the_b_factors(pm, range_, palette, state):
    before = _session(pm)
    try:
        attention_color("1hpv", "6-3", palette=palette, range=range_, state=state, _self=pm)
    except CmdException as e:
        assert str(e)
        assert _session(pm) == before
