"""Hostile inputs, each a `HostileKind` that writes itself into a folder (see generate.py)."""
