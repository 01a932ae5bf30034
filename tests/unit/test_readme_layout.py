"""The README's layout table matches the tree: every top-level folder is described, every
described folder exists, and every module or sub-folder a row names is there."""

from __future__ import annotations

import re
import subprocess

from smartregion.settings import PROJECT_DIR


def _layout_rows() -> dict[str, str]:
    readme = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Layout", 1)[1].split("\n## ", 1)[0]
    return {m.group(1): m.group(2) for m in re.finditer(r"^\| `([\w.-]+)/` \| (.+) \|$",
                                                          section, re.M)}


def _top_level_folders() -> set[str]:
    tracked = subprocess.run(["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True,
                             text=True, check=False).stdout.split()
    if not tracked:  # not a git checkout: the folders on disk
        return {p.name for p in PROJECT_DIR.iterdir() if p.is_dir()
                and not p.name.startswith(".") and p.name not in ("var", "node_modules")}
    return {path.split("/", 1)[0] for path in tracked
            if "/" in path and not path.startswith(".")}


def test_every_top_level_folder_is_in_the_layout_table_and_no_other() -> None:
    assert set(_layout_rows()) == _top_level_folders()


def test_modules_and_folders_the_table_names_exist() -> None:
    for folder, text in _layout_rows().items():
        for name in re.findall(r"`([\w/.-]+\.(?:py|conf|ttl|jsonld)|[\w-]+/)`", text):
            candidates = [PROJECT_DIR / folder / name]
            candidates += [p for p in (PROJECT_DIR / folder).rglob(name.rstrip("/"))]
            assert any(c.exists() for c in candidates), f"{folder}/: {name}"
