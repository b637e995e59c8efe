"""The club's recurring questions as canned queries: each a title in Indonesian and English
and one read-only SELECT over the tables and views every audience file holds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title_id: str
    title_en: str
    description: str
    sql: str

    @property
    def title(self) -> str:
        return f"{self.title_id} / {self.title_en}"


SOURCES_THAT_DISAGREE = CannedQuery(
    "sources_that_disagree",
    "Sumber yang berbeda lebih dari sekian persen per wilayah",
    "Sources that disagree by more than a given percentage per region",
    "Pairs of sources whose votes for the same election, contest, region and contestant differ "
    "by more than `percent` (1 if left empty) percent of the larger of the two.",
    """
select election, year, contest, region_code, region_name, contestant,
       source_a, votes_a, source_b, votes_b, difference,
       round(100.0 * abs_difference / max(votes_a, votes_b), 2) as percent_of_larger
from source_discrepancies
where abs_difference > (coalesce(cast(nullif(:percent, '') as real), 1) / 100.0)
                       * max(votes_a, votes_b)
order by percent_of_larger desc
""".strip(),
)

TURNOUT_PER_PROVINCE = CannedQuery(
    "turnout_per_province",
    "Partisipasi pemilih per provinsi",
    "Turnout per province",
    "Ballots cast (valid and invalid) of each results source against the registered voters of "
    "each voter-count source, per province, year and contest, over the regions both report (a "
    "source that covers part of a province is compared with that part's voters); a source "
    "that reports per polling station counts each station's ballots once.",
    """
with cast_per_station as (
  -- Every row of a place (or of one of its polling stations) repeats its ballots: once each.
  select region_code, year, contest, source_id, coalesce(station_number, '') as station,
         max(valid_ballots) + coalesce(max(invalid_ballots), 0) as ballots_cast
  from fact_election_results
  where valid_ballots is not null
  group by 1, 2, 3, 4, 5
), cast_per_region as (
  select region_code, year, contest, source_id, sum(ballots_cast) as ballots_cast
  from cast_per_station group by 1, 2, 3, 4
), registered as (
  select region_code, year, source_id, sum(registered_total) as registered_voters
  from fact_voter_counts group by 1, 2, 3
)
select p.name as province, c.year, c.contest, c.source_id as ballots_source,
       r.source_id as voters_source, count(*) as regions, sum(c.ballots_cast) as ballots_cast,
       sum(r.registered_voters) as registered_voters,
       round(100.0 * sum(c.ballots_cast) / sum(r.registered_voters), 1) as turnout_percent
from cast_per_region c
join registered r on r.region_code = c.region_code and r.year = c.year
join dim_region p on p.region_code = substr(c.region_code, 1, 2)
group by p.name, c.year, c.contest, c.source_id, r.source_id
order by province, c.year, c.contest, ballots_source
""".strip(),
)

RESULTS_WITH_A_STATISTIC = CannedQuery(
    "results_with_a_region_statistic",
    "Hasil pemilu dengan statistik wilayah",
    "Results joined to a region statistic",
    "Votes per region and contestant beside a statistic of the same region (an indicator of "
    "fact_region_statistics, e.g. jumlah_penduduk), and the votes per unit of it.",
    """
select f.region_code, r.name as region_name, f.year, f.contest, f.contestant,
       sum(f.votes) as votes, s.indicator, s.value as statistic, s.year as statistic_year,
       s.source_id as statistic_source,
       round(sum(f.votes) * 1.0 / nullif(s.value, 0), 4) as votes_per_unit
from results_by_place f
join fact_region_statistics s on s.region_code = f.region_code and s.indicator = :indicator
join dim_region r on r.region_code = f.region_code
group by f.region_code, r.name, f.year, f.contest, f.contestant, s.indicator, s.value,
         s.year, s.source_id
order by f.region_code, f.contestant
""".strip(),
)

CANNED_QUERIES = (SOURCES_THAT_DISAGREE, TURNOUT_PER_PROVINCE, RESULTS_WITH_A_STATISTIC)
