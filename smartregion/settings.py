"""The one settings object: every setting declared once, with default, type and help text.

Values come from (later wins) the defaults below, an optional TOML file (``SMARTREGION_CONFIG``
or ``--config``), ``SMARTREGION_*`` environment variables and command-line options.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
ENV_PREFIX = "SMARTREGION_"


def _setting(default: Any, help_text: str, *, secret: bool = False) -> Any:
    return field(default=default, repr=not secret, metadata={"help": help_text, "secret": secret})


@dataclass(frozen=True)
class Settings:
    """Platform settings. Field ``x`` is read from ``SMARTREGION_X`` or TOML key ``x``."""

    base_uri: str = _setting(
        "https://data.smarte-region-hessen.de/",
        "Base URI of all things, documents and graphs (ends with '/').",
    )
    data_dir: Path = _setting(
        PROJECT_DIR / "var" / "store",
        "Directory of the embedded store (numbered versions and the 'current' pointer).",
    )
    source_dir: Path = _setting(
        PROJECT_DIR / "data", "Directory of the curated sources (YAML-LD, one folder per source)."
    )
    ontology_dir: Path = _setting(
        PROJECT_DIR / "ontology", "Directory of the ontology, JSON-LD context and SKOS schemes."
    )
    shapes_dir: Path = _setting(PROJECT_DIR / "shapes", "Directory of the SHACL shapes.")
    host: str = _setting("127.0.0.1", "Interface the server listens on.")
    port: int = _setting(8000, "TCP port the server listens on.")
    workers: int = _setting(2, "Web worker processes of 'smartregion serve' (granian).")
    blocking_threads: int = _setting(
        8,
        "Threads per web worker that run the Flask app (granian blocking threads); they mostly "
        "wait on query executors, so a few per executor.",
    )
    backlog: int = _setting(1024, "Connections the listening socket queues before refusing.")
    graceful_timeout: float = _setting(
        10.0,
        "Seconds a stopping or reloading worker (SIGTERM, SIGHUP) may finish its requests "
        "before it is killed.",
    )
    request_timeout: float = _setting(
        10.0,
        "Seconds a client has to send a request's header block, and an idle keep-alive "
        "connection is kept open (granian closes the connection after it; at most 60).",
    )
    max_url_bytes: int = _setting(
        16_384,
        "Longest request target (path and query string) in bytes; longer ones get 414. A GET "
        "query of 6 KB of SPARQL needs about 10 KB once percent-encoded.",
    )
    max_header_bytes: int = _setting(
        65_536,
        "Largest request header block (request line included) in bytes; larger ones get 431 "
        "(granian's read buffer: checked between reads, so up to about twice this may pass).",
    )
    trusted_proxies: tuple[str, ...] = _setting(
        (),
        "Addresses or networks (comma-separated, e.g. 127.0.0.1,10.0.0.0/8) of reverse proxies "
        "whose X-Forwarded-For/-Proto/-Host headers are believed: they then decide absolute "
        "URLs and the client address for fair use. Empty = such headers are ignored.",
    )
    access_log: str = _setting(
        "-",
        "Where 'smartregion serve' writes its access log, one JSON object per request: '-' "
        "for standard output, a file path, or empty for none.",
    )
    metrics_dir: Path = _setting(
        PROJECT_DIR / "var" / "metrics",
        "Directory where the web workers keep their Prometheus metrics (multiprocess mode); "
        "emptied when 'smartregion serve' starts.",
    )
    keep_versions: int = _setting(5, "Store versions kept for rollback (at least 1).")
    store: str = _setting("embedded", "Store backend: 'embedded' (Oxigraph on disk) or 'remote'.")
    query_timeout: float = _setting(30.0, "Deadline of one SPARQL query in seconds.")
    query_memory_mb: int = _setting(1024, "Memory cap of one query executor process in MiB.")
    query_executors: int = _setting(2, "Query executor processes per web worker.")
    result_limit: int = _setting(100_000, "Most rows (or triples) one query result may have.")
    max_request_bytes: int = _setting(1_000_000, "Largest accepted request body in bytes.")
    service_allowlist: tuple[str, ...] = _setting(
        (), "Endpoints that SPARQL SERVICE may call (comma-separated); empty = SERVICE refused."
    )
    service_timeout: float = _setting(
        10.0,
        "Deadline in seconds of a query that calls an allowed SERVICE (pyoxigraph has no "
        "per-call timeout, so the whole query gets it when it is shorter than query_timeout).",
    )
    queue_timeout: float = _setting(
        10.0, "Seconds a query may wait for a free executor before the answer is 503 (busy)."
    )
    client_queries: int = _setting(
        4,
        "Most queries one client may have running or waiting per web worker; more get 429.",
    )
    result_cache_mb: int = _setting(
        64, "Memory per web worker for cached query results (0 = no result cache)."
    )
    page_size: int = _setting(50, "Entries per page of the HTML listings and search.")
    catalog_page_size: int = _setting(
        100, "Datasets per page of /catalog (hydra paging, as ckanext-dcat pages)."
    )
    inverse_page_size: int = _setting(
        50, "Links per group and page of a document's inverse links ('Verweise hierher')."
    )
    query_url: str = _setting("", "Remote store: SPARQL 1.1 Query endpoint URL.")
    update_url: str = _setting("", "Remote store: SPARQL 1.1 Update endpoint URL.")
    gsp_url: str = _setting("", "Remote store: Graph Store Protocol endpoint URL (optional).")
    store_user: str = _setting(
        "", "Remote store: user name for HTTP authentication (scheme: store_auth)."
    )
    store_password: str = _setting(
        "", "Remote store: password of store_user (never shown).", secret=True
    )
    store_auth: str = _setting(
        "basic",
        "Remote store: HTTP authentication scheme of store_user: 'basic' or 'digest' "
        "(Virtuoso's /sparql-auth).",
    )
    store_dataset: str = _setting(
        "union",
        "Remote store: what a query without FROM sees. 'union': the store's default graph is "
        "the union of its named graphs (Oxigraph --union-default-graph, Fuseki "
        "unionDefaultGraph); 'named': the platform names its graphs in every query "
        "(default-graph-uri/named-graph-uri), for stores whose default graph holds other "
        "graphs too (Virtuoso's system graphs).",
    )
    store_token: str = _setting("", "Remote store: bearer token (never shown).", secret=True)
    store_timeout: float = _setting(60.0, "Remote store: timeout of one request in seconds.")
    store_query_timeout_param: str = _setting(
        "",
        "Remote store: name of the store's own per-query timeout parameter (milliseconds), "
        "sent with each client query so the store's work ends at the deadline too (Virtuoso: "
        "'timeout'); empty = none.",
    )
    store_transaction: str = _setting(
        "request",
        "Remote store: what it runs as one transaction: 'request' (one SPARQL Update request: "
        "Oxigraph, Fuseki/TDB2) or 'operation' (each operation of a request commits on its "
        "own: Virtuoso); with 'operation' every publish is staged and switched in by one "
        "DELETE/INSERT operation.",
    )
    store_batch_bytes: int = _setting(
        32_000_000,
        "Remote store: largest SPARQL Update body in bytes; a larger publish is uploaded into "
        "temporary graphs first and switched in with one final update.",
    )
    store_version_ttl: float = _setting(
        1.0,
        "Remote store: seconds a web worker reuses the version id it read (0 = ask every time).",
    )
    store_lease: float = _setting(
        120.0,
        "Remote store: seconds a loader's write lease lasts unless renewed (it renews it while "
        "it runs; a killed loader blocks the next one at most this long).",
    )
    harvest_config: Path = _setting(
        PROJECT_DIR / "harvest.toml",
        "TOML file listing the remote sources 'smartregion harvest' fetches (DCAT catalogues, "
        "SPARQL endpoints) and how politely.",
    )

    def __post_init__(self) -> None:
        if not self.base_uri.endswith("/"):
            raise ValueError(f"base_uri must end with '/': {self.base_uri!r}")
        if not self.store_lease > 0:
            raise ValueError("store_lease must be a positive number of seconds")
        if self.keep_versions < 1:
            raise ValueError("keep_versions must be at least 1")
        if not 0 < self.request_timeout <= 60:
            raise ValueError("request_timeout must be more than 0 and at most 60 seconds")
        for name in ("workers", "blocking_threads", "page_size", "catalog_page_size",
                     "inverse_page_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.max_url_bytes < 1024 or self.max_header_bytes < 8192:
            raise ValueError("max_url_bytes must be at least 1024, max_header_bytes at least 8192")
        if self.store not in ("embedded", "remote"):
            raise ValueError(f"store must be 'embedded' or 'remote', not {self.store!r}")
        if self.store_auth not in ("basic", "digest"):
            raise ValueError(f"store_auth must be 'basic' or 'digest', not {self.store_auth!r}")
        if self.store_dataset not in ("union", "named"):
            raise ValueError(
                f"store_dataset must be 'union' or 'named', not {self.store_dataset!r}")
        if self.store_transaction not in ("request", "operation"):
            raise ValueError("store_transaction must be 'request' or 'operation', not "
                             f"{self.store_transaction!r}")
        if self.store == "remote" and not self.query_url:
            raise ValueError("store 'remote' needs SMARTREGION_QUERY_URL")

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (values are converted like environment values)."""
        return dataclasses.replace(self, **_convert_all(changes))


