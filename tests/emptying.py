"""Emptying a migrated database between tests, the same way for every suite."""

from __future__ import annotations

from sqlalchemy import Engine, text


def empty_database(engine: Engine) -> None:
    """Every user, search key, and change gone, ids restarted, the sharded
    count rows back at zero; no account."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("TRUNCATE users, user_search_keys, user_changes RESTART IDENTITY")
            )
        elif engine.dialect.name in ("mysql", "mariadb"):
            for table in ("users", "user_search_keys", "user_changes"):
                connection.execute(text(f"DELETE FROM {table}"))
                connection.execute(text(f"ALTER TABLE {table} AUTO_INCREMENT = 1"))
        else:
            for table in ("users", "user_search_keys", "user_changes"):
                connection.execute(text(f"DELETE FROM {table}"))
            connection.execute(text("DELETE FROM sqlite_sequence"))
        connection.execute(text("UPDATE user_counts SET total = 0"))
        for table in ("setup_codes", "sign_in_failures", "sessions", "api_tokens", "accounts"):
            connection.execute(text(f"DELETE FROM {table}"))
