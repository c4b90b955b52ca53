"""What a host imports from ``orderflow`` itself."""

from __future__ import annotations

import orderflow
from orderflow import errors


def test_every_name_the_package_promises_exists() -> None:
    assert [name for name in orderflow.__all__ if not hasattr(orderflow, name)] == []


def test_every_error_orderflow_raises_is_importable_from_the_package() -> None:
    raised = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, errors.OrderflowError)
    }
    assert raised <= set(orderflow.__all__)
