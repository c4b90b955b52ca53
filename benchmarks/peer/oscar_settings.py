"""A minimal Django settings module for django-oscar 4.2.1, for the peer benchmark only.

Oscar's own apps (``oscar.INSTALLED_APPS``), DEBUG off, one SQLite file whose path the
benchmark gives in ``ORDERFLOW_PEER_DB``, put in WAL mode with ``synchronous=NORMAL`` on
every connection (``connection_created``), as orderflow's ``make_engine`` does on its side.
Each request-sized step runs in ``transaction.atomic()`` (as ``ATOMIC_REQUESTS`` would).
"""

from __future__ import annotations

import os

from oscar import INSTALLED_APPS as OSCAR_APPS
from oscar.defaults import *  # noqa: F403  (Oscar's documented way to take its defaults)

DEBUG = False
SECRET_KEY = "orderflow-peer-benchmark"  # a throwaway database
ALLOWED_HOSTS: list[str] = []
USE_TZ = True
TIME_ZONE = "UTC"
SITE_ID = 1
INSTALLED_APPS = OSCAR_APPS
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("ORDERFLOW_PEER_DB", ":memory:"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
HAYSTACK_CONNECTIONS = {"default": {"ENGINE": "haystack.backends.simple_backend.SimpleEngine"}}
# The simple backend keeps no index: nothing to update when a product is saved.
HAYSTACK_SIGNAL_PROCESSOR = "haystack.signals.BaseSignalProcessor"
AUTHENTICATION_BACKENDS = [
    "oscar.apps.customer.auth_backends.EmailBackend",
    "django.contrib.auth.backends.ModelBackend",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]
LOGGING_CONFIG = None
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

OSCAR_DEFAULT_CURRENCY = "EUR"
OSCAR_INITIAL_ORDER_STATUS = "Pending"
OSCAR_INITIAL_LINE_STATUS = "Pending"
OSCAR_ORDER_STATUS_PIPELINE = {
    "Pending": ("Being processed", "Complete", "Cancelled"),
    "Being processed": ("Complete", "Cancelled"),
    "Complete": (),
    "Cancelled": (),
}

if os.environ.get("ORDERFLOW_PEER_MIGRATIONS") != "1":
    # Tables straight from Oscar's models (``migrate --run-syncdb``): the schema its
    # migrations reach, in a second rather than half a minute. Their data migrations only
    # rewrite existing rows, and the database is empty. ``--migrations`` runs them instead.
    class _NoMigrations(dict[str, None]):
        """Every app label maps to None: no migrations module, tables from the models."""

        def __contains__(self, label: object) -> bool:
            return True

        def __getitem__(self, label: str) -> None:
            return None

    MIGRATION_MODULES = _NoMigrations()
