"""`odc`: the pipeline from a terminal, for stewards and analysts who do not open the UI.

odc check FILE --kind KIND [--source ID]   what would happen to a file, before sharing it
odc regions match VALUE                    what the harmonizer makes of a region, and why
odc regions review export|import FILE      the review queue as a spreadsheet
odc contestants match VALUE --year Y        which party or presidential pair a value names
odc contestants review export|import FILE  their review queue, the same way
odc run [--source ID ...]                  materialize now, with progress and a summary
odc sources list|add|test                  the registry
odc query "SQL" | --table T                read-only questions to the warehouse
odc report [RUN_ID]                        the run report (HTML) of a run
odc releases list | show ID                the releases every publish makes
odc diff A B                               what changed between two releases, and why
odc serve                                  the public and members files as a web table
odc chart KIND --year Y --contest C        a view as a PNG and SVG to share
"""

from __future__ import annotations

import importlib

import click

#: Each command lives in the module of its name. A command's module (and what it imports:
#: Dagster for `run`, the region tables for `regions`) loads only when that command runs,
#: so `odc query` answers in a fraction of the time `odc run` needs to start.
COMMANDS = (
    "chart",
    "check",
    "contestants",
    "diff",
    "query",
    "regions",
    "releases",
    "report",
    "run",
    "serve",
    "sources",
)


class _Commands(click.Group):
    """The subcommands, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def invoke(self, ctx: click.Context):
        # A setting that cannot be used is told in its own words, for every command.
        from odc_pipeline.settings import SettingsError

        try:
            return super().invoke(ctx)
        except SettingsError as error:
            raise click.ClickException(str(error)) from None

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        return getattr(importlib.import_module(f"odc_pipeline.cli.{cmd_name}"), cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """odc-pipeline: check files before sharing them, fix regions, run the pipeline and query
    the combined warehouse of election data shared by member organisations.

    Settings come from the environment (ODC_SOURCES, ODC_WAREHOUSE_URL, ...; see docs/settings.md).
    """
