"""Each chart: what it asks of the warehouse and how it is labelled, in Indonesian and English.

Every query reads an audience file (public by default), so a shared image never carries a
row its audience may not see; each returns `label`, `value` and the `source_id`s it used.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChartKind:
    name: str
    #: "bar" or "map" (province codes in `label`).
    shape: str
    title: dict[str, str]
    axis: dict[str, str]
    sql: str
    #: Parameters the query needs besides year and contest.
    needs: tuple[str, ...] = ()


PARTY_SEATS = ChartKind(
    "party-seats",
    "bar",
    {"id": "Kursi per partai", "en": "Seats per party"},
    {"id": "kursi (dihitung dari suara)", "en": "seats (computed from the votes)"},
    """
select coalesce(p.short_name, s.party_id) as label, sum(s.seats) as value,
       group_concat(distinct s.source_id) as sources
from dapil_seats s left join dim_party p on p.party_id = s.party_id
where s.year = :year and s.contest = :contest
group by 1 having sum(s.seats) > 0 order by value desc
""",
)

PARTY_VOTES = ChartKind(
    "party-votes",
    "bar",
    {"id": "Suara per partai", "en": "Votes per party"},
    {"id": "suara", "en": "votes"},
    """
select coalesce(party, party_id) as label, sum(votes) as value,
       group_concat(distinct source_id) as sources
from party_results
where year = :year and contest = :contest and source_id = :source
group by 1 order by value desc
""",
    ("source",),
)

WOMEN_SHARE = ChartKind(
    "women-share",
    "bar",
    {"id": "Perempuan dalam daftar calon, per partai", "en": "Women on the lists, per party"},
    {"id": "% perempuan di antara calon", "en": "% women among candidates"},
    """
select coalesce(p.short_name, w.party_id) as label,
       round(100.0 * sum(w.women) / sum(w.candidates), 1) as value,
       group_concat(distinct w.source_id) as sources
from women_representation w left join dim_party p on p.party_id = w.party_id
where w.year = :year and w.contest = :contest
group by 1 order by value desc
""",
)

CONTESTANT_MAP = ChartKind(
    "votes-map",
    "map",
    {"id": "Perolehan suara per provinsi", "en": "Votes per province"},
    {"id": "% suara sah", "en": "% of the votes counted"},
    """
with per_province as (
  select substr(region_code, 1, 2) as province, contestant, sum(votes) as votes
  from results_by_place
  where year = :year and contest = :contest and source_id = :source
  group by 1, 2
)
select province as label,
       round(100.0 * sum(case when contestant = :contestant then votes else 0 end)
             / sum(votes), 1) as value,
       :source as sources
from per_province group by province
""",
    ("source", "contestant"),
)

SOURCE_GAP = ChartKind(
    "source-gap",
    "bar",
    {"id": "Selisih antarsumber per wilayah", "en": "Gap between two sources per region"},
    {"id": "% selisih dari suara terbesar", "en": "% difference of the larger count"},
    """
select region_name as label,
       round(100.0 * sum(abs_difference) / sum(max(votes_a, votes_b)), 2) as value,
       source_a || ',' || source_b as sources
from source_discrepancies
where year = :year and contest = :contest
  and ((source_a = :source and source_b = :other) or (source_a = :other and source_b = :source))
group by region_name, source_a, source_b order by value desc limit 25
""",
    ("source", "other"),
)

GAP_MAP = ChartKind(
    "gap-map",
    "map",
    {"id": "Selisih antarsumber per provinsi", "en": "Gap between two sources per province"},
    {"id": "% selisih dari suara terbesar", "en": "% difference of the larger count"},
    """
select substr(region_code, 1, 2) as label,
       round(100.0 * sum(abs_difference) / sum(max(votes_a, votes_b)), 2) as value,
       source_a || ',' || source_b as sources
from source_discrepancies
where year = :year and contest = :contest
  and ((source_a = :source and source_b = :other) or (source_a = :other and source_b = :source))
group by 1, source_a, source_b
""",
    ("source", "other"),
)

TURNOUT_MAP = ChartKind(
    "turnout-map",
    "map",
    {"id": "Partisipasi pemilih per provinsi", "en": "Turnout per province"},
    {"id": "% pemilih terdaftar yang memberikan suara", "en": "% of registered voters who voted"},
    """
with cast_per_station as (
  -- Every row of a place (or of one of its polling stations) repeats its ballots: once each.
  select region_code, coalesce(station_number, '') as station,
         max(valid_ballots) + coalesce(max(invalid_ballots), 0) as ballots_cast
  from fact_election_results
  where year = :year and contest = :contest and source_id = :source
    and valid_ballots is not null
  group by 1, 2
), cast_per_region as (
  select region_code, sum(ballots_cast) as ballots_cast from cast_per_station group by 1
), registered as (
  select region_code, sum(registered_total) as voters
  from fact_voter_counts where year = :year and source_id = :other group by 1
)
-- Over the regions both sources report: part of a province against that part's voters.
select substr(c.region_code, 1, 2) as label,
       round(100.0 * sum(c.ballots_cast) / sum(r.voters), 1) as value,
       :source || ',' || :other as sources
from cast_per_region c join registered r on r.region_code = c.region_code
group by 1
""",
    ("source", "other"),
)

CHARTS = {
    c.name: c
    for c in (
        PARTY_SEATS,
        PARTY_VOTES,
        WOMEN_SHARE,
        CONTESTANT_MAP,
        TURNOUT_MAP,
        SOURCE_GAP,
        GAP_MAP,
    )
}
