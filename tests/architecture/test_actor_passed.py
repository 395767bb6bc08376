"""The HTTP layer hands every user use case the request's actor: a call without `actor=`
would act as the command line's OPERATOR (an admin)."""

from __future__ import annotations

import ast
from pathlib import Path

import domain.use_cases

HTTP = Path(__file__).resolve().parents[2] / "entrypoints" / "http"
USE_CASES = {
    name
    for name, value in vars(domain.use_cases).items()
    if callable(value)
    and getattr(value, "__module__", "") == "domain.use_cases"
    and not name.startswith("_")
}


def calls_without_actor(source: str) -> list[str]:
    missing = []
    for node in ast.walk(ast.parse(source)):
        is_use_case = (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in USE_CASES
        )
        if is_use_case and not any(k.arg == "actor" for k in node.keywords):  # type: ignore[attr-defined]
            missing.append(f"{node.func.id} (line {node.lineno})")  # type: ignore[attr-defined]
    return missing


def test_the_check_finds_a_call_without_an_actor() -> None:
    assert calls_without_actor("get_user(uow, 1)") == ["get_user (line 1)"]
    assert calls_without_actor("get_user(uow, 1, actor=a)") == []


def test_every_user_use_case_called_over_http_gets_the_actor() -> None:
    assert {"register_user", "get_user", "change_user", "remove_user", "list_users"} <= USE_CASES
    missing = {path.name: calls_without_actor(path.read_text()) for path in HTTP.glob("*.py")}
    assert {name: calls for name, calls in missing.items() if calls} == {}
