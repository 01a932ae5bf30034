"""Dumps of the served data, one set per store version, generated lazily and kept on disk.

``/dump/{dataset}.{ttl,nt.gz,jsonld,nq.gz}``: a dataset is one source graph or the whole
knowledge graph (every source graph). The store writes each graph with its native dump
(``StoreBackend.dump``, N-Triples); pyoxigraph then re-serializes that stream natively into
the offered format (Turtle with the platform's prefixes, JSON-LD, N-Triples, N-Quads with the
graph name) and gzip compresses where the extension says so. Nothing is parsed into Python
objects graph by graph, so the cost stays linear and the memory flat.

Files live under ``{data_dir}/dumps/{version id}/``, written to a temporary name and renamed
into place, with a small JSON sidecar holding byte size and SHA-256 (which the catalogue
publishes as ``dcat:byteSize`` and ``spdx:checksum``). A version whose dumps were generated
stays immutable, so the checksum is also the strong ``ETag``. Directories of versions no longer
served are pruned down to ``keep_versions``.

If the served version changes while a dump is being written, the result is thrown away and
the dump is written again from the new version: a file never mixes two versions.
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

import pyoxigraph as ox

from smartregion.formats import graph_format
from smartregion.namespaces import PREFIXES
from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend, StoreError
from smartregion.store.publication import StoreVersion

IANA = "https://www.iana.org/assignments/media-types/"
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
ATTEMPTS = 3  # versions may switch under a generation; give up after this many tries
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@dataclass(frozen=True)
class DumpFormat:
    """A downloadable serialization: what is inside, and how the file is sent."""

    extension: str  # as in the URL: "ttl", "nt.gz", …
    media_type: str  # of the RDF inside the file (dcat:mediaType)
    file_type: str  # EU file-type code (dct:format)
    oxigraph: ox.RdfFormat
    quads: bool
    compressed: bool
    label_de: str
    label_en: str

    @property
    def content_type(self) -> str:
        """The HTTP ``Content-Type`` of the file (gzip files are sent as they are stored)."""
        if self.compressed:
            return "application/gzip"
        charset = "; charset=utf-8" if self.media_type.startswith("text/") else ""
        return self.media_type + charset

    @property
    def media_type_iri(self) -> str:
        """The IANA IRI of the RDF media type (``dcat:mediaType``)."""
        return IANA + self.media_type

    @property
    def file_type_iri(self) -> str:
        """The EU file-type IRI (``dct:format``)."""
        return FILE_TYPE + self.file_type


DUMP_FORMATS: tuple[DumpFormat, ...] = (
    DumpFormat("ttl", "text/turtle", "RDF_TURTLE", ox.RdfFormat.TURTLE,
               quads=False, compressed=False, label_de="Turtle", label_en="Turtle"),
    DumpFormat("nt.gz", "application/n-triples", "RDF_N_TRIPLES", ox.RdfFormat.N_TRIPLES,
               quads=False, compressed=True,
               label_de="N-Triples (gzip)", label_en="N-Triples (gzip)"),
    DumpFormat("jsonld", "application/ld+json", "JSON_LD", ox.RdfFormat.JSON_LD,
               quads=False, compressed=False, label_de="JSON-LD", label_en="JSON-LD"),
    DumpFormat("nq.gz", "application/n-quads", "RDF_N_QUADS", ox.RdfFormat.N_QUADS,
               quads=True, compressed=True,
               label_de="N-Quads mit Named Graphs (gzip)",
               label_en="N-Quads with named graphs (gzip)"),
)
GZIP_IRI = IANA + "application/gzip"


def dump_format(extension: str) -> DumpFormat | None:
    """The dump format of a URL extension (``ttl``, ``nt.gz``, ``jsonld``, ``nq.gz``)."""
    return next((f for f in DUMP_FORMATS if f.extension == extension), None)


@dataclass(frozen=True)
class DumpFile:
    """A generated dump: where it is, how big, its SHA-256 and the version it shows."""

    path: Path
    fmt: DumpFormat
    byte_size: int
    sha256: str
    version_id: str


class VersionChanged(RuntimeError):
    """The served version changed while something was derived from it."""


class DumpStore:
    """The dump files of the served store versions under ``{data_dir}/dumps``."""

    def __init__(self, settings: Settings, backend: StoreBackend) -> None:
        self.root = settings.data_dir / "dumps"
        self.keep = settings.keep_versions
        self.backend = backend

    def directory(self, version: StoreVersion) -> Path:
        """The folder of one version's dumps (the id, or its digest if not file-name safe)."""
        name = version.id if _SAFE_ID.match(version.id) else hashlib.sha256(
            version.id.encode()).hexdigest()[:32]
        return self.root / name

    def get(
        self, version: StoreVersion, datasets: Mapping[str, Sequence[str]], name: str,
        fmt: DumpFormat,
    ) -> DumpFile:
        """The dump of dataset ``name`` (one of ``datasets``: name → its graphs) for
        ``version``. On a miss every dump of every dataset of the version is written in one
        pass, each graph read from the store once.

        Raises :class:`VersionChanged` when ``version`` is no longer the served one.
        """
        if name not in datasets:
            raise KeyError(name)
        folder = self.directory(version)
        target = folder / f"{name}.{fmt.extension}"
        cached = _read_sidecar(target, fmt)
        if cached is not None:
            return cached
        folder.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(folder / ".lock"):
            if _read_sidecar(target, fmt) is None:  # another process may have just written it
                self._check(version)
                self._generate(version, folder, datasets)
        self._prune(folder)
        made = _read_sidecar(target, fmt)
        if made is None:  # pragma: no cover - _generate wrote it or raised
            raise StoreError(f"dump {target} was not written")
        return made

    def _check(self, version: StoreVersion) -> None:
        served = self.backend.version()
        if served is None or served.id != version.id:
            raise VersionChanged(f"version {version.id} is no longer served")

    def _generate(
        self, version: StoreVersion, folder: Path, datasets: Mapping[str, Sequence[str]]
    ) -> None:
        ntriples = graph_format("ntriples")
        if ntriples is None:  # pragma: no cover - the table always has it
            raise StoreError("N-Triples missing from smartregion.formats")
        written: list[tuple[Path, DumpFile]] = []
        with tempfile.TemporaryDirectory(dir=folder, prefix=".work-") as work:
            parts: dict[str, Path] = {}
            for graph in (g for graphs in datasets.values() for g in graphs):
                if graph not in parts:
                    parts[graph] = Path(work) / f"{len(parts)}.nt"
                    self.backend.dump(parts[graph], ntriples, graph)
            for name, graphs in datasets.items():
                for fmt in DUMP_FORMATS:
                    target = folder / f"{name}.{fmt.extension}"
                    if _read_sidecar(target, fmt) is None:
                        partial = target.with_name(f".{target.name}.partial")
                        size, digest = _write(partial, [(g, parts[g]) for g in graphs], fmt)
                        written.append((partial, DumpFile(target, fmt, size, digest, version.id)))
        try:
            self._check(version)  # the version switched mid-way: never keep a mixed file
        except VersionChanged:
            for partial, _made in written:
                partial.unlink(missing_ok=True)
            raise
        for partial, made in written:
            os.replace(partial, made.path)
            _write_sidecar(made)

    def _prune(self, current: Path) -> None:
        prune_version_folders(self.root, self.keep, current)


