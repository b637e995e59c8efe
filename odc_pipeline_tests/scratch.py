"""Scratch places for tests and benchmarks: settings and environments that write only under
a folder, throw-away PostgreSQL databases, and generated fact rows. None of it ships."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from odc_pipeline.regions import load_reference
from odc_pipeline.settings import PROJECT_ROOT, WAREHOUSE_URL_VARIABLE, Settings, read

POSTGRES_ADMIN_URL = os.environ.get(
    "ODC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def scratch_settings(folder: Path, registry_path: Path) -> Settings:
    """Settings that read the project's reference tables but write only under `folder`: a
    test or benchmark never touches the checkout's warehouse. The warehouse is the SQLite
    file there, unless ODC_WAREHOUSE_URL names one (a test's own PostgreSQL database)."""
    return Settings(
        data_dir=PROJECT_ROOT / "data",
        registry_path=registry_path,
        warehouse_dir=folder / "warehouse",
        storage_dir=folder / "storage",
        snapshot_dir=folder / "snapshots",
        warehouse_url=read(WAREHOUSE_URL_VARIABLE) or None,
    )


def scratch_environment(folder: Path, registry_path: Path | None = None) -> dict[str, str]:
    """This process's environment for a subprocess that writes only under `folder` (its
    Dagster home, storage, warehouse and snapshots) into the SQLite warehouse: the
    environment counterpart of `scratch_settings`."""
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


@contextmanager
def temporary_database(
    admin_url: str = POSTGRES_ADMIN_URL, prefix: str = "odc_tmp"
) -> Iterator[str]:
    """Create a database with a random name, yield its URL, and drop it (even if in use)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"  # generated here, never from configuration
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield (
                sa.engine.make_url(admin_url)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def drop_roles(prefix: str, admin_url: str = POSTGRES_ADMIN_URL) -> None:
    """Drop the reader roles a publish made under a throw-away ODC_ROLE_PREFIX (roles are
    server-wide, unlike databases)."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            names = connection.execute(
                sa.text("select rolname from pg_roles where starts_with(rolname, :p)"),
                {"p": prefix + "_"},
            ).scalars()
            for name in list(names):
                quoted = connection.dialect.identifier_preparer.quote(name)
                connection.execute(sa.text(f"DROP ROLE IF EXISTS {quoted}"))
    finally:
        admin.dispose()


def fact_frame(rows: int, seed: int = 3) -> pd.DataFrame:
    """Election results at village level, with the columns the fact table holds."""
    reference = load_reference()
    villages = reference.loc[reference["level"] == 4, "region_code"].to_numpy()
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "election": "pemilu",
            "year": 2024,
            "contest": "presiden",
            "candidate": np.tile(np.array(["01", "02", "03"], dtype=object), rows // 3 + 1)[:rows],
            "votes": rng.integers(0, 300, size=rows),
            "valid_ballots": rng.integers(300, 600, size=rows),
            "invalid_ballots": rng.integers(0, 10, size=rows),
            "region_code": villages[rng.integers(0, len(villages), size=rows)],
            "region_level": 4,
            "region_value": "x",
            "region_method": "code",
            "region_score": 100.0,
            "region_rule": "bench",
            "source_row": np.arange(2, rows + 2),
            "file_hash": "0" * 64,
        }
    )
