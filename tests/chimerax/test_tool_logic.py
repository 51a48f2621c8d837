"""The Attention panel's logic (``tool_logic``) in a real headless ChimeraX.

The panel's widgets (``tool.py``) need Qt, which this ChimeraX lacks: they are
built offscreen with PyQt6 in ``test_tool_panel.py``. Everything they do goes
through ``tool_logic``, tested here without Qt: each command
line the panel builds is run through ChimeraX and what it drew is read back
(pseudobonds, residue attributes) and compared with the core; the grid's
statistics are compared with ``attention stats``; the structure and chain
choosers are read from a real session; the background jobs run in real threads
and post back through a stand-in for ``session.ui.thread_safe``.
"""

from __future__ import annotations

import ast
import doctest
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from cxtesting import HPX, VFB, cxrun, logged, open_structure, rid

import protattn
from protattn import ResidueId
from protattn.api.contacts import predict_contacts
from protattn.lm.inference import clear_memory
from protattn.lm.model import LanguageModel
from protattn.lm.registry import MODELS, model_status
from protattn.panel import controller as core_controller

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: shared test helpers
from panel_support import FakeView, GuiQueue  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOOL_PY = ROOT / "chimerax_bundle" / "src" / "tool.py"


@pytest.fixture(scope="module")
def logic(session):
    """The installed bundle's tool_logic (conftest checks it is this checkout's)."""
    from chimerax.protattn import tool_logic

    return tool_logic


def pair_keys(pbonds) -> set[tuple[ResidueId, ResidueId]]:
    a, b = pbonds.atoms
    return {(rid(x.residue), rid(y.residue)) for x, y in zip(a, b)}


def group_bonds(structure, name: str = "attention pairs"):
    group = structure.pseudobond_group(name, create_type=None)
    return None if group is None else group.pseudobonds


def core_chains(path: Path, chains: str | None = None) -> list[protattn.Chain]:
    return [c for c in protattn.read_structure(path).chains if chains is None or c.id in chains]


def core_pair_keys(path: Path, layer_head: str, chains: str | None = None, **options) -> set:
    result = protattn.compute_pairs(core_chains(path, chains), layer_head, **options)
    return {(b.a, b.b) for b in result.scene.bonds}


def write_pdb(path: Path, source: Path, keep, rename=None) -> Path:
    """A PDB file of some ATOM/HETATM lines of ``source``, chain ids renamed."""
    lines = []
    for line in source.read_text().splitlines():
        if line.startswith(("ATOM", "HETATM")) and keep(line):
            chain = line[21]
            lines.append(line[:21] + (rename or {}).get(chain, chain) + line[22:])
    path.write_text("\n".join([*lines, "END", ""]))
    return path


# ------------------------------------------------------------------------- command lines


def test_docstring_examples(logic):
    failures, tried = doctest.testmod(logic, verbose=False)
    assert tried >= 3 and failures == 0


def test_command_lines(logic):
    S = logic.PanelState
    assert (
        logic.command("pairs", S("#1", "A", layer=6, head=3))
        == "attention pairs #1/A layerHead 6-3 threshold 0.1"
    )
    assert (
        logic.command(
            "pairs",
            S("#1", None, layer=6, aggregate="mean", top_k=7, min_separation=6, model="esm2_t6_8M"),
        )
        == "attention pairs #1 layerHead 6-mean topK 7 minSeparation 6 model esm2_t6_8M"
    )
    assert (
        logic.command("color", S("#2.1", "H", layer=8, aggregate="max"))
        == "attention color #2.1/H layerHead 8-max"
    )
    assert logic.command("contacts", S("#1", "B")) == "attention contacts #1/B"
    assert logic.command("clear", S("#1", "B")) == "attention clear #1"
    assert logic.command("clear", S()) == "attention clear"
    assert (
        logic.command("stats", S("#1", None, prop="binding site", min_arcs=5))
        == "attention stats #1 binding_site threshold 0.3 minArcs 5"
    )
    assert (
        logic.command("stats", S("#1", None, prop="contacts", min_arcs=5, definition="judged"))
        == "attention stats #1 contact threshold 0.3 minArcs 5 definition judged"
    )
    assert (
        logic.command("pairs", S("#1", " ", model="/data/my model"))
        == 'attention pairs #1::chain_id==" " layerHead 1-1 threshold 0.1 model "/data/my model"'
    )


