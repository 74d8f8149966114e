"""Credentials: secrets only from the environment or a file (refused in settings.toml), never in logs or
error messages; a password login keeps one device across restarts; a token names its own device."""

from __future__ import annotations

import logging
import re
import stat
from pathlib import Path

import pytest
from nio import AsyncClient
from pydantic import SecretStr

from adapters.matrix import SPEC
from adapters.matrix.login import CREDENTIALS, PICKLE_KEY, log_in, read_pickle_key, read_secret
from adapters.matrix.settings import MatrixSettings
from core.config import ConfigError, adapter_settings, load_settings
from tests.adapters.matrix.conftest import matrix_stack
from tests.support.synapse import SERVER_NAME, Synapse


@pytest.mark.parametrize("key", ["password", "access_token", "pickle_key"])
def test_secrets_are_refused_in_settings_toml(tmp_path: Path, key: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f'adapters = ["matrix"]\n[matrix]\nhomeserver = "https://m.example.org"\n{key} = "hunter2"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings(path, environ={}, adapters={"matrix": SPEC})
    message = str(refused.value)
    assert f"matrix.{key} is a secret; set it in the environment variable LINLI_MATRIX__{key.upper()}" in message
    assert f"{path}:4" in message and "hunter2" not in message


def test_the_environment_gives_the_secret_which_stays_hidden(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('adapters = ["matrix"]\n[matrix]\nhomeserver = "https://m.example.org/"\n'
                    'user_id = "@linli:example.org"\n')
    settings = load_settings(path, environ={"LINLI_MATRIX__PASSWORD": "hunter2"}, adapters={"matrix": SPEC})
    matrix = adapter_settings(settings, SPEC)
    assert isinstance(matrix, MatrixSettings)
    assert matrix.homeserver == "https://m.example.org"
    assert "hunter2" not in repr(matrix)
    secret = read_secret(matrix)
    assert (secret.kind, secret.value, secret.source) == ("password", "hunter2", "LINLI_MATRIX__PASSWORD")


def test_missing_or_wrong_settings_say_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=re.escape("set matrix.homeserver")):
        read_secret(MatrixSettings())
    with pytest.raises(ConfigError, match="LINLI_MATRIX__ACCESS_TOKEN or its password in LINLI_MATRIX__PASSWORD"):
        read_secret(MatrixSettings(homeserver="https://m.example.org", user_id="@linli:example.org"))
    empty = tmp_path / "token"
    empty.write_text("\n")
    with pytest.raises(ConfigError, match=re.escape(f"matrix.access_token_file: {empty} is empty")):
        read_secret(MatrixSettings(homeserver="https://m.example.org", user_id="@linli:example.org",
                                   access_token_file=empty))
    path = tmp_path / "settings.toml"
    path.write_text('adapters = ["matrix"]\n[matrix]\nuser_id = "linli"\n')
    with pytest.raises(ConfigError, match=re.escape("a full Matrix user id such as @linli:example.org")):
        load_settings(path, environ={}, adapters={"matrix": SPEC})


async def test_a_password_login_keeps_its_device_and_nothing_secret_is_logged(
        synapse: Synapse, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with matrix_stack(synapse, f"sqlite://{tmp_path / 'linli.db'}", tmp_path / "bot") as linli:
        running = await linli.start()
        device = running.adapter.require_client().device_id
        token = running.adapter.require_client().access_token
        await linli.stop()
        running = await linli.start()
        assert running.adapter.require_client().device_id == device
        assert running.adapter.require_client().access_token == token, "the stored session, not a new login"
        await linli.stop()
    credentials = tmp_path / "bot" / CREDENTIALS
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert linli.password not in caplog.text and token not in caplog.text


async def test_an_access_token_from_a_file_names_its_device_and_a_bad_one_is_refused_plainly(
        synapse: Synapse, tmp_path: Path) -> None:
    account = synapse.register("tokenbot", "pw-tokenbot")
    token_file = tmp_path / "token"
    token_file.write_text(account["access_token"] + "\n")
    settings = MatrixSettings(homeserver=synapse.url, user_id=f"@tokenbot:{SERVER_NAME}",
                              access_token_file=token_file, store_dir=tmp_path / "store", encryption=False)
    client = AsyncClient(settings.homeserver, settings.user_id)
    try:
        await log_in(client, settings, read_secret(settings))
        assert client.device_id == account["device_id"]
    finally:
        await client.close()

    wrong = settings.model_copy(update={"access_token": SecretStr("syt_not_a_token"), "access_token_file": None})
    client = AsyncClient(settings.homeserver, settings.user_id)
    try:
        with pytest.raises(ConfigError) as refused:
            await log_in(client, wrong, read_secret(wrong))
    finally:
        await client.close()
    assert "the access token in LINLI_MATRIX__ACCESS_TOKEN was not accepted" in str(refused.value)
    assert "syt_not_a_token" not in str(refused.value)

    bad_password = settings.model_copy(update={"access_token_file": None, "password": SecretStr("wrong-pass")})
    client = AsyncClient(settings.homeserver, settings.user_id)
    try:
        with pytest.raises(ConfigError) as refused:
            await log_in(client, bad_password, read_secret(bad_password))
    finally:
        await client.close()
    assert "refused the password in LINLI_MATRIX__PASSWORD" in str(refused.value)
    assert "wrong-pass" not in str(refused.value)


def test_the_pickle_key_comes_from_the_environment_or_else_is_made_once_and_kept_private(tmp_path: Path) -> None:
    given = MatrixSettings(store_dir=tmp_path / "a", pickle_key=SecretStr("a-long-pickle-key"))
    assert read_pickle_key(given) == "a-long-pickle-key"
    assert not (tmp_path / "a" / PICKLE_KEY).exists()
    made = MatrixSettings(store_dir=tmp_path / "b")
    key = read_pickle_key(made)
    assert len(key) >= 32 and key != "DEFAULT_KEY"
    assert read_pickle_key(made) == key, "the same key after a restart, so the store stays readable"
    assert stat.S_IMODE((tmp_path / "b" / PICKLE_KEY).stat().st_mode) == 0o600


def test_secrets_go_to_the_core_redaction_and_short_ones_leave_logs_alone(tmp_path: Path) -> None:
    from adapters.matrix.adapter import MatrixAdapter, _TokenFields
    from core.secrets import redact

    for _ in range(3):  # one adapter per start: the filters are not stacked up
        MatrixAdapter(None, MatrixSettings(homeserver="https://m.example.org", user_id="@linli:example.org",  # type: ignore[arg-type]
                                           password=SecretStr("hunter2-long"), store_dir=tmp_path,
                                           encryption=False))
    assert redact("logged in with hunter2-long") == "logged in with <matrix password>"
    assert len([f for f in logging.getLogger("nio").filters if isinstance(f, _TokenFields)]) == 1
    MatrixAdapter(None, MatrixSettings(homeserver="https://m.example.org", user_id="@linli:example.org",  # type: ignore[arg-type]
                                       password=SecretStr("ab"), store_dir=tmp_path, encryption=False))
    assert redact("a table with ab and abc") == "a table with ab and abc", "a short password mangles nothing"
