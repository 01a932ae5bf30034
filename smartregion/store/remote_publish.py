"""How a remote store is published to: what one publish sends, by the store's transactions.

``SMARTREGION_STORE_TRANSACTION`` says what the store runs as one transaction:

- ``request`` (Oxigraph server, Jena Fuseki/TDB2): one SPARQL Update request, however many
  operations it has. A publish up to ``store_batch_bytes`` is one request (drop, insert,
  records, version marker); a larger one is uploaded into staging graphs (GSP ``PUT`` and
  ``POST`` of pieces up to ``store_batch_bytes``, or ``INSERT DATA`` pieces) and switched in
  by one request of ``MOVE`` operations.
- ``operation`` (Virtuoso 7): only one update *operation*; the operations of one request
  commit one by one (a failing third operation leaves the first two applied: tested). Every
  publish is uploaded into staging graphs (data and load records) and switched in by a single
  ``DELETE``/``INSERT`` operation that also bumps the version marker
  (:func:`~smartregion.store.remote_update.switch_operation`); the staging graphs are dropped
  afterwards.

Staging graphs are ``{base}graph/.staging/{token}/…``: never listed, dumped or validated, and
not part of what queries see in ``SMARTREGION_STORE_DATASET=named``.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from typing import TYPE_CHECKING

from rdflib import Graph

from smartregion.store import remote_update as ru
from smartregion.store.backend import StoreError
from smartregion.store.publication import Publication, StoreVersion, now

if TYPE_CHECKING:
    from smartregion.store.remote import RemoteBackend

log = logging.getLogger(__name__)

SWITCH_ATTEMPTS = 10
VIRTUOSO_LIMITS = {
    "SR171": "its MaxQueryExecutionTime ([SPARQL] in virtuoso.ini: seconds)",
    "SR325": "its TransactionAfterImageLimit ([Parameters] in virtuoso.ini: bytes one "
             "transaction may change)",
}
"""Virtuoso's refusals of a switch that is too large, by error code, and the limit to raise."""


def publish(backend: RemoteBackend, publication: Publication) -> StoreVersion:
    """Replace graphs, their load records and the version marker as one new version."""
    token = secrets.token_hex(4)
    bodies = {g: ru.ntriples(graph, f"g{i}x") for i, (g, graph)
              in enumerate(publication.graphs.items())}
    if backend.settings.store_transaction == "operation":
        _staged_one_operation(backend, publication, bodies, token)
        return token_version(backend, token)
    tail: list[bytes] = []
    for i, (g, record) in enumerate(publication.records.items()):
        tail.append(ru.delete_record(backend.meta_graph, g))
        if len(record):
            tail.append(ru.insert_data(backend.meta_graph, ru.ntriples(record, f"r{i}x")))
    tail.append(ru.bump_version(backend.meta_graph, token, now()))
    if sum(len(b) for b in bodies.values()) <= backend.settings.store_batch_bytes:
        ops: list[bytes] = []
        for g, body in bodies.items():
            ops.append(ru.drop_graph(g))
            if body:
                ops.append(ru.insert_data(g, body))
        backend.connection.run_update(ru.request([*ops, *tail]), "publish")
        return token_version(backend, token)
    staging = _staging(backend, bodies, token)
    try:
        _upload(backend, publication.graphs, bodies, staging)
        switch = [ru.move_graph(staging[g], g) if g in staging else ru.drop_graph(g)
                  for g in bodies]
        started = time.monotonic()
        backend.connection.run_update(ru.request([*switch, *tail]), "publish (switch)")
        log.info("switched the staged graphs in (%.1f s)", time.monotonic() - started)
    except BaseException:
        drop_staging(backend, list(staging.values()))
        raise
    return token_version(backend, token)


def token_version(backend: RemoteBackend, token: str) -> StoreVersion:
    """The version the store serves after the publish with ``token``."""
    backend.forget_version()
    version = backend.version()
    if version is None:
        raise StoreError("publish: the store accepted the update but has no version marker")
    if not version.id.endswith(token):
        log.warning("another publish overtook this one; the store serves %s", version.id)
    return version


def _staging(backend: RemoteBackend, bodies: dict[str, bytes], token: str) -> dict[str, str]:
    prefix = backend.staging_prefix
    return {g: f"{prefix}{token}/{i}" for i, g in enumerate(bodies) if bodies[g]}


