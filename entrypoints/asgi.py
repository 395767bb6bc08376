"""The uvicorn factory: `uvicorn --factory entrypoints.asgi:create_app_from_env`.

Each worker process builds its own app (and its own connection pool) from the environment,
which `users-service serve` fills from its flags.
"""

from __future__ import annotations

import os

from starlette.applications import Starlette

from entrypoints.bootstrap import build_app
from entrypoints.config import Settings


def create_app_from_env() -> Starlette:
    return build_app(Settings.load(os.environ))
