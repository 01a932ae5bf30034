"""The writer of a remote store: a write lease in the store, staging, an undo log for rollback.

**Lease.** Two loaders must never interleave their publishes. A loader writes its own lease
``<{base}graph/.writer#TOKEN> srh:leaseHolder "…" ; srh:leaseExpires t`` into the hidden
graph ``{base}graph/.writer`` (one SPARQL Update request) and then reads all leases: if any
other unexpired lease is there, it removes its own, says who holds the store and tries again
later. Of two loaders that both wrote, the one whose write came second always sees the first,
so at most one goes on; both back off only when each sees the other, and random waits end
that. This needs nothing but single update requests being atomic and a read seeing the writes
completed before it, which every SPARQL 1.1 store gives (tested against ``oxigraph serve``).
The holder renews its lease every third of ``store_lease`` seconds; a killed loader's lease
expires, so it blocks the next one at most ``store_lease`` seconds. Expiry times are the
loaders' own clocks: keep loader hosts in NTP sync.

**Staging.** The data of a change is validated in the store's form: the served graphs and the
new ones go into an in-memory pyoxigraph store (the form Oxigraph and every store that keeps
only the primitive XSD types hold them in). Nothing reaches the remote store before the
validation has passed, so no reader ever sees data that is then rejected.

**Undo log.** A remote store keeps one state only. Before a publish switches, the writer saves
what the publish replaces (old graphs and load records) under
``{data_dir}/remote-undo/{new version}/`` on the loader host; ``rollback`` publishes that
content again as a new version. It works on the host that published, for the last
``keep_versions`` publishes.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import secrets
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph, Literal

from smartregion.namespaces import SRH, XSD
from smartregion.store import remote_publish
from smartregion.store import remote_update as ru
from smartregion.store.backend import StoreError, WaitNotice
from smartregion.store.publication import Publication, StoreVersion
from smartregion.store.terms import to_quad, to_rdflib
from smartregion.store.versions import VersionError
from smartregion.uris import meta_graph_uri

if TYPE_CHECKING:
    from smartregion.store.remote import RemoteBackend

log = logging.getLogger(__name__)

LEASE_GRAPH = "graph/.writer"  # under the base URI; hidden like the staging graphs
UNDO_DIR = "remote-undo"


# -- the lease ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Lease:
    """One lease found in the store."""

    iri: str
    holder: str
    expires: datetime


class WriteLease:
    """This loader's lease on one remote store."""

    def __init__(self, backend: RemoteBackend, holder: str) -> None:
        self.backend = backend
        self.ttl = backend.settings.store_lease
        self.graph = backend.settings.base_uri + LEASE_GRAPH
        self.iri = f"{self.graph}#{secrets.token_hex(8)}"
        self.holder = f"{holder} (host {socket.gethostname()})"
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self, on_wait: WaitNotice | None) -> None:
        """Wait until this loader is the only one holding a lease."""
        told = False
        while True:
            self._write(_now() + timedelta(seconds=self.ttl))
            others = [lease for lease in self.leases() if lease.iri != self.iri]
            expired = [lease for lease in others if lease.expires <= _now()]
            for lease in expired:
                self._delete(lease.iri)
            live = [lease for lease in others if lease.expires > _now()]
            if not live:
                break
            self._delete(self.iri)
            if on_wait is not None and not told:
                holder = live[0]
                on_wait(f"another writer holds the store: {holder.holder}, lease until "
                        f"{holder.expires.isoformat()}; waiting until it has finished …")
                told = True
            time.sleep(random.uniform(0.2, 1.0))
        self._renewer = threading.Thread(target=self._renew_loop, name="lease-renewer",
                                         daemon=True)
        self._renewer.start()

    def check(self) -> None:
        """Raise :class:`StoreError` unless this loader still holds the only live lease."""
        now = _now()
        live = [lease for lease in self.leases() if lease.expires > now]
        if [lease.iri for lease in live] != [self.iri]:
            raise StoreError(
                "the write lease on the remote store was lost (it was not renewed within "
                f"{self.ttl:g} s); nothing was published")

    def release(self) -> None:
        """Stop renewing and remove the lease."""
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=self.ttl)
        try:
            self._delete(self.iri)
        except StoreError as exc:  # it expires by itself
            log.warning("could not remove the write lease: %s", exc)

    def leases(self) -> list[Lease]:
        """Every lease in the store."""
        rows = self.backend.select_unscoped(
            "SELECT ?lease ?holder ?expires WHERE { GRAPH " + ru.iri(self.graph) + " { "
            "?lease " + ru.iri(SRH.leaseExpires) + " ?expires "
            "OPTIONAL { ?lease " + ru.iri(SRH.leaseHolder) + " ?holder } } }")
        found = []
        for row in rows:
            moment = row["expires"].toPython() if isinstance(row["expires"], Literal) else None
            if isinstance(moment, datetime):
                found.append(Lease(str(row["lease"]), str(row.get("holder", "?")),
                                   moment if moment.tzinfo else moment.replace(tzinfo=UTC)))
        return found

    def _write(self, expires: datetime) -> None:
        graph, lease = ru.iri(self.graph), ru.iri(self.iri)
        self.backend.connection.run_update((
            f"DELETE WHERE {{ GRAPH {graph} {{ {lease} ?p ?o }} }} ;\n"
            f"INSERT DATA {{ GRAPH {graph} {{ {lease} {ru.iri(SRH.leaseHolder)} "
            f"{Literal(self.holder).n3()} ; {ru.iri(SRH.leaseExpires)} {_time(expires)} }} }}"
        ).encode(), "write lease")

    def _delete(self, lease: str) -> None:
        self.backend.connection.run_update(
            f"DELETE WHERE {{ GRAPH {ru.iri(self.graph)} {{ {ru.iri(lease)} ?p ?o }} }}".encode(),
            "write lease")

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            graph, lease = ru.iri(self.graph), ru.iri(self.iri)
            expires = ru.iri(SRH.leaseExpires)
            try:  # renewed only while it is still there: a lease lost stays lost
                self.backend.connection.run_update((
                    f"DELETE {{ GRAPH {graph} {{ {lease} {expires} ?e }} }} "
                    f"INSERT {{ GRAPH {graph} {{ {lease} {expires} "
                    f"{_time(_now() + timedelta(seconds=self.ttl))} }} }} "
                    f"WHERE {{ GRAPH {graph} {{ {lease} {expires} ?e }} }}").encode(),
                    "renew write lease")
            except StoreError as exc:
                log.warning("could not renew the write lease: %s", exc)


