"""Store backends behind one interface, and the one factory that picks the configured one."""

from __future__ import annotations

from smartregion.settings import Settings
from smartregion.store.backend import StoreBackend


def open_backend(settings: Settings) -> StoreBackend:
    """The store backend the settings ask for."""
    if settings.store == "embedded":
        from smartregion.store.embedded import EmbeddedBackend

        return EmbeddedBackend(settings)
    from smartregion.store.remote import RemoteBackend

    return RemoteBackend(settings)


__all__ = ["StoreBackend", "open_backend"]
