"""The web tier: a Flask application built by a factory that takes its dependencies."""

from __future__ import annotations

import importlib

from flask import Flask

from smartregion.settings import Settings, load_settings
from smartregion.store import StoreBackend, open_backend

# One blueprint per concern; each module exposes ``bp``.
BLUEPRINTS: list[str] = [
    "endpoint.health",
    "endpoint.i18n",
    "endpoint.site",
    "endpoint.listing_pages",
    "endpoint.search_pages",
    "endpoint.profile_register",
    "endpoint.resources",
    "endpoint.vocabulary",
    "endpoint.catalog",
    "endpoint.sparql",
    "endpoint.geo",
    "endpoint.ngsi_ld.views",
    "endpoint.features.views",
    "endpoint.saved_queries.views",
]


def create_app(settings: Settings | None = None, backend: StoreBackend | None = None) -> Flask:
    """A Flask app serving the store ``backend`` (opened from ``settings`` when not given)."""
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config["SMARTREGION_SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.extensions["smartregion.backend"] = backend or open_backend(settings)

    from endpoint import errors, http
    from endpoint.observability import Observed
    from endpoint.proxy import TrustedProxies

    errors.register(app)
    http.register(app)  # URL length, CORS for any origin, gzip/br compression
    for module_name in BLUEPRINTS:
        module = importlib.import_module(module_name)
        app.register_blueprint(module.bp)
    # Outermost first: forwarded headers resolved (trusted proxies only), then every request
    # counted, timed and logged with the client address the app sees.
    app.wsgi_app = TrustedProxies(Observed(app.wsgi_app), settings.trusted_proxies)  # type: ignore[method-assign]
    return app


def backend_of(app: Flask) -> StoreBackend:
    """The store backend an app serves."""
    backend: StoreBackend = app.extensions["smartregion.backend"]
    return backend


def settings_of(app: Flask) -> Settings:
    """The settings an app was built with."""
    settings: Settings = app.config["SMARTREGION_SETTINGS"]
    return settings
