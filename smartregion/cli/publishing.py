"""Commands that change what is served: ``load``, ``harvest``, ``versions``, ``rollback``,
``replicate``."""

from __future__ import annotations

from pathlib import Path

import click

from smartregion.cli.common import prepare_version, progress_printer, settings_from
from smartregion.store import open_backend


@click.command()
@click.argument("sources", nargs=-1)
@click.option(
    "--force", is_flag=True,
    help="Publish even if the input did not change, and validate everything.",
)
@click.option(
    "--full-validation", is_flag=True,
    help="Validate everything published, not only what the change can affect.",
)
@click.option(
    "--source", "location", metavar="PATH_OR_URL",
    help="gv100ad: the Destatis GV100AD file (text or ZIP), a path or an http(s) URL.",
)
@click.option(
    "--land", metavar="KEY",
    help="gv100ad: Land key 01-16 to publish (default 06, Hessen) or 'all'.",
)
@click.pass_context
def load(
    ctx: click.Context, sources: tuple[str, ...], force: bool, full_validation: bool,
    location: str | None, land: str | None,
) -> None:
    """Validate SOURCES and publish them as one new store version.

    Without SOURCES the curated folders of data/, the outlines and the shipped GV100AD
    extract of Hessen (data/gv100ad) are loaded; a GV100AD loaded with --source is kept. A
    source whose input did not change since its last load is skipped (unless --force). The
    change is validated in the form the store keeps it, together with everything published
    that it can affect (everything with --force or --full-validation). Nothing is published
    if any SHACL violation is found; each names the file and line. While another load runs,
    this one says so and waits. Example: smartregion load gv100ad --source GV100AD.zip
    """
    from loaders.gv100ad import configure_sources
    from loaders.pipeline import LoadFailed, resolve_sources
    from loaders.pipeline import load as run_load

    settings = settings_from(ctx)
    if (location is not None or land is not None) and "gv100ad" not in sources:
        raise click.UsageError("--source and --land apply to the gv100ad source only: "
                               "smartregion load gv100ad --source …")
    try:
        selected = configure_sources(
            resolve_sources(sources, settings), location=location, land=land
        )
    except LoadFailed as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    backend = open_backend(settings)
    try:
        summary = run_load(
            selected, settings, backend, force=force, full_validation=full_validation,
            keep_operator_inputs=not sources,
            progress=progress_printer(),
            holder=f"smartregion load {' '.join(sources) or '(all curated sources)'}",
        )
        if summary.triples:
            prepare_version(backend)
    except LoadFailed as exc:
        if exc.report is not None:
            click.echo(exc.report.text(), err=True)
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    finally:
        backend.close()
    for name in summary.unchanged:
        click.echo(f"{name}: unchanged, not reloaded")
    for name in summary.kept:
        click.echo(f"{name}: keeps the input loaded before (`smartregion load {name}` "
                   "reloads the shipped one)")
    for name, count in summary.triples.items():
        click.echo(f"{name}: {count} triples")
    if summary.scope is not None:
        click.echo(summary.scope.describe())
    if summary.report and summary.report.warnings:
        click.echo(f"{len(summary.report.warnings)} SHACL warning(s):")
        click.echo(summary.report.text())
    if summary.triples:
        version = summary.version.id if summary.version else "none"
        click.echo(f"published version {version} in {summary.seconds:.1f} s")
    else:
        click.echo("nothing to publish")


@click.command()
@click.argument("names", nargs=-1)
@click.option(
    "--config", "harvest_file", type=click.Path(dir_okay=False, path_type=Path),
    help="Harvest configuration (default: setting harvest_config, harvest.toml).",
)
@click.option("--force", is_flag=True, help="Fetch unconditionally and publish even if unchanged.")
@click.pass_context
def harvest(
    ctx: click.Context, names: tuple[str, ...], harvest_file: Path | None, force: bool
) -> None:
    """Fetch the remote sources NAMES (all configured ones without NAMES) and publish each.

    Sources answering 304 Not Modified (or with unchanged content) are not reloaded. A failing
    source publishes nothing and leaves its served data as it was. Exit code 0: all published
    or unchanged, 1: a source broke a SHACL shape, 2: a source was unreachable or unreadable
    (or the configuration is wrong).
    """
    from loaders.harvest import run_harvest
    from loaders.source import SourceError

    settings = settings_from(ctx)
    backend = open_backend(settings)
    try:
        summary = run_harvest(
            names, settings, backend, config_path=harvest_file, force=force,
            progress=progress_printer(),
        )
        if any(o.status == "published" for o in summary.outcomes):
            prepare_version(backend)
    except SourceError as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    finally:
        backend.close()
    for outcome in summary.outcomes:
        for note in outcome.notes:
            click.echo(f"{outcome.name}: {note}")
        if outcome.status == "failed":
            if outcome.report is not None:
                click.echo(outcome.report.text(), err=True)
            click.echo(f"{outcome.name}: FAILED, nothing published: {outcome.error}", err=True)
        elif outcome.status == "unchanged":
            click.echo(f"{outcome.name}: unchanged, not reloaded ({outcome.requests} request(s))")
        else:
            version = outcome.version.id if outcome.version else "none"
            click.echo(f"{outcome.name}: {outcome.triples} triples in graph "
                       f"{outcome.graph_name}, version {version} ({outcome.requests} request(s))")
    ctx.exit(summary.exit_code)


@click.command()
@click.pass_context
def versions(ctx: click.Context) -> None:
    """List the store versions one can roll back to; '*' marks the one served."""
    settings = settings_from(ctx)
    backend = open_backend(settings)
    try:
        current = backend.version()
        listed = backend.history()
    finally:
        backend.close()
    if not listed:
        click.echo("no versions yet (run 'smartregion load')")
    for version in listed:
        mark = "*" if current and version.id == current.id else " "
        click.echo(f"{mark} {version.id}  {version.created.isoformat()}")


@click.command()
@click.option("--to", "target", metavar="ID", help="Version to serve (default: the previous one).")
@click.pass_context
def rollback(ctx: click.Context, target: str | None) -> None:
    """Serve an older store version again.

    The embedded store switches its pointer back (atomically); a remote store gets the
    content the last loads replaced published again, from this loader host's undo log.
    """
    from smartregion.store.backend import StoreError
    from smartregion.store.versions import VersionError

    settings = settings_from(ctx)
    backend = open_backend(settings)
    try:
        with backend.writer("smartregion rollback",
                            on_wait=lambda notice: click.echo(f"… {notice}", err=True)) as writer:
            version = writer.rollback(target)
        prepare_version(backend)
    except (VersionError, StoreError) as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(1)
    finally:
        backend.close()
    click.echo(f"now serving version {version.id}")


@click.command()
@click.option("--from", "source", required=True, metavar="[HOST:]PATH",
              help="Data directory of the node to follow (a path, or host:/path over ssh).")
@click.option("--every", type=float, metavar="SECONDS",
              help="Keep following: check again every SECONDS (default: once, for cron).")
@click.option("--bwlimit", type=int, metavar="KBPS", help="Cap rsync's rate in KiB/s.")
@click.pass_context
def replicate(ctx: click.Context, source: str, every: float | None, bwlimit: int | None) -> None:
    """Serve the version another node serves: copy it with rsync, then switch to it."""
    from smartregion.store.replica import run_replicate

    ctx.exit(run_replicate(settings_from(ctx), source, every=every, bwlimit=bwlimit,
                           say=lambda text: click.echo(text, err=True), out=click.echo))
