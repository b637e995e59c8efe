"""The code a version's derived rows were computed by is named by a digest of every module
that decides them, so that an upgrade changing one of them is never patched over."""

from __future__ import annotations

import ast
from importlib.metadata import version
from importlib.util import find_spec
from pathlib import Path

from odc_pipeline.warehouse import derivation

#: Modules the deriving code imports only for what tables and kinds are declared: a change
#: there changes the warehouse's shape, which the patch checks on its own.
DECLARATIONS = ("odc_pipeline.warehouse.schema", "odc_pipeline.kinds")


def _imported(module: str) -> set[str]:
    origin = find_spec(module).origin
    tree = ast.parse(Path(origin).read_text(encoding="utf-8"))
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("odc_pipeline.")
    }


def test_the_digest_covers_every_module_the_deriving_code_imports():
    listed = set(derivation.DERIVING_MODULES)
    for module in derivation.DERIVING_MODULES:
        missing = {m for m in _imported(module) - listed if not m.startswith(DECLARATIONS)}
        assert not missing, f"{module} imports {sorted(missing)}: add them to DERIVING_MODULES"


def test_the_version_names_the_release_and_changes_with_the_deriving_code(monkeypatch):
    now = derivation.pipeline_version()
    release, digest = now.split(" rules ")
    assert release == version("odc-pipeline") and len(digest) == 12
    monkeypatch.setattr(derivation, "DERIVING_MODULES", derivation.DERIVING_MODULES[:-1])
    assert derivation.pipeline_version() != now
