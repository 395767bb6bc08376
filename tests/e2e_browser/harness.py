"""What the browser tests and the screenshot script share: a live service, its API, Chromium."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.servers import free_port
from tests.support.users import user_attributes

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MEDIA_TYPE = "application/vnd.api+json"
#: The accounts running_service makes (with the command line) before it serves.
PASSWORD = "tangerine-orbit-lantern"
ACCOUNTS = {"admin": "admin", "viewer": "viewer"}


def _command() -> list[str]:
    beside_python = Path(sys.executable).with_name("users-service")
    if beside_python.exists():
        return [str(beside_python)]
    found = shutil.which("users-service")
    if found:
        return [found]
    return [sys.executable, "-m", "entrypoints.cli"]


@contextmanager
def running_service(database: Path, log: Path) -> Iterator[str]:
    """``users-service serve`` on a free port over a SQLite file; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    url = f"sqlite:///{database}"
    for name, role in ACCOUNTS.items():  # an admin and a viewer, both with PASSWORD
        subprocess.run(
            [
                *_command(),
                "accounts",
                "create",
                name,
                "--role",
                role,
                "--password-stdin",
                "--database-url",
                url,
            ],
            input=PASSWORD,
            text=True,
            capture_output=True,
            timeout=120,
            check=True,
        )
    command = [*_command(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--database-url", url]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(process, base, log)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], base: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"users-service exited early:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(base + "healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"users-service did not answer in 30 s:\n{log.read_text(errors='replace')}")


class Api:
    """A small JSON:API client for seeding and checking, outside the browser, signed in as
    the admin (its session cookie)."""

    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base + "api/v1/", timeout=10)
        self.client.headers.update({"Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE})
        signed_in = self.client.post("session", json=sign_in_document("admin"))
        assert signed_in.status_code == 201, signed_in.text

    def create(self, **attributes: Any) -> dict[str, Any]:
        response = self.post(attributes)
        assert response.status_code == 201, response.text
        return self._user(response.json()["data"])

    def post(self, attributes: dict[str, Any]) -> httpx.Response:
        return self.client.post("users", json={"data": {"type": "users", "attributes": attributes}})

    def get(self, user_id: str) -> tuple[dict[str, Any], str]:
        response = self.client.get(f"users/{user_id}")
        assert response.status_code == 200, response.text
        return self._user(response.json()["data"]), response.headers["ETag"]

    def patch(self, user_id: str, **attributes: Any) -> dict[str, Any]:
        document = {"data": {"type": "users", "id": user_id, "attributes": attributes}}
        response = self.client.patch(f"users/{user_id}", json=document)
        assert response.status_code == 200, response.text
        return self._user(response.json()["data"])

    def find(self, name: str) -> list[dict[str, Any]]:
        response = self.client.get("users", params={"filter[name]": name})
        assert response.status_code == 200, response.text
        return [self._user(resource) for resource in response.json()["data"]]

    def delete_all(self) -> None:
        for _ in range(50):  # the browser tests make a few dozen users at most
            response = self.client.get("users", params={"page[size]": "100"})
            assert response.status_code == 200, response.text
            resources = response.json()["data"]
            if not resources:
                return
            for resource in resources:
                self.client.delete(f"users/{resource['id']}")
        raise AssertionError("users are still listed after 50 rounds of deleting them")

    @staticmethod
    def _user(resource: dict[str, Any]) -> dict[str, Any]:
        return {"id": resource["id"], **resource["attributes"]}


def sign_in_document(name: str) -> dict[str, Any]:
    attributes = {"username": name, "password": PASSWORD}
    return {"data": {"type": "sessions", "attributes": attributes}}


def sign_in(context: Any, base: str, account: str) -> None:
    """Signs a browser context in as ``account`` (its session cookie), through the API."""
    signed_in = context.request.post(
        base + "api/v1/session",
        data=sign_in_document(account),
        headers={"Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE},
    )
    assert signed_in.status == 201, signed_in.text()


def sample_user(number: int, **changes: Any) -> dict[str, Any]:
    professions = ["Engineer", "Teacher", "Nurse", "Carpenter", "Designer", "Librarian", "Pilot"]
    varied = {
        "name": f"Person {number:02d}",
        "address": f"{number} Main Street, Springfield",
        "age": 18 + (number * 7) % 60,
        "profession": professions[number % len(professions)],
        "website": f"https://person{number:02d}.example.org",
    }
    return user_attributes(**{**varied, **changes})


def chromium_missing_message() -> str | None:
    if CHROMIUM.exists() and os.access(CHROMIUM, os.X_OK):
        return None
    return f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
