"""Every setting the pipeline takes from the environment, read here and nowhere else.

Each variable is declared once in `VARIABLES`, with its default and what it does; the table
in docs/settings.md is generated from it (`python -m odc_pipeline.settings`). Every path has
a default inside the project checkout, so `make run` works with no settings at all; each can
be moved by one variable so a server keeps data outside the code. Secrets (the warehouse
URL, which may hold a password, the hashing salt, mail and broker passwords) are read only
where they are used: Dagster resources take them through `dagster.EnvVar`, so they never
enter a run's stored configuration, a log or metadata.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from odc_pipeline.maps.boundaries import MapSource

PROJECT_ROOT = Path(__file__).resolve().parent.parent
#: The club's boundary file, read where it lies (never copied into the project).
DEFAULT_BOUNDARIES = (
    PROJECT_ROOT.parent
    / "shared"
    / "data"
    / "real"
    / "boundaries"
    / "indonesia-38-provinces.geojson"
)
#: DuckDB's memory for one audience's release views, and for a release's comparison with the
#: one before, unless ODC_RELEASE_MEMORY says otherwise: 16 million result rows' views fit in
#: it; beyond it, DuckDB spills to disk.
DEFAULT_RELEASE_MEMORY = "512MB"


@dataclass(frozen=True)
class Variable:
    name: str
    meaning: str
    #: The value used when the variable is unset or empty.
    default: str = ""
    secret: bool = False
    #: How the docs show a default that depends on other settings (a folder's).
    shown_default: str = ""


VARIABLES = (
    Variable(
        "ODC_DATA_DIR",
        "Folder of the registry, reference tables and, by default, everything the pipeline writes",
        shown_default="data/",
    ),
    Variable("ODC_SOURCES", "The source registry", shown_default="$ODC_DATA_DIR/sources.yaml"),
    Variable(
        "ODC_WAREHOUSE_DIR",
        "Where the embedded warehouse, its audience files, quality reports and the open data package are written",
        shown_default="$ODC_DATA_DIR/warehouse",
    ),
    Variable(
        "ODC_RELEASES_KEEP",
        "How many releases (Parquet and manifest, in $ODC_WAREHOUSE_DIR/releases) are kept; older ones are removed after a publish that made a new one",
        "10",
    ),
    Variable(
        "ODC_RELEASE_MEMORY",
        "How much memory DuckDB may use for a release's analyst views (each audience's) and its comparison with the release before (such as 512MB or 2GB); what does not fit is spilled to disk beside the releases",
        DEFAULT_RELEASE_MEMORY,
    ),
    Variable(
        "ODC_BOUNDARIES",
        "A GeoJSON file of Indonesia's provinces for the maps of the run report and `odc chart` (matched by name); unset: the 38-province file beside this project in ../shared/data/real/boundaries/, if there",
        shown_default="../shared/data/real/boundaries/indonesia-38-provinces.geojson",
    ),
    Variable(
        "ODC_BOUNDARIES_ATTRIBUTION",
        "The attribution printed on every map",
        "Boundaries: Indonesia GeoJSON & TopoJSON Maps (38 Provinces), by its contributors, CC BY 4.0",
    ),
    Variable(
        "ODC_STORAGE_DIR",
        "Where steps hand each other their frames (Arrow files); on several machines, a folder every worker sees",
        shown_default="$ODC_DATA_DIR/storage",
    ),
    Variable(
        "ODC_SNAPSHOT_DIR",
        "Every pulled file, once per content, with the manifest of pulls",
        shown_default="$ODC_DATA_DIR/snapshots",
    ),
    Variable(
        "ODC_WAREHOUSE_URL",
        "The warehouse database as a SQLAlchemy URL, e.g. postgresql+psycopg://user:password@host/db; unset: the SQLite file odc.sqlite in ODC_WAREHOUSE_DIR",
        secret=True,
    ),
    Variable(
        "ODC_QUERY_URL",
        "The warehouse as `odc query` reads it, as a SQLAlchemy URL; on PostgreSQL a reader's login, never a superuser or the publisher. Unset: the warehouse itself, on PostgreSQL as the login <prefix>_query without a password",
        secret=True,
    ),
    Variable(
        "ODC_ROLE_PREFIX",
        "Prefix of the PostgreSQL reader roles (<prefix>_analyst, <prefix>_member, <prefix>_org_<organisation>) and of the login <prefix>_query",
        "odc",
    ),
    Variable(
        "ODC_HASH_SALT",
        "Salt for the hash under which personal values (reporters' contacts) are published; unset: nothing of them is kept",
        secret=True,
    ),
    Variable(
        "ODC_EXECUTOR",
        "How a server runs a job's steps: multiprocess (each step a process on this machine) or celery",
        "multiprocess",
    ),
    Variable(
        "ODC_CELERY_BROKER",
        "The Celery broker URL (RabbitMQ or Redis) for ODC_EXECUTOR=celery and its workers",
        "pyamqp://guest:guest@127.0.0.1:5672//",
        secret=True,
    ),
    Variable("ODC_CELERY_BACKEND", "Where Celery keeps task results", "rpc://"),
    Variable("ODC_NIGHTLY_AT", "When the nightly pull starts, HH:MM in Asia/Jakarta", "02:00"),
    Variable(
        "ODC_ALLOWED_DATA_DIRS",
        "Folders (separated by the system's path separator) a registry location may name, beside the registry's own folder",
    ),
    Variable(
        "ODC_ALLOWED_HOSTS",
        "Comma-separated hosts on a private network that http(s) locations may name (public hosts are always allowed)",
    ),
    Variable(
        "ODC_ALERT_WEBHOOK_URL",
        "A Slack, Mattermost or Rocket.Chat incoming webhook that is told of failed runs and held-back sources",
        secret=True,
    ),
    Variable("ODC_SMTP_HOST", "Mail server for alerts by e-mail"),
    Variable("ODC_SMTP_PORT", "Its port", "25"),
    Variable("ODC_SMTP_USER", "Its user, if it asks for one"),
    Variable("ODC_SMTP_PASSWORD", "Its password", secret=True),
    Variable("ODC_SMTP_STARTTLS", "1: use STARTTLS"),
    Variable("ODC_ALERT_EMAIL_FROM", "Sender of alert e-mails"),
    Variable("ODC_ALERT_EMAIL_TO", "Comma-separated recipients of alert e-mails"),
    Variable(
        "DAGSTER_HOME",
        "Dagster's instance folder (runs, events, schedules); `make` sets it to .dagster/. Unset for `python -m odc_pipeline.run`: the run is kept in memory only",
    ),
    Variable(
        "ODC_DAGSTER_PG_URL",
        "Read by deploy/dagster-postgres.yaml: Dagster's own runs and events in PostgreSQL",
        secret=True,
    ),
)
_DECLARED = {variable.name: variable for variable in VARIABLES}
#: A variable a registry names (a source's pull.credentials_env, a data_folder.variable).
REGISTRY_VARIABLE = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")

WAREHOUSE_URL_VARIABLE = "ODC_WAREHOUSE_URL"
HASH_SALT_VARIABLE = "ODC_HASH_SALT"
ROLE_PREFIX_VARIABLE = "ODC_ROLE_PREFIX"
QUERY_URL_VARIABLE = "ODC_QUERY_URL"
EXECUTOR_VARIABLE = "ODC_EXECUTOR"
CELERY_BROKER_VARIABLE = "ODC_CELERY_BROKER"


def read(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of a declared variable, stripped, or its default; a name `VARIABLES` does
    not declare is a programming error."""
    variable = _DECLARED[name]
    env = os.environ if environ is None else environ
    return env.get(name, "").strip() or variable.default


