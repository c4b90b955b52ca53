"""Redraw the Mermaid diagrams in docs/*.md from the machine classes.

Run from the repository root (with orderflow installed):

    python docs/_gen_diagrams.py

A diagram sits between two marker comments; everything between them is replaced by a
```mermaid block holding ``f"{Machine:mermaid}"`` for the class named in the first marker,
one of ``orderflow.domain.machines.MACHINES``::

    <!-- diagram:OrderLifecycle -->
    <!-- /diagram -->

tests/docs/test_docs_examples.py fails when a page and the code disagree.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from orderflow.domain.machines import MACHINES

DOCS = Path(__file__).resolve().parent
BLOCK = re.compile(
    r"(?P<open><!-- diagram:(?P<name>\w+) -->\n)(?P<body>.*?)(?P<close><!-- /diagram -->)",
    re.S,
)


def mermaid(name: str) -> str:
    """The diagram of the machine class called ``name``, as the code draws it."""
    machines = {machine.__name__: machine for machine in MACHINES}
    if name not in machines:
        known = ", ".join(sorted(machines))
        raise KeyError(f"no machine {name!r} in orderflow.domain.machines.MACHINES ({known})")
    return f"{machines[name]:mermaid}"


def regenerate(text: str) -> str:
    """``text`` with every marked diagram redrawn from its machine class."""

    def redraw(match: re.Match[str]) -> str:
        body = mermaid(match["name"])
        newline = "" if body.endswith("\n") else "\n"
        return f"{match['open']}```mermaid\n{body}{newline}```\n{match['close']}"

    return BLOCK.sub(redraw, text)


def main() -> int:
    for page in sorted(DOCS.glob("*.md")):
        text = page.read_text(encoding="utf-8")
        fresh = regenerate(text)
        if fresh != text:
            page.write_text(fresh, encoding="utf-8")
            print(f"redrew the diagrams in {page.relative_to(DOCS.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
