"""`odc`, driven through its real entry point (the installed script, in a subprocess) and
through Click's runner for the bad-input corpus, on real files."""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from odc_pipeline.cli import main
from odc_pipeline_tests.conftest import (
    DEMO_REGISTRY,
    PUBLISHED_REGIONS,
    demo_registry_document,
    isolated_environment,
    write_registry,
)
from odc_pipeline_tests.test_corpus import BASE, CASES, FILES

#: Slow: the installed `odc` script in subprocesses.
pytestmark = pytest.mark.slow

ODC = str(Path(sys.executable).parent / "odc")
DEMO = DEMO_REGISTRY.parent / "demo"


def _odc(
    *args: str, env: dict | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [ODC, *args], capture_output=True, text=True, timeout=600, env=env, cwd=cwd
    )


def test_help_explains_every_command():
    completed = _odc("--help")
    assert completed.returncode == 0
    for command in ("check", "regions", "run", "sources", "query", "report"):
        assert command in completed.stdout
    check = _odc("check", "--help").stdout
    assert "Exit code 0" in check and "quarantined" in check


def test_check_exit_codes_on_real_files(tmp_path):
    clean = tmp_path / "bersih.csv"
    clean.write_text(
        "kode_wilayah,candidate,votes,election,year,contest\n"
        "32.04,01,100,pemilu,2024,presiden\n32.73,01,50,pemilu,2024,presiden\n",
        encoding="utf-8",
    )
    good = _odc("check", str(clean), "--kind", "election_results")
    assert good.returncode == 0, good.stdout + good.stderr
    assert "would publish cleanly" in good.stdout
    demo = _odc(
        "check",
        str(DEMO / "jsn_pilpres2024_kabkota.csv"),
        "--source",
        "jsn_pilpres2024_kabkota",
        "--json",
    )
    assert demo.returncode == 1
    report = json.loads(demo.stdout)
    assert (report["rows_in"], report["rows_quarantined"]) == (81, 4)
    assert {p["rule"] for p in report["problems"]} == {
        "number_format",
        "in_range(0, 10000000000)",
        "region_unmatched",
        "votes_within_valid_ballots",
    }
    assert report["unmatched_regions"][0]["value"] == "32.99"
    assert report["match_rate"] == pytest.approx(77 / 78, abs=1e-4)
    broken = _odc("check", str(FILES / "nul_bytes.csv"), "--kind", "election_results")
    assert broken.returncode == 2
    assert "the file is binary, not CSV text" in broken.stdout
    assert "Traceback" not in broken.stdout + broken.stderr