def named_by_registry(name: str, environ: Mapping[str, str] | None = None) -> str:
    """The value of a variable the registry names (a credential, a data folder), or ''."""
    if not REGISTRY_VARIABLE.match(name):
        raise ValueError(f"{name!r} is not an environment variable name")
    env = os.environ if environ is None else environ
    return env.get(name, "").strip()


@dataclass(frozen=True)
class Settings:
    """Paths the pipeline reads from and writes to."""

    data_dir: Path
    registry_path: Path
    warehouse_dir: Path
    storage_dir: Path
    #: Every pulled file, once per content, with the manifest of pulls (never cleaned by a run).
    snapshot_dir: Path | None = None
    #: ODC_WAREHOUSE_URL, or None for the embedded SQLite file. Never logged: it may hold a
    #: password (Dagster takes it through EnvVar).
    warehouse_url: str | None = None
    #: How many releases are kept (ODC_RELEASES_KEEP); older ones go after a good publish.
    releases_keep: int = 10
    #: DuckDB's memory for a release's views and comparison (ODC_RELEASE_MEMORY), as DuckDB
    #: reads it: a number and a unit.
    release_memory: str = DEFAULT_RELEASE_MEMORY

    @property
    def map_source(self) -> MapSource | None:
        """The province boundaries for maps, or None when there are none to draw with."""
        # Here, not at the top: the maps bring the region tables, which most commands never need.
        from odc_pipeline.maps.boundaries import MapSource

        named = read("ODC_BOUNDARIES")
        path = Path(named) if named else DEFAULT_BOUNDARIES
        if not path.exists():
            return None
        return MapSource(path, read("ODC_BOUNDARIES_ATTRIBUTION"), self.reference_dir)

    @property
    def releases_dir(self) -> Path:
        """Every kept release of the published tables, as Parquet with a manifest."""
        return self.warehouse_dir / "releases"

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

    @property
    def warehouse(self) -> str:
        """The warehouse's URL: ODC_WAREHOUSE_URL, or the embedded SQLite file."""
        return self.warehouse_url or self.default_warehouse_url


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """The paths and the warehouse the environment names, or their defaults."""
    data_dir = Path(read("ODC_DATA_DIR", environ) or PROJECT_ROOT / "data").resolve()
    registry = Path(read("ODC_SOURCES", environ) or data_dir / "sources.yaml")
    if not registry.is_absolute():
        registry = (PROJECT_ROOT / registry).resolve()

    def folder(name: str, default: str) -> Path:
        return Path(read(name, environ) or data_dir / default).resolve()

    return Settings(
        data_dir=data_dir,
        registry_path=registry,
        warehouse_dir=folder("ODC_WAREHOUSE_DIR", "warehouse"),
        storage_dir=folder("ODC_STORAGE_DIR", "storage"),
        snapshot_dir=folder("ODC_SNAPSHOT_DIR", "snapshots"),
        warehouse_url=read(WAREHOUSE_URL_VARIABLE, environ) or None,
        releases_keep=releases_keep(environ),
        release_memory=release_memory(environ),
    )


