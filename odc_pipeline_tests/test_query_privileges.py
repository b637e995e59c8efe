"""`odc query` on PostgreSQL asks its question as a reader's login, not as the publisher.

The warehouse is published by the server's superuser, and ODC_WAREHOUSE_URL names that
superuser, as on a server where one user loads and analysts ask. The questions go through the
real command (`odc query`, in-process with click's runner). They read what members see, and
nothing of the server: its files (`pg_read_file`, `lo_import`), its programs
(`COPY ... TO PROGRAM`), other databases (`dblink`), or the publisher's role, even from inside
one SELECT (`set_config('role', 'none', false)` then SQL run by `query_to_xml`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from odc_pipeline.cli import main
from odc_pipeline.warehouse import readonly
from odc_pipeline.warehouse.catalog import Catalog
from odc_pipeline.warehouse.engine import make_engine
from odc_pipeline.warehouse.publish import publish
from odc_pipeline_tests.publish_worker import CATALOG, batch
from odc_pipeline_tests.scratch import POSTGRES_ADMIN_URL, drop_roles, temporary_database

#: Slow: the live PostgreSQL server.
pytestmark = pytest.mark.slow

PUBLIC_ROWS, PRIVATE_ROWS = 30, 12
#: One SELECT that escapes a `SET ROLE` on the publisher's session: back to the role it logged
#: in as, then SQL that query_to_xml runs as that role.
BACK_TO_THE_LOGIN_ROLE = (
    "select set_config('role', 'none', false), "
    "query_to_xml('select pg_read_file(''/etc/hostname'')', true, false, '')"
)


@dataclass(frozen=True)
class Published:
    url: str
    role_prefix: str
    #: Whether the server had dblink to install (it is a contrib module, not always there).
    dblink: bool


@pytest.fixture(scope="module")
def published() -> Iterator[Published]:
    """One small warehouse for the module: a public source, and a private one (members, and so
    `odc query`, must not see its rows). Its roles are dropped with the database."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    private = replace(CATALOG.sources[0], source_id="results_b", sharing="private")
    catalog = Catalog(CATALOG.organizations, [*CATALOG.sources, private])
    batches = [
        batch(PUBLIC_ROWS, seed=1),
        replace(batch(PRIVATE_ROWS, seed=2), source_id="results_b"),
    ]
    try:
        with temporary_database(POSTGRES_ADMIN_URL, prefix="odc_test") as url:
            engine = make_engine(url)
            try:
                # No region table: these questions need none, and it keeps the publish quick.
                publish(engine, None, batches, "run_q", catalog, role_prefix=prefix)
                with engine.connect() as connection:
                    try:
                        connection.execute(sa.text("CREATE EXTENSION dblink SCHEMA public"))
                        connection.commit()
                        dblink = True
                    except sa.exc.DBAPIError:
                        dblink = False
            finally:
                engine.dispose()
            yield Published(url, prefix, dblink)
    finally:
        drop_roles(prefix, POSTGRES_ADMIN_URL)


@pytest.fixture
def odc_query(published: Published, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    """`odc query ARGS` with the publisher's (superuser's) URL as the warehouse."""
    monkeypatch.setenv("ODC_WAREHOUSE_URL", published.url)
    monkeypatch.setenv("ODC_ROLE_PREFIX", published.role_prefix)
    monkeypatch.delenv("ODC_QUERY_URL", raising=False)

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["query", *args])

    return run


