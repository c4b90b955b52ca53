"""Every test: every model the domain builds is validated in full, changed fields or not."""

from orderflow.domain import _revise

_revise.CHECK_EVERYTHING = True
