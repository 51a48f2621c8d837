"""Survey fixtures: a table cut from the paper's binding-site validation set, a tiny model."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lm"))  # the tiny models' builder
from test_families import save_tiny  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # tests/: shared test helpers
from support import write_table  # noqa: E402


@pytest.fixture(scope="session")
def validation_rows(shared_dir) -> list[dict]:
    """Every row of ``provis_binding_site_valid.tsv`` (1,418 chains)."""
    path = shared_dir / "data" / "reference" / "provis_binding_site_valid.tsv"
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="session")
def small_rows(validation_rows) -> list[dict]:
    """14 rows cut to 30-90 residues (labels cut with them): a few with binding sites."""
    rows = []
    for i, row in enumerate(validation_rows[:14]):
        n = 30 + (i * 23) % 61
        rows.append(
            {
                "id": row["id"],
                "length": n,
                "site_label_string": row["site_label_string"][:n],
                "sequence": row["sequence"][:n],
            }
        )
    return rows


@pytest.fixture
def small_table(tmp_path, small_rows) -> Path:
    return write_table(tmp_path / "small.tsv", small_rows)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    """A tiny random BERT-family model (62 residues per pass): code paths, not meaning."""
    directory = tmp_path_factory.mktemp("tiny_survey_bert")
    save_tiny("bert", directory)
    return str(directory)