@pytest.mark.parametrize(
    "state, message",
    [
        (dict(structure=""), "no structure chosen"),
        (dict(structure="#1", aggregate="sum"), "aggregate must be one of"),
        (dict(structure="#1", layer=0), "count from 1"),
        (dict(structure="#1", model=" "), "no model given"),
        (dict(structure="#1", model="a\nb"), "spans lines"),
        (dict(structure="#1", threshold=-0.1), "threshold must be 0 or more"),
        (dict(structure="#1", min_separation=0), "minimum separation"),
    ],
)
def test_states_that_make_no_command_say_why(logic, state, message):
    with pytest.raises(ValueError, match=message):
        logic.command("pairs", logic.PanelState(**state))


def test_stats_needs_a_property_and_unknown_actions_are_refused(logic):
    with pytest.raises(ValueError, match="choose a property"):
        logic.command("stats", logic.PanelState("#1"))
    with pytest.raises(ValueError, match="unknown action"):
        logic.command("draw", logic.PanelState("#1"))
    with pytest.raises(ValueError, match="property must be one of"):
        logic.command("stats", logic.PanelState("#1", prop="helix"))


def test_thresholds_are_written_as_floatarg_reads_them_back(logic, session):
    from chimerax.core.commands import FloatArg

    for x in (0.1, 0.05, 0.123, 1e-5, 1 / 3, 0.0):
        words = logic.command("pairs", logic.PanelState("#1", threshold=x)).split()
        text = words[words.index("threshold") + 1]
        value, _, rest = FloatArg.parse(text, session)
        assert value == x and rest == "", (x, text)


# ------------------------------------------------------ the commands run in ChimeraX


def test_pairs_of_one_chain_draw_what_the_core_computes(cx, logic):
    s = open_structure(cx, HPX)
    line = logic.command("pairs", logic.PanelState("#1", "A", layer=6, head=3))
    with logged(cx) as log:
        pbonds = cxrun(cx, line)
    expected = core_pair_keys(HPX, "6-3", "A")
    assert len(expected) > 10
    assert pair_keys(group_bonds(s)) == expected == pair_keys(pbonds)
    assert {a.residue.chain_id for a in group_bonds(s).atoms[0] | group_bonds(s).atoms[1]} == {"A"}
    assert any("antiberty 6-3" in m and "pairs" in m for m in log), log


def test_top_k_separation_and_aggregate_reach_the_command(cx, logic):
    s = open_structure(cx, HPX)
    state = logic.PanelState("#1", None, layer=6, aggregate="mean", top_k=7, min_separation=6)
    cxrun(cx, logic.command("pairs", state))
    expected = core_pair_keys(HPX, "6-mean", top_k=7, min_separation=6)
    assert len(expected) == 14  # 7 per chain
    assert pair_keys(group_bonds(s)) == expected
    assert all(abs(a.number - b.number) >= 6 for a, b in expected)

    cxrun(
        cx,
        logic.command(
            "pairs", logic.PanelState("#1", "B", layer=2, aggregate="max", threshold=0.25)
        ),
    )
    assert pair_keys(group_bonds(s)) == core_pair_keys(HPX, "2-max", "B", threshold=0.25)


def test_color_sets_the_attribute_on_the_chosen_chain_only(cx, logic):
    s = open_structure(cx, HPX)
    cxrun(cx, logic.command("color", logic.PanelState("#1", "B", layer=8, aggregate="max")))
    scores = protattn.compute_scores(core_chains(HPX, "B"), "8-max").scores["B"]
    chain_b = [r for r in s.residues if r.chain_id == "B" and r.polymer_type == r.PT_AMINO]
    got = np.array([r.attention for r in chain_b])
    np.testing.assert_allclose(got, scores[: len(chain_b)], rtol=1e-5)
    assert not any(hasattr(r, "attention") for r in s.residues if r.chain_id == "A")


