"""Build the PyMOL plugin zip: the plugin package with the protattn core inside.

PyMOL's Plugin Manager ("Install New Plugin" → "Choose file…") installs a zip whose one
top-level folder is a package::

    protattn_pymol/__init__.py, commands.py, ...   the plugin (plugin/protattn_pymol)
    protattn_pymol/_core/protattn/...               the core (core/protattn)

When ``protattn`` is not installed in PyMOL's Python, the plugin's ``__init__`` puts
``<plugin dir>/_core`` on ``sys.path``, so only the third-party packages (torch,
transformers, antiberty, numpy, biopython) need to be there.

The zip is deterministic: entries sorted, fixed timestamps and permissions, so the same
sources give the same bytes.

    python plugin/build_zip.py [--output dist/protattn_pymol.zip]
"""

from __future__ import annotations

import argparse
import os
import zipfile
from pathlib import Path

__all__ = ["build_zip", "zip_entries", "DEFAULT_OUTPUT"]

ROOT = Path(__file__).resolve().parent.parent
PLUGIN = ROOT / "plugin" / "protattn_pymol"
CORE = ROOT / "core" / "protattn"
DEFAULT_OUTPUT = ROOT / "dist" / "protattn_pymol.zip"

_PACKAGE = "protattn_pymol"
_CORE_IN_ZIP = f"{_PACKAGE}/_core/protattn"
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", ".git"}
_SKIP_SUFFIXES = (".pyc", ".pyo", ".swp", "~")
_DATE_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def _files(top: Path) -> list[Path]:
    found = []
    for directory, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if d not in _SKIP_DIRS and not d.startswith(".")]
        for name in filenames:
            if name.endswith(_SKIP_SUFFIXES) or name.startswith("."):
                continue
            found.append(Path(directory) / name)
    return found


def zip_entries(plugin: Path = PLUGIN, core: Path = CORE) -> list[tuple[str, Path]]:
    """``(name in the zip, source file)`` for every file of the zip, sorted by name.

    Raises
    ------
    FileNotFoundError
        If ``plugin`` or ``core`` is not a package (no ``__init__.py``).
    FileExistsError
        If ``plugin`` has a ``_core`` folder of its own, which the zip's would shadow.
    """
    for package in (plugin, core):
        if not (package / "__init__.py").is_file():
            raise FileNotFoundError(f"{package} is not a Python package (no __init__.py)")
    if (plugin / "_core").exists():
        raise FileExistsError(f"{plugin / '_core'} exists; remove it, the zip adds the core")
    entries = [(f"{_PACKAGE}/{p.relative_to(plugin).as_posix()}", p) for p in _files(plugin)]
    entries += [(f"{_CORE_IN_ZIP}/{p.relative_to(core).as_posix()}", p) for p in _files(core)]
    return sorted(entries)


def build_zip(output: str | os.PathLike = DEFAULT_OUTPUT) -> Path:
    """Write the plugin zip to ``output`` (folders created) and return its path."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    entries = zip_entries()
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, source in entries:
            info = zipfile.ZipInfo(name, date_time=_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16  # regular file, rw-r--r--
            info.create_system = 3  # Unix, so the permissions above are read
            zf.writestr(info, source.read_bytes())
    partial.replace(output)
    return output


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output", "-o", default=str(DEFAULT_OUTPUT), help="zip to write (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    path = build_zip(args.output)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    n_core = sum(name.startswith(_CORE_IN_ZIP + "/") for name in names)
    print(
        f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB): {len(names) - n_core} plugin "
        f"files in {_PACKAGE}/, {n_core} core files in {_CORE_IN_ZIP}/"
    )


if __name__ == "__main__":
    main()
