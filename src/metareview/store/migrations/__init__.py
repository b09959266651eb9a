"""Alembic migrations of the project store, shipped in the package and run by :func:`migrate`."""
