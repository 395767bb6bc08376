"""The endpoints of /api/v1/session, /api/v1/accounts and /api/v1/tokens.

Each parses the request, runs one use case in a worker thread (Authenticator.in_thread:
bounded, off the event loop, as password hashing is slow on purpose) and renders the answer.
"""

from __future__ import annotations

from typing import Any, Final

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from domain import account_use_cases as uc
from domain.accounts import (
    AccountNotFoundError,
    Actor,
    NotSignedInError,
    SetupCodeError,
    TokenNotFoundError,
    secret_digest,
)
from entrypoints.http.account_documents import (
    ACCOUNTS_PATH,
    SESSION_PATH,
    TOKENS_PATH,
    account_object,
    collection,
    read_attributes,
    session_document,
    single,
    token_object,
    unknown_attributes,
)
from entrypoints.http.auth import (
    SESSION_COOKIE,
    Authenticator,
    actor_of,
    check_origin,
    cleared_cookie,
    session_cookie,
    with_address,
)
from entrypoints.http.ids import ROW_ID_CONVERTOR_NAME
from entrypoints.http.jsonapi import JSONAPI_MEDIA_TYPE, json_bytes
from entrypoints.http.links import origin
from entrypoints.http.middleware import BODY_SCOPE_KEY
from entrypoints.http.negotiation import check_accept, check_content_type

_MAX_ID: Final = 2**31 - 1


def _document(
    document: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        json_bytes(document), status_code=status, headers=headers, media_type=JSONAPI_MEDIA_TYPE
    )


def _body(request: Request, resource_type: str, resource_id: str | None = None) -> dict[str, Any]:
    check_content_type(request.headers.get("content-type"))
    body: bytes = request.scope.get(BODY_SCOPE_KEY, b"")
    return read_attributes(body, resource_type, resource_id)


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