def secret_settings() -> frozenset[str]:
    """Names of the settings whose values are never logged or shown."""
    return frozenset(f.name for f in dataclasses.fields(Settings) if f.metadata["secret"])


def setting_docs() -> list[tuple[str, str, str]]:
    """(environment variable, default, help) for every setting, in declaration order."""
    rows = []
    for f in dataclasses.fields(Settings):
        default = f.default
        if isinstance(default, Path) and default.is_relative_to(PROJECT_DIR):
            default = default.relative_to(PROJECT_DIR)
        if isinstance(default, tuple):
            default = ",".join(default)
        rows.append((ENV_PREFIX + f.name.upper(), str(default), f.metadata["help"]))
    return rows


def _convert(name: str, value: Any) -> Any:
    fields = {f.name: f for f in dataclasses.fields(Settings)}
    if name not in fields:
        raise ValueError(f"unknown setting {name!r}")
    kind: type[Any] = type(fields[name].default)
    if isinstance(value, kind):
        return value
    if kind is tuple:
        items = value if isinstance(value, list | tuple) else str(value).split(",")
        return tuple(item.strip() for item in items if str(item).strip())
    if kind is Path:
        return Path(value)
    try:
        return kind(value)
    except ValueError as exc:
        raise ValueError(f"setting {name}: {value!r} is not a valid {kind.__name__}") from exc


def _convert_all(values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: _convert(name, value) for name, value in values.items()}


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Settings from TOML file, then environment, then explicit overrides (``None`` ignored)."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    config_file = config_file or (
        Path(environ[ENV_PREFIX + "CONFIG"]) if environ.get(ENV_PREFIX + "CONFIG") else None
    )
    if config_file is not None:
        with config_file.open("rb") as handle:
            values.update(tomllib.load(handle))
    names = {f.name for f in dataclasses.fields(Settings)}
    for key, value in environ.items():
        if key.startswith(ENV_PREFIX) and key != ENV_PREFIX + "CONFIG":
            name = key[len(ENV_PREFIX) :].lower()
            if name not in names:
                raise ValueError(f"unknown setting in environment: {key}")
            values[name] = value
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**_convert_all(values))
