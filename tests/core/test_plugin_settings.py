"""An operator's typo in ``[plugin.<name>]`` stops start-up with one line naming it, instead of being ignored."""

from __future__ import annotations

import pytest

from core.app import Application
from core.config import ConfigError, Settings


def test_an_unknown_setting_of_a_plugin_is_named() -> None:
    with pytest.raises(ConfigError, match=r"plugin\.thanks\.poitns \(settings\.toml:\?\): there is no such setting "
                                          r".*points"):
        Application(Settings(plugin={"thanks": {"poitns": 5}}), load_entry_points=False)


def test_a_section_for_a_plugin_that_is_not_installed_is_named() -> None:
    with pytest.raises(ConfigError, match=r"plugin\.thnaks \(settings\.toml:\?\): there is no such plugin .*thanks"):
        Application(Settings(plugin={"thnaks": {"points": 3}}), load_entry_points=False)


def test_a_blocked_plugin_may_keep_its_section() -> None:
    app = Application(Settings.model_validate({"plugin": {"thanks": {"points": 3}},
                                               "plugins": {"blocked": ["thanks"]}}), load_entry_points=False)
    assert "thanks" not in app.plugins.manifests
