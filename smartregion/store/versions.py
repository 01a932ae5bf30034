"""Numbered store versions on disk with an atomically switched ``current`` pointer.

Layout of the data directory::

    versions/000007/      a complete pyoxigraph store (marked by versions/000007.complete)
    current               symlink → versions/000007, replaced atomically with os.replace
    sequence              highest version number ever handed out (ids are never reused)
    .lock                 flock of the one writer

A publish copies the current version with ``Store.backup`` (hard links on the same file
system, so the copy is cheap), changes the copy, marks it complete and swaps the pointer.
Anything that fails, or a SIGKILL, before the swap leaves ``current`` as it was; leftovers
without a completion mark are removed by the next writer.
"""

from __future__ import annotations

import builtins
import contextlib
import fcntl
import json
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from smartregion.store.publication import StoreVersion, now


class VersionError(RuntimeError):
    """A version operation that cannot be done (no such version, nothing to roll back to)."""


@dataclass(frozen=True)
class VersionInfo:
    """A version on disk: its number, path and when it was completed."""

    number: int
    path: Path
    created: datetime

    @property
    def id(self) -> str:
        return f"{self.number:06d}"

    def as_store_version(self) -> StoreVersion:
        return StoreVersion(self.id, self.created)


class VersionDirectory:
    """The versions of one embedded store and the pointer to the served one."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.versions_dir = root / "versions"
        self.pointer = root / "current"
        # A complete version never changes, so its info is read from disk once.
        self._known: dict[int, VersionInfo] = {}

    # -- reading -------------------------------------------------------------------------
    def current(self) -> VersionInfo | None:
        """The served version, or ``None`` before the first publish."""
        try:
            target = os.readlink(self.pointer)
        except FileNotFoundError:
            return None
        return self._info(int(Path(target).name))

    def list(self) -> builtins.list[VersionInfo]:
        """All complete versions, oldest first."""
        if not self.versions_dir.is_dir():
            return []
        numbers = sorted(
            int(p.name.removesuffix(".complete"))
            for p in self.versions_dir.glob("*.complete")
            if p.name.removesuffix(".complete").isdigit()
        )
        return [self._info(n) for n in numbers]

    def _info(self, number: int) -> VersionInfo:
        known = self._known.get(number)
        if known is not None and known.path.is_dir():
            return known
        path = self.versions_dir / f"{number:06d}"
        marker = path.with_name(path.name + ".complete")
        try:
            created = datetime.fromisoformat(json.loads(marker.read_text())["created"])
        except (OSError, ValueError, KeyError) as exc:
            raise VersionError(f"version {number:06d} is incomplete or missing") from exc
        info = VersionInfo(number, path, created)
        self._known[number] = info
        return info

    # -- writing -------------------------------------------------------------------------
    @contextlib.contextmanager
    def writer_lock(
        self, holder: str = "", on_wait: Callable[[str], None] | None = None
    ) -> Iterator[None]:
        """Hold the single-writer lock; while another writer holds it, say who and wait.

        The holder (process id, what it does, since when) is written into the lock file, so
        a second writer can name the first one. The kernel releases the lock when its
        holder dies, however it dies, so a killed loader never blocks the next one.
        """
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / ".lock").open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait is not None:
                    handle.seek(0)
                    on_wait(_describe_holder(handle.read()))
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps({"pid": os.getpid(), "holder": holder,
                                         "since": now().isoformat()}))
                handle.flush()
                self._remove_incomplete()
                yield
            finally:
                handle.seek(0)
                handle.truncate()
                handle.flush()
                fcntl.flock(handle, fcntl.LOCK_UN)

    def new_version_path(self) -> tuple[int, Path]:
        """Reserve the next version number (never reused) and return its directory path."""
        self.versions_dir.mkdir(parents=True, exist_ok=True)
        sequence_file = self.root / "sequence"
        highest = int(sequence_file.read_text()) if sequence_file.exists() else 0
        highest = max([highest, *(v.number for v in self.list())])
        number = highest + 1
        _write_atomically(sequence_file, str(number).encode())
        return number, self.versions_dir / f"{number:06d}"

    def complete(self, number: int, mark: bytes | None = None) -> VersionInfo:
        """Mark a fully written version as complete (it is not served yet). ``mark``: the
        completion mark of the node a replica copied the version from (same time, so the
        same ETags on every node); a new one by default."""
        marker = self.versions_dir / f"{number:06d}.complete"
        _write_atomically(marker, mark or json.dumps({"created": now().isoformat()}).encode())
        return self._info(number)

    def switch_to(self, number: int) -> None:
        """Atomically point ``current`` at a complete version."""
        info = self._info(number)
        temporary = self.root / f".current-{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        os.symlink(os.path.relpath(info.path, self.root), temporary)
        os.replace(temporary, self.pointer)
        fsync_dir(self.root)

    def discard(self, path: Path) -> None:
        """Remove a version directory that was never made current."""
        shutil.rmtree(path, ignore_errors=True)
        path.with_name(path.name + ".complete").unlink(missing_ok=True)

    def rollback(self, to: str | None = None) -> VersionInfo:
        """Serve an older version: ``to`` (an id), or the one before the current one."""
        current = self.current()
        versions = self.list()
        if to is not None:
            matches = [v for v in versions if v.id == to.zfill(6)]
            if not matches:
                known = ", ".join(v.id for v in versions) or "none"
                raise VersionError(f"no version {to!r} (known: {known})")
            target = matches[0]
        else:
            older = [v for v in versions if current is None or v.number < current.number]
            if not older:
                raise VersionError("no older version to roll back to")
            target = older[-1]
        self.switch_to(target.number)
        return target

    def prune(self, keep: int) -> builtins.list[str]:
        """Delete the oldest versions beyond ``keep``; never the current one."""
        current = self.current()
        versions = self.list()
        doomed = [v for v in versions[:-keep] if current is None or v.number != current.number]
        for version in doomed:
            path = version.path.with_name(version.path.name + ".complete")
            path.unlink(missing_ok=True)
            shutil.rmtree(version.path, ignore_errors=True)
        return [v.id for v in doomed]

    def _remove_incomplete(self) -> None:
        if not self.versions_dir.is_dir():
            return
        for path in self.versions_dir.iterdir():
            if path.is_dir() and not path.with_name(path.name + ".complete").exists():
                shutil.rmtree(path, ignore_errors=True)
        for path in self.root.glob(".current-*"):
            path.unlink(missing_ok=True)


def _describe_holder(text: str) -> str:
    try:
        info = json.loads(text)
        what = f" ({info['holder']})" if info.get("holder") else ""
        return (f"another writer is running: process {info['pid']}{what}, since "
                f"{info['since']}; waiting until it has finished …")
    except (ValueError, KeyError, TypeError):
        return "another writer is running; waiting until it has finished …"


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    fsync_dir(path.parent)


def fsync_dir(path: Path) -> None:
    """Make a rename or new entry in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


__all__ = ["UTC", "VersionDirectory", "VersionError", "VersionInfo"]
