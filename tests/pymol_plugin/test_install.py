"""The plugin zip, installed by PyMOL's own Plugin Manager code, works without protattn installed.

Two fresh Python processes run PyMOL with a temporary home (``HOME``: PyMOL's user plugin
directory ``~/.pymol/startup`` and its plugin settings ``~/.pymolpluginsrc.py`` live there):

1. ``pymol.plugins.installation.installPluginFromFile`` installs the zip, as "Install New
   Plugin" → "Choose file…" does; only its message boxes are replaced (recorded, answered yes).
2. A new PyMOL start: ``pymol.plugins.initialize`` as PyMOL's Qt GUI calls it, which finds,
   loads and initialises the installed plugin; then ``attention_pairs`` on 1hpv.

Both run ``python -I -S`` with only site-packages on ``sys.path`` and no ``.pth`` files, so the
editable install of this repository (a ``.pth`` import hook for ``protattn`` and
``protattn_pymol``) and PYTHONPATH are out of reach: the core can only come from the zip.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import site
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_ZIP = REPO / "plugin" / "build_zip.py"
READBACK_DIR = Path(__file__).resolve().parent

_INSTALL = """
from pymol import cmd  # noqa: F401  (PyMOL, headless)
import pymol.plugins as plugins
from pymol.plugins import installation, legacysupport

prompts = []
def show(title, message, parent=None, **kwargs):
    prompts.append([title, message])
def ask(title, message, parent=None, **kwargs):
    prompts.append([title, message])
    return True
# the message boxes are the only GUI in installPluginFromFile's path once plugdir is given
legacysupport.tkMessageBox.showinfo = show
legacysupport.tkMessageBox.askyesno = ask
legacysupport.tkMessageBox.askokcancel = ask

plugdir = installation.get_default_user_plugin_path()
os.makedirs(plugdir)
startup_before = list(plugins.get_startup_path())
installation.installPluginFromFile(ARGS["zip"], parent="no GUI", plugdir=plugdir)
info = plugins.plugins.get("protattn_pymol")
RESULT.update(
    prompts=prompts,
    plugdir=plugdir,
    startup_before=startup_before,
    startup_after=list(plugins.get_startup_path()),
    pluginsrc=plugins.PYMOLPLUGINSRC,
    registered=sorted(plugins.plugins),
    filename=info and info.filename,
    loaded=bool(info and info.loaded),
    protattn_file=getattr(sys.modules.get("protattn"), "__file__", None),
)
"""

_LOAD = """
import importlib.util
import pymol
from pymol import cmd
import pymol.plugins as plugins

RESULT["protattn_findable"] = importlib.util.find_spec("protattn") is not None
menu_items = []
qt_addmenuitem = plugins.addmenuitemqt
def record(label, command=None, menuName="PluginQt"):
    caller = sys._getframe(1).f_globals.get("__name__", "")
    menu_items.append([caller, label, callable(command), menuName])
    return qt_addmenuitem(label, command, menuName)
plugins.addmenuitemqt = record
plugins.HAVE_QT = True  # what PyMOL's Qt window sets before initialising plugins

plugins.initialize(pymol.gui.get_pmgapp())  # pymol_qt_gui.initializePlugins: load + init

info = plugins.plugins.get("protattn_pymol")
RESULT.update(
    registered=sorted(plugins.plugins),
    filename=info and info.filename,
    loaded=bool(info and info.loaded),
    plugin_commands=list(info.commands) if info else [],
    menu_items=menu_items,
    heavy_at_startup=sorted(m for m in ("torch", "transformers", "antiberty")
                            if m in sys.modules),
    protattn_file=getattr(sys.modules.get("protattn"), "__file__", None),
    keyword_module=cmd.keyword["attention_pairs"][0].__module__
                   if "attention_pairs" in cmd.keyword else None,
)

cmd.load(cmd.exp_path("$PYMOL_DATA/tut/1hpv.pdb"), "1hpv")
cmd.do("attention_pairs 1hpv, 6-3, top_k=5")
sys.path.append(ARGS["readback_dir"])  # tests only: reads CGO from the session
from readback import cgo_cylinders

