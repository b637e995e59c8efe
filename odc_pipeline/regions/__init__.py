"""Region harmonization: every way a region is written, mapped to one current Kemendagri code.

Pure functions over pandas frames, with no Dagster import, so the command line, the
benchmarks and the assets all use the same engine.
"""

from odc_pipeline.regions.codes import normalize_code
from odc_pipeline.regions.harmonize import REGION_OUTPUT_COLUMNS, harmonize_regions
from odc_pipeline.regions.names import name_key
from odc_pipeline.regions.reference import load_reference

__all__ = [
    "REGION_OUTPUT_COLUMNS",
    "harmonize_regions",
    "load_reference",
    "name_key",
    "normalize_code",
]
