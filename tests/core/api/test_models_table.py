"""The models table both hosts show."""

from __future__ import annotations

from protattn.api.models import models_table
from protattn.lm.registry import MODELS, model_status


def test_models_table_lists_every_known_model_with_its_status():
    status = {name: model_status(name) for name in MODELS}
    table = models_table(status)
    assert [r.name for r in table.rows] == list(MODELS)
    assert {r.name: r.status for r in table.rows} == status
    assert table.rows[0].name == "antiberty" and table.rows[0].offline  # ships in its package
    assert table.n_offline == sum(v != "missing" for v in status.values())
    lines = table.lines()
    assert len(lines) == len(MODELS)
    assert lines[0].split()[:4] == ["antiberty", "26M", "antiberty", "offline"]
    assert table.where


def test_a_model_not_in_the_status_is_missing():
    table = models_table({"antiberty": "package"})
    assert table.rows[1].status == "missing" and not table.rows[1].offline
    assert "not here" in table.lines()[1]