names = cmd.get_names("all")
RESULT.update(
    names=names,
    pairs_type=cmd.get_type("attention_1hpv_pairs") if "attention_1hpv_pairs" in names else None,
    n_cylinders=len(cgo_cylinders(cmd, "attention_1hpv_pairs"))
                if "attention_1hpv_pairs" in names else 0,
    sys_path=list(sys.path),
    module_files=sorted({m.__file__ for m in list(sys.modules.values())
                         if getattr(m, "__file__", None)}),
)
"""


def _site_packages() -> list[str]:
    return [p for p in site.getsitepackages() if os.path.isdir(p)]


def run_isolated_pymol(body: str, args: dict, home: Path, tmp: Path) -> dict:
    """Run ``body`` in a fresh ``python -I -S`` with site-packages only; return its RESULT."""
    result_file = tmp / f"result_{hashlib.sha1(body.encode()).hexdigest()[:8]}.json"
    script = "\n".join(
        [
            "import json, os, sys",
            f"sys.path.extend({_site_packages()!r})  # without .pth files: no editable protattn",
            f"ARGS = {args!r}",
            "RESULT = {}",
            "try:",
            textwrap.indent(body, "    "),
            "finally:",
            f"    open({str(result_file)!r}, 'w').write(json.dumps(RESULT))",
        ]
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "HF_HOME": str(tmp / "hf_home"),  # no hub cache: AntiBERTy's weights ship with antiberty
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "PROTATTN_CACHE": str(tmp / "protattn_cache"),
    }
    for name in ("OMP_NUM_THREADS", "LANG", "LC_ALL"):
        if name in os.environ:
            env[name] = os.environ[name]
    proc = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        env=env,
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"PyMOL process failed:\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(result_file.read_text())
    result["output"] = proc.stdout + proc.stderr
    return result


def _load_build_zip():
    spec = importlib.util.spec_from_file_location("protattn_build_zip", BUILD_ZIP)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def plugin_zip(tmp_path_factory) -> Path:
    return _load_build_zip().build_zip(tmp_path_factory.mktemp("dist") / "protattn_pymol.zip")


@pytest.fixture(scope="module")
def pymol_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("home")
    assert not (home / ".pymol").exists()
    return home


@pytest.fixture(scope="module")
def installed(plugin_zip, pymol_home, tmp_path_factory) -> dict:
    return run_isolated_pymol(
        _INSTALL, {"zip": str(plugin_zip)}, pymol_home, tmp_path_factory.mktemp("install")
    )


@pytest.fixture(scope="module")
def started(installed, pymol_home, tmp_path_factory) -> dict:
    return run_isolated_pymol(
        _LOAD, {"readback_dir": str(READBACK_DIR)}, pymol_home, tmp_path_factory.mktemp("start")
    )


def test_zip_holds_the_plugin_with_the_core_and_is_deterministic(plugin_zip, tmp_path):
    again = tmp_path / "again.zip"
    proc = subprocess.run(
        [sys.executable, str(BUILD_ZIP), "--output", str(again)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(again) in proc.stdout
    assert again.read_bytes() == plugin_zip.read_bytes()

    with zipfile.ZipFile(plugin_zip) as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names)
    assert {n.split("/")[0] for n in names} == {"protattn_pymol"}
    assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in infos)
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    plugin = REPO / "plugin" / "protattn_pymol"
    core = REPO / "core" / "protattn"
    assert {f"protattn_pymol/{p.name}" for p in plugin.glob("*.py")} <= set(names)
    assert {
        f"protattn_pymol/_core/protattn/{p.relative_to(core).as_posix()}"
        for p in core.rglob("*.py")
        if "__pycache__" not in p.parts
    } <= set(names)
    with zipfile.ZipFile(plugin_zip) as zf:
        assert (
            zf.read("protattn_pymol/_core/protattn/api/pairs.py")
            == (core / "api" / "pairs.py").read_bytes()
        )


def test_pymols_installer_puts_the_zip_into_the_user_plugin_directory(installed, pymol_home):
    plugdir = pymol_home / ".pymol" / "startup"
    assert installed["plugdir"] == str(plugdir)
    # a fresh install asks nothing and reports success
    assert installed["prompts"] == [["Success", 'Plugin "protattn_pymol" has been installed.']]
    assert (plugdir / "protattn_pymol" / "__init__.py").is_file()
    assert (plugdir / "protattn_pymol" / "_core" / "protattn" / "__init__.py").is_file()
    assert str(plugdir) not in installed["startup_before"]
    assert installed["startup_after"][0] == str(plugdir)
    # PyMOL saved the new plugin directory for its next start
    assert installed["pluginsrc"] == str(pymol_home / ".pymolpluginsrc.py")
    assert repr([str(plugdir)]) in (pymol_home / ".pymolpluginsrc.py").read_text()
    assert "protattn_pymol" in installed["registered"]
    assert installed["filename"] == str(plugdir / "protattn_pymol" / "__init__.py")
    assert installed["loaded"], installed["output"]
    assert installed["protattn_file"] == str(
        plugdir / "protattn_pymol" / "_core" / "protattn" / "__init__.py"
    )


def test_a_new_pymol_finds_and_loads_it_with_the_core_from_the_zip(started, pymol_home):
    plugin_dir = pymol_home / ".pymol" / "startup" / "protattn_pymol"
    assert not started["protattn_findable"]  # protattn is not installed in this Python
    assert "protattn_pymol" in started["registered"]
    assert started["filename"] == str(plugin_dir / "__init__.py")
    assert started["loaded"], started["output"]
    assert started["protattn_file"] == str(plugin_dir / "_core" / "protattn" / "__init__.py")
    assert started["keyword_module"] == "pmg_tk.startup.protattn_pymol.commands"
    assert {"attention_pairs", "attention_color", "attention_clear"} <= set(
        started["plugin_commands"]
    )
    assert started["heavy_at_startup"] == []  # torch comes only with the first model run
    for repo_dir in (REPO / "core", REPO / "plugin"):
        assert str(repo_dir) not in started["sys_path"]
        assert not [f for f in started["module_files"] if f.startswith(str(repo_dir) + os.sep)]


def test_the_installed_plugin_draws_pairs(started):
    assert started["pairs_type"] == "object:cgo", started["output"]
    assert "attention_1hpv" in started["names"]
    assert started["n_cylinders"] == 10  # top 5 in each of chains A and B
    assert "drew 10 pairs into group attention_1hpv" in started["output"]


def test_the_installed_plugin_adds_its_menu_item(started):
    ours = [
        item
        for item in started["menu_items"]
        if item[0].startswith("pmg_tk.startup.protattn_pymol")
    ]
    assert len(ours) == 1, started["menu_items"]
    _caller, label, command_callable, menu = ours[0]
    assert (label, menu) == ("protattn", "PluginQt")
    assert command_callable
