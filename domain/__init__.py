"""The users-service domain: the User entity, its rules, its use cases and its ports.

Imports only the standard library and attrs; does no I/O.
"""