def test_contacts_and_clear(cx, logic):
    s = open_structure(cx, HPX)
    cxrun(cx, logic.command("contacts", logic.PanelState("#1", "A")))
    (chain_a,) = core_chains(HPX, "A")
    expected = {(b.a, b.b) for b in predict_contacts(chain_a, "antiberty", "apc").scene.bonds}
    assert pair_keys(group_bonds(s, "attention contacts")) == expected
    assert len(expected) > 50

    cxrun(cx, logic.command("pairs", logic.PanelState("#1", layer=6, head=3)))
    cxrun(cx, logic.command("color", logic.PanelState("#1", layer=6, head=3)))
    assert group_bonds(s) is not None and any(hasattr(r, "attention") for r in s.residues)
    cxrun(cx, logic.command("clear", logic.PanelState("#1", "A")))
    assert group_bonds(s) is None
    assert group_bonds(s, "attention contacts") is None
    assert not any(hasattr(r, "attention") for r in s.residues)


def test_a_blank_chain_id_is_specified_by_attribute(cx, logic, tmp_path):
    path = write_pdb(tmp_path / "blank.pdb", HPX, lambda line: line[21] == "A", {"A": " "})
    s = open_structure(cx, path)
    (choice,) = logic.structure_choices(cx)
    (chain,) = choice.chains
    assert chain.chain_id == " " and chain.label.startswith("(blank)")
    pbonds = cxrun(cx, logic.command("pairs", logic.PanelState(choice.spec, " ", layer=6, head=3)))
    assert len(pbonds) == len(group_bonds(s)) == len(core_pair_keys(HPX, "6-3", "A")) > 10


