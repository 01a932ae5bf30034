"""Embedded replicas: follow the versions another node publishes, copied with rsync.

A published version of the embedded store never changes (:mod:`smartregion.store.versions`),
so a replica copies it whole and then switches its own ``current`` pointer, exactly as a
publish does. rsync does the copying: it reads a local path or ``host:/path`` over ssh, checks
every file it writes with a whole-file checksum, picks up where an interrupted copy stopped,
and hard-links files the replica already has (``--link-dest``: the store files a version shares
with the previous one, as the publish's ``Store.backup`` checkpoint shares them) instead of
sending them again. No replication protocol of our own.

One round of :func:`replicate`:

1. copy the source's ``current`` pointer and completion marks into ``.replica/meta``;
2. if the source serves a version this node lacks, rsync ``versions/NNNNNN/`` into
   ``.replica/NNNNNN`` (same file system, kept if interrupted: the next round resumes it),
   fsync it, open it read-only once (it must be a whole store); its derived views
   (``derived/NNNNNN/``) and search index (``search/NNNNNN/``, renamed into place whole by
   the source, so it is there whole or not at all) come along when the source has them, so
   the replica's first search does not build the index again (82 s at a million triples);
3. under the writer lock: note it in ``.replica/copied/`` (a version number this node made
   itself is refused: same number, other data), rename it into ``versions/``, write the
   source's completion mark
   (same creation time, so the same ``ETag``s on every node), switch ``current`` with
   :meth:`~smartregion.store.versions.VersionDirectory.switch_to` and prune old versions.

Anything that fails or is killed before step 3 leaves the served version as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from smartregion.settings import Settings
from smartregion.store.versions import VersionDirectory, VersionError, fsync_dir

__all__ = ["ReplicaError", "Replicated", "replicate", "replicate_every", "run_replicate"]


class ReplicaError(RuntimeError):
    """A replication round that could not be done (source unreachable, rsync failed …)."""


@dataclass(frozen=True)
class Replicated:
    """What one round did: the version served afterwards and whether it switched to it."""

    version: str
    switched: bool
    seconds: float


def replicate(source: str, data_dir: Path, *, keep: int = 5, bwlimit: int | None = None,
              say: Callable[[str], None] = lambda _: None) -> Replicated:
    """Make ``data_dir`` serve the version the data directory ``source`` (a path or rsync's
    ``host:/path``) serves, copying it if need be. ``bwlimit`` caps rsync in KiB/s."""
    started = time.monotonic()
    rsync = shutil.which("rsync")
    if rsync is None:
        raise ReplicaError("rsync is missing: install it ('make rsync' or apt-get install rsync)")
    versions = VersionDirectory(data_dir)
    staging = data_dir / ".replica"
    meta = staging / "meta"
    meta.mkdir(parents=True, exist_ok=True)
    origin = source.rstrip("/") + "/"
    _rsync(rsync, ["--delete", "--include=/current", "--include=/versions/",
                   "--include=/versions/*.complete", "--exclude=*"], origin, f"{meta}/",
           what=f"{source}: current pointer and version marks")
    number = _source_current(meta, source)
    name = f"{number:06d}"
    mark = (meta / "versions" / f"{name}.complete").read_bytes()
    served = versions.current()
    if served is not None and served.number == number:
        _check_same(versions, name, mark)
        return Replicated(name, False, time.monotonic() - started)
    target = versions.versions_dir / name
    if not target.with_name(f"{name}.complete").exists():
        incoming = staging / name
        options = ["--delete"] + (["--bwlimit", str(bwlimit)] if bwlimit else [])
        if served is not None:  # files equal by checksum become hard links, not copies
            options += ["--checksum", f"--link-dest={served.path.resolve()}"]
        say(f"copying version {name} from {source} …")
        _rsync(rsync, options, f"{origin}versions/{name}/", f"{incoming}/",
               what=f"{source}: version {name}")
        for view, what in (("derived", "derived views"), ("search", "search index")):
            _rsync(rsync, ["--delete"], f"{origin}{view}/{name}/", f"{staging}/{view}-{name}/",
                   what=f"{source}: {what} of {name}", missing_ok=True)
        _fsync_tree(incoming)
        _check_opens(incoming, name)
    with versions.writer_lock(f"replicate {name} from {source}"):
        if not target.with_name(f"{name}.complete").exists():
            versions.versions_dir.mkdir(parents=True, exist_ok=True)
            (staging / "copied").mkdir(exist_ok=True)
            (staging / "copied" / name).write_bytes(mark)  # a version this node did not make
            os.rename(staging / name, target)
            for view in ("derived", "search"):
                _install_derived(staging / f"{view}-{name}", data_dir / view / name)
            versions.complete(number, mark)
        _check_same(versions, name, mark)
        versions.switch_to(number)
        versions.prune(keep)
        _forget_pruned(versions)
    say(f"serving version {name}")
    return Replicated(name, True, time.monotonic() - started)


def replicate_every(source: str, data_dir: Path, seconds: float, *, keep: int = 5,
                    bwlimit: int | None = None, say: Callable[[str], None] = print) -> None:
    """Run :func:`replicate` every ``seconds`` until stopped; a failed round is reported and
    tried again next time (the served version stays as it was)."""
    while True:
        try:
            replicate(source, data_dir, keep=keep, bwlimit=bwlimit, say=say)
        except (ReplicaError, VersionError, OSError) as exc:
            say(f"Error: {exc} (serving the previous version; next try in {seconds:g} s)")
        time.sleep(seconds)


def run_replicate(settings: Settings, source: str, *, every: float | None,
                  bwlimit: int | None, say: Callable[[str], None],
                  out: Callable[[str], None]) -> int:
    """``smartregion replicate``: one round (exit code 0, or 1 with the reason said), or
    rounds every ``every`` seconds until stopped."""
    if settings.store != "embedded":
        say(f"Error: replicate follows an embedded store; SMARTREGION_STORE is "
            f"{settings.store!r} (a remote store replicates itself)")
        return 2
    if every is not None:
        replicate_every(source, settings.data_dir, every, keep=settings.keep_versions,
                        bwlimit=bwlimit, say=say)
    try:
        done = replicate(source, settings.data_dir, keep=settings.keep_versions,
                         bwlimit=bwlimit, say=say)
    except (ReplicaError, VersionError, OSError) as exc:
        say(f"Error: {exc}")
        return 1
    state = "switched to" if done.switched else "already serving"
    out(f"{state} version {done.version} ({done.seconds:.1f} s)")
    return 0


def _rsync(rsync: str, options: list[str], origin: str, target: str, *, what: str,
           missing_ok: bool = False) -> None:
    Path(target).mkdir(parents=True, exist_ok=True)
    command = [rsync, "--archive", "--hard-links", "--partial", *options, origin, target]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode == 23 and missing_ok and "No such file" in done.stderr:
        return  # e.g. a version published by a release that recorded no derived views
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise ReplicaError(f"rsync of {what} failed (exit {done.returncode}): {detail[0]}")


def _source_current(meta: Path, source: str) -> int:
    try:
        name = Path(os.readlink(meta / "current")).name
    except OSError:
        raise ReplicaError(f"{source} serves no version yet (no 'current' pointer)") from None
    if not name.isdigit() or not (meta / "versions" / f"{name}.complete").is_file():
        raise ReplicaError(f"{source}: 'current' points at {name!r}, not a complete version")
    return int(name)


def _check_same(versions: VersionDirectory, name: str, mark: bytes) -> None:
    ours = versions.versions_dir / f"{name}.complete"
    copied = versions.root / ".replica" / "copied" / name
    if not copied.is_file() or json.loads(ours.read_bytes()) != json.loads(mark):
        raise ReplicaError(
            f"{ours}: this node has its own version {name} (it was loaded into); a replica "
            "follows one source only: use an empty SMARTREGION_DATA_DIR")


def _check_opens(path: Path, name: str) -> None:
    try:
        store = ox.Store.read_only(str(path))
    except OSError as exc:
        raise ReplicaError(f"the copy of version {name} does not open: {exc}") from None
    del store


def _fsync_tree(root: Path) -> None:
    for folder, _dirs, files in os.walk(root):
        for file in files:
            fd = os.open(os.path.join(folder, file), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fsync_dir(Path(folder))


def _install_derived(incoming: Path, target: Path) -> None:
    if not incoming.is_dir() or not any(incoming.iterdir()):
        shutil.rmtree(incoming, ignore_errors=True)  # the source had none (yet)
        return
    shutil.rmtree(target, ignore_errors=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    os.rename(incoming, target)


def _forget_pruned(versions: VersionDirectory) -> None:
    """Remove the derived views, search indexes and copy records of versions no longer kept
    (not the search folder's own lock and unfinished builds: dot names)."""
    kept = {v.id for v in versions.list()}
    for folder in (versions.root / "derived", versions.root / "search",
                   versions.root / ".replica" / "copied"):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if entry.name not in kept and not entry.name.startswith("."):
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
