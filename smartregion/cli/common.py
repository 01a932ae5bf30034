"""What the commands share: their settings, the progress line, the derived views of a new
version."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from smartregion.settings import Settings, load_settings
from smartregion.store import StoreBackend


def settings_from(ctx: click.Context, **overrides: object) -> Settings:
    """The settings in effect (``--config`` file, environment, ``overrides``); a usage error
    naming the setting when one is wrong."""
    try:
        return load_settings(ctx.obj.get("config"), None, **overrides)
    except (ValueError, OSError) as exc:
        raise click.UsageError(f"settings: {exc}") from exc


def progress_printer() -> Callable[[str, int, int | None], None]:
    """A progress callback for loaders: a line that counts up on a terminal, else one line
    per finished step."""
    state: dict[str, object] = {"bar": None, "what": None}

    def show(what: str, done: int, total: int | None) -> None:
        if total is None:
            click.echo(f"… {what}", err=True)
            return
        if total > 1 and sys.stderr.isatty():
            if state["what"] != what:
                state["what"] = what
            click.echo(f"\r{what}: {done}/{total}", err=True, nl=done == total)
        elif done == total:
            click.echo(f"{what}: {done}/{total}", err=True)

    return show


def prepare_version(backend: StoreBackend) -> None:
    """Derive the served version's views now (VoID figures, dumps), so that no web worker
    counts or dumps anything on a first request.

    The publish has already succeeded; if this fails the views are made on first request.
    """
    from smartregion.derived import prepare_version as prepare

    click.echo("… preparing derived views (VoID figures, dumps)", err=True)
    try:
        prepare(backend.settings, backend)
    except (OSError, RuntimeError) as exc:
        click.echo(f"Warning: derived views not prepared ({exc}); they are made on first "
                   "request", err=True)
