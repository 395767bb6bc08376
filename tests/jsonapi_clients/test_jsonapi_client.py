"""The service through an independent JSON:API client library: `jsonapi-client` (PyPI),
used as its README shows, in its asyncio mode.

Why the asyncio mode: its synchronous mode parses every response body as JSON before looking
at the status, so a DELETE answered 204 No Content (as JSON:API allows and this service
does) fails inside the library (qvantel/jsonapi-client issue 55, open). Why this library: it
pages only by following `links.next`, and it requests resource links (`links.self`) as
given, so relative or malformed links break it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest
from jsonapi_client import Modifier, Session
from jsonapi_client.exceptions import DocumentError

from tests.jsonapi_clients.conftest import Service
from tests.support.users import user_attributes

T = TypeVar("T")

#: The library needs a schema (jsonschema form) to create resources of a type.
SCHEMA = {
    "users": {
        "properties": {
            "name": {"type": "string"},
            "address": {"type": "string"},
            "age": {"type": "integer"},
            "profession": {"type": "string"},
            "website": {"type": "string"},
        }
    }
}


def user(name: str, **changes: Any) -> dict[str, Any]:
    return user_attributes(name=name, **changes)


def run(
    service: Service,
    work: Callable[[Session], Awaitable[T]],
    headers: dict[str, str] | None = None,
) -> T:
    """`work(session)` with an asyncio-mode session on the service's API (signed in with the
    admin's token, and `headers`), then closed."""

    async def main() -> T:
        client = Session(
            service.base + "api/v1/",
            schema=SCHEMA,
            enable_async=True,
            request_kwargs={"headers": {**service.auth, **(headers or {})}},
        )
        try:
            return await work(client)
        finally:
            await client.close()

    return asyncio.run(main())


def create(service: Service, **attributes: Any) -> str:
    async def work(session: Session) -> str:
        created = session.create("users", **attributes)
        await created.commit()
        return str(created.id)

    return run(service, work)


def current_etag(service: Service, user_id: str) -> str:
    # The library keeps no response headers; the ETag comes from a plain GET.
    response = httpx.get(f"{service.base}api/v1/users/{user_id}", headers=service.auth)
    assert response.status_code == 200, response.text
    return response.headers["etag"]


def test_a_created_user_reads_back_with_an_absolute_self_link(service: Service) -> None:
    user_id = create(service, **user("Created Person"))

    async def read(session: Session) -> tuple[dict[str, Any], str]:
        document = await session.get("users", user_id)
        resource = document.resource
        attributes = {name: resource[name] for name in SCHEMA["users"]["properties"]}
        return attributes, str(resource.links.self.href)  # as sent, not as the library joins it

    attributes, link = run(service, read)
    assert attributes == user("Created Person")
    assert link == f"{service.base}api/v1/users/{user_id}"


def test_listing_follows_links_next_through_every_page(service: Service) -> None:
    names = [f"Paging Person {number}" for number in range(7)]
    for name in reversed(names):
        create(service, **user(name))

    async def walk(session: Session) -> list[str]:
        query = Modifier("page[size]=3&sort=name&filter[search]=paging person")
        return [resource.name async for resource in session.iterate("users", query)]

    assert run(service, walk) == names


def test_an_update_with_the_current_etag_in_if_match_changes_the_user(service: Service) -> None:
    user_id = create(service, **user("Updated Person"))
    etag = current_etag(service, user_id)

    async def change(session: Session) -> int:
        resource = (await session.get("users", user_id)).resource
        resource.age = 41
        await resource.commit()
        return int(resource.age)

    assert run(service, change, headers={"If-Match": etag}) == 41
    assert current_etag(service, user_id) != etag


def test_an_update_with_a_stale_etag_is_refused_with_412(service: Service) -> None:
    user_id = create(service, **user("Stale Person"))
    stale = current_etag(service, user_id)

    async def change(session: Session, age: int) -> None:
        resource = (await session.get("users", user_id)).resource
        resource.age = age
        await resource.commit()

    run(service, lambda session: change(session, 50))  # someone else changes the user
    with pytest.raises(DocumentError) as refused:
        run(
            service,
            lambda session: change(session, 60),
            headers={"If-Match": stale},
        )
    assert refused.value.errors == {"status_code": 412}
    assert "Precondition failed" in str(refused.value)


def test_a_deleted_user_is_gone(service: Service) -> None:
    user_id = create(service, **user("Deleted Person"))

    async def delete(session: Session) -> None:
        resource = (await session.get("users", user_id)).resource
        resource.delete()
        await resource.commit()

    run(service, delete)
    with pytest.raises(DocumentError) as missing:
        run(service, lambda session: session.get("users", user_id))
    assert missing.value.errors == {"status_code": 404}


@pytest.mark.parametrize(
    ("attributes", "status", "title"),
    [
        (user("Twice Person"), 409, "Name already taken"),
        (user("Aged Person", age=200), 422, "Invalid attribute"),
    ],
)
def test_refusals_arrive_as_error_documents_the_library_reads(
    service: Service, attributes: dict[str, Any], status: int, title: str
) -> None:
    if status == 409:
        create(service, **user("Twice Person"))
    with pytest.raises(DocumentError) as refused:
        create(service, **attributes)
    assert refused.value.errors == {"status_code": status}
    assert title in str(refused.value)
