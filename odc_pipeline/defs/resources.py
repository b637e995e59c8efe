"""The warehouse as a Dagster resource; its URL comes from the environment, not from code."""

from __future__ import annotations

import dagster as dg
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from odc_pipeline.warehouse.engine import make_engine


class WarehouseResource(dg.ConfigurableResource):
    """Where the combined warehouse lives: a SQLite file by default, PostgreSQL in production.

    The URL may hold a password, so it is never logged nor attached to metadata; use
    `display_name` for that.
    """

    url: str
    #: Salt for pseudonymizing personal data (ODC_HASH_SALT); without it nothing personal is kept.
    hash_salt: str | None = None
    #: Prefix of the PostgreSQL reader roles (`<prefix>_analyst`, `<prefix>_member`,
    #: `<prefix>_org_<organisation>`); unused on SQLite.
    role_prefix: str = "odc"

    def engine(self) -> Engine:
        return make_engine(self.url)

    @property
    def display_name(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)
