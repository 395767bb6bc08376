"""The JSON:API HTTP entrypoint (Starlette)."""
