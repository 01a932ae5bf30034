"""``smartregion``: the command line. Commands are thin; the work is in plain functions.

Exit codes follow pySHACL: 0 success/conforms, 1 data breaks a rule, 2 unreadable input or
wrong usage.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from smartregion import __version__
from smartregion.cli.authoring import new, validate
from smartregion.cli.publishing import harvest, load, replicate, rollback, versions
from smartregion.cli.serving import dump, serve, show_settings, stats


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


for _command in (load, validate, harvest, versions, rollback, dump, new, stats, show_settings,
                 serve, replicate):
    main.add_command(_command)
