"""A homeserver that is away or answers 5xx while linli starts (both restarting after a power cut) is
waited for with capped back-off; only a refusal of the credentials (``M_UNKNOWN_TOKEN``, ``M_FORBIDDEN``)
ends the start, with a message saying what to fix. A stand-in for nio's client gives the answers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from nio import WhoamiError, WhoamiResponse
from pydantic import SecretStr

from adapters.matrix.adapter import MatrixAdapter
from adapters.matrix.settings import MatrixSettings
from core.config import ConfigError

BOT = "@bot:example.org"


class Client:
    def __init__(self, answers: list[Any]) -> None:
        self.answers = answers
        self.access_token = ""
        self.device_id: str | None = None

    async def whoami(self) -> Any:
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def restore_login(self, user_id: str, device_id: str, token: str) -> None:
        self.device_id = device_id


def adapter(tmp_path: Path) -> MatrixAdapter:
    settings = MatrixSettings(homeserver="http://example.org", user_id=BOT, access_token=SecretStr("a-long-token"),
                              store_dir=tmp_path, retry_base=0.001, retry_cap=0.002, send_attempts=2,
                              encryption=False)
    return MatrixAdapter(None, settings)  # type: ignore[arg-type]


async def test_network_errors_and_5xx_at_start_up_are_waited_for(tmp_path: Path) -> None:
    client = Client([aiohttp.ClientConnectionError("refused"), WhoamiError("502 Bad Gateway"),
                     WhoamiError("unknown error", "M_UNKNOWN"), aiohttp.ClientConnectionError("refused"),
                     WhoamiResponse(BOT, "DEVICE", False)])
    await adapter(tmp_path)._connect(client)  # type: ignore[arg-type]
    assert client.device_id == "DEVICE" and client.answers == []


@pytest.mark.parametrize("code", ["M_UNKNOWN_TOKEN", "M_FORBIDDEN"])
async def test_a_refused_token_ends_the_start_at_once(tmp_path: Path, code: str) -> None:
    client = Client([WhoamiError("Invalid access token passed.", code)])
    with pytest.raises(ConfigError, match="was not accepted"):
        await adapter(tmp_path)._connect(client)  # type: ignore[arg-type]
