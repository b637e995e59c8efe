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
