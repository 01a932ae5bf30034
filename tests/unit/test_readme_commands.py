"""Every command the README shows in a code block is run by some test (issue 11).

A block of commands carries the marker ``<!-- run by test: NAME -->``, and a test runs it
with ``readme_commands("NAME")`` (``tests/readme_commands.py``): the README is what those
tests execute, so it cannot drift from what works. A new command in an unmarked block, or a
marker no test reads, fails here and says what to do.
"""

from __future__ import annotations

import re
from pathlib import Path

from tests.readme_commands import README, readme_blocks, readme_commands

TESTS = Path(__file__).resolve().parent.parent
HELPERS = {TESTS / "readme_commands.py", Path(__file__).resolve()}


def _readers() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in TESTS.rglob("*.py"):
        if path.resolve() in HELPERS:
            continue
        for name in re.findall(r"readme_commands\(\s*[\"']([a-z0-9-]+)[\"']", path.read_text()):
            found.setdefault(name, []).append(str(path.relative_to(TESTS.parent)))
    return found


def test_every_command_block_is_marked_for_a_test() -> None:
    unmarked = [f"README.md:{c.line}: {c.text}"
                for block in readme_blocks() if block.commands and block.marker is None
                for c in block.commands]
    assert not unmarked, (
        "these README commands are in code blocks no test runs; put "
        "'<!-- run by test: NAME -->' before the block and run readme_commands('NAME') "
        "in a test:\n" + "\n".join(unmarked))


def test_every_marked_block_is_run_by_a_test() -> None:
    readers = _readers()
    markers = {b.marker for b in readme_blocks() if b.marker}
    assert markers, "no marked blocks found: the README format changed?"
    missing = sorted(m for m in markers if m not in readers)
    assert not missing, f"no test calls readme_commands(...) for {missing} ({README})"
    for marker in markers:
        assert readme_commands(marker), f"the block marked {marker!r} has no commands"


def test_settings_lines_and_diagrams_are_not_commands() -> None:
    """The parser keeps commands apart from settings and pictures (guards the checks above)."""
    texts = [c.text for b in readme_blocks() for c in b.commands]
    assert "make serve" in texts and "smartregion harvest" in texts
    assert not any(t.startswith("SMARTREGION_") for t in texts)
    assert not any("──" in t for t in texts)
