"""The source registry: which datasets each organisation shares and how to read them."""

from odc_pipeline.registry.loader import RegistryError, entry_problems, load_registry
from odc_pipeline.registry.model import (
    LEVELS,
    Organization,
    ReadOptions,
    RegionColumn,
    Registry,
    SourceEntry,
)

__all__ = [
    "LEVELS",
    "Organization",
    "ReadOptions",
    "Registry",
    "RegionColumn",
    "RegistryError",
    "SourceEntry",
    "entry_problems",
    "load_registry",
]
