"""How two sources' election results are found to be about the same thing.

Two rows compare when they share election, year, contest and region, are about the same
contestant, and (where a source reports per polling station) the same station. The
discrepancy view joins on these expressions, and the results table is indexed on the very
same text: a database uses an index on an expression only for a query that writes it the same
way, and without it the view finds the other source's rows by region alone, which on a
national warehouse is minutes for one province instead of seconds.
"""

from __future__ import annotations


def contestant(alias: str = "") -> str:
    """Who a row is about: the pair or legislative candidate decided, else the party the
    harmonizer decided from `candidate`, else the value as written (a person no candidate
    list names, or a spelling no rule decided). `alias` is a table alias with its dot."""
    return (
        f"COALESCE({alias}candidate_id, CASE WHEN {alias}contestant_method IS NOT NULL "
        f"THEN {alias}party_id END, {alias}candidate)"
    )


def station(alias: str = "") -> str:
    """The polling station, or '' for a source that reports per region: two sources without
    stations compare, and a station never compares with no station."""
    return f"COALESCE({alias}station_number, '')"