class AccountEndpoints:
    def __init__(self, auth: Authenticator) -> None:
        self.auth = auth
        self.security = auth.security

    # -- /api/v1/session ------------------------------------------------------------------

    async def session(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        if request.method == "POST":
            return await self._sign_in(request)
        actor, secret = await self.auth.actor(request)
        if request.method == "GET":
            return _document(session_document(actor, origin(request.scope)))
        if secret is not None:
            check_origin(request)
            await self.auth.in_thread(
                uc.sign_out,
                self.security.accounts(),
                self.security.credentials,
                with_address(actor, request),
                secret,
            )
            self.auth.cache.forget("s:" + secret_digest(secret))
        return Response(status_code=204, headers={"Set-Cookie": cleared_cookie(request)})

    async def _sign_in(self, request: Request) -> Response:
        check_origin(request)  # no signing a browser in from another site's page
        attributes = _body(request, "sessions")
        unknown_attributes(attributes, ("username", "password", "setup_code"))
        previous = request.cookies.get(SESSION_COOKIE)
        username, password = attributes.get("username"), attributes.get("password")
        common = (self.security.accounts(), self.security.credentials)
        now = self.security.clock()
        if "setup_code" in attributes:
            code = attributes["setup_code"]
            if not isinstance(code, str):
                raise SetupCodeError()
            account, session, secret = await self.auth.in_thread(
                uc.set_up_administrator, *common, code, username, password, _address(request), now
            )
        else:
            account, session, secret = await self.auth.in_thread(
                uc.sign_in, *common, username, password, _address(request), now, previous
            )
        if previous:
            self.auth.cache.forget("s:" + secret_digest(previous))
        actor = Actor(account.id, account.name, account.role, session.ends_at())
        headers = {
            "Set-Cookie": session_cookie(request, secret),
            "Location": origin(request.scope) + SESSION_PATH,
        }
        return _document(session_document(actor, origin(request.scope)), 201, headers)

    # -- /api/v1/accounts -----------------------------------------------------------------

    def _actor(self, request: Request) -> Actor:
        return with_address(actor_of(request), request)

    async def accounts(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        actor = self._actor(request)
        if request.method == "GET":
            found = await self.auth.in_thread(uc.list_accounts, self.security.accounts(), actor)
            base = origin(request.scope)
            return _document(
                collection([account_object(a, base) for a in found], base + ACCOUNTS_PATH)
            )
        attributes = _body(request, "accounts")
        unknown_attributes(attributes, ("name", "role", "password"))
        account = await self.auth.in_thread(
            uc.create_account,
            self.security.accounts(),
            self.security.credentials,
            actor,
            attributes.get("name"),
            attributes.get("role"),
            attributes.get("password"),
            self.security.clock(),
        )
        resource = account_object(account, origin(request.scope))
        return _document(single(resource), 201, {"Location": resource["links"]["self"]})

    async def account(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        actor = self._actor(request)
        account_id: int = request.path_params["account_id"]
        if account_id > _MAX_ID:  # no stored id is this large: not looked up
            raise AccountNotFoundError(str(account_id))
        if request.method == "GET":
            account = await self.auth.in_thread(
                uc.get_account, self.security.accounts(), actor, account_id
            )
            return _document(single(account_object(account, origin(request.scope))))
        attributes = _body(request, "accounts", str(request.path_params["account_id"]))
        unknown_attributes(attributes, ("role", "password", "enabled"))
        account = await self.auth.in_thread(
            lambda: uc.change_account(
                self.security.accounts(),
                self.security.credentials,
                actor,
                account_id,
                role=attributes.get("role"),
                password=attributes.get("password"),
                enabled=attributes.get("enabled"),
            )
        )
        self.auth.cache.forget_account(account_id)
        return _document(single(account_object(account, origin(request.scope))))

    # -- /api/v1/tokens -------------------------------------------------------------------

    async def tokens(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        actor = self._actor(request)
        accounts = self.security.accounts
        if request.method == "GET":
            found = await self.auth.in_thread(uc.list_tokens, accounts(), actor)
            base = origin(request.scope)
            return _document(collection([token_object(t, base) for t in found], base + TOKENS_PATH))
        attributes = _body(request, "tokens")
        unknown_attributes(attributes, ("label", "role", "expires_in_days", "account"))

        def create() -> tuple[Any, str]:
            owner = attributes.get("account")
            account_id = (
                actor.account_id
                if owner is None or owner == actor.name
                else uc.find_account(accounts(), actor, str(owner)).id
            )
            if account_id is None:  # only the command line's operator has no account
                raise NotSignedInError("no account to make a token for")
            return uc.create_token(
                accounts(),
                self.security.credentials,
                actor,
                account_id,
                attributes.get("label"),
                self.security.clock(),
                role=attributes.get("role"),
                expires_in_days=attributes.get("expires_in_days"),
            )

        token, secret = await self.auth.in_thread(create)
        resource = token_object(token, origin(request.scope), secret)
        return _document(single(resource), 201, {"Location": resource["links"]["self"]})

    async def token(self, request: Request) -> Response:
        check_accept(request.headers.get("accept"))
        actor = self._actor(request)
        token_id: int = request.path_params["token_id"]
        if token_id > _MAX_ID:  # no stored id is this large: not looked up
            raise TokenNotFoundError(token_id)
        accounts = self.security.accounts
        if request.method == "GET":
            token = await self.auth.in_thread(uc.get_token, accounts(), actor, token_id)
            return _document(single(token_object(token, origin(request.scope))))
        token = await self.auth.in_thread(
            uc.revoke_token, accounts(), self.security.credentials, actor, token_id
        )
        self.auth.cache.forget_account(token.account_id)
        return Response(status_code=204)


def account_routes(auth: Authenticator) -> list[BaseRoute]:
    endpoints = AccountEndpoints(auth)
    guard = auth.guard
    return [
        Route(SESSION_PATH, endpoints.session, methods=["GET", "POST", "DELETE"]),
        Route(ACCOUNTS_PATH, guard(endpoints.accounts), methods=["GET", "POST"]),
        Route(
            ACCOUNTS_PATH + f"/{{account_id:{ROW_ID_CONVERTOR_NAME}}}",
            guard(endpoints.account),
            methods=["GET", "PATCH"],
        ),
        Route(TOKENS_PATH, guard(endpoints.tokens), methods=["GET", "POST"]),
        Route(
            TOKENS_PATH + f"/{{token_id:{ROW_ID_CONVERTOR_NAME}}}",
            guard(endpoints.token),
            methods=["GET", "DELETE"],
        ),
    ]