def _upload(backend: RemoteBackend, graphs: dict[str, Graph], bodies: dict[str, bytes],
            staging: dict[str, str]) -> None:
    """Upload each graph into its staging graph: by GSP (one ``PUT``, or a ``PUT`` and
    ``POST``s of at most ``store_batch_bytes`` each, so no request outlasts the store timeout)
    or, without a GSP URL, by ``INSERT DATA`` pieces."""
    limit = backend.settings.store_batch_bytes
    for g, temp in staging.items():
        what = f"upload of {g}"
        if not backend.connection.has_gsp:
            for piece in ru.chunks(graphs[g], limit):
                backend.connection.run_update(ru.insert_data(temp, piece), what)
        elif len(bodies[g]) <= limit:
            backend.connection.put_graph(temp, bodies[g], what)
        else:
            for i, piece in enumerate(ru.chunks(graphs[g], limit, max_triples=None)):
                backend.connection.put_graph(temp, piece, what, append=i > 0)
        log.info("uploaded %s (%d bytes) into a staging graph", g, len(bodies[g]))


def _staged_one_operation(backend: RemoteBackend, publication: Publication,
                          bodies: dict[str, bytes], token: str) -> None:
    staging = _staging(backend, bodies, token)
    records = Graph()
    for record in publication.records.values():
        records += record
    staged_records = f"{backend.staging_prefix}{token}/records" if len(records) else None
    temporary = [*staging.values(), *([staged_records] if staged_records else [])]
    try:
        _upload(backend, publication.graphs, bodies, staging)
        if staged_records:
            _upload(backend, {staged_records: records},
                    {staged_records: ru.ntriples(records, "r")}, {staged_records: staged_records})
        switch = ru.switch_operation(backend.meta_graph, {g: staging.get(g) for g in bodies},
                                     staged_records, publication.records, token, now())
        _switch(backend, switch)
    finally:
        drop_staging(backend, temporary)


def _switch(backend: RemoteBackend, body: bytes) -> None:
    """Run the switch operation; again when the store chose it as the victim of a deadlock
    with readers (SQLSTATE 40001: it was rolled back whole, so running it again is safe)."""
    for attempt in range(SWITCH_ATTEMPTS):
        started = time.monotonic()
        try:
            backend.connection.run_update(body, "publish (switch)")
            log.info("switched the staged graphs in (%.1f s)", time.monotonic() - started)
            return
        except StoreError as exc:
            limit = next((name for code, name in VIRTUOSO_LIMITS.items() if code in str(exc)),
                         None)
            if limit is not None:  # Virtuoso stopped the operation and rolled it back
                raise StoreError(
                    f"{exc}\nThe switch is one update operation, and Virtuoso stopped it at "
                    f"{limit}; raise that limit above what a switch of this size needs. "
                    "Nothing was published.") from None
            if "40001" not in str(exc) or attempt == SWITCH_ATTEMPTS - 1:
                raise
            log.info("the switch was rolled back by a deadlock with readers; trying again")
            time.sleep(random.uniform(0.1, 0.5) * (attempt + 1))


def sweep_staging(backend: RemoteBackend) -> list[str]:
    """Remove the staging graphs a killed or failed publish left behind (the caller holds the
    write lease, so no publish of another loader is running); the graphs removed.

    Left in the store they would cost space and, where the default graph is the union of all
    graphs (Oxigraph), show in every query that names no graph.
    """
    rows = backend.select_unscoped(backend.scope.list_query())  # as cheap as the store allows
    leftovers = sorted({str(g) for row in rows if (g := row.get("g")) is not None
                        and str(g).startswith(backend.staging_prefix)})
    if leftovers:
        log.warning("removing %d staging graph(s) an earlier publish left behind: %s",
                    len(leftovers), ", ".join(leftovers))
        drop_staging(backend, leftovers)
    return leftovers


def drop_staging(backend: RemoteBackend, graphs: list[str]) -> None:
    """Remove staging graphs (best effort: a failure is logged, the publish's error stays)."""
    if not graphs:
        return
    try:
        backend.connection.delete_graphs(graphs)
    except StoreError as exc:
        log.warning("could not remove staging graphs %s: %s", graphs, exc)