@contextlib.contextmanager
def hold_lease(backend: RemoteBackend, holder: str,
               on_wait: WaitNotice | None) -> Iterator[WriteLease]:
    """Hold the store's write lease for the block."""
    lease = WriteLease(backend, holder)
    lease.acquire(on_wait)
    backend.lease = lease
    try:
        remote_publish.sweep_staging(backend)
        yield lease
    finally:
        backend.lease = None
        lease.release()


# -- staging and committing -----------------------------------------------------------------
class RemoteStage:
    """The new state of a remote store, in an in-memory pyoxigraph store, not yet published."""

    def __init__(self, backend: RemoteBackend, graphs: Mapping[str, Graph]) -> None:
        self.backend = backend
        self.graphs = dict(graphs)
        self.store = ox.Store()
        self.committed: StoreVersion | None = None
        self._previous: dict[str, list[ox.Triple]] = {}
        self._meta = meta_graph_uri(backend.settings.base_uri)
        for uri in backend.graph_uris():
            node = ox.NamedNode(uri)
            quads = backend.graph_quads(uri)
            if uri in self.graphs:
                self._previous[uri] = [q.triple for q in quads]
            else:
                self.store.bulk_extend(
                    ox.Quad(q.subject, q.predicate, q.object, node) for q in quads)
        for uri, graph in self.graphs.items():
            if len(graph):
                node = ox.NamedNode(uri)
                self.store.bulk_extend(to_quad(t, node) for t in graph)

    def data_graphs(self) -> list[ox.NamedNode]:
        hidden = self.backend.settings.base_uri + "graph/."
        return sorted((g for g in self.store.named_graphs()
                       if isinstance(g, ox.NamedNode) and g.value != self._meta
                       and not g.value.startswith(hidden)), key=lambda g: g.value)

    def previous(self, graph_uri: str) -> Iterator[ox.Triple]:
        yield from self._previous.get(graph_uri, [])

    def commit(self, records: Mapping[str, Graph]) -> StoreVersion:
        if self.committed is not None:
            raise VersionError("this change is already published")
        lease = self.backend.lease
        if lease is not None:
            lease.check()
        before = self.backend.stored_version()
        undo = UndoLog(self.backend.settings.data_dir / UNDO_DIR)
        pending = undo.save(before, self._previous, set(self.graphs),
                            self._old_records(records))
        try:
            self.committed = self.backend.publish(Publication(self.graphs, dict(records)))
        except BaseException:
            shutil.rmtree(pending, ignore_errors=True)
            raise
        undo.keep(pending, self.committed, self.backend.settings.keep_versions)
        return self.committed

    def _old_records(self, records: Mapping[str, Graph]) -> dict[str, list[ox.Triple]]:
        meta = ox.NamedNode(self._meta)
        old: dict[str, list[ox.Triple]] = {key: [] for key in records}
        for quad in self.store.quads_for_pattern(None, None, None, meta):
            subject = quad.subject
            for key in records:
                if isinstance(subject, ox.NamedNode) and (
                        subject.value == key or subject.value.startswith(key + "#")):
                    old[key].append(quad.triple)
        return old


