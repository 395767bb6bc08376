"""The `users-service` command: `serve`, `migrate`, `recount`, `accounts` and `tokens`."""

from __future__ import annotations

import argparse
import logging
import logging.config
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any, Final

from entrypoints.cli_accounts import add_account_commands, print_first_run_link, run_account_command
from entrypoints.config import (
    ALLOWED_HOSTS_VARIABLE,
    ANY_HOST,
    CORS_ORIGINS_VARIABLE,
    DATABASE_URL_VARIABLE,
    DEFAULT_DATABASE_URL,
    DEFAULT_HOST,
    DEFAULT_PORT,
    DEFAULT_RETENTION_DAYS,
    LOG_LEVEL_VARIABLE,
    LOG_LEVELS,
    MAX_RETENTION_DAYS,
    RETENTION_VARIABLE,
    Settings,
    is_loopback,
    parse_retention_days,
)

logger = logging.getLogger("users_service.cli")

#: Seconds uvicorn lets in-flight requests finish after SIGTERM/SIGINT.
GRACEFUL_SHUTDOWN_S: Final = 10

_DESCRIPTION = (
    "A user directory: JSON:API over HTTP on PostgreSQL, MariaDB/MySQL or embedded SQLite."
)
_EPILOG = f"""\
environment:
  {DATABASE_URL_VARIABLE}   database when --database-url is not given, e.g.
                 postgresql://user:secret@db.example:5432/users or sqlite:///path/users.db
                 (postgres:// and postgresql+psycopg2:// work too), or
                 mysql://user:secret@db.example:3306/users for MariaDB or MySQL
                 (mariadb:// and mysql+pymysql:// work too);
                 default: {DEFAULT_DATABASE_URL} in the working folder
  {CORS_ORIGINS_VARIABLE}   comma-separated origins allowed to call the API from a browser
                 when --cors-origin is not given (default: none, CORS off)
  {LOG_LEVEL_VARIABLE}      log level when --log-level is not given (default: info)
  {ALLOWED_HOSTS_VARIABLE}  comma-separated Host header values answered when --allowed-host is
                 not given (default: bound to loopback, localhost, 127.0.0.1 and [::1]
                 with the port; bound elsewhere, any host)
  {RETENTION_VARIABLE}  days a deleted user can be restored before it is purged, when
                 --deleted-retention-days is not given (default: {DEFAULT_RETENTION_DAYS})

`serve` brings the schema to the newest version itself before listening, safely when several
processes start at once. SIGTERM or SIGINT stops it cleanly (exit status 0).
"""


def _database_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        help=f"PostgreSQL, MariaDB/MySQL or SQLite URL (default: ${DATABASE_URL_VARIABLE}, "
        f"else {DEFAULT_DATABASE_URL})",
    )


