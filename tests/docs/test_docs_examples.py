"""The documentation is executable: every example runs and every diagram is the code's own.

Each ```python block of a page runs, in page order, in one namespace per page, so a page
reads as one story; its asserts pin the results it shows. A traceback points at the line of
the Markdown file. Blocks that must not run are marked ```text or ```console.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import NamedTuple

import pytest

import orderflow.errors
from orderflow.domain import limits
from orderflow.domain.machines import MACHINES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
LANGUAGES = {"python", "text", "console", "mermaid"}
REGENERATE = (
    "regenerate with `python docs/_gen_diagrams.py` (or print them: `python -m orderflow diagram`)"
)
DIAGRAM = re.compile(r"<!-- diagram:(\w+) -->\n```mermaid\n(.*?)```\n<!-- /diagram -->", re.S)
MARKER = re.compile(r"<!-- diagram:(\w+) -->")
LINK = re.compile(r"\]\(([\w./-]*?\.md|)(?:#([\w-]+))?\)")
"""Links to other pages and anchors: ``[x](page.md)``, ``[x](page.md#part)``, ``[x](#part)``."""


class Block(NamedTuple):
    language: str
    line: int
    """Line number (1-based) of the block's first line of code in its page."""
    code: str


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page``, in order."""
    found: list[Block] = []
    opened: tuple[str, int] | None = None
    body: list[str] = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if opened is None and line.startswith("```"):
            opened, body = (line[3:].strip(), number + 1), []
        elif opened is not None and line.strip() == "```":
            found.append(Block(opened[0], opened[1], "".join(body)))
            opened = None
        elif opened is not None:
            body.append(line + "\n")
    assert opened is None, f"{page.name}: the block opened at line {opened[1] - 1} is never closed"
    return found


def page_id(page: Path) -> str:
    return page.name


def test_the_docs_have_the_expected_pages() -> None:
    expected = [
        "concepts",
        "delivery",
        "fulfillment",
        "glossary",
        "index",
        "notifications",
        "persistence",
        "ports",
        "quickstart",
        "reliability",
        "services",
    ]
    assert {f"{name}.md" for name in expected} <= {page.name for page in PAGES}


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_example_of_the_page_runs_as_one_story(page: Path) -> None:
    namespace: dict[str, object] = {"__name__": f"docs.{page.stem}"}
    for block in blocks(page):
        if block.language != "python":
            continue
        # Pad with blank lines so tracebacks name the page's own line numbers.
        code = compile("\n" * (block.line - 1) + block.code, str(page), "exec")
        exec(code, namespace)


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_block_says_whether_it_runs(page: Path) -> None:
    for block in blocks(page):
        assert block.language in LANGUAGES, (
            f"{page.name} line {block.line - 1}: label the block ```python (runs) or "
            f"```text / ```console (does not run), not {block.language!r}"
        )


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_example_asserts_what_it_shows(page: Path) -> None:
    for block in blocks(page):
        if block.language == "python":
            assert "assert " in block.code, (
                f"{page.name} line {block.line - 1}: show the block's results with asserts, "
                "so the page fails when the behaviour drifts"
            )


@pytest.mark.parametrize(
    "page",
    [
        "quickstart.md",
        "concepts.md",
        "fulfillment.md",
        "services.md",
        "reliability.md",
        "ports.md",
    ],
)
def test_the_guides_have_executable_examples(page: str) -> None:
    assert any(block.language == "python" for block in blocks(DOCS / page)), (
        f"{page} has no executable example"
    )


def test_the_concepts_page_draws_every_machine_from_the_code() -> None:
    text = (DOCS / "concepts.md").read_text(encoding="utf-8")
    drawn = dict(DIAGRAM.findall(text))
    assert len(MARKER.findall(text)) == len(drawn), (
        f"docs/concepts.md: a diagram marker is not followed by a ```mermaid block; {REGENERATE}"
    )
    for machine in MACHINES:
        name = machine.__name__
        assert name in drawn, (
            f"docs/concepts.md has no diagram of {name}; add the markers and {REGENERATE}"
        )
        expected = f"{machine:mermaid}"
        assert drawn[name].rstrip("\n") == expected.rstrip("\n"), (
            f"docs/concepts.md: the {name} diagram differs from the machine class; {REGENERATE}"
        )
    unknown = set(drawn) - {machine.__name__ for machine in MACHINES}
    assert not unknown, f"docs/concepts.md draws machines that no longer exist: {sorted(unknown)}"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("docs_gen_diagrams", DOCS / "_gen_diagrams.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_diagram_script_leaves_up_to_date_pages_alone() -> None:
    generator = load_generator()
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert generator.regenerate(text) == text, f"{page.name} is stale; {REGENERATE}"


def test_the_diagram_script_redraws_a_stale_diagram() -> None:
    generator = load_generator()
    text = (DOCS / "concepts.md").read_text(encoding="utf-8")
    stale = text.replace("open --> cancelled : Cancel", "open --> closed : Close")
    assert stale != text
    assert generator.regenerate(stale) == text


def anchors(page: Path) -> set[str]:
    """GitHub's anchors for the headings of ``page``."""
    prose = re.sub(r"^```.*?^```", "", page.read_text(encoding="utf-8"), flags=re.M | re.S)
    headings = re.findall(r"^#+ (.+)$", prose, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_links_between_pages_resolve(page: Path) -> None:
    for target, anchor in LINK.findall(page.read_text(encoding="utf-8")):
        linked = page.parent / target if target else page
        assert linked.is_file(), f"{page.name} links to missing {target}"
        if anchor:
            assert anchor in anchors(linked), f"{page.name} links to missing {target}#{anchor}"


def test_the_reliability_page_names_every_error() -> None:
    text = (DOCS / "reliability.md").read_text(encoding="utf-8")
    errors = [
        name
        for name, value in vars(orderflow.errors).items()
        if isinstance(value, type) and issubclass(value, orderflow.errors.OrderflowError)
    ]
    missing = [name for name in errors if name not in text]
    assert not missing, f"docs/reliability.md does not describe {missing}"


def table_rows(text: str, header: str) -> list[list[str]]:
    """The rows of the Markdown table whose header row starts with ``header``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"| {header} |"))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    return rows


def test_the_reliability_page_gives_the_input_limits_the_code_applies() -> None:
    text = (DOCS / "reliability.md").read_text(encoding="utf-8")
    strings = {(int(row[1].replace(",", "")), row[2]) for row in table_rows(text, "What")}
    counts = {row[0]: int(row[1].replace(",", "")) for row in table_rows(text, "Count or number")}

    assert {(rule.max_length, rule.source) for rule in limits.TEXT_RULES} == strings
    assert counts == limits.COUNTS
