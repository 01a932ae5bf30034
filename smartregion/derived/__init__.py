"""Views derived once per published store version.

A store version never changes, so everything computed from it stays right for as long as it
is served. This package holds those views and the one step that makes them: the writer
(``smartregion load``, ``load gv100ad``, ``harvest``, ``rollback``) calls
:func:`prepare_version` after every publish, so web workers never count or dump anything on
a first request. Nothing here imports Flask: the web tier (``endpoint``) only renders.

Where each view lives, with several web nodes on one remote store in mind:

- **figures a web node needs** (the VoID statistics) are recorded *with the version in the
  store*: the embedded store keeps a JSON file per version beside its versions, a remote
  store keeps it in the metadata graph (``<{meta}#derived-void-statistics>``, naming the
  version it was made from), so every node reads the same figures without counting;
- **files** (the dumps) are made per node under ``{data_dir}/dumps/{version}``, by the writer
  on its node and lazily (once, under a file lock) on first request on any other node; their
  content is a function of the version, so every node serves the same bytes and checksums;
- **catalogue datasets** are read from the load records in the metadata graph (a cheap
  query) once per version and process.

Modules: :mod:`~smartregion.derived.datasets` (the catalogue datasets),
:mod:`~smartregion.derived.dumps` (dump files), :mod:`~smartregion.derived.void_statistics`
(VoID figures), :mod:`~smartregion.derived.search_index` (the full-text index, a directory per
version under ``{data_dir}/search``, made like the dumps) and
:mod:`~smartregion.derived.search` (querying it), :mod:`~smartregion.derived.views` (the
per-version views and :func:`prepare_version`).
"""

from __future__ import annotations

from smartregion.derived.views import DerivedViews, Snapshot, prepare_version

__all__ = ["DerivedViews", "Snapshot", "prepare_version"]
