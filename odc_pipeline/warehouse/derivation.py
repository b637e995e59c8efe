"""Which code derived a version's totals, dapil and seats: the pipeline's version and a
digest of the modules that compute them.

A patched version (`patching`) computes those rows again for the sources its run replaced
and keeps every other source's as they were. That equals a build from empty only while the
code deriving them is the code that derived the kept rows: a release that changes how totals
add up, or how seats are allotted, without changing any table would otherwise leave the
unchanged sources' rows under the old rules. Each audit row records the code that published
it (`load_audit.pipeline_version`), and a version whose last audit row names other code is
built from empty, which derives every row again.

The digest is of the modules' text, comments included: an edit that changes no rule costs
one full night, and a rule changed with no one remembering to bump a number costs nothing
worse.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.util import find_spec
from pathlib import Path

#: The modules whose code decides a derived row's value (`write_election_tables`,
#: `write_region_totals` and what they call).
DERIVING_MODULES = (
    "odc_pipeline.warehouse.totals",
    "odc_pipeline.warehouse.election_tables",
    "odc_pipeline.elections.derived",
    "odc_pipeline.elections.seats",
    "odc_pipeline.elections.lists",
)


def _installed_version() -> str:
    try:
        return version("odc-pipeline")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def pipeline_version() -> str:
    """The pipeline's version and the first 12 hex digits of the SHA-256 of the text of
    `DERIVING_MODULES`, e.g. `0.1.0 rules 3f2a9c1d04ab`: what an analyst cites, and what a
    patch must match."""
    return f"{_installed_version()} rules {_digest(DERIVING_MODULES)}"


@cache
def _digest(modules: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in modules:
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            raise ModuleNotFoundError(name)
        digest.update(name.encode() + b"\0" + Path(spec.origin).read_bytes() + b"\0")
    return digest.hexdigest()[:12]
