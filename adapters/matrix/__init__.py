"""Matrix for linli: matrix-nio embedded in linli's event loop (``pip install 'linli[matrix]'``).

The entry point ``linli.adapters: matrix`` is :data:`SPEC`; the adapter itself (and matrix-nio) is
imported only when it is used. Small modules with one job each: ``adapter`` (sync loop, acknowledging
after the commit, sending, invites, encryption chores), ``login`` (credentials and a stable device),
``mapping`` (Matrix events ↔ core events, notices with HTML), ``choices`` (buttons as numbered choices
and reactions), ``settings`` (the ``[matrix]`` section). Operator documentation: ``adapters/matrix/README.md``.
"""

from __future__ import annotations

from typing import Any

from adapters.matrix.settings import MatrixSettings
from core.adapter import Adapter, AdapterHost, AdapterSpec
from core.config import ConfigError


def _create(host: AdapterHost, settings: Any, **options: Any) -> Adapter:
    try:
        from adapters.matrix.adapter import MatrixAdapter
    except ImportError as exc:
        raise ConfigError(f"adapters includes 'matrix' but it is not installed ({exc}); "
                          "install it with: pip install 'linli[matrix]'") from None
    return MatrixAdapter(host, settings)


SPEC = AdapterSpec("matrix", _create, MatrixSettings, secrets=("access_token", "password", "pickle_key"))
