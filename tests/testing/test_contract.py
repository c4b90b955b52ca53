"""The contract suite is published for hosts, and costs nothing to those who do not use it."""

from __future__ import annotations

import subprocess
import sys


def test_importing_orderflow_and_its_testing_kit_loads_neither_pytest_nor_sqlalchemy() -> None:
    code = (
        "import sys, orderflow, orderflow.testing, orderflow.adapters.memory\n"
        "print(sorted(m for m in ('pytest', 'sqlalchemy', 'hypothesis') if m in sys.modules))"
    )

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"
