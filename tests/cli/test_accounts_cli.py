"""`users-service accounts ...` and `tokens ...`: the command line scripts rely on."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from entrypoints.cli import main
from tests.integration.conftest import new_postgres_url  # noqa: F401

COMMAND = str(Path(sys.executable).with_name("users-service"))
PASSWORD = "tangerine-orbit-lantern"


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    url: str,
    *argv: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main([*argv, "--database-url", url])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("new_postgres_url")())


def test_accounts_are_created_listed_changed_disabled_and_enabled(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    url = sqlite_url
    assert (
        run(
            capsys,
            monkeypatch,
            url,
            "accounts",
            "create",
            "root",
            "--role",
            "admin",
            "--password-stdin",
            stdin=PASSWORD + "\n",
        )[0]
        == 0
    )
    status, _, err = run(
        capsys,
        monkeypatch,
        url,
        "accounts",
        "create",
        "ed",
        "--role",
        "editor",
        "--password-stdin",
        stdin=PASSWORD + "\nignored\n",
    )
    assert status == 0
    assert 'account_created account="ed" by="operator" address="cli"' in err
    assert PASSWORD not in err
    assert run(capsys, monkeypatch, url, "accounts", "list")[1] == (
        "ed\teditor\tenabled\nroot\tadmin\tenabled\n"
    )
    assert run(capsys, monkeypatch, url, "accounts", "set-role", "ed", "viewer")[0] == 0
    assert run(capsys, monkeypatch, url, "accounts", "disable", "ed")[0] == 0
    assert run(capsys, monkeypatch, url, "accounts", "list")[1].startswith("ed\tviewer\tdisabled\n")
    assert run(capsys, monkeypatch, url, "accounts", "enable", "ed")[0] == 0
    status, _, err = run(
        capsys,
        monkeypatch,
        url,
        "accounts",
        "set-password",
        "ed",
        "--password-stdin",
        stdin="short\n",
    )
    assert (status, "at least 10 characters" in err) == (1, True)
    assert (
        run(
            capsys,
            monkeypatch,
            url,
            "accounts",
            "set-password",
            "ed",
            "--password-stdin",
            stdin="another-quiet-harbour\n",
        )[0]
        == 0
    )


def test_the_password_is_prompted_for_without_echo_when_not_on_stdin(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    prompts: list[str] = []

    def getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", getpass)
    status, _, _ = run(
        capsys, monkeypatch, sqlite_url, "accounts", "create", "root", "--role", "admin"
    )
    assert status == 0 and len(prompts) == 2


def test_refusals_exit_1_with_the_reason_on_stderr(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, sqlite_url: str
) -> None:
    status, out, err = run(
        capsys,
        monkeypatch,
        sqlite_url,
        "accounts",
        "create",
        "x",
        "--role",
        "admin",
        "--password-stdin",
        stdin="password123\n",
    )
    assert (status, out) == (1, "") and "too easy to guess" in err
    status, _, err = run(capsys, monkeypatch, sqlite_url, "accounts", "disable", "nobody")
    assert status == 1 and "no account 'nobody'" in err
    with pytest.raises(SystemExit) as usage:
        main(["accounts", "create", "x", "--role", "root"])
    assert usage.value.code == 2


def test_tokens_are_created_listed_and_revoked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    for name, role in (("root", "admin"), ("vi", "viewer")):
        run(
            capsys,
            monkeypatch,
            url,
            "accounts",
            "create",
            name,
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORD,
        )
    status, out, err = run(
        capsys,
        monkeypatch,
        url,
        "tokens",
        "create",
        "root",
        "--name",
        "ci",
        "--role",
        "editor",
        "--expires-in-days",
        "30",
    )
    token = out.strip()
    assert status == 0 and out == token + "\n" and len(token) >= 43 and " " not in token
    assert token not in err
    status, _, err = run(
        capsys, monkeypatch, url, "tokens", "create", "vi", "--name", "x", "--role", "editor"
    )
    assert status == 1 and "at most its account's" in err
    run(capsys, monkeypatch, url, "tokens", "create", "vi", "--name", "reader")
    lines = run(capsys, monkeypatch, url, "tokens", "list")[1].splitlines()
    assert [line.split("\t")[:4] for line in lines] == [
        ["1", "root", "ci", "editor"],
        ["2", "vi", "reader", "viewer"],
    ]
    assert lines[0].split("\t")[5] != "never" and lines[1].split("\t")[5] == "never"
    assert len(run(capsys, monkeypatch, url, "tokens", "list", "vi")[1].splitlines()) == 1
    assert run(capsys, monkeypatch, url, "tokens", "revoke", "1")[0] == 0
    assert run(capsys, monkeypatch, url, "tokens", "revoke", "1")[0] == 1
    assert [
        line.split("\t")[0]
        for line in run(capsys, monkeypatch, url, "tokens", "list")[1].splitlines()
    ] == ["2"]


def test_tokens_create_prints_the_token_alone_on_stdout_of_the_real_command(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    created = subprocess.run(
        [
            COMMAND,
            "accounts",
            "create",
            "root",
            "--role",
            "admin",
            "--password-stdin",
            "--database-url",
            url,
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert created.stdout == ""
    made = subprocess.run(
        [COMMAND, "tokens", "create", "root", "--name", "ci", "--database-url", url],
        capture_output=True,
        text=True,
        check=True,
    )
    token = made.stdout.strip()
    assert made.stdout == token + "\n" and " " not in token
    assert httpx.URL(f"http://x/?t={token}").params["t"] == token  # URL-safe as it is
