"""Entrypoints: the HTTP app, the command line, and the wiring (bootstrap) that picks adapters."""