@pytest.fixture(scope="module")
def corpus_registry(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("corpus_registry")
    sources = []
    for position, (name, (changes, _)) in enumerate(sorted(CASES.items())):
        entry = copy.deepcopy(BASE)
        entry.update(copy.deepcopy(changes))
        entry.update(id=f"corpus_{position}", organization="test", location=str(FILES / name))
        entry.setdefault("format", "csv")
        sources.append(entry)
    path = folder / "sources.yaml"
    path.write_text(
        yaml.safe_dump({"organizations": {"test": {"name": "Test"}}, "sources": sources}),
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_on_every_corpus_file(name, corpus_registry, monkeypatch):
    """The same outcome `odc check` reports as the pipeline reaches, for every bad file."""
    monkeypatch.setenv("ODC_SOURCES", str(corpus_registry))
    monkeypatch.setenv("ODC_ALLOWED_DATA_DIRS", str(FILES))
    _, expected = CASES[name]
    position = sorted(CASES).index(name)
    result = CliRunner().invoke(
        main, ["check", str(FILES / name), "--source", f"corpus_{position}", "--json"]
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    answer = json.loads(result.output)
    if "error" in expected:
        assert result.exit_code == 2
        assert expected["error"] in answer["error"]
        return
    quarantined = expected["quarantined"]
    assert result.exit_code == (1 if quarantined else 0), answer
    assert answer["rows_quarantined"] == len(quarantined)
    assert answer["rows_in"] - answer["rows_quarantined"] == expected["published"]
    assert {p["rule"] for p in answer["problems"]} == set(quarantined.values())


def test_regions_match_says_what_and_why():
    matched = _odc("regions", "match", "Kab. Bandung", "--json")
    assert matched.returncode == 0
    assert json.loads(matched.stdout)["region_code"] == "32.04"
    bare = _odc("regions", "match", "BANDUNG")
    assert bare.returncode == 1
    assert "ambiguous" in bare.stdout and "Kota Bandung (32.73)" in bare.stdout
    regency = json.loads(
        _odc("regions", "match", "BANDUNG", "--untyped", "kabupaten", "--json").stdout
    )
    assert (regency["region_code"], regency["method"]) == ("32.04", "name")
    fuzzy = json.loads(_odc("regions", "match", "Bandungg Barat", "--json").stdout)
    assert (fuzzy["region_code"], fuzzy["method"]) == ("32.17", "fuzzy")
    scoped = json.loads(
        _odc("regions", "match", "Cimahi", "--province", "Jawa Barat", "--json").stdout
    )
    assert scoped["region_code"] == "32.77"
    # A kecamatan inside its province; a name matching none says so, without "nan".
    kecamatan = ("--province", "Jawa Barat", "--level", "kecamatan")
    found = _odc("regions", "match", "Baleendah", *kecamatan)
    assert found.returncode == 0 and "32.04.32 Baleendah" in found.stdout
    unknown = _odc("regions", "match", "Kecamatan Fiktif", *kecamatan, "--json")
    assert unknown.returncode == 1
    answer = json.loads(unknown.stdout)
    assert answer["problem"].startswith("no kecamatan named 'Kecamatan Fiktif' inside Jawa Barat")
    assert "nan" not in unknown.stdout


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """`odc run` once, in its own folders; the warehouse the query tests read."""
    tmp = tmp_path_factory.mktemp("cli_run")
    env = isolated_environment(tmp)
    completed = _odc("run", env=env)
    return env, completed


def test_run_shows_a_bar_per_source_and_the_summary(cli_run):
    env, completed = cli_run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    out = completed.stdout
    for source in ("jsn_pilpres2024_kabkota", "fppjb_rekap_pilpres2024", "ldw_suara_pilpres2024"):
        assert source in out
    assert "read 81, validated 78, harmonized 78, published" in out
    assert "Run summary" in out and "192" in out and "179" in out
    assert "│ Lembaga Data " in out and "│ ldw " not in out  # organisations by name
    assert "│ fppjb_rekap_pilpres2024 " in out  # ids whole
    assert "Year 2019: the sources that keep one file per year" in out
    report = Path(env["ODC_WAREHOUSE_DIR"]) / "reports"
    assert len(list(report.glob("run-*.html"))) == 1


def test_run_one_source_keeps_the_others(cli_run):
    env, _ = cli_run
    completed = _odc("run", "--source", "ldw_suara_pilpres2024", env=env)
    assert completed.returncode == 0, completed.stdout[-2000:]
    counts = json.loads(
        _odc(
            "query",
            "select source_id, count(distinct run_id) runs from fact_election_results join dim_load using (source_id, load_id) "
            "group by 1 order by 1",
            "--format",
            "json",
            env=env,
        ).stdout
    )
    assert [c["source_id"] for c in counts] == [
        "fppjb_rekap_pilpres2024",
        "jsn_pilpres2024_kabkota",
        "ldw_suara_pilpres2024",
    ]
    audit = json.loads(
        _odc("query", "select source_id from load_audit", "--format", "json", env=env).stdout
    )
    assert sorted(a["source_id"] for a in audit).count("ldw_suara_pilpres2024") == 2
    assert sorted(a["source_id"] for a in audit).count("jsn_pilpres2024_kabkota") == 1
    unknown = _odc("run", "--source", "nope", env=env)
    assert unknown.returncode == 2 and "unknown source(s) nope" in unknown.stdout


def test_query_reads_and_refuses_writes(cli_run, tmp_path):
    env, _ = cli_run
    table = _odc("query", "select count(*) as n from dim_region", env=env)
    assert table.returncode == 0 and str(PUBLISHED_REGIONS) in table.stdout.replace(",", "")
    for statement in (
        "delete from dim_region",
        "select 1; drop table dim_region",
        "update quarantine set rule = 'x'",
    ):
        refused = _odc("query", statement, env=env)
        assert refused.returncode == 1 and "Error:" in refused.stderr, statement
    # A write smuggled inside a question fails at the read-only connection.
    sneaky = _odc(
        "query", "with x as (select 1) insert into dim_region select * from dim_region", env=env
    )
    assert sneaky.returncode == 1
    count = _odc("query", "select count(*) as n from dim_region", "--format", "json", env=env)
    assert json.loads(count.stdout) == [{"n": PUBLISHED_REGIONS}]
    out = tmp_path / "q.csv"
    written = _odc(
        "query",
        "--table",
        "quarantine",
        "--where",
        "source_id=jsn_pilpres2024_kabkota",
        "--format",
        "csv",
        "--output",
        str(out),
        env=env,
    )
    assert written.returncode == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 4 and lines[0].startswith("organization_id,source_id,source_row")
    bad = _odc("query", "--table", "quarantine", "--where", "nope=1", env=env)
    assert bad.returncode == 1 and "has no column 'nope'" in bad.stderr


def test_query_output_is_readable_nulls_wide_rows_and_the_list_of_tables(cli_run):
    env, _ = cli_run
    nulls = _odc(
        "query", "select 'a' as x, null as text_gap, cast(null as real) as number_gap", env=env
    )
    assert nulls.returncode == 0
    assert "nan" not in nulls.stdout.lower() and "None" not in nulls.stdout
    # dim_source is too wide for 160 columns: one block per row, a line per column.
    wide = _odc("query", "--table", "dim_source", env=env)
    assert wide.returncode == 0
    assert wide.stdout.count("-- row ") == 4
    assert "       source_id  jsn_pilpres2024_kabkota" in wide.stdout
    # A current source has no status message: an empty value, not "None" or "nan".
    assert re.search(r"^ *status_message *$", wide.stdout, re.MULTILINE)
    narrow = _odc("query", "select source_id from dim_source", "--format", "vertical", env=env)
    assert narrow.stdout.count("-- row ") == 4
    listed = _odc("query", "--tables", env=env)
    assert listed.returncode == 0
    lines = {
        line.split()[1]: line
        for line in listed.stdout.splitlines()
        if line.startswith("│") and line.split()[1] != "│"
    }
    assert "Where two sources report different votes" in lines["source_discrepancies"]
    assert "Rows set aside" in lines["quarantine"]
    assert {"dim_region", "fact_election_results", "meta_columns", "region_summary"} <= set(lines)


def test_query_starts_without_loading_the_pipeline(cli_run):
    """`odc query` loads only its own command: not Dagster or Great Expectations, which take
    seconds to import, nor the publisher and the open data export, which a question never
    needs."""
    env, _ = cli_run
    probe = (
        "import sys\n"
        "from odc_pipeline.cli import main\n"
        "main(['query', 'select count(*) as n from dim_region', '--format', 'json'],"
        " standalone_mode=False)\n"
        "heavy = ('dagster', 'great_expectations', 'odc_pipeline.warehouse.publish',"
        " 'odc_pipeline.warehouse.export')\n"
        "loaded = [m for m in heavy if m in sys.modules]\n"
        "print(loaded, file=sys.stderr)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, env=env
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout) == [{"n": PUBLISHED_REGIONS}]
    assert completed.stderr.strip().splitlines()[-1] == "[]"


def test_query_exports_cannot_run_as_formulas(cli_run, tmp_path):
    env, _ = cli_run
    out = _odc(
        "query", "select '=HYPERLINK(\"http://x\")' as cell, '-5' as n", "--format", "csv", env=env
    )
    assert out.stdout.splitlines()[1].startswith("\"'=HYPERLINK")
    assert out.stdout.splitlines()[1].endswith(",-5")


def test_sources_list_add_and_test(tmp_path):
    registry = tmp_path / "sources.yaml"
    registry.write_text(DEMO_REGISTRY.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "demo").symlink_to(DEMO)
    env = {**os.environ, "ODC_SOURCES": str(registry), "ODC_ALLOWED_DATA_DIRS": str(DEMO)}
    listed = _odc("sources", "list", env=env)
    assert listed.returncode == 0 and "ldw_suara_pilpr" in listed.stdout
    added = _odc(
        "sources",
        "add",
        "--id",
        "jsn_copy",
        "--organization",
        "jsn",
        "--kind",
        "election_results",
        "--format",
        "csv",
        "--location",
        "demo/jsn_pilpres2024_kabkota.csv",
        "--column",
        "kode_wilayah=region",
        "--column",
        "paslon=candidate",
        "--column",
        "suara=votes",
        "--region",
        "region:kabupaten_kota:kemendagri",
        "--set",
        "election=pemilu",
        "--set",
        "year=2024",
        "--set",
        "contest=presiden",
        "--licence",
        "CC-BY-4.0",
        "--sharing",
        "public",
        env=env,
    )
    assert added.returncode == 0, added.stdout + added.stderr
    assert "jsn_copy" in yaml.safe_load(registry.read_text())["sources"][-1]["id"]
    assert "# The source registry" in registry.read_text()  # comments kept
    tested = _odc("sources", "test", "jsn_copy", env=env)
    assert tested.returncode == 0 and "read 81 rows" in tested.stdout
    before = registry.read_text()
    refused = _odc(
        "sources",
        "add",
        "--id",
        "Bad Id",
        "--organization",
        "nobody",
        "--kind",
        "election_results",
        "--format",
        "csv",
        "--location",
        "x.csv",
        "--column",
        "a=region",
        "--region",
        "region:kabupaten_kota:kemendagri",
        "--licence",
        "x",
        "--sharing",
        "public",
        env=env,
    )
    assert refused.returncode == 1 and "the entry was not added" in refused.stderr
    assert registry.read_text() == before
    missing = _odc("sources", "test", "nope", env=env)
    assert missing.returncode == 2 and "no source 'nope'" in missing.stdout


def test_regions_review_export_and_import_through_odc(cli_run, tmp_path):
    import csv

    env, _ = cli_run
    data = tmp_path / "data"
    shutil.copytree(DEMO_REGISTRY.parent / "reference", data / "reference")
    env = {**env, "ODC_DATA_DIR": str(data), "ODC_SOURCES": str(DEMO_REGISTRY)}
    queue = tmp_path / "review.csv"
    exported = _odc("regions", "review", "export", str(queue), env=env)
    assert exported.returncode == 0 and "wrote 5 values to review" in exported.stdout
    with queue.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        if row["value"] == "Bandung":
            row["decision_code"], row["scope"] = "32.73", "source"
    with queue.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    imported = _odc("regions", "review", "import", str(queue), env=env)
    assert imported.returncode == 0 and "added 1 alias to " in imported.stdout
    aliases = (data / "reference" / "region_aliases.csv").read_text(encoding="utf-8")
    assert aliases.splitlines()[-1].startswith(
        "Bandung,kabupaten_kota,32.73,fppjb_rekap_pilpres2024"
    )
    # A decision naming a code that does not exist is refused, and nothing is added.
    for row in rows:
        if row["value"] == "Bandung":
            row["decision_code"] = "32.99"
    with queue.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    refused = _odc("regions", "review", "import", str(queue), env=env)
    assert refused.returncode == 1 and "32.99" in refused.stdout
    assert (data / "reference" / "region_aliases.csv").read_text(encoding="utf-8") == aliases


def test_sources_add_asks_for_what_is_missing(tmp_path, monkeypatch):
    registry = tmp_path / "sources.yaml"
    registry.write_text(DEMO_REGISTRY.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("ODC_SOURCES", str(registry))
    answers = "\n".join(
        [
            "ldw_baru",  # id
            "ldw",  # organisation
            "election_results",  # kind
            "csv",  # format
            "baru.csv",  # location
            "CC-BY-4.0",  # licence
            "members",  # sharing
            "kode=region,paslon=candidate,suara=votes",  # mapping
            "region:kabupaten_kota:kemendagri",  # region
        ]
    )
    result = CliRunner().invoke(
        main,
        [
            "sources",
            "add",
            "--set",
            "election=pemilu",
            "--set",
            "year=2024",
            "--set",
            "contest=presiden",
        ],
        input=answers + "\n",
    )
    assert result.exit_code == 0, result.output
    entry = yaml.safe_load(registry.read_text())["sources"][-1]
    assert (entry["id"], entry["sharing"], entry["columns"]["suara"]) == (
        "ldw_baru",
        "members",
        "votes",
    )


def test_check_finds_the_totals_row_when_the_province_is_given_for_every_row(tmp_path):
    """`--set provinsi=...` adds a region column the file does not have: the totals row's
    label is still looked for in the first one it has."""
    own = tmp_path / "hasil_dpr_2019.csv"
    own.write_text(
        "Kabupaten/Kota;Partai;Perolehan Suara\nKab. Bandung;PDI Perjuangan;1.234\n"
        "Kota Bandung;Gerindra;567\nJUMLAH;;3.579\n",
        encoding="utf-8",
    )
    registry = tmp_path / "sources.yaml"
    registry.write_text("organizations:\n  jsn:\n    name: J\nsources: []\n", encoding="utf-8")
    env = {**os.environ, "ODC_SOURCES": str(registry), "ODC_ALLOWED_DATA_DIRS": str(tmp_path)}
    checked = _odc(
        "check", str(own), "--kind", "election_results", "--read", "delimiter=;",
        "--set", "provinsi=Jawa Barat", env=env,
    )  # fmt: skip
    out = " ".join(checked.stdout.split())
    assert "rows read 3; would publish 2; would set aside 1" in out, checked.stdout
    assert "this is the file's totals row ('JUMLAH'), not a region" in out
    assert "totals_label: JUMLAH" in out and "candidate must not be empty" not in out


def test_check_with_an_unknown_source_names_the_known_ones():
    completed = _odc("check", str(DEMO / "jsn_pilpres2024_kabkota.csv"), "--source", "nope")
    assert completed.returncode == 2
    assert "no source 'nope' in the registry; known: jsn_pilpres2024_kabkota" in completed.stdout


def test_report_of_the_latest_run_and_without_a_warehouse(cli_run, tmp_path):
    env, _ = cli_run
    written = _odc("report", env=env)
    assert written.returncode == 0
    path = Path(written.stdout.strip())
    assert path.parent == Path(env["ODC_WAREHOUSE_DIR"]) / "reports" and path.is_file()
    unknown = _odc("report", "nosuchrun", env=env)
    assert unknown.returncode == 1
    latest = path.stem.removeprefix("run-")[:8]
    assert f"no published run's id starts with 'nosuchrun'; the latest: {latest}" in (
        unknown.stderr
    )
    empty = _odc("report", env={**env, "ODC_WAREHOUSE_DIR": str(tmp_path / "none")})
    assert empty.returncode == 1
    assert "no warehouse at" in empty.stderr and "Traceback" not in empty.stderr


def test_run_with_one_source_that_cannot_be_pulled_publishes_the_others(tmp_path):
    """A drop folder with no file yet: that source is held back with its reason, and the
    progress display, which has no row count to show for it, fails nothing."""
    document = demo_registry_document()
    document["sources"][0]["location"] = "drops/jsn/"
    path = write_registry(tmp_path / "registry", document)
    (tmp_path / "registry" / "drops" / "jsn").mkdir(parents=True)
    env = {**isolated_environment(tmp_path), "ODC_SOURCES": str(path)}
    completed = _odc("run", env=env)
    out = " ".join(completed.stdout.split())
    assert completed.returncode == 1, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "jsn_pilpres2024_kabkota was held back" in out
    assert "has no file matching" in out
    assert "Traceback" not in completed.stdout + completed.stderr
    # As the step said it, above the bars (the summary says it again at the end, unmarked).
    assert "✗ Source 'jsn_pilpres2024_kabkota' (jsn): the drop folder" in out, out[-3000:]
    engine = sa.create_engine(f"sqlite:///{Path(env['ODC_WAREHOUSE_DIR']) / 'odc.sqlite'}")
    with engine.connect() as connection:
        statuses = dict(
            connection.execute(sa.text("select source_id, status from load_audit")).all()
        )
    engine.dispose()
    assert statuses == {
        "jsn_pilpres2024_kabkota": "failed",
        "fppjb_rekap_pilpres2024": "published",
        "ldw_suara_pilpres2024": "published",
        "ldw_dpt_kabkota": "published",
    }


def test_contestants_match_and_review_export_through_odc(cli_run, tmp_path):
    env, _ = cli_run
    matched = _odc("contestants", "match", "Paslon 01", "--year", "2024", "--subject", "pair")
    assert matched.returncode == 0
    assert matched.stdout.strip() == "Paslon 01 → paslon_2024_01 (by number)"
    # Without --subject, both: what the value names in each kind of race.
    both = _odc("contestants", "match", "Paslon 01", "--year", "2019")
    assert both.returncode == 0
    assert both.stdout.splitlines() == [
        "Paslon 01 → paslon_2019_01 as a pair (in a presidential race) (by number)",
        "Paslon 01 → pkb as a party (in a parliament's race) (by number)",
    ]
    pair = _odc("contestants", "match", "Jokowi - Ma'ruf", "--year", "2019")
    assert pair.stdout.strip() == (
        "Jokowi - Ma'ruf → paslon_2019_01 as a pair (in a presidential race) (by name)"
    )
    undecided = _odc("contestants", "match", "Partai Demokrasi Indonesia", "--year", "2019")
    assert undecided.returncode == 1
    assert "is not a party of 2019" in undecided.stdout
    assert "closest: pdip (3 PDI-P" in undecided.stdout
    queue = tmp_path / "parties.csv"
    exported = _odc("contestants", "review", "export", str(queue), env=env)
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("wrote ")
    header = queue.read_text(encoding="utf-8").splitlines()[0]
    assert header.endswith("reason,suggestions,decision_id,scope")


def test_check_lists_parties_and_pairs_no_rule_decides(tmp_path):
    pairs = tmp_path / "paslon.csv"
    pairs.write_text(
        "kode_wilayah,candidate,votes\n32.01,Paslon 01,10\n32.01,Prabowo,20\n"
        "32.02,Prabowo,7\n32.02,Ganjar - Mahfud,5\n",
        encoding="utf-8",
    )
    checked = _odc(
        "check",
        str(pairs),
        "--kind",
        "election_results",
        *("--set", "election=pemilu", "--set", "year=2024", "--set", "contest=presiden"),
        "--json",
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["rows_quarantined"] == 0
    (undecided,) = report["undecided_contestants"]
    assert (undecided["value"], undecided["rows"], undecided["example_rows"]) == (
        "Prabowo",
        2,
        "3, 4",
    )
    assert undecided["suggestions"].startswith("paslon_2024_02 (2 Prabowo-Gibran")


def test_check_proposes_an_entry_for_a_file_the_registry_does_not_know(tmp_path):
    """A steward's own file: `odc check` reads its Indonesian headers, says how, and prints
    the entry as YAML; pasted into the registry it passes `odc sources test`."""
    folder = tmp_path / "files"
    folder.mkdir()
    own = folder / "hasil_dpr_2019.csv"
    own.write_text(
        "Kabupaten/Kota,Partai,Perolehan Suara\n"
        'Kab. Bandung,PDI Perjuangan,"1.234"\nKota Bandung,Gerindra,567\nKab. Garut,Golkar,-5\n',
        encoding="utf-8",
    )
    registry = folder / "sources.yaml"
    registry.write_text(
        "organizations:\n  jsn:\n    name: Jaga Suara Nusantara\nsources: []\n", encoding="utf-8"
    )
    env = {**os.environ, "ODC_SOURCES": str(registry), "ODC_ALLOWED_DATA_DIRS": str(folder)}
    checked = _odc("check", str(own), "--kind", "election_results", env=env)
    assert checked.returncode == 1, checked.stdout + checked.stderr
    out = checked.stdout
    assert "│ Perolehan Suara │ votes" in out
    assert "│ (every row)     │ year = 2019       │ the file's name says 2019" in out
    assert "votes must be from 0 to 10,000,000,000 │ 1    │ 4" in out
    block = out.split("to paste under sources:")[1].split("\n", 1)[1]
    (entry,) = yaml.safe_load(block)
    assert entry["columns"] == {
        "Kabupaten/Kota": "kabupaten_kota",
        "Partai": "candidate",
        "Perolehan Suara": "votes",
    }
    assert entry["location"] == "hasil_dpr_2019.csv"  # beside the registry: relative
    entry["organization"] = "jsn"
    registry.write_text(
        "organizations:\n  jsn:\n    name: Jaga Suara Nusantara\n"
        + yaml.safe_dump({"sources": [entry]}, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    tested = _odc("sources", "test", entry["id"], env=env)
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "read 3 rows" in tested.stdout
    # Without a year in the name or a column for it, the steward is told both ways to give it.
    plain = folder / "hasil.csv"
    plain.write_text(own.read_text(encoding="utf-8"), encoding="utf-8")
    missing = _odc("check", str(plain), "--kind", "election_results", env=env)
    assert missing.returncode == 2
    assert (
        "No header gives year (Year of the election (for statistics: the year measured)): name "
        "the header with --column HEADER=year, or give one value for every row with --set "
        "year=VALUE." in " ".join(missing.stdout.split())
    )
    for text in (out, missing.stdout, missing.stderr):
        assert "pydantic" not in text and "validation error" not in text
    # A title line above the headers and ';' between columns: the message says how to read it.
    titled = folder / "dpt_2014.csv"
    titled.write_text(
        "Rekap DPT 2014\n\nNo;Kabupaten/Kota;Laki-laki;Perempuan;Jumlah\n"
        "1;Kab. Bandung;1.200;1.300;2.500\n;JUMLAH;1.200;1.300;2.500\n",
        encoding="utf-8",
    )
    unread = _odc("check", str(titled), "--kind", "voter_counts", env=env)
    assert unread.returncode == 2
    assert "--read header_row=N" in " ".join(unread.stdout.split())
    assert "registry's mapping" not in unread.stdout
    read = _odc(
        "check", str(titled), "--kind", "voter_counts", "--read", "header_row=3",
        "--read", "delimiter=;", "--json", env=env,
    )  # fmt: skip
    report = json.loads(read.stdout)
    assert report["registry_entry"]["read"] == {
        "totals_label": "JUMLAH",
        "header_row": 3,
        "delimiter": ";",
    }
    assert (report["rows_in"], report["rows_quarantined"]) == (2, 1)


def test_sources_add_from_a_file_asks_only_what_the_file_cannot_tell(tmp_path, monkeypatch):
    """From a steward's files to tested entries: a new organisation, one file per year, a
    read option, bare regency names; a failed check keeps every answer as one command."""
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        "organizations:\n  jsn:\n    name: Jaga Suara Nusantara\nsources: []\n", encoding="utf-8"
    )
    for year in (2014, 2019):
        (tmp_path / f"dpr_{year};kab.csv".replace(";", "_")).write_text(
            "Kabupaten;Partai;Suara\nBANDUNG;Golkar;1.234\nGARUT;PDI Perjuangan;567\n",
            encoding="utf-8",
        )
    monkeypatch.setenv("ODC_SOURCES", str(registry))
    monkeypatch.setenv("ODC_ALLOWED_DATA_DIRS", str(tmp_path))
    file = tmp_path / "dpr_2019_kab.csv"
    options = [
        "sources", "add", str(file), "--kind", "election_results", "--read", "delimiter=;",
        "--untyped", "kabupaten_kota=kabupaten", "--years", "2014,2019",
        "--max-rejected-share", "0.9",
    ]  # fmt: skip
    answers = "\n".join(
        [
            "",
            "ldw_dpr",
            "ldw",
            "Lembaga Data Warga",
            "CC-BY-4.0",
            "members",
            "DPR 2019 per kab/kota",
        ]
    )  # Enter first: the proposal is right as shown
    result = CliRunner().invoke(main, options, input=answers + "\n")
    assert result.exit_code == 0, result.output
    assert "Added ldw_dpr" in result.output and "read 2 rows" in result.output
    document = yaml.safe_load(registry.read_text(encoding="utf-8"))
    assert document["organizations"]["ldw"] == {"name": "Lembaga Data Warga"}
    (entry,) = document["sources"]
    assert entry["location"] == "dpr_{year}_kab.csv"
    assert entry["years"] == [2014, 2019] and "year" not in entry.get("constants", {})
    assert entry["constants"] == {"contest": "dpr", "election": "pemilu"}
    assert entry["read"] == {"delimiter": ";"}
    assert entry["regions"] == [
        {
            "column": "kabupaten_kota",
            "level": "kabupaten_kota",
            "system": "name",
            "untyped": "kabupaten",
        }
    ]
    assert (entry["max_rejected_share"], entry["sharing"]) == (0.9, "members")
    assert entry["description"] == "DPR 2019 per kab/kota"

    # The same id again: refused, the file untouched, and every answer kept as a command.
    before = registry.read_text(encoding="utf-8")
    answers = "\n".join(["", "ldw_dpr", "ldw", "CC-BY-4.0", "members", ""])  # ldw is known now
    again = CliRunner().invoke(main, options, input=answers + "\n")
    assert again.exit_code == 2
    out = " ".join(again.output.split())
    assert "the registry already has a source 'ldw_dpr'" in out
    assert (
        f"odc sources add {file} --kind election_results --read 'delimiter=;' --id ldw_dpr "
        "--organization ldw --licence CC-BY-4.0 --sharing members --years 2014,2019 --untyped "
        "kabupaten_kota=kabupaten --max-rejected-share 0.9 --replace" in out
    )
    assert registry.read_text(encoding="utf-8") == before


def test_sources_add_is_corrected_at_its_prompt_and_replaces_an_entry_in_place(
    tmp_path, monkeypatch
):
    """A header the proposal cannot read is named at the prompt, a bad correction is refused
    without losing the others, and --replace writes over the old entry with its comments."""
    registry = tmp_path / "sources.yaml"
    registry.write_text(
        "organizations:\n  jsn:\n    name: Jaga Suara Nusantara\nsources:\n"
        "  # JSN's presidential results per kab/kota, sent each quarter\n"
        "  - id: jsn_pilpres\n    organization: jsn\n    kind: voter_counts\n"
        "    format: csv\n    location: old.csv\n    licence: CC-BY-4.0\n"
        "    sharing: public\n\n  # keep me: the next entry's comment\n",
        encoding="utf-8",
    )
    file = tmp_path / "pilpres_2019_kab.csv"
    file.write_text(
        "Kab/Kota,Paslon,Jml\nKab. Bandung,01,100\nKota Bandung,02,50\n", encoding="utf-8"
    )
    monkeypatch.setenv("ODC_SOURCES", str(registry))
    monkeypatch.setenv("ODC_ALLOWED_DATA_DIRS", str(tmp_path))
    answers = [
        "--max-rejected-share lots",  # refused, the session goes on
        "--column Jml",  # refused too, and not kept
        "--column Jml=votes --set election=pemilu",
        "",  # the proposal is complete: go on
        "jsn_pilpres",
        "jsn",
        "CC-BY-4.0",
        "public",
        "Pilpres 2019 per kab/kota",
    ]
    options = ["sources", "add", str(file), "--kind", "election_results", "--replace"]
    result = CliRunner().invoke(main, options, input="\n".join(answers) + "\n")
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "Not added yet: votes is missing" in out
    assert "Not taken: 'lots': write a share from 0 to 1, e.g. 0.6" in out
    assert "Not taken: --column: 'Jml': write name=value" in out
    assert "Added jsn_pilpres" in out and "read 2 rows" in out
    text = registry.read_text(encoding="utf-8")
    assert text.index("# JSN's presidential results") < text.index("- id: jsn_pilpres")
    assert text.rstrip().endswith("# keep me: the next entry's comment")
    (entry,) = yaml.safe_load(text)["sources"]
    assert entry["kind"] == "election_results" and entry["columns"]["Jml"] == "votes"
    assert entry["location"] == "pilpres_2019_kab.csv"

    # --replace of an id the registry does not have: nothing written, the reason given.
    options[-1:] = ["--replace", "--id", "nope", "--organization", "jsn", "--licence", "x",
                    "--sharing", "public", "--column", "Jml=votes", "--description", "d"]  # fmt: skip
    missing = CliRunner().invoke(main, options)
    assert missing.exit_code == 2
    assert "there is no entry with the id 'nope' to replace" in " ".join(missing.output.split())
    assert registry.read_text(encoding="utf-8") == text
