"""Store backends behind one interface, and the one factory that picks the configured one."""

from __future__ import annotations

from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend


def open_backend(settings: Settings) -> StoreBackend:
    """The store backend the settings ask for."""
    if settings.store == "embedded":
        from smartregion.store.embedded import EmbeddedBackend

        return EmbeddedBackend(settings)
    raise NotImplementedError("the remote backend is not built yet (issue: scale-out)")


__all__ = ["StoreBackend", "open_backend"]
