"""Settings: defaults, environment overrides, and errors an operator can act on."""

from pathlib import Path

import pytest

from core.adapter import installed_adapters
from core.config import ConfigError, adapter_settings, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_embedded_setup(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml", environ={})
    assert settings.database.url.startswith("sqlite://")
    assert settings.adapters == ["console"]
    assert settings.language == "zh_CN"
    assert adapter_settings(settings, installed_adapters()["console"]).admins == ["王书记"]


def test_nested_and_short_environment_overrides(tmp_path: Path) -> None:
    path = write(tmp_path, '[web]\nport = 8080\n')
    settings = load_settings(path, environ={
        "LINLI_WEB__PORT": "9090",
        "LINLI_DATABASE_URL": "postgres://u@h/db",
        "LINLI_ADAPTERS": '["console", "telegram"]',
    })
    assert settings.web.port == 9090
    assert settings.database.url == "postgres://u@h/db"
    assert settings.adapters == ["console", "telegram"]


def test_invalid_value_names_key_line_value_and_expectation(tmp_path: Path) -> None:
    path = write(tmp_path, 'language = "zh_CN"\n\n[web]\nhost = "127.0.0.1"\nport = "eighty"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={})
    message = str(error.value)
    assert "web.port" in message
    assert f"{path}:5" in message
    assert "'eighty'" in message
    assert message.endswith("expected a whole number")


def test_unknown_key_is_reported_as_a_probable_typo(tmp_path: Path) -> None:
    path = write(tmp_path, '[database]\nurll = "sqlite://x.db"\n')
    with pytest.raises(ConfigError, match=r"database.urll .*:2.*no such setting"):
        load_settings(path, environ={})


def test_environment_errors_name_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="environment variable LINLI_WEB__PORT"):
        load_settings(None, environ={"LINLI_WEB__PORT": "99999"})


def test_secrets_are_refused_in_the_file_and_never_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "123:SECRET"\n')
    with pytest.raises(ConfigError) as error:
        load_settings(path, environ={})
    assert "LINLI_TELEGRAM__TOKEN" in str(error.value)
    assert "SECRET" not in str(error.value)


def test_secret_from_environment_is_hidden_in_repr(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"LINLI_TELEGRAM__TOKEN": "123:SECRET"})
    telegram = adapter_settings(settings, installed_adapters()["telegram"])
    assert telegram.token is not None
    assert telegram.token.get_secret_value() == "123:SECRET"
    assert "SECRET" not in repr(settings)
    assert "SECRET" not in repr(telegram)


def test_bad_toml_says_where(tmp_path: Path) -> None:
    path = write(tmp_path, "[web\nport = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path, environ={})


def test_shipped_settings_file_is_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    settings = load_settings(root / "settings.toml", environ={})
    assert settings.web.host == "127.0.0.1"
    assert (root / "settings.toml").read_text() == (root / "core" / "settings_template.toml").read_text()
