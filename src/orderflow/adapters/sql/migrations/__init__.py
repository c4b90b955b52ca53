"""Alembic's script directory for orderflow's tables, run by :mod:`orderflow.adapters.sql.migrate`."""
