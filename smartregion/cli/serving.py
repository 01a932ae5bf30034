"""Commands that read what is served: ``serve``, ``dump``, ``stats``, ``settings``."""

from __future__ import annotations

import gzip
import shutil
import tempfile
from pathlib import Path

import click

from smartregion.cli.common import settings_from
from smartregion.formats import GRAPH_FORMATS, graph_format
from smartregion.settings import secret_settings, setting_docs
from smartregion.store import open_backend


@click.command()
@click.option("--host", help="Interface to listen on (overrides SMARTREGION_HOST).")
@click.option("--port", type=int, help="Port to listen on (overrides SMARTREGION_PORT).")
@click.option("--workers", type=int, help="Worker processes (overrides SMARTREGION_WORKERS).")
@click.option("--dev", is_flag=True, help="Flask development server with the reloader.")
@click.pass_context
def serve(
    ctx: click.Context, host: str | None, port: int | None, workers: int | None, dev: bool
) -> None:
    """Serve the SPARQL endpoint, Linked Data pages and catalogue."""
    from endpoint.serving import run_serve

    run_serve(settings_from(ctx, host=host, port=port, workers=workers), dev=dev)


@click.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--graph", "source", metavar="SOURCE", help="Dump only this source's graph.")
@click.pass_context
def dump(ctx: click.Context, output: Path, source: str | None) -> None:
    """Write the served data to OUTPUT; the format follows its extension.

    Extensions: .ttl .nt .jsonld .rdf (one graph, needs --graph) and .nq .trig (all
    graphs); add .gz to compress.
    """
    from smartregion.uris import graph_uri

    settings = settings_from(ctx)
    compressed = output.suffix == ".gz"
    extension = (output.with_suffix("") if compressed else output).suffix.lstrip(".")
    fmt = graph_format(extension)
    if fmt is None:
        names = ", ".join(f".{f.extension}" for f in GRAPH_FORMATS)
        raise click.UsageError(f"unknown extension .{extension} (use {names}, optionally .gz)")
    if not fmt.quads and source is None:
        raise click.UsageError(f".{extension} holds one graph: name it with --graph SOURCE")
    backend = open_backend(settings)
    try:
        uri = graph_uri(settings.base_uri, source) if source else None
        if uri is not None and uri not in backend.graph_uris():
            raise click.UsageError(f"no published graph for source {source!r}")
        with tempfile.TemporaryDirectory() as tmp:
            plain = Path(tmp) / f"dump.{fmt.extension}"
            backend.dump(plain, fmt, uri)
            if compressed:
                with plain.open("rb") as src, gzip.open(output, "wb") as dst:
                    shutil.copyfileobj(src, dst)
            else:
                shutil.copyfile(plain, output)
    finally:
        backend.close()
    click.echo(f"wrote {output} ({output.stat().st_size} bytes)")


@click.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Print what the served data holds: things per kind, projects per Kreis (with how many
    have a date and a status) and the Kreise without a project. The home page shows the same."""
    from smartregion.stats import collection_stats, format_stats

    settings = settings_from(ctx)
    backend = open_backend(settings)
    try:
        if backend.version() is None:
            click.echo("Error: the store holds no data yet; run 'smartregion load' first.",
                       err=True)
            ctx.exit(2)
        click.echo(format_stats(collection_stats(backend)))
    finally:
        backend.close()


@click.command("settings")
@click.pass_context
def show_settings(ctx: click.Context) -> None:
    """Show every setting: environment variable, value in effect, and what it does."""
    settings = settings_from(ctx)
    for env, _default, help_text in setting_docs():
        value = getattr(settings, env.removeprefix("SMARTREGION_").lower())
        shown = ",".join(value) if isinstance(value, tuple) else value
        if env.removeprefix("SMARTREGION_").lower() in secret_settings() and value:
            shown = "********"
        click.echo(f"{env}={shown}\n    {help_text}")
