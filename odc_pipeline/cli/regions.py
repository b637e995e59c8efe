"""`odc regions`: what the harmonizer makes of a value, and the review queue."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import pandas as pd
from rich.markup import escape

from odc_pipeline.cli.common import console, settings
from odc_pipeline.regions import Spec, harmonize_regions, load_region_list, load_region_tables
from odc_pipeline.regions.codes import parse_code
from odc_pipeline.registry.model import LEVELS


@click.group()
def regions() -> None:
    """Region names and codes: try one, or work through the review queue."""


@regions.command()
@click.argument("value")
@click.option("--province", help="The province it is in (name or code), to narrow the search.")
@click.option(
    "--level",
    type=click.Choice(sorted(LEVELS, key=LEVELS.get)),
    default="kabupaten_kota",
    show_default=True,
)
@click.option(
    "--system",
    type=click.Choice(["kemendagri", "bps", "name"]),
    help="How the value is written (default: a code if it looks like one, else a name).",
)
@click.option("--untyped", type=click.Choice(["kabupaten", "kota"]), help="What a bare name means.")
@click.option("--json", "as_json", is_flag=True)
def match(value, province, level, system, untyped, as_json) -> None:
    """What VALUE becomes: its official code and name, how it was decided, or why not.

    Exit code 0 when it matched, 1 when a person has to decide.
    """
    if system is None:
        system = "kemendagri" if parse_code(value).readings else "name"
    specs, row = [], {}
    if province:
        province_system = "kemendagri" if parse_code(province).readings else "name"
        specs.append(Spec("province", 1, province_system))
        row["province"] = province
    specs.append(Spec("value", LEVELS[level], system, untyped))
    row["value"] = value
    reference = load_region_list()
    tables = load_region_tables(reference, settings().reference_dir)
    frame = pd.DataFrame([{**row, "_source_row": 1}])
    result = harmonize_regions(frame, specs, tables).iloc[0]
    names = reference.set_index("region_code")["name"]
    code = result["region_code"]
    answer = {
        "value": value,
        "matched": code is not None and not pd.isna(code),
        "region_code": None if pd.isna(code) else code,
        "name": None if pd.isna(code) else names.get(code),
        "method": None if pd.isna(code) else str(result["region_method"]),
        "rule": None if pd.isna(code) else str(result["region_rule"]),
        "score": None if pd.isna(code) else float(result["region_score"]),
        "problem": None if not pd.isna(code) else str(result["region_problem"]),
        "suggestions": None if not pd.isna(code) else _text(result["region_suggestions"]),
    }
    if as_json:
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    elif answer["matched"]:
        console.print(
            f"{escape(value)} → [bold]{answer['region_code']} {escape(answer['name'])}[/bold] "
            f"({answer['method']}, score {answer['score']:g}; {escape(answer['rule'])})"
        )
    else:
        console.print(f"{escape(value)}: [red]no region decided[/red]: {escape(answer['problem'])}")
        if answer["suggestions"] and answer["suggestions"] not in answer["problem"]:
            console.print(f"closest official regions: {escape(answer['suggestions'])}")
    sys.exit(0 if answer["matched"] else 1)


def _text(value: object) -> str:
    """A cell of the harmonized row as text: empty for a missing one (None or NaN)."""
    return "" if value is None or pd.isna(value) else str(value)


@regions.group()
def review() -> None:
    """The review queue: values no rule decided, and fuzzy matches to confirm."""


@review.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def review_export(file: Path) -> None:
    """Write the queue to FILE (CSV); fill decision_code and scope, then import it."""
    from odc_pipeline.regions.review import main as review_main

    sys.exit(review_main(["odc regions review", "export", str(file)]))


@review.command("import")
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
def review_import(file: Path) -> None:
    """Check every decision in FILE and add them to data/reference/region_aliases.csv."""
    from odc_pipeline.regions.review import main as review_main

    sys.exit(review_main(["odc regions review", "import", str(file)]))
