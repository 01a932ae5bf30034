"""The shell commands the README shows, read from its code blocks, for tests that run them.

A code block of commands carries a marker naming the test that runs it, on the line before
the fence::

    <!-- run by test: operator-journey -->
    ```sh
    smartregion load                      # every curated folder of data/
    ```

Tests call :func:`readme_commands` with that name and run what it returns, so the README is
the script: change a command there and the test runs the new one.
``tests/unit/test_readme_commands.py`` checks that every command in every code block is in a
block with a marker, and that some test reads each marked block.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = re.compile(r"<!--\s*run by test:\s*([a-z0-9-]+)\s*-->")
FENCE = re.compile(r"^```([A-Za-z0-9_+-]*)\s*$")
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console"}
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
DIAGRAM = re.compile(r"[─│▶▲▼┐┘┌└├┤]")


@dataclass(frozen=True)
class Command:
    """One command line of a README code block (comment split off)."""

    text: str
    comment: str
    line: int

    @property
    def argv(self) -> list[str]:
        """The command split as a shell would (no expansion)."""
        return shlex.split(self.text)


@dataclass(frozen=True)
class Block:
    """A fenced code block of the README, its language and the marker before it."""

    language: str
    marker: str | None
    commands: list[Command]
    line: int
    settings: dict[str, str]


def readme_blocks(path: Path = README) -> list[Block]:
    """Every fenced code block with its commands (shell-like blocks only have commands)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        opened = FENCE.match(lines[i])
        if not opened:
            i += 1
            continue
        language = opened.group(1).lower()
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.search(previous)
        start = i
        body: list[tuple[int, str]] = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append((i + 1, lines[i]))
            i += 1
        i += 1
        shell = language in SHELL_LANGUAGES
        commands = _commands(body) if shell else []
        settings = _settings(body) if shell else {}
        blocks.append(Block(language, marker.group(1) if marker else None, commands, start + 1,
                            settings))
    return blocks


def _commands(body: list[tuple[int, str]]) -> list[Command]:
    found = []
    for number, raw in body:
        if DIAGRAM.search(raw):
            continue
        text, _, comment = raw.partition(" #")
        text = text.strip()
        if raw.lstrip().startswith("#"):
            continue
        if not text:
            continue
        words = text.split()
        if all(ASSIGNMENT.match(w) for w in words):
            continue  # settings (NAME=value), not a command
        found.append(Command(text, comment.strip(), number))
    return found


def _settings(body: list[tuple[int, str]]) -> dict[str, str]:
    found = {}
    for _, raw in body:
        text = raw.partition(" #")[0].strip()
        words = text.split()
        if words and all(ASSIGNMENT.match(w) for w in words):
            for word in words:
                name, _, value = word.partition("=")
                found[name] = value
    return found


def readme_settings(marker: str) -> dict[str, str]:
    """The ``NAME=value`` lines of the README block marked ``run by test: <marker>``."""
    return {k: v for b in readme_blocks() if b.marker == marker for k, v in b.settings.items()}


def readme_commands(marker: str) -> list[Command]:
    """The commands of the README block marked ``run by test: <marker>``."""
    blocks = [b for b in readme_blocks() if b.marker == marker]
    if not blocks:
        raise LookupError(f"the README has no code block marked 'run by test: {marker}'")
    return [c for b in blocks for c in b.commands]
