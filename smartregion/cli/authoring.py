"""Commands for editors of the curated data: ``validate`` and ``new project``."""

from __future__ import annotations

from pathlib import Path

import click

from smartregion.cli.common import progress_printer, settings_from
from smartregion.store import open_backend


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.pass_context
def validate(ctx: click.Context, paths: tuple[Path, ...]) -> None:
    """Check curated files (YAML-LD or Turtle) against the shapes without publishing.

    Links are resolved against all curated data and the served store. Exit code 0: conforms,
    1: violations, 2: unreadable input.
    """
    from loaders.pipeline import LoadFailed
    from loaders.review import check_paths

    settings = settings_from(ctx)
    backend = open_backend(settings)
    try:
        report = check_paths(list(paths), settings, backend,
                             progress=progress_printer())
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


@click.group()
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

    settings = settings_from(ctx)
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