def test_model_names_with_spaces_reach_the_command_whole(cx, logic, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    open_structure(cx, HPX)
    folder = tmp_path / "my model"
    folder.mkdir()
    line = logic.command("color", logic.PanelState("#1", "A", model=str(folder)))
    from chimerax.core.errors import UserError

    with pytest.raises(UserError) as caught:  # parsed to the end; the core says why it failed
        cxrun(cx, line)
    assert str(folder) in str(caught.value)


# ---------------------------------------------------------- the grid and `attention stats`


@pytest.mark.parametrize("label, spec_chain", [("contacts", None), ("binding site", "A")])
def test_grid_statistics_are_those_of_attention_stats(cx, logic, label, spec_chain):
    open_structure(cx, HPX)
    state = logic.PanelState("#1", spec_chain, prop=label, min_arcs=5)
    structures = logic.read_structures(cx, state.spec)
    assert [c.id for s in structures for c in s.chains] == (
        [spec_chain] if spec_chain else ["A", "B"]
    )
    grid = logic.grid_statistics(structures, state)
    stats = cxrun(cx, logic.command("stats", state))
    prop = stats[grid.prop]
    assert grid.shape == (8, 8) and grid.min_arcs == 5
    np.testing.assert_array_equal(grid.share, prop.share)
    np.testing.assert_array_equal(grid.enough_arcs, prop.enough_arcs)
    np.testing.assert_array_equal(grid.n_arcs, prop.n_arcs)
    assert grid.background == pytest.approx(prop.background)
    assert grid.enough_arcs.any() and np.isfinite(grid.share[grid.enough_arcs]).all()


# ---------------------------------------------------------- structures, chains, models


def test_structure_and_chain_choices_from_the_session(cx, logic, tmp_path):
    from chimerax.atomic import ResiduesArg

    open_structure(cx, HPX)
    open_structure(cx, VFB)
    ligand_only = write_pdb(
        tmp_path / "ligand.pdb",
        HPX,
        lambda line: line.startswith("HETATM") and line[17:20] != "HOH",
    )
    open_structure(cx, ligand_only)
    mixed = write_pdb(tmp_path / "mixed.pdb", HPX, lambda line: True, {"B": "a"})
    open_structure(cx, mixed)

    choices = logic.structure_choices(cx)
    assert [c.spec for c in choices] == ["#1", "#2", "#4"]  # #3 has no protein
    assert choices[0].label == "#1 1HPX.pdb"
    assert [c.chain_id for c in choices[0].chains] == ["A", "B"]
    assert [c.chain_id for c in choices[1].chains] == ["A", "B", "C"]
    assert [c.chain_id for c in choices[2].chains] == ["A", "a"]
    assert choices[0].chains[0].label == "A  (99 residues)"
    for structure in choices:
        for chain in structure.chains:
            residues, _, rest = ResiduesArg.parse(chain.spec, cx)
            assert rest == "" and set(residues.chain_ids) == {chain.chain_id}, chain.spec
            (model,) = residues.unique_structures
            assert len(residues) == int(np.sum(model.residues.chain_ids == chain.chain_id))
            (read,) = logic.read_structures(cx, chain.spec)
            assert [c.id for c in read.chains] == [chain.chain_id]
    (read,) = logic.read_structures(cx, "#2")
    assert [c.id for c in read.chains] == ["A", "B", "C"]
    with pytest.raises(ValueError, match="no protein chain"):
        logic.read_structures(cx, "#3")


def test_model_choices_mark_the_offline_ones(logic, language_model):
    choices = logic.model_choices()
    assert [c.name for c in choices] == list(MODELS)
    for choice in choices:
        assert choice.status == model_status(choice.name)
        assert choice.offline == (choice.status != "missing")
        assert (", offline)" in choice.label) == choice.offline
        assert (", not downloaded)" in choice.label) == (not choice.offline)
        assert logic.model_name(choice.label) == choice.name
        assert MODELS[choice.name].source in choice.tooltip
    assert next(c for c in choices if c.name == "antiberty").offline
    assert logic.model_name(" facebook/esm2_t6_8M_UR50D ") == "facebook/esm2_t6_8M_UR50D"


def test_model_shapes_without_loading(logic, language_model, tmp_path):
    assert (
        logic.model_shape("antiberty")
        == logic.loaded_shape("antiberty")
        == (language_model.n_layers, language_model.n_heads)
    )
    (tmp_path / "config.json").write_text('{"num_hidden_layers": 6, "num_attention_heads": 20}')
    assert logic.model_shape(str(tmp_path)) == (6, 20)
    assert logic.model_shape(str(tmp_path / "nowhere")) is None


def test_listing_models_and_importing_the_logic_do_not_import_torch():
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); "
        "from chimerax.protattn import tool_logic; tool_logic.model_choices(); "
        "tool_logic.model_shape('antiberty'); "
        "print(sorted(m for m in ('torch', 'transformers') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(ROOT / "core")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


# ------------------------------------------------------------------ background jobs


def test_prepare_leaves_the_command_nothing_to_run(cx, logic, tmp_path, monkeypatch):
    """After prepare (the panel's background job) the command runs without the model."""
    from chimerax.core.errors import UserError

    monkeypatch.setenv("PROTATTN_CACHE", str(tmp_path / "cache"))
    clear_memory()
    open_structure(cx, HPX)
    state = logic.PanelState("#1", "A", layer=3, head=5)
    line = logic.command("color", state)

    def no_model(self, *args, **kwargs):
        raise protattn.ModelError("the model was run")

    with monkeypatch.context() as m:
        m.setattr(LanguageModel, "forward", no_model)
        with pytest.raises(UserError, match="the model was run"):
            cxrun(cx, line)
    summary = logic.prepare("color", state, logic.read_structures(cx, state.spec))
    assert "attention received" in summary
    monkeypatch.setattr(LanguageModel, "forward", no_model)
    cxrun(cx, line)
    assert any(hasattr(r, "attention") for r in cx.models[0].residues)


# ----------------------------------------------------------------- the controller


