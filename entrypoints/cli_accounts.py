"""`users-service accounts ...` and `users-service tokens ...`: accounts and API tokens from
the command line, acting as the operator (whoever can reach the database is trusted).

Output for scripts on stdout (`tokens create` prints the token alone); messages on stderr.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TextIO

from domain import account_use_cases as uc
from domain.account_ports import AccountsUnitOfWork, Credentials
from domain.accounts import OPERATOR, ROLE_NAMES, AccountValidationError, ApiToken
from domain.errors import DomainError, StorageUnavailableError
from entrypoints.config import Settings

logger = logging.getLogger("users_service.cli")

AddDatabaseFlag = Callable[[argparse.ArgumentParser], None]


def add_account_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser], database_flag: AddDatabaseFlag
) -> None:
    """The `accounts` and `tokens` command groups, each subcommand with --database-url."""
    accounts = commands.add_parser("accounts", help="manage the accounts that may sign in")
    verbs = accounts.add_subparsers(dest="verb", required=True, metavar="VERB")

    def verb(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = verbs.add_parser(name, help=help_text)
        database_flag(parser)
        return parser

    create = verb("create", "create an account (asks for its password)")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--role", required=True, choices=ROLE_NAMES)
    _password_flag(create)
    verb("list", "list the accounts")
    set_role = verb("set-role", "change an account's role (ends its sessions and tokens)")
    set_role.add_argument("name", metavar="NAME")
    set_role.add_argument("role", metavar="ROLE", choices=ROLE_NAMES)
    set_password = verb(
        "set-password", "change an account's password (ends its sessions and tokens)"
    )
    set_password.add_argument("name", metavar="NAME")
    _password_flag(set_password)
    verb("disable", "stop an account from signing in (ends its sessions and tokens)").add_argument(
        "name", metavar="NAME"
    )
    verb("enable", "let a disabled account sign in again").add_argument("name", metavar="NAME")

    tokens = commands.add_parser("tokens", help="manage API tokens (Authorization: Bearer)")
    token_verbs = tokens.add_subparsers(dest="verb", required=True, metavar="VERB")
    verbs = token_verbs
    create_token = verb("create", "make a token for account NAME and print it (only once)")
    create_token.add_argument("name", metavar="NAME")
    create_token.add_argument("--name", dest="label", required=True, metavar="LABEL")
    create_token.add_argument("--role", choices=ROLE_NAMES, help="default: the account's role")
    create_token.add_argument("--expires-in-days", type=int, metavar="N", help="default: never")
    verb("list", "list API tokens (of account NAME, else all)").add_argument(
        "name", metavar="NAME", nargs="?"
    )
    verb("revoke", "revoke the token with this id").add_argument("id", metavar="ID", type=int)


def _password_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input (else: prompt)",
    )


def _password(from_stdin: bool, stdin: TextIO) -> str:
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat the password: ") != first:
        raise _Refused("the passwords differ")
    return first


class _Refused(Exception):
    pass


def run_account_command(
    args: argparse.Namespace,
    settings: Settings,
    migrate: Callable[[Settings], int],
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Runs one `accounts` or `tokens` command after bringing the schema up to date: 0 when
    done, 1 when refused (the reason on stderr), 2 for a bad database URL."""
    from entrypoints import bootstrap
    from entrypoints.audit import audit

    status = migrate(settings)
    if status:
        return status
    uow, credentials, close = bootstrap.account_storage(settings.database_url, audit)
    try:
        _run(args, uow, credentials, stdin or sys.stdin, stdout or sys.stdout)
    except StorageUnavailableError:
        logger.error("the database cannot be reached; is it running and the URL right?")
        return 1
    except AccountValidationError as error:
        for failure in error.errors:
            logger.error("%s", failure.detail)
        return 1
    except (DomainError, _Refused) as error:
        logger.error("%s", error)
        return 1
    finally:
        close()
    return 0


def _run(
    args: argparse.Namespace,
    uow: Callable[[], AccountsUnitOfWork],
    credentials: Credentials,
    stdin: TextIO,
    stdout: TextIO,
) -> None:
    now = datetime.now(UTC)
    if args.command == "accounts":
        if args.verb == "create":
            password = _password(args.password_stdin, stdin)
            uc.create_account(uow(), credentials, OPERATOR, args.name, args.role, password, now)
        elif args.verb == "list":
            for account in uc.list_accounts(uow(), OPERATOR):
                status = "enabled" if account.enabled else "disabled"
                print(f"{account.name}\t{account.role.value}\t{status}", file=stdout)
        else:
            account = uc.find_account(uow(), OPERATOR, args.name)
            changes: dict[str, object]
            if args.verb == "set-role":
                changes = {"role": args.role}
            elif args.verb == "set-password":
                changes = {"password": _password(args.password_stdin, stdin)}
            else:
                changes = {"enabled": args.verb == "enable"}
            uc.change_account(uow(), credentials, OPERATOR, account.id, **changes)
        return
    if args.verb == "create":
        account = uc.find_account(uow(), OPERATOR, args.name)
        _, secret = uc.create_token(
            uow(),
            credentials,
            OPERATOR,
            account.id,
            args.label,
            now,
            role=args.role,
            expires_in_days=args.expires_in_days,
        )
        print(secret, file=stdout)
    elif args.verb == "list":
        account_id = None if args.name is None else uc.find_account(uow(), OPERATOR, args.name).id
        for token in uc.list_tokens(uow(), OPERATOR, account_id):
            print(_token_line(token), file=stdout)
    else:
        uc.revoke_token(uow(), credentials, OPERATOR, args.id)


def _token_line(token: ApiToken) -> str:
    expires = "never" if token.expires_at is None else token.expires_at.isoformat(" ", "seconds")
    created = token.created_at.isoformat(" ", "seconds")
    return "\t".join(
        [str(token.id), token.account_name, token.label, token.role.value, created, expires]
    )


def print_first_run_link(settings: Settings, stdout: TextIO | None = None) -> None:
    """On a database without an enabled administrator, prints a one-time link (valid for an
    hour) to the web client's page that creates one. There is no default password."""
    from entrypoints import bootstrap

    try:
        code = bootstrap.first_run_code(settings.database_url)
    except StorageUnavailableError:
        return  # serve reports the database itself
    if code is None:
        return
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    host = f"[{host}]" if ":" in host else host
    link = f"http://{host}:{settings.port}/#!/setup?code={code}"
    print(
        "No administrator yet. Open this link within an hour to create one "
        f"(it works once):\n  {link}",
        file=stdout or sys.stdout,
        flush=True,
    )
