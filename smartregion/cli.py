"""``smartregion``: the command line. Commands are thin; the work is in plain functions.

Exit codes follow pySHACL: 0 success/conforms, 1 data breaks a rule, 2 unreadable input or
wrong usage.
"""

from __future__ import annotations

import gzip
import logging
import shutil
import sys
import tempfile
from pathlib import Path

import click

from smartregion import __version__
from smartregion.formats import GRAPH_FORMATS, graph_format
from smartregion.settings import Settings, load_settings, secret_settings, setting_docs
from smartregion.store import StoreBackend, open_backend


def _settings(ctx: click.Context, **overrides: object) -> Settings:
    try:
        return load_settings(ctx.obj.get("config"), None, **overrides)
    except (ValueError, OSError) as exc:
        raise click.UsageError(f"settings: {exc}") from exc


def _progress_printer() -> object:
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


@click.group()
@click.version_option(__version__, prog_name="smartregion")
@click.option(
    "--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="SMARTREGION_CONFIG", help="TOML file with settings (see 'smartregion settings').",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """Smarte Region Hessen – Linked Open Data platform."""
    # A literal that is not a value of its datatype is a violation naming its file and line
    # (loaders/validation.py); rdflib's own warning about it, with a traceback, only confuses.
    logging.getLogger("rdflib.term").setLevel(logging.ERROR)
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


@main.command()
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

    settings = _settings(ctx)
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
            progress=_progress_printer(),  # type: ignore[arg-type]
            holder=f"smartregion load {' '.join(sources) or '(all curated sources)'}",
        )
        if summary.triples:
            _prepare_version(backend)
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


def _prepare_version(backend: StoreBackend) -> None:
    """Derive the served version's views now (VoID figures, dumps), so that no web worker
    counts or dumps anything on a first request.

    The publish has already succeeded; if this fails the views are made on first request.
    """
    from smartregion.derived import prepare_version

    click.echo("… preparing derived views (VoID figures, dumps)", err=True)
    try:
        prepare_version(backend.settings, backend)
    except (OSError, RuntimeError) as exc:
        click.echo(f"Warning: derived views not prepared ({exc}); they are made on first "
                   "request", err=True)


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check curated files (YAML-LD or Turtle) against the shapes without publishing.

    Links are resolved against all curated data and the served store. Exit code 0: conforms,
    1: violations, 2: unreadable input.
    """
    from loaders.pipeline import LoadFailed
    from loaders.review import check_paths

    settings = _settings(ctx)
    backend = open_backend(settings)
    try:
        report = check_paths(list(paths), settings, backend,
                             progress=_progress_printer())  # type: ignore[arg-type]
    except LoadFailed as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(exc.exit_code)
    finally:
        backend.close()
    if report.violations or report.warnings:
        click.echo(report.text())
    if report.conforms:
        click.echo(f"Conforms ({len(report.warnings)} warning(s)).")
    else:
        click.echo(f"{len(report.violations)} violation(s).")
        ctx.exit(1)


@main.command()
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

    settings = _settings(ctx)
    backend = open_backend(settings)
    try:
        summary = run_harvest(
            names, settings, backend, config_path=harvest_file, force=force,
            progress=_progress_printer(),  # type: ignore[arg-type]
        )
        if any(o.status == "published" for o in summary.outcomes):
            _prepare_version(backend)
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


@main.command()
@click.pass_context
def versions(ctx: click.Context) -> None:
    """List the store versions one can roll back to; '*' marks the one served."""
    settings = _settings(ctx)
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


@main.command()
@click.option("--to", "target", metavar="ID", help="Version to serve (default: the previous one).")
@click.pass_context
def rollback(ctx: click.Context, target: str | None) -> None:
    """Serve an older store version again.

    The embedded store switches its pointer back (atomically); a remote store gets the
    content the last loads replaced published again, from this loader host's undo log.
    """
    from smartregion.store.backend import StoreError
    from smartregion.store.versions import VersionError

    settings = _settings(ctx)
    backend = open_backend(settings)
    try:
        with backend.writer("smartregion rollback",
                            on_wait=lambda notice: click.echo(f"… {notice}", err=True)) as writer:
            version = writer.rollback(target)
        _prepare_version(backend)
    except (VersionError, StoreError) as exc:
        click.echo(f"Error: {exc}", err=True)
        ctx.exit(1)
    finally:
        backend.close()
    click.echo(f"now serving version {version.id}")


@main.command()
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--graph", "source", metavar="SOURCE", help="Dump only this source's graph.")
@click.pass_context
def dump(ctx: click.Context, output: Path, source: str | None) -> None:
    """Write the served data to OUTPUT; the format follows its extension.

    Extensions: .ttl .nt .jsonld .rdf (one graph, needs --graph) and .nq .trig (all
    graphs); add .gz to compress.
    """
    from smartregion.uris import graph_uri

    settings = _settings(ctx)
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


@main.group()
def new() -> None:
    """Write a new curated file by answering questions (no RDF knowledge needed)."""


@new.command("project")
@click.option(
    "--output", "folder", type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the file (default: the 'projects' folder of SMARTREGION_SOURCE_DIR).",
)
@click.pass_context
def new_project(ctx: click.Context, folder: Path | None) -> None:
    """Ask for a new smart-region project and write it as data/projects/{key}.yaml.

    Offers the published municipalities, Kreise, organisations, programmes, fields of action and
    status values; then checks the file like 'smartregion validate' (exit code 0: conforms,
    1: the file breaks a rule and needs editing). Load it with 'smartregion load projects'.
    """
    import datetime as dt

    from loaders.authoring import (
        ask_project,
        load_choices,
        project_path,
        project_yaml,
        published_graph,
    )
    from loaders.pipeline import LoadFailed
    from loaders.review import check_paths

    settings = _settings(ctx)
    folder = folder or settings.source_dir / "projects"
    backend = open_backend(settings)
    try:
        graph = published_graph(settings, backend)
        choices = load_choices(settings, graph)
        known = {str(s) for s in graph.subjects()}

        def taken(key: str) -> bool:
            return (project_path(folder, key).exists()
                    or f"{settings.base_uri}id/project/{key}" in known)

        def ask(question: str, default: str) -> str:
            return str(click.prompt(question, default=default, show_default=bool(default)))

        draft = ask_project(choices, ask, click.echo, taken)
        path = project_path(folder, draft.key)
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(project_yaml(draft, dt.date.today()), encoding="utf-8")
        click.echo(f"Geschrieben / written: {path}")
        try:
            report = check_paths([path], settings, backend)
        except LoadFailed as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
    finally:
        backend.close()
    if report.violations or report.warnings:
        click.echo(report.text())
    if not report.conforms:
        click.echo(f"{len(report.violations)} Verstoß/Verstöße / violation(s): {path} bearbeiten "
                   f"und prüfen / edit it and check with 'smartregion validate {path}'.")
        ctx.exit(1)
    click.echo(f"Gültig / conforms ({len(report.warnings)} Hinweis(e) / warning(s)). "
               f"Weiter / next: 'smartregion load projects', dann / then "
               f"{settings.base_uri}doc/project/{draft.key}")


@main.command()
@click.pass_context
def stats(ctx: click.Context) -> None:
    """Print what the served data holds: things per kind, projects per Kreis (with how many
    have a date and a status) and the Kreise without a project. The home page shows the same."""
    from smartregion.stats import collection_stats, format_stats

    settings = _settings(ctx)
    backend = open_backend(settings)
    try:
        if backend.version() is None:
            click.echo("Error: the store holds no data yet; run 'smartregion load' first.",
                       err=True)
            ctx.exit(2)
        click.echo(format_stats(collection_stats(backend)))
    finally:
        backend.close()


@main.command("settings")
@click.pass_context
def show_settings(ctx: click.Context) -> None:
    """Show every setting: environment variable, value in effect, and what it does."""
    settings = _settings(ctx)
    for env, _default, help_text in setting_docs():
        value = getattr(settings, env.removeprefix("SMARTREGION_").lower())
        shown = ",".join(value) if isinstance(value, tuple) else value
        if env.removeprefix("SMARTREGION_").lower() in secret_settings() and value:
            shown = "********"
        click.echo(f"{env}={shown}\n    {help_text}")


@main.command()
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

    run_serve(_settings(ctx, host=host, port=port, workers=workers), dev=dev)



@main.command()
@click.option("--from", "source", required=True, metavar="[HOST:]PATH",
              help="Data directory of the node to follow (a path, or host:/path over ssh).")
@click.option("--every", type=float, metavar="SECONDS",
              help="Keep following: check again every SECONDS (default: once, for cron).")
@click.option("--bwlimit", type=int, metavar="KBPS", help="Cap rsync's rate in KiB/s.")
@click.pass_context
def replicate(ctx: click.Context, source: str, every: float | None, bwlimit: int | None) -> None:
    """Serve the version another node serves: copy it with rsync, then switch to it."""
    from smartregion.store.replica import run_replicate

    ctx.exit(run_replicate(_settings(ctx), source, every=every, bwlimit=bwlimit,
                           say=lambda text: click.echo(text, err=True), out=click.echo))
