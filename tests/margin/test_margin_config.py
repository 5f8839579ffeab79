"""[margin] in the config file sets the margin lines (the session's, handed to the pane)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from alp_tui.config import ConfigError, load_config
from alp_tui.services.margin_alerts import MarginThresholds, thresholds_from_config


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_margin_section_sets_thresholds(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.toml", "[margin]\nwarning_level = 2\ndanger_level = 1.4\n"
                                      "alert_hysteresis = 0.1\nalert_bell = false\n")
    config = load_config(path, env={}, required=True)
    t = thresholds_from_config(config)
    assert t == MarginThresholds(Decimal(2), Decimal("1.4"), Decimal("1.1"), Decimal("0.1"))
    assert config.margin.alert_bell is False
    assert thresholds_from_config(load_config(tmp_path / "none.toml", env={})) == \
        MarginThresholds()


def test_disordered_levels_are_refused_with_the_key(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.toml", "[margin]\nwarning_level = 1.0\n")
    with pytest.raises(ConfigError, match="margin"):
        load_config(path, env={}, required=True)
