"""The Dagster code location: every asset, check and resource built from `data/sources.yaml`.

Loaded by `dagster dev` / `dagster-webserver` (workspace.yaml, `[tool.dagster]`). Settings come
from the environment: `ODC_SOURCES`, `ODC_WAREHOUSE_URL`, `ODC_DATA_DIR` (docs/settings.md).
"""

from odc_pipeline.defs.build import build_definitions

defs = build_definitions()
