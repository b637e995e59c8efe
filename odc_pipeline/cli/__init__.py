"""`odc`: the pipeline from a terminal, for stewards and analysts who do not open the UI.

odc check FILE --kind KIND [--source ID]   what would happen to a file, before sharing it
odc regions match VALUE                    what the harmonizer makes of a region, and why
odc regions review export|import FILE      the review queue as a spreadsheet
odc run [--source ID ...]                  materialize now, with progress and a summary
odc sources list|add|test                  the registry
odc query "SQL" | --table T                read-only questions to the warehouse
odc report [RUN_ID]                        the run report (HTML) of a run
"""

from __future__ import annotations

import click

from odc_pipeline.cli.check import check
from odc_pipeline.cli.query import query
from odc_pipeline.cli.regions import regions
from odc_pipeline.cli.report import report
from odc_pipeline.cli.run import run
from odc_pipeline.cli.sources import sources


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """odc-pipeline: check files before sharing them, fix regions, run the pipeline and query
    the combined warehouse of election data shared by member organisations.

    Settings come from the environment (ODC_SOURCES, ODC_WAREHOUSE_URL, ...; see README).
    """


for command in (check, regions, run, sources, query, report):
    main.add_command(command)
