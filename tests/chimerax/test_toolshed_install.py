"""The bundle's wheel installed with ChimeraX's own ``toolshed install``, offline.

``chimerax_bundle/setup-test-env.sh`` builds the wheel with ChimeraX's bundle
builder and keeps it in ``VENV/protattn-wheel``. Here one ChimeraX session
(``toolshed_driver.py install``) runs ``toolshed uninstall ChimeraX-ProtAttn``
and ``toolshed install <wheel> userOnly false``: ChimeraX's toolshed runs pip
(with ``PIP_NO_INDEX=1``: no package index, so the bundle's dependency
``ChimeraX-Core >=1.6`` must be met by what is installed), reloads its bundle
list and registers the bundle's commands. A second, new session
(``toolshed_driver.py check``) lists the bundle and runs its commands. The venv
is left with the same bundle as before (the wheel is built from this checkout);
ChimeraX's user folders go to a private HOME. ``toolshed_driver.py`` says what
differs from the application (where pip runs; ``userOnly``) and why. While this
module runs, the bundle is briefly uninstalled from the venv: run no other test
process on the same venv at the same time.
"""

from __future__ import annotations

import filecmp
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUNDLE_SRC = ROOT / "chimerax_bundle" / "src"
HPX = ROOT.parent / "shared" / "data" / "structures" / "ligand" / "1HPX.pdb"
WHEEL_DIR = Path(sys.prefix) / "protattn-wheel"
SETUP_HINT = "set up the test venv with chimerax_bundle/setup-test-env.sh VENV"
RUN_TIMEOUT = 300  # seconds per ChimeraX process


@pytest.fixture(scope="module")
def wheel(session) -> Path:
    """The bundle's wheel that the setup script left, checked to be built from this checkout."""
    found = sorted(WHEEL_DIR.glob("*.whl"))
    if len(found) != 1:
        pytest.fail(f"expected one bundle wheel in {WHEEL_DIR}, found {found}; {SETUP_HINT}")
    (path,) = found
    with zipfile.ZipFile(path) as zf:
        stale = [
            src.name
            for src in sorted(BUNDLE_SRC.glob("*.py"))
            if zf.read(f"chimerax/protattn/{src.name}") != src.read_bytes()
        ]
    if stale:
        pytest.fail(
            f"{path.name} is older than chimerax_bundle/src ({', '.join(stale)}); {SETUP_HINT}"
        )
    return path


def _installed_package() -> Path:
    import sysconfig

    return Path(sysconfig.get_paths()["purelib"]) / "chimerax" / "protattn"


def _same_as_checkout() -> bool:
    installed = _installed_package()
    return all(
        (installed / src.name).is_file() and filecmp.cmp(src, installed / src.name, shallow=False)
        for src in BUNDLE_SRC.glob("*.py")
    )


def _drive(mode: str, arg: str, out: Path, home: Path) -> dict:
    env = {
        **os.environ,
        "HOME": str(home),  # ChimeraX's user folders (toolshed cache, settings) stay private
        "PIP_NO_INDEX": "1",  # offline: pip may use no package index at all
        "PIP_NO_CACHE_DIR": "1",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_HOME": os.environ.get("HF_HOME", str(Path.home() / ".cache" / "huggingface")),
    }
    run = subprocess.run(
        [sys.executable, str(HERE / "toolshed_driver.py"), mode, arg, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
        cwd=home,
    )
    if not out.exists():
        pytest.fail(
            f"toolshed_driver.py {mode} wrote no report (exit {run.returncode}):\n"
            f"{(run.stdout + run.stderr)[-3000:]}",
            pytrace=False,
        )
    report = json.loads(out.read_text())
    assert report["ok"], report.get("error")
    return report


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> dict:
    """``toolshed uninstall`` + ``toolshed install`` in one session, then a new session's check."""
    home = tmp_path_factory.mktemp("toolshed_home")
    try:
        report = _drive("install", str(wheel), home / "install.json", home)
        check = _drive("check", str(HPX), home / "check.json", home)
    finally:
        if not _same_as_checkout():  # leave the venv as the setup script made it
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--no-deps",
                    "--force-reinstall",
                    str(wheel),
                ],
                check=True,
                timeout=RUN_TIMEOUT,
            )
    return {"install": report, "check": check, "wheel": wheel}


