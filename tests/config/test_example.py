"""config.example.toml documents every key, with its default."""

from __future__ import annotations

import tomllib
from pathlib import Path

from alp_tui.config import Config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.toml"


def test_example_lists_every_key_with_its_default():
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    defaults = Config().to_toml_dict()
    assert data.keys() == defaults.keys()
    for section, values in defaults.items():
        assert data[section].keys() == values.keys(), section
    assert Config.model_validate(data).to_toml_dict() == defaults
