"""Adapters that implement the domain's ports: in memory and over SQL."""