class RemoteWriter:
    """The writer of a remote store while this loader holds its lease."""

    def __init__(self, backend: RemoteBackend) -> None:
        self.backend = backend

    @contextlib.contextmanager
    def stage(self, graphs: Mapping[str, Graph]) -> Iterator[RemoteStage]:
        yield RemoteStage(self.backend, graphs)

    def rollback(self, to: str | None = None) -> StoreVersion:
        """Publish again what the last publishes (back to version ``to``) replaced."""
        undo = UndoLog(self.backend.settings.data_dir / UNDO_DIR)
        current = self.backend.stored_version()
        entries = undo.entries()
        if not entries or current is None or entries[-1].version != current.id:
            last = entries[-1].version if entries else "empty"
            raise VersionError(
                f"the store serves version {current.id if current else 'none'}, but the undo "
                f"log of this host ({undo.root}) ends at {last}: roll back on the loader "
                "host that published it")
        chain = []
        for entry in reversed(entries):
            chain.append(entry)
            if to is None or entry.previous == to:
                break
        else:
            known = ", ".join(e.previous for e in entries if e.previous) or "none"
            raise VersionError(f"no version {to!r} to roll back to (known: {known})")
        if chain[-1].previous is None:
            raise VersionError("no older version to roll back to")
        graphs: dict[str, Graph] = {}
        records: dict[str, Graph] = {}
        for entry in chain:  # newest first: an older entry's content wins
            graphs.update(entry.graphs())
            records.update(entry.records())
        if self.backend.lease is not None:
            self.backend.lease.check()
        version = self.backend.publish(Publication(graphs, records))
        for entry in chain:
            shutil.rmtree(entry.path, ignore_errors=True)
        # The store now holds what the version before the chain held: its undo entry (if
        # kept) goes on from the new version, so one can roll back further.
        for entry in undo.entries():
            if entry.version == chain[-1].previous:
                entry.path.rename(entry.path.with_name(version.id))
        return version


# -- the undo log ---------------------------------------------------------------------------
@dataclass(frozen=True)
class UndoEntry:
    """What the publish of ``version`` replaced; ``previous`` is the version before it."""

    path: Path
    version: str
    previous: str | None
    previous_created: str | None

    def graphs(self) -> dict[str, Graph]:
        index = json.loads((self.path / "undo.json").read_text())
        return {uri: _read(self.path / name) if name else Graph()
                for uri, name in index["graphs"].items()}

    def records(self) -> dict[str, Graph]:
        index = json.loads((self.path / "undo.json").read_text())
        return {key: _read(self.path / name) for key, name in index["records"].items()}


class UndoLog:
    """Entries under ``root``, one directory per published version."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save(self, before: StoreVersion | None, graphs: Mapping[str, list[ox.Triple]],
             replaced: set[str], records: Mapping[str, list[ox.Triple]]) -> Path:
        """Write an entry under a temporary name; :meth:`keep` names it after the publish."""
        pending = self.root / f".pending-{secrets.token_hex(4)}"
        pending.mkdir(parents=True)
        index: dict[str, object] = {
            "previous": before.id if before else None,
            "previous_created": before.created.isoformat() if before else None,
            "graphs": {}, "records": {},
        }
        for i, uri in enumerate(sorted(replaced)):
            name = f"graph-{i}.nt" if uri in graphs else None
            if name:
                _write(pending / name, graphs[uri])
            index["graphs"][uri] = name  # type: ignore[index]
        for i, key in enumerate(sorted(records)):
            _write(pending / f"record-{i}.nt", records[key])
            index["records"][key] = f"record-{i}.nt"  # type: ignore[index]
        (pending / "undo.json").write_text(json.dumps(index, indent=1))
        return pending

    def keep(self, pending: Path, version: StoreVersion, keep_versions: int) -> None:
        """Name a saved entry after the version it undoes; drop entries beyond the count."""
        pending.rename(self.root / version.id)
        for entry in self.entries()[:-keep_versions]:
            shutil.rmtree(entry.path, ignore_errors=True)
        for stale in self.root.glob(".pending-*"):
            if stale != pending and stale.stat().st_mtime < time.time() - 86_400:
                shutil.rmtree(stale, ignore_errors=True)

    def entries(self) -> list[UndoEntry]:
        """The entries, oldest first."""
        if not self.root.is_dir():
            return []
        found = []
        for path in self.root.iterdir():
            index = path / "undo.json"
            if path.name.startswith(".") or not index.is_file():
                continue
            data = json.loads(index.read_text())
            found.append(UndoEntry(path, path.name, data["previous"], data["previous_created"]))
        return sorted(found, key=lambda e: int(e.version.split("-", 1)[0]))


def remote_history(backend: RemoteBackend) -> list[StoreVersion]:
    """Versions a rollback can go back to (from this host's undo log) and the current one."""
    versions = []
    for entry in UndoLog(backend.settings.data_dir / UNDO_DIR).entries():
        if entry.previous and entry.previous_created:
            versions.append(StoreVersion(entry.previous,
                                         datetime.fromisoformat(entry.previous_created)))
    current = backend.stored_version()
    if current is not None:
        versions.append(current)
    return versions


def _write(path: Path, triples: list[ox.Triple]) -> None:
    path.write_bytes(ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES) or b"")


def _read(path: Path) -> Graph:
    graph = Graph()
    for triple in ox.parse(path=str(path), format=ox.RdfFormat.N_TRIPLES):
        graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate),
                   to_rdflib(triple.object)))
    return graph


def _now() -> datetime:
    return datetime.now(UTC)


def _time(moment: datetime) -> str:
    return Literal(moment.isoformat(), datatype=XSD.dateTime).n3()
