"""Seats among parties and candidates: worked examples of both rules, the seat total kept,
and KPU's 2014 DPR result (the elected are each party's most voted in their dapil)."""

from __future__ import annotations

import random
from fractions import Fraction

import pandas as pd
import pytest

from odc_pipeline.elections.lists import ListRule, list_rule
from odc_pipeline.elections.seats import (
    RULES,
    Candidate,
    dapil_seats,
    elected,
    qualifying_parties,
    quota_largest_remainder,
    sainte_lague,
)
from odc_pipeline_tests.test_real_data import REAL

CANDIDATES = REAL / "perludem-api-pemilu-2014" / "calon-dpr.csv"


def test_quota_and_largest_remainders_worked_example():
    # 100,000 votes, 10 seats: a quota of 10,000. Whole quotas give A 4, B 1, C 1, D 1;
    # the 3 seats left go to the largest remainders: A 7,000, E 6,100, B 6,000.
    votes = {"A": 47_000, "B": 16_000, "C": 15_800, "D": 12_000, "E": 6_100, "F": 3_100}
    assert quota_largest_remainder(votes, 10) == {"A": 5, "B": 2, "C": 1, "D": 1, "E": 1, "F": 0}


def test_sainte_lague_worked_example():
    # Quotients ÷1, ÷3, ÷5: A 53,000 17,667 10,600; B 24,000 8,000; C 23,000 7,667. The 7
    # largest: A 53,000, B 24,000, C 23,000, A 17,667, A 10,600, B 8,000, C 7,667.
    assert sainte_lague({"A": 53_000, "B": 24_000, "C": 23_000}, 7) == {"A": 3, "B": 2, "C": 2}


def test_the_rules_differ_where_the_law_changed():
    # The quota example's votes: quotients A 47,000 15,667 9,400 6,714; B 16,000 5,333;
    # C 15,800 5,267; D 12,000; E 6,100; F 3,100. The ten largest give C the seat that the
    # quota gave A as its fifth.
    votes = {"A": 47_000, "B": 16_000, "C": 15_800, "D": 12_000, "E": 6_100, "F": 3_100}
    assert sainte_lague(votes, 10) == {"A": 4, "B": 2, "C": 2, "D": 1, "E": 1, "F": 0}
    assert RULES[2014].method == "quota" and RULES[2014].threshold == Fraction(35, 1000)
    assert RULES[2019] == RULES[2024]
    assert RULES[2024].method == "sainte_lague" and RULES[2024].threshold == Fraction(4, 100)


def test_parties_under_the_threshold_take_no_seat():
    national = {"A": 960, "B": 36, "C": 4}  # of 1,000: 96%, 3.6%, 0.4%
    assert qualifying_parties(national, RULES[2014].threshold) == {"A", "B"}
    assert qualifying_parties(national, RULES[2019].threshold) == {"A"}
    won = dapil_seats({"A": 500, "B": 450, "C": 50}, 3, RULES[2019], {"A"})
    assert won == {"A": 3, "B": 0, "C": 0}


@pytest.mark.parametrize("share", [quota_largest_remainder, sainte_lague])
def test_every_seat_is_given_and_more_votes_never_mean_fewer_seats(share):
    generator = random.Random(2014)
    for _ in range(300):
        votes = {f"p{i}": generator.randint(0, 200_000) for i in range(generator.randint(1, 12))}
        seats = generator.randint(3, 12)
        won = share(votes, seats)
        if sum(votes.values()):
            assert sum(won.values()) == seats
        ranked = sorted(votes, key=lambda p: votes[p])
        for fewer, more in zip(ranked, ranked[1:], strict=False):
            assert won[fewer] <= won[more] or votes[fewer] == votes[more]


@pytest.mark.skipif(not CANDIDATES.is_file(), reason=f"{CANDIDATES} is absent")
def test_the_2014_dpr_members_are_their_partys_most_voted_in_each_dapil():
    """KPU's list says who was elected; given each party's seats in a dapil (counted from
    it), `elected` picks the same 560 people."""
    frame = pd.read_csv(CANDIDATES, dtype=str, keep_default_na=False)
    frame["votes"] = pd.to_numeric(frame["suara_sah"], errors="coerce").fillna(0).astype(int)
    frame["won"] = frame["terpilih"].str.lower() == "true"
    assert len(frame) == 6_606 and int(frame["won"].sum()) == 560
    picked: set[str] = set()
    for _, dapil in frame.groupby("id_dapil"):
        candidates = [
            Candidate(row.id, row.id_partai, int(row.urutan), row.votes)
            for row in dapil.itertuples()
        ]
        seats = dapil[dapil["won"]].groupby("id_partai").size().to_dict()
        picked |= elected(candidates, seats)
    assert picked == set(frame.loc[frame["won"], "id"])


def test_the_list_rule_for_women():
    # Positions 1-6, women at 3 and 4: 2 of 6 (33%), each group of three has a woman.
    assert list_rule([(1, False), (2, False), (3, True), (4, True), (5, False), (6, False)]) == (
        ListRule(candidates=6, women=2, at_least_30_percent=True, one_in_every_three=True)
    )
    # Women at 1 and 2 only: still 33%, but positions 4-6 have none.
    broken = list_rule([(1, True), (2, True), (3, False), (4, False), (5, False), (6, False)])
    assert broken.at_least_30_percent and not broken.one_in_every_three
    assert not broken.meets_rule
    # Two women of seven (29%) break the share; the trailing 7th position forms no group.
    seven = list_rule([(p, p in (1, 4)) for p in range(1, 8)])
    assert not seven.at_least_30_percent and seven.one_in_every_three


@pytest.mark.skipif(not CANDIDATES.is_file(), reason=f"{CANDIDATES} is absent")
def test_the_2014_dpr_lists_against_the_rule():
    frame = pd.read_csv(CANDIDATES, dtype=str, keep_default_na=False)
    frame["woman"] = frame["jenis_kelamin"] == "P"
    frame["position"] = frame["urutan"].astype(int)
    assert int(frame["woman"].sum()) == 2_467
    assert int((frame["woman"] & (frame["terpilih"].str.lower() == "true")).sum()) == 97
    lists = frame.groupby(["id_dapil", "id_partai"])
    results = {
        key: list_rule(zip(group["position"], group["woman"], strict=True)) for key, group in lists
    }
    # The same counts with plain pandas: the share per list, and each whole group of three.
    share = lists["woman"].mean()
    frame["group"] = (frame["position"] - 1) // 3
    size = lists["position"].transform("size")
    whole = frame[frame["group"] < size // 3]
    groups_without = whole.groupby(["id_dapil", "id_partai", "group"])["woman"].any()
    lists_with_a_gap = set(groups_without[~groups_without].index.droplevel("group"))
    assert sum(not r.at_least_30_percent for r in results.values()) == int((share < 0.3).sum())
    assert {k for k, r in results.items() if not r.one_in_every_three} == lists_with_a_gap
    assert len(results) == len(lists)