def test_a_button_runs_the_model_in_a_thread_then_the_logged_command(cx, logic, monkeypatch):
    s = open_structure(cx, HPX)
    state = logic.PanelState("#1", "A", layer=6, head=3)
    view, gui = FakeView(state), GuiQueue()
    controller = logic.PanelController(cx, view, post=gui)
    threads = []
    prepare = logic.prepare

    def recording_prepare(*args, **kw):
        threads.append(threading.get_ident())
        return prepare(*args, **kw)

    monkeypatch.setattr(core_controller, "prepare", recording_prepare)  # what the panel runs
    assert controller.run_action("pairs", state)
    assert view.busy == [True] and controller.worker.busy
    assert not controller.run_action("color", state)  # busy: refused, told
    assert view.messages[-1].startswith("busy:")
    assert group_bonds(s) is None  # nothing drawn until the job is back on the GUI thread
    with logged(cx) as log:
        gui.pump(controller.worker)
    line = "attention pairs #1/A layerHead 6-3 threshold 0.1"
    assert threads and threads[0] != gui.thread and gui.ran_on == {gui.thread}
    assert controller.history == [line]
    assert f"Executing: {line}" in log  # logged as if typed
    assert view.busy == [True, False] and view.errors == []
    assert view.messages[-1].startswith(f"ran: {line}\n1HPX.pdb: antiberty")
    assert pair_keys(group_bonds(s)) == core_pair_keys(HPX, "6-3", "A")
    assert view.shapes[-1] == (8, 8)

    assert controller.run_action("clear", state)  # no model: runs at once
    assert controller.history[-1] == "attention clear #1" and group_bonds(s) is None


def test_errors_reach_the_status_line_and_leave_the_session_alone(cx, logic):
    s = open_structure(cx, HPX)
    view, gui = FakeView(logic.PanelState()), GuiQueue()
    controller = logic.PanelController(cx, view, post=gui)

    assert not controller.run_action("pairs", logic.PanelState())
    assert "no structure chosen" in view.errors[-1]
    assert not controller.run_action("pairs", logic.PanelState("#7"))
    assert view.errors[-1]

    state = logic.PanelState("#1", layer=99, head=1)
    assert controller.run_action("pairs", state)
    gui.pump(controller.worker)
    assert "99" in view.errors[-1] and view.busy == [True, False]
    assert controller.history == [] and group_bonds(s) is None

    assert not controller.run_command("attention pairs #1 layerHead 1-99")
    assert "99" in view.errors[-1]


@pytest.mark.parametrize("action", ["pairs", "color"])
def test_a_closed_structure_is_named_with_the_advice_to_refresh(cx, logic, action):
    open_structure(cx, HPX)
    assert logic.structure_choices(cx)[0].label == "#1 1HPX.pdb"  # what the panel lists
    state = logic.PanelState("#1", "A", layer=6, head=3)
    view, gui = FakeView(state), GuiQueue()
    controller = logic.PanelController(cx, view, post=gui)
    cxrun(cx, "close #1")

    assert not controller.run_action(action, state)

    assert view.errors == [
        "#1 1HPX.pdb was closed since it was chosen; press Refresh and choose an open "
        "structure (nothing was drawn)"
    ]
    assert controller.history == [] and not controller.worker.busy


@pytest.mark.parametrize("action", ["pairs", "color"])
def test_a_structure_closed_while_its_attention_runs_is_named_and_nothing_is_drawn(
    cx, logic, action
):
    open_structure(cx, HPX)
    logic.structure_choices(cx)
    state = logic.PanelState("#1", "A", layer=6, head=3)
    view, gui = FakeView(state), GuiQueue()
    controller = logic.PanelController(cx, view, post=gui)

    assert controller.run_action(action, state)  # the model runs in the background
    cxrun(cx, "close #1")
    other = open_structure(cx, VFB)  # takes #1: the command line would draw on it
    assert other.atomspec == "#1"
    gui.pump(controller.worker)

    assert view.errors[-1] == (
        "#1 1HPX.pdb was closed while its attention was computed; press Refresh and choose "
        "an open structure (nothing was drawn)"
    )
    assert group_bonds(other) is None
    assert not any(hasattr(r, "attention") for r in other.residues)
    logic.structure_choices(cx)  # Refresh: the new #1 can be chosen and drawn on
    assert controller.run_action(action, state)
    gui.pump(controller.worker)
    assert view.messages[-1].startswith(f"ran: {controller.history[-1]}")
    if action == "pairs":
        assert {k[0].chain for k in pair_keys(group_bonds(other))} == {"A"}
    else:
        assert {r.chain_id for r in other.residues if hasattr(r, "attention")} == {"A"}


