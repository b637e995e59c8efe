"""What the commands share: the console, settings, and the registry loaded with clear errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from rich.console import Console

from odc_pipeline.settings import Settings, load_settings

if TYPE_CHECKING:
    from odc_pipeline.registry import Registry

# Piped output (a file, a CI log) is not cut to 80 columns: ids must stay whole.
_detected = Console()
console = Console(
    highlight=False,
    soft_wrap=True,
    width=None if _detected.is_terminal else 160,
)


def settings() -> Settings:
    return load_settings()


def registry(check_files: bool = False) -> Registry:
    """The configured registry; a broken one stops the command with its problems listed.
    An entry that cannot be used is set aside (`Registry.broken`): the others still work."""
    # Here, not at the top: the registry's models bring the region tables, which `odc query`
    # and `odc report` never need.
    from odc_pipeline.registry import RegistryError, load_registry

    path = settings().registry_path
    try:
        return load_registry(path, check_files=check_files, keep_broken=True)
    except RegistryError as error:
        raise click.ClickException(str(error)) from None


def unknown_source(found: Registry, source_id: str) -> str:
    """Why `source_id` is not a usable source: its entry's problems, or the ids there are."""
    for broken in found.broken:
        if broken.source_id == source_id:
            return f"{broken.label}: {broken.message}"
    return f"no source {source_id!r} in the registry; known: " + ", ".join(
        e.id for e in found.sources
    )


def pairs(values: tuple[str, ...], option: str) -> dict[str, str]:
    """`name=value` options (repeated) as a mapping; a value without `=` is refused."""
    found = {}
    for value in values:
        left, sep, right = value.partition("=")
        if not sep:
            raise click.BadParameter(f"{value!r}: write name=value", param_hint=option)
        found[left.strip()] = right.strip()
    return found


def typed(value: str) -> str | int:
    """A constant as the registry keeps it: digits as a number."""
    return int(value) if value.isdigit() else value


def region_headers(values: tuple[str, ...]) -> list[tuple[str, str, str | None]]:
    """`--region HEADER:LEVEL[:SYSTEM]` options: the header, its level and its system (None:
    found from the values)."""
    regions = []
    for value in values:
        parts = [part.strip() for part in value.split(":")]
        if len(parts) not in (2, 3):
            raise click.BadParameter(
                f"{value!r}: write HEADER:LEVEL or HEADER:LEVEL:SYSTEM, e.g. "
                "'Kabupaten/Kota:kabupaten_kota' or 'kode:desa:kemendagri'",
                param_hint="--region",
            )
        regions.append((parts[0], parts[1], parts[2] if len(parts) == 3 else None))
    return regions


#: Read options a steward may give as --read KEY=VALUE, and how each value is typed.
READ_KEYS = {
    "sheet": str,
    "header_row": int,
    "delimiter": str,
    "encoding": str,
    "locale": str,
    "totals_label": str,
    "records_path": str,
}


def read_options_of(values: tuple[str, ...]) -> dict:
    """`--read KEY=VALUE` options as the registry's `read:` mapping."""
    options = {}
    for key, value in pairs(values, "--read").items():
        if key not in READ_KEYS:
            raise click.BadParameter(
                f"{key!r}: the read options are {', '.join(READ_KEYS)}", param_hint="--read"
            )
        try:
            options[key] = READ_KEYS[key](value)
        except ValueError:
            raise click.BadParameter(
                f"{key}={value}: write a whole number", param_hint="--read"
            ) from None
    return options


def headers_table(proposal, title: str, header_label: str, unused: str):
    """A proposal's headers as a table: what each becomes and why (`unused`: the word for a
    header no column takes). Shared by `odc check` and `odc sources add`."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=title)
    for column in (header_label, "becomes", "because"):
        table.add_column(column)
    for header in proposal.headers:
        table.add_row(
            escape(header),
            escape(proposal.columns.get(header, unused)),
            escape(proposal.reasons.get(header, "no column of the kind matches it")),
        )
    return table