def _texts(log: list[dict], level: str) -> list[str]:
    return [m["text"] for m in log if m["level"] == level]


def test_toolshed_uninstall_then_install_from_the_wheel(installed):
    report, wheel = installed["install"], installed["wheel"]
    assert report.get("exceptions") is None, report["exceptions"]
    assert _texts(report["log"], "error") == []
    assert report["before"]["name"] == "ChimeraX-ProtAttn"
    assert report["after_uninstall"] is None and report["package_dir_after_uninstall"] is None
    uninstall, install = report["pip"]
    assert uninstall == ["uninstall", "--yes", "ChimeraX-ProtAttn", "-> exit 0"]
    # ChimeraX 1.7.1's own pip command for a wheel; no --user (userOnly false), no --no-deps:
    # pip checked ChimeraX-Core >=1.6 against what is installed, with no index (PIP_NO_INDEX)
    assert install == [
        "install",
        "-qq",
        "--extra-index-url",
        "https://cxtoolshed.rbvi.ucsf.edu/pypi/",
        "--upgrade-strategy",
        "only-if-needed",
        "--no-warn-script-location",
        str(wheel),
        "-> exit 0",
    ]
    info = _texts(report["log"], "info")
    assert "Removed ChimeraX-ProtAttn (0.1.0)" in info
    assert "Installed ChimeraX-ProtAttn (0.1.0)" in info  # the toolshed's report, reloaded
    assert report["after_install"] == report["before"]
    assert report["package_dir_after_install"] == str(_installed_package())
    assert _same_as_checkout()  # the venv holds the wheel's files: this checkout's bundle
    usage = "\n".join(report["usage_same_session"])
    assert "attention pairs residues layerHead" in usage  # registered without a restart


def test_the_toolshed_lists_the_bundle_in_a_new_session(installed):
    check = installed["check"]
    bundle = check["bundle"]
    assert bundle["name"] == "ChimeraX-ProtAttn" and bundle["short_name"] == "ProtAttn"
    assert bundle["version"] == "0.1.0" and bundle["package"] == "chimerax.protattn"
    assert bundle["categories"] == ["Structure Analysis"]
    assert bundle["tools"] == ["Attention"]
    declared = tomllib.loads((ROOT / "chimerax_bundle" / "pyproject.toml").read_text())
    assert bundle["commands"] == sorted(declared["chimerax"]["command"])
    assert {"attention pairs", "attention models", "attention clear"} <= set(bundle["commands"])
    assert check["requires"] == ["ChimeraX-Core>=1.6"]
    assert check["core_version"] == "1.7.1"  # the stub dist-info of ../shared's ChimeraX
    listed = [line for text in check["toolshed_list"] for line in text.splitlines()]
    assert (
        "ProtAttn (0.1.0) [Structure Analysis]: Protein language model attention on the "
        "structures you have open"
    ) in listed
    assert check["module"] == str(_installed_package() / "__init__.py")


def test_the_bundles_commands_work_in_a_new_session(installed):
    check = installed["check"]
    assert check.get("exceptions") is None, check["exceptions"]
    assert _texts(check["log"], "error") == []
    usage = "\n".join(check["usage"])
    assert "attention pairs residues layerHead" in usage
    assert "draw high-attention residue pairs of a language model head" in usage
    assert check["models"]["antiberty"] != "missing"  # its weights ship in a package
    pairs = check["pairs"]
    assert pairs["structure"] == "1HPX.pdb"
    assert pairs["drawn"] == pairs["core"] and len(pairs["drawn"]) > 10