def test_grid_clicks_and_a_grid_request_while_busy(cx, logic):
    open_structure(cx, HPX)
    state = logic.PanelState("#1", None, layer=4, aggregate="mean", prop="contacts", min_arcs=5)
    view, gui = FakeView(state), GuiQueue()
    controller = logic.PanelController(cx, view, post=gui)

    assert controller.update_grid(state)
    assert view.grids[-1][0] is None  # blank until the statistics are in
    assert "Colours by contacts come once" in view.grids[-1][1]
    gui.pump(controller.worker)
    cells, legend = view.grids[-1]
    stats = cxrun(cx, logic.command("stats", state))["contact"]
    expected = logic.grid_cells(
        stats.share, stats.enough_arcs, stats.n_arcs, stats.background, "contacts"
    )
    assert cells == expected and "on contacts" in legend
    assert "attention stats #1 contact threshold 0.3 minArcs 5" in view.messages[-1]
    assert not controller.update_grid(state)  # known: shown at once, no job
    assert view.grids[-1][0] == expected

    assert controller.click_cell(state, 2, 5)
    site = logic.PanelState("#1", "A", prop="binding site", min_arcs=5)
    view.current = site
    assert not controller.update_grid(site)  # busy: deferred
    gui.pump(controller.worker)  # the pairs, then the deferred grid job
    gui.pump(controller.worker)
    assert controller.history == ["attention pairs #1 layerHead 2-5 threshold 0.1"]
    assert (
        controller.grid_stats(site) is not None
        and controller.grid_stats(site).prop == "binding_site"
    )
    assert view.grids[-1][0] is not None and "on binding site" in view.grids[-1][1]

    controller.close()
    assert not controller.run_action("pairs", state)


# ------------------------------------------------------------------------ the tool


def test_start_tool_without_a_window_says_what_to_use_and_imports_no_qt(cx, monkeypatch):
    from chimerax.core.errors import UserError
    from chimerax.protattn import bundle_api

    monkeypatch.delitem(sys.modules, "chimerax.protattn.tool", raising=False)  # test_tool_panel
    with pytest.raises(UserError, match="needs ChimeraX's window.*attention pairs"):
        bundle_api.start_tool(cx, "Attention")
    assert "chimerax.protattn.tool" not in sys.modules


def test_the_panel_is_declared_for_the_tools_menu(cx):
    bundle = cx.toolshed.find_bundle("ChimeraX-ProtAttn", cx.logger)
    assert bundle.tools, 'the bundle declares no tool: [chimerax.tool."Attention"] is missing'
    (tool,) = bundle.tools
    assert tool.name == "Attention" and tool.categories == ["Structure Analysis"]


def test_tool_py_uses_only_what_tool_logic_has_and_is_a_full_view(logic):
    """tool.py, read without Qt: it uses only what tool_logic has; its panel is a PanelView."""
    tree = ast.parse(TOOL_PY.read_text())
    used = {
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "logic"
    }
    assert used and not [name for name in used if not hasattr(logic, name)]
    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "tool_logic"
        for alias in node.names
    }
    assert imported and not [name for name in imported if not hasattr(logic, name)]
    (panel,) = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "AttentionPanel"]
    methods = {n.name for n in panel.body if isinstance(n, ast.FunctionDef)}
    view = {n for n in vars(logic.PanelView) if not n.startswith("_")}
    assert view and view <= methods
