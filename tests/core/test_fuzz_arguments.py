"""Arguments as users type them, at random: parsed to one meaning or refused with a message.

The layer-head parser, the argument checker every front end uses, palettes and
scales: each returns a value with its stated properties or raises protattn's own
error; never another exception, never a value outside its range.
"""

from __future__ import annotations

import math

from hypothesis import example, given
from hypothesis import strategies as st

from protattn.api.checks import check_min_separation, check_threshold, check_top_k
from protattn.errors import LayerHeadError, ProtattnError
from protattn.lm.heads import HeadSpec, parse_layer_head
from protattn.palettes import parse_palette
from protattn.scene import RADIUS_LIMITS, parse_radius, parse_range

#: What a user might type: numbers in many spellings, words, signs, separators.
TYPED = st.one_of(
    st.text(max_size=12),
    st.from_regex(r"\s*[-+]?\d{0,3}([.,]\d{0,3})?(e[-+]?\d)?\s*", fullmatch=True),
    st.sampled_from(["nan", "inf", "-inf", "off", "none", "1e309", "0x10", "½", "١", "True"]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**12), 10**12),
    st.none(),
    st.booleans(),
)


@given(st.text(max_size=16), st.integers(1, 48), st.integers(1, 40))
@example("7-1", 8, 8)
@example("0-1", 8, 8)
@example("8-mean", 8, 8)
@example("٣-١", 8, 8)  # Arabic-Indic digits are digits to Python's int()
def test_layer_heads_parse_within_the_model_or_say_the_range(text, n_layers, n_heads):
    try:
        spec = parse_layer_head(text, n_layers, n_heads)
    except LayerHeadError as e:
        assert f"layers 1-{n_layers}" in str(e) or "outside the model" in str(e)
        return
    assert isinstance(spec, HeadSpec)
    assert 1 <= spec.layer <= n_layers
    if spec.aggregate is None:
        assert spec.head is not None and 1 <= spec.head <= n_heads
    # what it prints parses back to itself
    assert parse_layer_head(str(spec), n_layers, n_heads) == spec


@given(TYPED)
def test_thresholds_are_in_zero_to_one_or_refused(value):
    try:
        threshold = check_threshold(value)
    except ProtattnError as e:
        assert "threshold" in str(e)
        return
    assert math.isfinite(threshold) and 0 < threshold <= 1


@given(TYPED)
def test_top_k_is_a_whole_number_from_one_or_off(value):
    try:
        top_k = check_top_k(value)
    except ProtattnError as e:
        assert "top_k" in str(e)
        return
    assert top_k is None or (isinstance(top_k, int) and top_k >= 1)


@given(TYPED, st.lists(st.integers(1, 2000), max_size=4))
def test_separations_are_whole_and_below_the_longest_chain_or_refused(value, lengths):
    try:
        separation = check_min_separation(value, lengths)
    except ProtattnError as e:
        assert "min_separation" in str(e)
        return
    assert isinstance(separation, int) and separation >= 0
    assert not lengths or separation < max(lengths)


@given(TYPED)
@example(0.0)  # found by this test: a number alone was a TypeError, not a message
@example("1e308")  # found in ChimeraX (tests/chimerax): float32 radii of inf
@example("-1e308,1e308")  # ... and a range whose span is inf: NaN colour positions
@example("1e-320")  # ... and of 0
def test_ranges_and_radii_are_ordered_and_finite_or_refused(value):
    try:
        scale = parse_range(value if not isinstance(value, bool) else str(value))
    except ValueError as e:
        assert "range" in str(e)
    else:
        assert scale is None or (math.isfinite(scale[1] - scale[0]) and scale[0] < scale[1])
    try:
        radius = parse_radius(value if value is not None else "")
    except ValueError as e:
        assert "radius" in str(e)
    else:
        low, high = RADIUS_LIMITS
        assert low <= radius[0] <= radius[1] <= high


@given(st.text(max_size=30))
@example("^^viridis")
@example("0,red:0,blue")
@example(":")
@example("nan,red:1,blue")  # found in ChimeraX (tests/chimerax): NaN positions
@example("0,red:nan,white:1,blue")
@example("-1e308,red:1e308,blue")  # a span of inf
def test_palettes_parse_to_increasing_stops_in_rgb_or_are_refused(text):
    try:
        palette = parse_palette(text)
    except ValueError as e:
        assert "palette" in str(e)
        return
    assert len(palette.colors) == len(palette.positions) >= 2
    assert palette.positions[0] == 0.0 and palette.positions[-1] == 1.0
    assert all(a <= b for a, b in zip(palette.positions, palette.positions[1:]))
    assert all(0.0 <= c <= 1.0 for rgb in palette.colors for c in rgb)
