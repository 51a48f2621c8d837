"""What test modules of several front ends need: one CI-aware way to require an optional
package, and structure files written the way other tools write them.

``require("pymol")`` imports and returns the module. Where it is missing the test
(or the module, at import) is skipped on a developer's machine, and fails under
``CI=true``: CI installs everything, so a missing package there is a broken set-up,
never a reason to run fewer tests.
"""

from __future__ import annotations

import csv
import importlib
import os
from pathlib import Path
from types import ModuleType

import pytest

__all__ = ["IN_CI", "require", "segmented_pdb"]

IN_CI = os.environ.get("CI") == "true"


def require(module: str, how: str = "make venv installs it") -> ModuleType:
    """``module`` imported; skipped without it, failed without it in CI."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        reason = f"{module} cannot be imported ({e}); {how}"
        if IN_CI:
            pytest.fail(f"{reason}: CI must have it", pytrace=False)
        pytest.skip(reason, allow_module_level=True)
        raise  # pytest.skip raises; this keeps type checkers content


def segmented_pdb(source: Path, out: Path, segments: dict[str, str], blank: bool = True) -> Path:
    """``source`` written as MD tools write chains: as segments.

    Each chain named in ``segments`` has its atoms given that segment id (columns
    73-76) and, with ``blank``, a blank chain id; SEQRES (which names chain ids, not
    segments) and ANISOU records are left out. The file is written to ``out``.
    """
    lines = []
    for line in Path(source).read_text().splitlines():
        if line.startswith(("ATOM", "HETATM")) and line[21] in segments:
            line = line.ljust(80)
            chain = " " if blank else line[21]
            line = line[:21] + chain + line[22:72] + f"{segments[line[21]]:<4}" + line[76:]
        elif line.startswith(("SEQRES", "ANISOU")):
            continue
        lines.append(line)
    out.write_text("\n".join(lines) + "\n")
    return out


TABLE_COLUMNS = ("id", "length", "site_label_string", "sequence")


def write_table(path: Path, rows: list[dict], delimiter: str = "\t") -> Path:
    """A table in the validation set's format (extra columns as given)."""
    fields = list(rows[0]) if rows else list(TABLE_COLUMNS)
    with open(path, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, delimiter=delimiter)
        writer.writeheader()
        writer.writerows(rows)
    return path
