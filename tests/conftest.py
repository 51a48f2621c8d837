"""Shared fixtures: the real test data in ../shared and the AntiBERTy model.

The structure files are read from ``<repo>/../shared/data`` (never copied into the
project). Outside CI a missing shared folder skips the tests that need it; in CI
(``CI=true``) it fails them loudly.

The ``read_atoms`` and ``cif_loop`` fixtures are deliberately plain hand-written
parsers of the PDB fixed columns and mmCIF loops, so that expectations about the
structure reader are derived without Biopython. ``load_structure`` reads each file
with protattn once per session.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
STRUCTURES = SHARED / "data" / "structures"
_MISSING = "shared-data-missing"


def _require_shared() -> Path:
    if (SHARED / "data").is_dir():
        return SHARED
    message = f"the shared test data folder {SHARED} is missing (expected <repo>/../shared)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + "; it is required in CI", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``<repo>/../shared``; skips (or fails in CI) when it is missing."""
    return _require_shared()


def structure_files() -> list[Path]:
    """Every structure file of the shared data (PDB and mmCIF)."""
    return sorted(p for p in STRUCTURES.glob("*/*") if p.is_file())


def pytest_generate_tests(metafunc):
    """Parametrize ``structure_path`` over every file in ../shared/data/structures."""
    if "structure_path" in metafunc.fixturenames:
        files = structure_files() or [_MISSING]
        ids = [f if f == _MISSING else f"{f.parent.name}/{f.name}" for f in files]
        metafunc.parametrize("structure_path", files, ids=ids, indirect=True)


@pytest.fixture
def structure_path(request, shared_dir) -> Path:  # parametrized indirectly
    return request.param


@pytest.fixture(scope="session", autouse=True)
def _private_attention_cache(tmp_path_factory):
    """Every test session gets an empty disk cache of its own (never the user's)."""
    previous = os.environ.get("PROTATTN_CACHE")
    os.environ["PROTATTN_CACHE"] = str(tmp_path_factory.mktemp("protattn_cache"))
    yield
    if previous is None:
        os.environ.pop("PROTATTN_CACHE", None)
    else:
        os.environ["PROTATTN_CACHE"] = previous


@pytest.fixture(scope="session")
def antiberty():
    """The real AntiBERTy model, loaded once for the whole session."""
    import protattn

    return protattn.load_model("antiberty")


# ----------------------------------------------------------------- independent parsers


@dataclass(frozen=True)
class AtomRecord:
    """One atom of model 1 as written in the file."""

    record: str  # "ATOM" or "HETATM"
    name: str
    altloc: str
    resname: str
    chain: str
    number: int
    icode: str
    xyz: tuple[float, float, float]
    element: str
    polymer: bool  # part of a polymer per the file's own annotation


_CIF_TOKEN = re.compile(r"""'(?:[^']|'(?=\S))*'|"(?:[^"]|"(?=\S))*"|\S+""")


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        return token[1:-1]
    return token


def read_cif_loop(path: Path, category: str) -> list[dict[str, str]]:
    """Rows of the mmCIF loop ``category`` (e.g. ``"_atom_site"``) as dicts."""
    lines = Path(path).read_text().splitlines()
    prefix = category + "."
    for k, line in enumerate(lines):
        if line.startswith(prefix) and lines[k - 1].strip() == "loop_":
            break
    else:
        return []
    tags = []
    while lines[k].startswith(prefix):
        tags.append(lines[k].split()[0][len(prefix) :])
        k += 1
    tokens: list[str] = []
    while k < len(lines) and not lines[k].startswith(("#", "loop_", "_")):
        tokens.extend(_unquote(t) for t in _CIF_TOKEN.findall(lines[k]))
        k += 1
    n = len(tags)
    assert len(tokens) % n == 0, f"{path}: {category} loop does not parse"
    return [dict(zip(tags, tokens[i : i + n])) for i in range(0, len(tokens), n)]


def _element_from_name(name: str) -> str:
    return name.lstrip("0123456789")[:1]


def _read_pdb_atoms(path: Path) -> list[AtomRecord]:
    modres = set()
    atoms = []
    for line in Path(path).read_text(errors="replace").splitlines():
        if line.startswith("MODRES"):
            modres.add((line[16], int(line[18:22]), line[22].strip()))
        elif line.startswith("ENDMDL"):
            break
        elif line.startswith(("ATOM  ", "HETATM")):
            record = line[:6].strip()
            name = line[12:16].strip()
            chain, number, icode = line[21], int(line[22:26]), line[26].strip()
            element = line[76:78].strip().upper() or _element_from_name(name)
            xyz = (float(line[30:38]), float(line[38:46]), float(line[46:54]))
            polymer = record == "ATOM" or (chain, number, icode) in modres
            atoms.append(
                AtomRecord(
                    record,
                    name,
                    line[16].strip(),
                    line[17:20].strip(),
                    chain,
                    number,
                    icode,
                    xyz,
                    element,
                    polymer,
                )
            )
    return atoms


def _read_cif_atoms(path: Path) -> list[AtomRecord]:
    atoms = []
    for row in read_cif_loop(path, "_atom_site"):
        if row.get("pdbx_PDB_model_num", "1") != "1":
            continue
        icode = row.get("pdbx_PDB_ins_code", "?")
        altloc = row["label_alt_id"]
        atoms.append(
            AtomRecord(
                row["group_PDB"],
                row["label_atom_id"],
                "" if altloc in "?." else altloc,
                row["label_comp_id"],
                row["auth_asym_id"],
                int(row["auth_seq_id"]),
                "" if icode in ("?", ".") else icode,
                (float(row["Cartn_x"]), float(row["Cartn_y"]), float(row["Cartn_z"])),
                row["type_symbol"].upper(),
                row["label_seq_id"] not in ("?", "."),
            )
        )
    return atoms


def _read_atoms(path: Path) -> list[AtomRecord]:
    path = Path(path)
    is_cif = path.suffix.lower() in (".cif", ".mmcif")
    return _read_cif_atoms(path) if is_cif else _read_pdb_atoms(path)


@pytest.fixture(scope="session")
def read_atoms():
    """``read_atoms(path)``: the atoms of model 1, parsed by hand (no Biopython)."""
    cache: dict[Path, list[AtomRecord]] = {}

    def read(path):
        path = Path(path)
        if path not in cache:
            cache[path] = _read_atoms(path)
        return cache[path]

    return read


@pytest.fixture(scope="session")
def cif_loop():
    """``cif_loop(path, category)``: rows of an mmCIF loop, parsed by hand."""
    return read_cif_loop


@pytest.fixture(scope="session")
def load_structure():
    """``load_structure(path)``: :func:`protattn.read_structure`, read once per file.

    Structures are immutable, so tests may share them; reading every mmCIF file
    once instead of once per test keeps the suite fast.
    """
    from protattn import read_structure

    cache: dict[Path, object] = {}

    def load(path):
        path = Path(path)
        if path not in cache:
            cache[path] = read_structure(path)
        return cache[path]

    return load


# Property-based tests: a fixed budget and a fixed seed, so CI runs the same examples
# every time within its time (HYPOTHESIS_PROFILE=deep runs more, with fresh seeds).
try:
    from hypothesis import HealthCheck, settings
except ImportError:  # pragma: no cover - hypothesis is in requirements.txt
    pass
else:
    settings.register_profile(
        "protattn",
        max_examples=60,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    settings.register_profile("deep", max_examples=2000, deadline=None)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "protattn"))