class SettingsError(ValueError):
    """An environment variable whose value cannot be used, said with what it must be."""


def releases_keep(environ: Mapping[str, str] | None = None) -> int:
    """ODC_RELEASES_KEEP as a number, or the reason it is not one."""
    value = read("ODC_RELEASES_KEEP", environ)
    if not value.isdigit() or int(value) < 1:
        raise SettingsError(
            f"ODC_RELEASES_KEEP is {value!r}: it must be how many releases to keep, a whole "
            "number of 1 or more (10 when unset)"
        )
    return int(value)


#: An amount of memory as DuckDB takes it and a steward writes it: 512MB, 1.5GB, 2GiB.
_MEMORY = re.compile(r"\s*(\d+(\.\d+)?)\s*([KMGT]i?B)\s*", re.IGNORECASE)


def release_memory(environ: Mapping[str, str] | None = None) -> str:
    """ODC_RELEASE_MEMORY as DuckDB's memory limit, or the reason it is not one."""
    value = read("ODC_RELEASE_MEMORY", environ)
    matched = _MEMORY.fullmatch(value)
    if matched is None or float(matched[1]) <= 0:
        raise SettingsError(
            f"ODC_RELEASE_MEMORY is {value!r}: it must be an amount of memory, a number "
            f"above 0 and a unit, such as 512MB or 2GB ({DEFAULT_RELEASE_MEMORY} when unset)"
        )
    return f"{matched[1]}{matched[3].upper().replace('I', 'i')}"


def role_prefix() -> str:
    """Prefix of the PostgreSQL reader roles (`odc` gives odc_analyst, odc_member, ...)."""
    return read(ROLE_PREFIX_VARIABLE)


def query_url() -> str | None:
    """ODC_QUERY_URL, or None: `odc query` then reads the warehouse (on PostgreSQL as the
    login <prefix>_query). Never logged: it may hold a password."""
    return read(QUERY_URL_VARIABLE) or None


def hash_salt_is_set() -> bool:
    """Whether a salt is configured (its value is taken through EnvVar, not here)."""
    return bool(read(HASH_SALT_VARIABLE))


def executor_name(environ: Mapping[str, str] | None = None) -> str:
    return read(EXECUTOR_VARIABLE, environ).lower()


def celery_broker() -> str:
    """For the workers (`celery_worker`); the executor takes it through Dagster's `env`."""
    return read(CELERY_BROKER_VARIABLE)


def celery_backend(environ: Mapping[str, str] | None = None) -> str:
    return read("ODC_CELERY_BACKEND", environ)


def dagster_home_is_set() -> bool:
    return bool(read("DAGSTER_HOME"))


def prepare_dagster_home() -> Path:
    """`DAGSTER_HOME` as an absolute path (`export DAGSTER_HOME=.dagster` means the folder
    here; Dagster itself refuses a relative one). A home without a `dagster.yaml` gets the
    project's one-machine instance (`deploy/dagster.yaml`, as `make` does): without it
    Dagster prints its telemetry notice on every run and keeps no run queue. An existing
    `dagster.yaml` is never touched."""
    home = Path(read("DAGSTER_HOME")).absolute()
    ours = PROJECT_ROOT / "deploy" / "dagster.yaml"
    if ours.exists() and not (home / "dagster.yaml").exists():
        home.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ours, home / "dagster.yaml")
    return home


def no_usage_statistics() -> None:
    """Great Expectations sends no usage statistics from this machine (and often there is no
    network to send them to), unless the operator asked for them."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")


def markdown() -> str:
    """The table of docs/settings.md."""
    lines = [
        "# Settings",
        "",
        "Every setting comes from an environment variable; all are optional. Generated by",
        "`python -m odc_pipeline.settings` from `odc_pipeline/settings.py`; do not edit by hand.",
        "",
        "| variable | default | what it does | secret |",
        "|---|---|---|---|",
    ]
    for variable in VARIABLES:
        shown = variable.shown_default or variable.default
        default = f"`{shown}`" if shown else ""
        secret = "yes" if variable.secret else ""
        lines.append(f"| `{variable.name}` | {default} | {variable.meaning} | {secret} |")
    lines += [
        "",
        "A registry can name further variables: a source's `pull.credentials_env` (the",
        "credential sent to its server) and a `data_folder.variable` (where its files are).",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(markdown())