def _write(partial: Path, parts: Sequence[tuple[str, Path]], fmt: DumpFormat) -> tuple[int, str]:
    """Serialize the parts natively into ``partial``; returns (bytes, SHA-256 hex)."""
    prefixes = PREFIXES if fmt.oxigraph == ox.RdfFormat.TURTLE else None
    with partial.open("wb") as raw:
        sink = _HashingWriter(raw)
        if fmt.compressed:
            # mtime=0 and no file name: equal content gives equal bytes and checksum
            with gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0,
                               compresslevel=6) as packed:
                ox.serialize(_statements(parts, fmt.quads), cast(IO[bytes], packed),
                             fmt.oxigraph, prefixes=prefixes)
        else:
            ox.serialize(_statements(parts, fmt.quads), cast(IO[bytes], sink), fmt.oxigraph,
                         prefixes=prefixes)
        raw.flush()
        os.fsync(raw.fileno())
    return sink.size, sink.digest.hexdigest()


def _statements(
    parts: Sequence[tuple[str, Path]], quads: bool
) -> Iterable[ox.Triple] | Iterable[ox.Quad]:
    """The triples, or the quads in their source graph, of the per-graph N-Triples dumps.

    Blank-node labels are kept as the store wrote them (store-wide ids), so a node shared
    between graphs stays one node in the combined dump.
    """
    return _quads(parts) if quads else _triples(parts)


def _triples(parts: Sequence[tuple[str, Path]]) -> Iterator[ox.Triple]:
    for _graph, path in parts:
        for quad in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES):
            yield quad.triple


def _quads(parts: Sequence[tuple[str, Path]]) -> Iterator[ox.Quad]:
    for graph, path in parts:
        graph_node = ox.NamedNode(graph)
        for quad in ox.parse(path=path, format=ox.RdfFormat.N_TRIPLES):
            yield ox.Quad(quad.subject, quad.predicate, quad.object, graph_node)


class _HashingWriter:
    """A binary sink that counts and hashes what passes through to the file."""

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        self.size += len(data)
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _sidecar(target: Path) -> Path:
    return target.with_name(target.name + ".json")


def _read_sidecar(target: Path, fmt: DumpFormat) -> DumpFile | None:
    try:
        info = json.loads(_sidecar(target).read_text(encoding="utf-8"))
        if not target.is_file() or target.stat().st_size != info["bytes"]:
            return None
        return DumpFile(target, fmt, int(info["bytes"]), str(info["sha256"]), str(info["version"]))
    except (OSError, ValueError, KeyError):
        return None


def _write_sidecar(made: DumpFile) -> None:
    sidecar = _sidecar(made.path)
    partial = sidecar.with_name(sidecar.name + ".partial")
    partial.write_text(json.dumps(
        {"bytes": made.byte_size, "sha256": made.sha256, "version": made.version_id}
    ), encoding="utf-8")
    os.replace(partial, sidecar)


def prune_version_folders(root: Path, keep: int, current: Path) -> None:
    """Remove the per-version folders under ``root`` (dumps, search indexes) but the newest
    ``keep`` and ``current``. By age, not by the version list: on a remote store the
    versions are not local, these folders are."""
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime, reverse=True)
    for folder in folders[keep:]:
        if folder != current:
            shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` across the web workers of this machine."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
