"""Settings, built in one place: command-line flag, then environment, then default.

Nothing here reads the environment at import time; `Settings.load` takes the mapping to read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Final

from attrs import field, frozen

DEFAULT_DATABASE_URL: Final = "sqlite:///users.db"
DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8000
LOG_LEVELS: Final = ("critical", "error", "warning", "info", "debug")

#: The environment variables the service reads (also how `serve` hands settings to workers).
DATABASE_URL_VARIABLE: Final = "DATABASE_URL"
CORS_ORIGINS_VARIABLE: Final = "CORS_ORIGINS"
LOG_LEVEL_VARIABLE: Final = "LOG_LEVEL"
TRUSTED_PROXIES_VARIABLE: Final = "TRUSTED_PROXIES"
ALLOWED_HOSTS_VARIABLE: Final = "ALLOWED_HOSTS"
RETENTION_VARIABLE: Final = "DELETED_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS: Final = 30
#: Ten years: a longer retention is a mistake, not a policy.
MAX_RETENTION_DAYS: Final = 3650
#: In an allowed-hosts list: every host.
ANY_HOST: Final = "*"


def _origins(value: Sequence[str]) -> tuple[str, ...]:
    return tuple(origin.strip() for origin in value if origin.strip())


def is_loopback(host: str) -> bool:
    """Is `host` (the address to bind) reachable only from this machine?"""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def loopback_hosts(port: int) -> tuple[str, ...]:
    """The names a browser on this machine uses for a loopback-bound service."""
    return tuple(f"{name}:{port}" for name in ("localhost", "127.0.0.1", "[::1]"))


def default_allowed_hosts(host: str, port: int) -> tuple[str, ...]:
    """Bound to loopback, only the loopback names (which also closes DNS rebinding); bound
    elsewhere, any host (`serve` warns)."""
    return loopback_hosts(port) if is_loopback(host) else (ANY_HOST,)


@frozen
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    workers: int = 1
    cors_origins: tuple[str, ...] = field(default=(), converter=_origins)
    log_level: str = "info"
    #: Addresses of reverse proxies whose X-Forwarded-For/-Proto are believed (the client's
    #: address for the sign-in limits, HTTPS for the cookie's Secure flag).
    trusted_proxies: tuple[str, ...] = field(default=(), converter=_origins)
    #: Host header values answered (hosts.py); `*` any. Default: from `host` and `port`.
    allowed_hosts: tuple[str, ...] = field(converter=_origins)

    #: Days a deleted user stays restorable before it is purged.
    retention_days: int = DEFAULT_RETENTION_DAYS

    @allowed_hosts.default
    def _allowed_hosts_for_the_address(self) -> tuple[str, ...]:
        return default_allowed_hosts(self.host, self.port)

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str],
        *,
        database_url: str | None = None,
        cors_origins: Sequence[str] | None = None,
        log_level: str | None = None,
        allowed_hosts: Sequence[str] | None = None,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        workers: int = 1,
        trusted_proxies: Sequence[str] | None = None,
        retention_days: int | None = None,
    ) -> Settings:
        """Flags win over the environment, which wins over the defaults. Raises ValueError
        for a retention that is not a number of days from 1 to MAX_RETENTION_DAYS."""
        return cls(
            retention_days=retention_days
            or parse_retention_days(environ.get(RETENTION_VARIABLE) or DEFAULT_RETENTION_DAYS),
            database_url=database_url or environ.get(DATABASE_URL_VARIABLE) or DEFAULT_DATABASE_URL,
            host=host,
            port=port,
            workers=workers,
            cors_origins=tuple(
                cors_origins if cors_origins else environ.get(CORS_ORIGINS_VARIABLE, "").split(",")
            ),
            log_level=(log_level or environ.get(LOG_LEVEL_VARIABLE) or "info").lower(),
            trusted_proxies=tuple(
                trusted_proxies or environ.get(TRUSTED_PROXIES_VARIABLE, "").split(",")
            ),
            allowed_hosts=tuple(
                allowed_hosts
                or _origins(environ.get(ALLOWED_HOSTS_VARIABLE, "").split(","))
                or default_allowed_hosts(host, port)
            ),
        )

    def environment(self) -> dict[str, str]:
        """The variables from which `load` rebuilds these settings in a worker process."""
        return {
            DATABASE_URL_VARIABLE: self.database_url,
            CORS_ORIGINS_VARIABLE: ",".join(self.cors_origins),
            LOG_LEVEL_VARIABLE: self.log_level,
            TRUSTED_PROXIES_VARIABLE: ",".join(self.trusted_proxies),
            ALLOWED_HOSTS_VARIABLE: ",".join(self.allowed_hosts),
            RETENTION_VARIABLE: str(self.retention_days),
        }


def parse_retention_days(value: str | int) -> int:
    """Raises ValueError unless `value` is a whole number of days from 1 to
    MAX_RETENTION_DAYS."""
    days = int(value)
    if not 1 <= days <= MAX_RETENTION_DAYS:
        raise ValueError(f"the retention must be 1 to {MAX_RETENTION_DAYS} days, got {days}")
    return days