def build_parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="users-service", description=_DESCRIPTION, epilog=_EPILOG, formatter_class=formatter
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="run the HTTP service under uvicorn",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    serve.add_argument(
        "--host", default=DEFAULT_HOST, help=f"address to bind (default: {DEFAULT_HOST})"
    )
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port to bind (default: {DEFAULT_PORT})"
    )
    _database_flag(serve)
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="worker processes, each with its own connection pool (default: 1)",
    )
    serve.add_argument(
        "--cors-origin",
        action="append",
        metavar="ORIGIN",
        help="allow browser calls from ORIGIN (repeatable; default: "
        f"${CORS_ORIGINS_VARIABLE}, else CORS off)",
    )
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="ADDRESS",
        help="believe X-Forwarded-For and X-Forwarded-Proto from this reverse proxy "
        "(repeatable; default: $TRUSTED_PROXIES, else none)",
    )
    serve.add_argument(
        "--allowed-host",
        action="append",
        metavar="HOST",
        help="answer requests whose Host header is HOST (a name, or name:port; '*' any; "
        f"repeatable; default: ${ALLOWED_HOSTS_VARIABLE}, else the loopback names when "
        "bound to loopback, else any host); other hosts get a 400",
    )
    serve.add_argument(
        "--deleted-retention-days",
        type=_retention_days,
        metavar="DAYS",
        help="keep a deleted user restorable this many days, then purge it and its values "
        f"from the history (1 to {MAX_RETENTION_DAYS}; default: ${RETENTION_VARIABLE}, "
        f"else {DEFAULT_RETENTION_DAYS})",
    )
    serve.add_argument(
        "--log-level",
        choices=LOG_LEVELS,
        help=f"log level (default: ${LOG_LEVEL_VARIABLE}, else info)",
    )
    migrate = commands.add_parser(
        "migrate",
        help="bring the database schema to the newest version and exit",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    _database_flag(migrate)
    recount = commands.add_parser(
        "recount",
        help="count the user total again from the users table "
        "(after rows were written outside the service) and exit",
        epilog=_EPILOG,
        formatter_class=formatter,
    )
    _database_flag(recount)
    add_account_commands(commands, _database_flag)
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _retention_days(text: str) -> int:
    try:
        return parse_retention_days(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def log_config(level: str) -> dict[str, Any]:
    """Our loggers and uvicorn's on stderr; uvicorn's own access log is off (we log one line
    per request on `users_service.access`)."""
    handler = {"handlers": ["stderr"], "level": level.upper(), "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "plain",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            "users_service": handler,
            "uvicorn": handler,
            "uvicorn.error": {"level": level.upper()},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
            "alembic": {**handler, "level": "WARNING"},
        },
    }


def _migrate(settings: Settings) -> int:
    from domain.errors import StorageUnavailableError
    from entrypoints import bootstrap

    try:
        bootstrap.migrate(settings.database_url)
    except ValueError as error:
        logger.error("%s", error)
        return 2
    except StorageUnavailableError:
        logger.error("the database cannot be reached; is it running and the URL right?")
        return 1
    logger.info("the database schema is at the newest version")
    return 0


def _recount(settings: Settings) -> int:
    from domain.errors import StorageUnavailableError
    from entrypoints import bootstrap

    status = _migrate(settings)
    if status:
        return status
    try:
        bootstrap.recount(settings.database_url)
    except StorageUnavailableError:
        logger.error("the database cannot be reached; is it running and the URL right?")
        return 1
    logger.info("the user total is counted from the users table")
    return 0


def _stop_quietly(signum: int, frame: object) -> None:
    """SIGTERM or SIGINT outside uvicorn's own handling: exit now, with status 0.

    Before uvicorn listens for signals (migrating, building the app), this stops the
    start-up (a handler that returned would leave the signal ignored and the process
    running). After a clean shutdown uvicorn raises the signal that stopped it again, and
    this turns it into status 0 instead of death by the signal.
    """
    raise SystemExit(0)


def _serve(settings: Settings) -> int:
    import uvicorn

    from entrypoints import bootstrap
    from entrypoints.http_protocol import HTTP_PROTOCOL

    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, _stop_quietly)
    status = _migrate(settings)
    if status:
        return status
    if ANY_HOST in settings.allowed_hosts and not is_loopback(settings.host):
        logger.warning(
            "answering requests for any Host header on %s; name the hosts this service is "
            "reached by with --allowed-host (or %s)",
            settings.host,
            ALLOWED_HOSTS_VARIABLE,
        )
    print_first_run_link(settings)
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        # httptools with a bound and a deadline for request heads, and our headers on the
        # answers uvicorn writes itself (entrypoints/http_protocol.py).
        "http": HTTP_PROTOCOL,
        "access_log": False,
        "log_config": log_config(settings.log_level),
        "log_level": settings.log_level,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_S,
        # Only a proxy the operator names may say who the client is and that it used HTTPS.
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
        # No "server: uvicorn" on every response: it names the software to a scanner and
        # costs a header per response.
        "server_header": False,
    }
    if settings.workers == 1:
        uvicorn.run(bootstrap.build_app(settings), **options)
    else:
        os.environ.update(settings.environment())
        uvicorn.run(
            "entrypoints.asgi:create_app_from_env",
            factory=True,
            workers=settings.workers,
            **options,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "serve":
            settings = Settings.load(
                os.environ,
                database_url=args.database_url,
                cors_origins=args.cors_origin,
                log_level=args.log_level,
                allowed_hosts=args.allowed_host,
                host=args.host,
                port=args.port,
                workers=args.workers,
                trusted_proxies=args.trusted_proxy,
                retention_days=args.deleted_retention_days,
            )
        else:
            settings = Settings.load(os.environ, database_url=args.database_url)
    except ValueError as error:  # a setting from the environment
        parser.error(str(error))
    logging.config.dictConfig(log_config(settings.log_level))
    if args.command == "serve":
        return _serve(settings)
    if args.command == "recount":
        return _recount(settings)
    if args.command in ("accounts", "tokens"):
        return run_account_command(args, settings, _migrate)
    return _migrate(settings)


if __name__ == "__main__":
    sys.exit(main())
