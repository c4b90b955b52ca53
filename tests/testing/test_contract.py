"""The contract suite is published for hosts, and costs nothing to those who do not use it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path


def test_importing_orderflow_and_its_testing_kit_loads_neither_pytest_nor_sqlalchemy() -> None:
    code = (
        "import sys, orderflow, orderflow.testing, orderflow.adapters.memory\n"
        "print(sorted(m for m in ('pytest', 'sqlalchemy', 'hypothesis') if m in sys.modules))"
    )

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert done.stdout.strip() == "[]"


DOCS = Path(__file__).resolve().parents[2] / "docs" / "persistence.md"


def host_example() -> str:
    """The docs' example of a host running the contract suite against its own store."""
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), flags=re.S)
    (example,) = [block for block in blocks if "(StoreContract)" in block]
    return example


def test_a_host_runs_the_contract_suite_against_its_own_store_as_the_docs_show(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_host_store.py").write_text(host_example(), encoding="utf-8")

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stdout[-3000:]
    (summary,) = [line for line in done.stdout.splitlines() if " passed" in line]
    assert int(summary.split()[0]) >= 50
    assert "failed" not in summary
    assert "skipped" not in summary