def _refused(result: Result) -> str:
    """The message of a refused question, which must be plain words, not a traceback."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output and "psycopg" not in result.output, result.output
    assert result.output.startswith("Error: "), result.output
    return " ".join(result.output.split())


def test_query_reads_what_members_see_as_the_query_login(odc_query, published):
    count = odc_query("select count(*) as n from fact_election_results", "--format", "json")
    assert count.exit_code == 0, count.output
    assert '"n":30' in count.output.replace(" ", "")  # the public source's rows, not the private
    who = odc_query("select current_user as who, session_user as login", "--format", "csv")
    assert (
        who.output.splitlines()[1] == f"{published.role_prefix}_query,{published.role_prefix}_query"
    )
    listed = odc_query("--tables", "--format", "csv")
    assert listed.exit_code == 0, listed.output
    names = [line.split(",")[0] for line in listed.output.splitlines()[1:]]
    assert "fact_election_results" in names and len(names) == len(set(names))  # once each
    table = odc_query("--table", "fact_election_results", "--format", "csv")
    assert table.exit_code == 0 and len(table.output.splitlines()) == 1 + PUBLIC_ROWS
    core = _refused(odc_query("select count(*) from odc_warehouse.fact_election_results"))
    assert "may not do that" in core and "members_data" in core


def test_query_cannot_reach_the_servers_files_programs_or_other_databases(odc_query, published):
    read_file = _refused(odc_query("select pg_read_file('/etc/hostname')"))
    assert "a server function analysts may not call (pg_read_file)" in read_file
    assert "odc query reads the warehouse's tables only" in read_file
    import_file = _refused(odc_query("select lo_import('/etc/hostname')"))
    assert "a server function analysts may not call (lo_import)" in import_file

    pwned = Path(f"/tmp/odc-pwned-{uuid.uuid4().hex[:8]}")  # noqa: S108 - the server's /tmp
    program = _refused(odc_query(f"COPY (select 1) TO PROGRAM 'touch {pwned}'"))
    assert "only questions are allowed" in program
    assert not pwned.exists()

    # With a password in the connection string, dblink's own check is what refuses: the server
    # trusts local connections, and a reader may not use a connection it did not authenticate.
    other_database = _refused(
        odc_query(
            "select * from dblink('host=127.0.0.1 dbname=postgres user=postgres password=x', "
            "'select pg_read_file(''/etc/hostname'')') as t(f text)"
        )
    )
    if published.dblink:
        assert "reaches outside the warehouse" in other_database, other_database
    else:  # no contrib modules on this server: refused as an unknown function
        assert "dblink" in other_database and "does not exist" in other_database


def test_query_cannot_take_back_the_publishers_role(odc_query):
    for statement in (
        "select set_config('role', 'postgres', false)",
        "select set_config('session_authorization', 'postgres', false)",
    ):
        refused = _refused(odc_query(statement))
        assert "tries to change who it runs as" in refused, statement
    # RESET ROLE only goes back to the login itself, which may not read files either.
    escape = _refused(odc_query(BACK_TO_THE_LOGIN_ROLE))
    assert "analysts may not call (pg_read_file)" in escape
    two = _refused(odc_query("reset role; select pg_read_file('/etc/hostname')"))
    assert "one statement at a time" in two


def test_query_url_names_another_readers_login(odc_query, published, monkeypatch):
    """An organisation's login sees its own private source too: its schema comes first."""
    login = f"{published.role_prefix}_user_a"
    admin = sa.create_engine(published.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        quote = connection.dialect.identifier_preparer.quote
        group = quote(f"{published.role_prefix}_org_org_a")
        connection.execute(sa.text(f"CREATE ROLE {quote(login)} LOGIN IN ROLE {group}"))
    admin.dispose()
    url = sa.engine.make_url(published.url).set(username=login)
    monkeypatch.setenv("ODC_QUERY_URL", url.render_as_string(hide_password=False))
    count = odc_query("select count(*) as n from fact_election_results", "--format", "csv")
    assert count.output.splitlines() == ["n", str(PUBLIC_ROWS + PRIVATE_ROWS)], count.output


def test_query_will_not_run_as_a_superuser(odc_query, published, monkeypatch):
    monkeypatch.setenv("ODC_QUERY_URL", published.url)
    refused = _refused(odc_query("select 1"))
    assert "will not run as 'postgres': it is a superuser" in refused


def test_a_long_question_is_stopped(odc_query, monkeypatch):
    monkeypatch.setattr(readonly, "STATEMENT_TIMEOUT", "200ms")
    refused = _refused(odc_query("select pg_sleep(5)"))
    assert "ran longer than 200ms and was stopped" in refused
