"""Region harmonization: every way a region is written, mapped to one current Kemendagri code.

Pure functions over pandas frames, with no Dagster import, so the command line, the
benchmarks and the assets all use the same engine.
"""

from odc_pipeline.regions.codes import normalize_code, parse_code
from odc_pipeline.regions.harmonize import REGION_OUTPUT_COLUMNS, harmonize_regions
from odc_pipeline.regions.names import parse_name
from odc_pipeline.regions.reference import load_reference, load_region_list
from odc_pipeline.regions.resolve import Spec
from odc_pipeline.regions.tables import RegionTables, cached_region_tables, load_region_tables

__all__ = [
    "REGION_OUTPUT_COLUMNS",
    "RegionTables",
    "Spec",
    "cached_region_tables",
    "harmonize_regions",
    "load_reference",
    "load_region_list",
    "load_region_tables",
    "normalize_code",
    "parse_code",
    "parse_name",
]
