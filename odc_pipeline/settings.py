"""Where things live, read once from the environment.

Every path has a default inside the project checkout, so `make run` works with no settings at
all; each can be moved by one environment variable so a server keeps data outside the code.
Secrets are not read here: the warehouse URL reaches Dagster through `dagster.EnvVar`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

WAREHOUSE_URL_VARIABLE = "ODC_WAREHOUSE_URL"
HASH_SALT_VARIABLE = "ODC_HASH_SALT"
ROLE_PREFIX_VARIABLE = "ODC_ROLE_PREFIX"


@dataclass(frozen=True)
class Settings:
    """Paths the pipeline reads from and writes to."""

    data_dir: Path
    registry_path: Path
    warehouse_dir: Path
    storage_dir: Path
    #: Every pulled file, once per content, with the manifest of pulls (never cleaned by a run).
    snapshot_dir: Path | None = None

    @property
    def snapshots(self) -> Path:
        return self.snapshot_dir or self.data_dir / "snapshots"

    @property
    def cache_dir(self) -> Path:
        """What a run can rebuild but need not, such as the official region list as Parquet.
        Inside the storage folder (a name no asset can take), so it moves and is shared
        with it."""
        return self.storage_dir / "odc-cache"

    @property
    def reference_dir(self) -> Path:
        """Aliases, historic codes and crosswalks: steward decisions kept as data."""
        return self.data_dir / "reference"

    @property
    def default_warehouse_path(self) -> Path:
        return self.warehouse_dir / "odc.sqlite"

    @property
    def default_warehouse_url(self) -> str:
        return f"sqlite:///{self.default_warehouse_path}"


def scratch_settings(folder: Path, registry_path: Path) -> Settings:
    """Settings that read the project's reference tables but write only under `folder`:
    for tests and benchmarks, which must never touch the checkout's warehouse."""
    return Settings(
        data_dir=PROJECT_ROOT / "data",
        registry_path=registry_path,
        warehouse_dir=folder / "warehouse",
        storage_dir=folder / "storage",
        snapshot_dir=folder / "snapshots",
    )


def scratch_environment(folder: Path, registry_path: Path | None = None) -> dict[str, str]:
    """This process's environment for a `dagster` subprocess that writes only under `folder`
    (its Dagster home, storage, warehouse and snapshots) into the SQLite warehouse: the
    environment counterpart of `scratch_settings`, for tests and benchmarks."""
    env = {
        **os.environ,
        "DAGSTER_HOME": str(folder / "dagster_home"),
        "ODC_STORAGE_DIR": str(folder / "storage"),
        "ODC_WAREHOUSE_DIR": str(folder / "warehouse"),
        "ODC_SNAPSHOT_DIR": str(folder / "snapshots"),
    }
    if registry_path is not None:
        env["ODC_SOURCES"] = str(registry_path)
    env.pop(WAREHOUSE_URL_VARIABLE, None)
    return env


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read `ODC_DATA_DIR`, `ODC_SOURCES`, `ODC_WAREHOUSE_DIR`, `ODC_STORAGE_DIR` and
    `ODC_SNAPSHOT_DIR`."""
    env = os.environ if environ is None else environ
    data_dir = Path(env.get("ODC_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    registry = Path(env.get("ODC_SOURCES", data_dir / "sources.yaml"))
    if not registry.is_absolute():
        registry = (PROJECT_ROOT / registry).resolve()
    warehouse_dir = Path(env.get("ODC_WAREHOUSE_DIR", data_dir / "warehouse")).resolve()
    storage_dir = Path(env.get("ODC_STORAGE_DIR", data_dir / "storage")).resolve()
    snapshot_dir = Path(env.get("ODC_SNAPSHOT_DIR", data_dir / "snapshots")).resolve()
    return Settings(
        data_dir=data_dir,
        registry_path=registry,
        warehouse_dir=warehouse_dir,
        storage_dir=storage_dir,
        snapshot_dir=snapshot_dir,
    )


def role_prefix_from_environment() -> str:
    """Prefix of the PostgreSQL reader roles (`odc` gives odc_analyst, odc_member, ...)."""
    return os.environ.get(ROLE_PREFIX_VARIABLE, "").strip() or "odc"


def warehouse_url_from_environment() -> str | None:
    """The configured warehouse URL, or None to use the embedded SQLite file."""
    value = os.environ.get(WAREHOUSE_URL_VARIABLE, "").strip()
    return value or None
