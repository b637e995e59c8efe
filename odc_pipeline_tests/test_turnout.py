"""Turnout from polling-station results: each station's ballots are counted once, not the
largest station's ballots taken for the whole village (the canned query and the map)."""

from __future__ import annotations

import sqlite3

from odc_pipeline.charts.kinds import TURNOUT_MAP
from odc_pipeline.serving.queries import TURNOUT_PER_PROVINCE

VILLAGE = "32.04.01.2001"


def _warehouse() -> sqlite3.Connection:
    """Three pairs at each of two stations of one village, and the village's voters."""
    connection = sqlite3.connect(":memory:")
    connection.executescript(
        """
        create table dim_region (region_code text, name text);
        insert into dim_region values ('32', 'Jawa Barat');
        create table fact_election_results (region_code text, year int, contest text,
            source_id text, station_number text, candidate text, votes int,
            valid_ballots int, invalid_ballots int);
        create table fact_voter_counts (region_code text, year int, source_id text,
            registered_total int);
        insert into fact_voter_counts values ('32.04.01.2001', 2024, 'dpt', 1000);
        """
    )
    rows = [
        (VILLAGE, 2024, "presiden", "tps", station, pair, 10, valid, invalid)
        for station, valid, invalid in (("001", 200, 10), ("002", 300, 20))
        for pair in ("01", "02", "03")
    ]
    connection.executemany("insert into fact_election_results values (?,?,?,?,?,?,?,?,?)", rows)
    return connection


def test_the_canned_query_counts_each_station_once():
    rows = _warehouse().execute(TURNOUT_PER_PROVINCE.sql).fetchall()
    assert rows == [("Jawa Barat", 2024, "presiden", "tps", "dpt", 1, 530, 1000, 53.0)]


def test_the_turnout_map_counts_each_station_once():
    parameters = {"year": 2024, "contest": "presiden", "source": "tps", "other": "dpt"}
    rows = _warehouse().execute(TURNOUT_MAP.sql, parameters).fetchall()
    assert rows == [("32", 53.0, "tps,dpt")]
