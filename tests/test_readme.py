"""The README's example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_python_example_runs_and_its_assertions_hold() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.DOTALL)
    assert blocks, "the README shows no Python example"
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), namespace)
    assert "flow" in namespace


def test_the_readme_shows_exactly_two_quickstart_commands() -> None:
    quickstart = README.read_text().split("## Quickstart", 1)[1].split("## ", 1)[0]
    commands = re.findall(r"```console\n(.*?)```", quickstart, flags=re.DOTALL)
    assert [c.strip() for c in commands] == [
        "python -m pip install . && python -m orderflow demo",
        'python -m pip install -e ".[dev]" && python -m pytest',
    ]
