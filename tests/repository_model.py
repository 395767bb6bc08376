"""A rule-based state machine: the repository against a plain-dict model.

`build_machine(make_factory)` returns a RuleBasedStateMachine class for any adapter, so the
in-memory adapter here and the SQL adapters in tests/contract share one definition.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from domain.errors import DuplicateNameError, StaleVersionError, UserNotFoundError
from domain.ports import UnitOfWork
from domain.queries import CursorPage, NumberPage, SortOrder, UserFilter, UserQuery
from domain.use_cases import change_user, get_user, list_users, register_user, remove_user
from tests.support import reference

NAMES = ["Ada", "ada", "Bob", "Émile", "ÉMILE", "Straße", "Zoë", "zed", "ß", "Ω"]
PROFESSIONS = ["Poet", "poet", "Engineer", "Ärztin"]
SORTS = [
    "id",
    "-id",
    "name",
    "-name",
    "age",
    "-age",
    "profession,-age",
    "-profession,name",
    "website",
]

users_attributes = st.fixed_dictionaries(
    {
        "name": st.sampled_from(NAMES),
        "address": st.sampled_from(["1 Road", "2 Street\nTown", "Ω Lane"]),
        "age": st.integers(0, 150),
        "profession": st.sampled_from(PROFESSIONS),
        "website": st.sampled_from(
            ["https://a.example", "http://b.example/x", "https://c.example"]
        ),
    }
)


def build_machine(
    make_factory: Callable[[], Callable[[], UnitOfWork]],
) -> type[RuleBasedStateMachine]:
    class RepositoryMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.uow = make_factory()
            self.model: dict[int, dict[str, Any]] = {}

        def _name_taken(self, name: str, by: int | None) -> bool:
            return any(
                reference.fold(u["name"]) == reference.fold(name) and i != by
                for i, u in self.model.items()
            )

        @rule(attributes=users_attributes)
        def register(self, attributes: dict[str, Any]) -> None:
            if self._name_taken(attributes["name"], None):
                try:
                    register_user(self.uow(), attributes)
                except DuplicateNameError:
                    return
                raise AssertionError("a duplicate name was accepted")
            user = register_user(self.uow(), attributes)
            assert user.id not in self.model
            self.model[user.id] = {**attributes, "id": user.id, "version": 1}

        @rule(data=st.data())
        def change(self, data: st.DataObject) -> None:
            ids = [*sorted(self.model), 10_000]
            user_id = data.draw(st.sampled_from(ids))
            changes = data.draw(
                users_attributes.flatmap(
                    lambda a: st.sets(st.sampled_from(sorted(a))).map(
                        lambda ks: {k: a[k] for k in ks}
                    )
                )
            )
            stale = data.draw(st.booleans())
            current = self.model.get(user_id)
            expected = None if current is None else current["version"] + (1 if stale else 0)
            try:
                changed = change_user(self.uow(), user_id, changes, expected)
            except UserNotFoundError:
                assert current is None
                return
            except StaleVersionError:
                assert stale
                return
            except DuplicateNameError:
                assert self._name_taken(changes["name"], user_id)
                return
            assert current is not None and not stale
            if changes:
                assert not ("name" in changes and self._name_taken(changes["name"], user_id))
                current.update(changes, version=current["version"] + 1)
            assert changed.version == current["version"]

        @rule(data=st.data())
        def remove(self, data: st.DataObject) -> None:
            if not self.model:
                return
            user_id = data.draw(st.sampled_from(sorted(self.model)))
            remove_user(self.uow(), user_id)
            del self.model[user_id]

        @rule(
            sort=st.sampled_from(SORTS),
            size=st.integers(1, 4),
            profession=st.none() | st.sampled_from(PROFESSIONS),
        )
        def list_by_number(self, sort: str, size: int, profession: str | None) -> None:
            order = SortOrder.parse(sort)
            selection = UserFilter.build(exact={"profession": profession} if profession else None)
            expected = self._expected(sort, profession)
            for number in range(1, len(expected) // size + 2):
                page = list_users(self.uow(), UserQuery(selection, order, NumberPage(number, size)))
                assert page.total == len(expected)
                assert [u.id for u in page.users] == expected[(number - 1) * size : number * size]

        @rule(sort=st.sampled_from(SORTS), size=st.integers(1, 4))
        def walk_cursors(self, sort: str, size: int) -> None:
            order = SortOrder.parse(sort)
            expected = self._expected(sort, None)
            seen: list[int] = []
            page = list_users(self.uow(), UserQuery(order=order, page=CursorPage(size)))
            pages = [page]
            for _ in range(len(expected) + 2):  # bounded: a broken cursor must fail, not hang
                seen += [u.id for u in page.users]
                if page.next_cursor is None:
                    break
                page = list_users(
                    self.uow(),
                    UserQuery(order=order, page=CursorPage(size, after=page.next_cursor)),
                )
                pages.append(page)
            assert seen == expected
            # and back again from the last page
            back: list[int] = [u.id for u in pages[-1].users]
            page = pages[-1]
            for _ in range(len(expected) + 2):
                if page.prev_cursor is None:
                    break
                page = list_users(
                    self.uow(),
                    UserQuery(order=order, page=CursorPage(size, before=page.prev_cursor)),
                )
                back = [u.id for u in page.users] + back
            assert back == expected

        def _expected(self, sort: str, profession: str | None) -> list[int]:
            rows = [
                u
                for u in self.model.values()
                if profession is None
                or reference.fold(u["profession"]) == reference.fold(profession)
            ]
            # The order from the test's own reference, the sort's completion included.
            return [u["id"] for u in reference.ordered(rows, reference.parse_sort(sort))]

        @invariant()
        def stored_users_match_the_model(self) -> None:
            for user_id, expected in self.model.items():
                user = get_user(self.uow(), user_id)
                assert {**user.attributes(), "id": user.id, "version": user.version} == expected
            keys = [reference.fold(u["name"]) for u in self.model.values()]
            assert len(keys) == len(set(keys))

    return RepositoryMachine
