"""Generators of hostile submissions: each kind writes one file and names the finding it must produce."""
