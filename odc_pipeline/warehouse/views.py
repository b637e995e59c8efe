"""Analyst views, created with the tables: the same SQL on SQLite and PostgreSQL.

- `source_discrepancies`: where two sources report the same election, contest, region and
  candidate with different votes, both values, the difference and both provenances. This is
  what monitors use to find counting problems.
- `region_summary`: every source's votes per region, rolled up from the level it reports at
  (polling station, village, kecamatan, kabupaten/kota) to every level above, with how many
  regions each sum covers, so a partial source is not mistaken for a complete one.

No identifier in them comes from configuration: the SQL is fixed text.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

SOURCE_DISCREPANCIES = """
CREATE VIEW source_discrepancies AS
SELECT a.election, a.year, a.contest, a.region_code, r.name AS region_name, a.region_level,
       a.candidate, a.station_number,
       a.organization_id AS organization_a, a.source_id AS source_a, a.votes AS votes_a,
       a.source_row AS source_row_a, a.file_hash AS file_hash_a, a.run_id AS run_id_a,
       b.organization_id AS organization_b, b.source_id AS source_b, b.votes AS votes_b,
       b.source_row AS source_row_b, b.file_hash AS file_hash_b, b.run_id AS run_id_b,
       a.votes - b.votes AS difference,
       ABS(a.votes - b.votes) AS abs_difference
FROM fact_election_results a
JOIN fact_election_results b
  ON a.election = b.election AND a.year = b.year AND a.contest = b.contest
 AND a.region_code = b.region_code AND a.candidate = b.candidate
 AND COALESCE(a.station_number, '') = COALESCE(b.station_number, '')
 AND a.source_id < b.source_id
JOIN dim_region r ON r.region_code = a.region_code
WHERE a.votes <> b.votes
"""

# Each fact contributes to its own region and to every region above it (the code's prefixes).
REGION_SUMMARY = """
CREATE VIEW region_summary AS
WITH rolled AS (
    SELECT election, year, contest, candidate, organization_id, source_id, votes, region_level,
           region_code,
           region_code AS summary_code
    FROM fact_election_results
    UNION ALL
    SELECT election, year, contest, candidate, organization_id, source_id, votes, region_level,
           region_code,
           SUBSTR(region_code, 1, 8) FROM fact_election_results WHERE region_level > 3
    UNION ALL
    SELECT election, year, contest, candidate, organization_id, source_id, votes, region_level,
           region_code,
           SUBSTR(region_code, 1, 5) FROM fact_election_results WHERE region_level > 2
    UNION ALL
    SELECT election, year, contest, candidate, organization_id, source_id, votes, region_level,
           region_code,
           SUBSTR(region_code, 1, 2) FROM fact_election_results WHERE region_level > 1
)
SELECT r.region_code, r.name AS region_name, r.level, r.type, rolled.election, rolled.year,
       rolled.contest, rolled.candidate, rolled.organization_id, rolled.source_id,
       SUM(rolled.votes) AS votes,
       COUNT(DISTINCT rolled.region_code) AS regions_reported,
       MAX(rolled.region_level) AS reported_at_level
FROM rolled JOIN dim_region r ON r.region_code = rolled.summary_code
GROUP BY r.region_code, r.name, r.level, r.type, rolled.election, rolled.year, rolled.contest,
         rolled.candidate, rolled.organization_id, rolled.source_id
"""

VIEWS = {"source_discrepancies": SOURCE_DISCREPANCIES, "region_summary": REGION_SUMMARY}


def create_views(connection: Connection) -> None:
    """Create the analyst views in a version being built (always empty of them: no DROP here,
    which on SQLite could reach into an attached database)."""
    for ddl in VIEWS.values():
        connection.execute(text(ddl))
