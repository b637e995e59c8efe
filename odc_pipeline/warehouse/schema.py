"""Tables of the published warehouse, defined once for SQLite and PostgreSQL alike.

Every fact row carries its provenance (organisation, source, row number in the original file,
and a key into `dim_load` naming the file's hash and the run) so an analyst can trace any
published number back to the cell it came from.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)

from odc_pipeline.kinds import KINDS, DatasetKind
from odc_pipeline.kinds import Column as KindColumn

metadata = MetaData()

#: A region's code: dotted Kemendagri (`32.04.01.2001`, 13 characters) or a region as it
#: was before a split, today's codes joined by "+" (`92.02+92.11+92.12`).
REGION_CODE = String(24)

dim_region = Table(
    "dim_region",
    metadata,
    Column(
        "region_code",
        REGION_CODE,
        primary_key=True,
        comment="Dotted Kemendagri code, e.g. 32.04; for a region as it was before a split, "
        "today's codes that make it joined by +, e.g. 91+93+94+95 (type wilayah_lama)",
    ),
    Column("name", Text, nullable=False, comment="Official name (Kepmendagri 300.2.2-2138/2025)"),
    Column(
        "level",
        SmallInteger,
        nullable=False,
        comment="1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa",
    ),
    Column(
        "type",
        String(16),
        nullable=False,
        comment="provinsi, kabupaten, kota, kecamatan, distrik, desa, kelurahan, desa_adat; "
        "luar_negeri for KPU's overseas electoral area 99; nasional for 00, a row about no "
        "place in particular; wilayah_lama for a region as it was before a split (a source's "
        "code_vintage)",
    ),
    Column("parent_code", String(13), comment="Code of the region one level up"),
    Column("province_code", String(2), nullable=False),
    Index("ix_dim_region_parent", "parent_code"),
    Index("ix_dim_region_level", "level"),
    comment="Every region at every level, with its parent.",
)

_PROVENANCE = (
    ("organization_id", String(63), "Member organisation that shared the row"),
    ("source_id", String(63), "Registry id of the dataset"),
    (
        "source_row",
        Integer,
        "Row number in the original file (spreadsheet row, CSV line, JSON record)",
    ),
)

#: The file a fact row was read from and the run that published it, as a key into
#: `dim_load`: 8 bytes on every row instead of a 64-character hash and a 36-character run id.
LOAD_ID = "load_id"


def _provenance_columns() -> list[Column]:
    return [
        *(Column(name, kind, nullable=False, comment=doc) for name, kind, doc in _PROVENANCE),
        Column(
            LOAD_ID,
            BigInteger,
            nullable=False,
            comment="The file the row was read from and the run that published it (dim_load)",
        ),
    ]


def _region_columns() -> list[Column]:
    """Where a fact row is, and how that was decided (see odc_pipeline.regions)."""
    return [
        Column(
            "region_code",
            REGION_CODE,
            nullable=False,
            comment="Current Kemendagri code (dim_region); today's codes joined by + for a "
            "region as it was before a split (region_method vintage)",
        ),
        Column("region_level", SmallInteger, nullable=False),
        Column("region_value", Text, nullable=False, comment="The region as the source wrote it"),
        Column(
            "region_method",
            String(16),
            nullable=False,
            comment="code, historic_code, bps_code, name, alias or fuzzy; vintage: the "
            "region was larger in the source's code_vintage (region_rule names the regions "
            "made from it since); no_place: the row names no place (region 00)",
        ),
        Column(
            "region_score",
            Float,
            nullable=False,
            comment="100 for exact matches; the fuzzy score otherwise",
        ),
        Column(
            "region_rule", Text, nullable=False, comment="Which table and rule decided the region"
        ),
    ]


def _sql_type(column: KindColumn):
    """The SQL type of a declared column. Whole numbers take the smallest integer type their
    declared range fits: counts without an upper bound are 64-bit."""
    if column.type == "text":
        return String(column.max_length) if column.max_length else Text
    if column.type == "decimal":
        return Float
    if column.type == "date":
        return Date
    if column.type == "time":
        return String(5)  # HH:MM
    if column.type == "boolean":
        return Boolean
    high = column.maximum
    if high is not None and high <= 32_767:
        return SmallInteger
    if high is not None and high <= 2_147_483_647:
        return Integer
    return BigInteger


def _kind_column(column: KindColumn) -> Column:
    """The fact table's column for a declared one. A personal value is never stored: its
    salted hash is, under `<name>_hash`."""
    if column.personal:
        return Column(
            column.published_name,
            String(64),
            comment=f"Salted SHA-256 (ODC_HASH_SALT) of {column.name}, {column.description}; "
            "the value itself is never stored",
            info={"personal": True},
        )
    return Column(
        column.name,
        _sql_type(column),
        nullable=column.nullable,
        comment=column.description,
        info={"declared": column},
    )


def _contestant_columns(kind: DatasetKind) -> list[Column]:
    """Who a row is about, for kinds that name parties or pairs (odc_pipeline.elections)."""
    if not kind.contestants:
        return []
    return [
        Column("party_id", String(32), comment="The party (dim_party), where the row names one"),
        Column(
            "candidate_id",
            String(96),
            comment="The presidential pair (dim_pair) or legislative candidate, where the row "
            "names one",
        ),
        Column(
            "contestant_method",
            String(8),
            comment="How the party or pair was decided: key, number or name; empty: kept as "
            "written (see contestant_review)",
        ),
    ]


def _dapil_columns(kind: DatasetKind) -> list[Column]:
    if not kind.districted:
        return []
    return [
        Column(
            "dapil_code",
            String(32),
            comment="The dapil the row lies in (dim_dapil.dapil), from its dapil column or its "
            "region (bridge_dapil_region); empty where no dapil list covers the contest",
        )
    ]


def _build_fact_table(kind: DatasetKind) -> Table:
    """A kind's fact table: its declared columns, then region and provenance columns, and
    indexes on region, source and what the declaration asks for."""
    name = kind.fact_table
    indexes = kind.indexes
    return Table(
        name,
        metadata,
        *(_kind_column(column) for column in kind.columns if not column.withheld),
        *_contestant_columns(kind),
        *_dapil_columns(kind),
        Column(
            "attributes",
            Text,
            comment="What the source says beyond the kind's columns, as JSON: columns it maps "
            "that the kind does not declare, and values as written before a recode "
            "(<column>_as_written)",
        ),
        *_region_columns(),
        *_provenance_columns(),
        # A kind whose own index starts with region_code needs no second one: every join
        # to dim_region can use the longer one, and each index costs time at every publish.
        *(
            [Index(f"ix_{name}_region", "region_code")]
            if not any(cols[0] == "region_code" for cols in indexes.values())
            else []
        ),
        Index(f"ix_{name}_source", "source_id"),
        *(
            Index(f"ix_{name}_{suffix}", *(c if c.isidentifier() else text(c) for c in cols))
            for suffix, cols in indexes.items()
        ),
        info={"kind": kind},
        comment=f"{kind.description} One row per source row, with provenance.",
    )


def fact_table(kind: DatasetKind) -> Table:
    """The fact table of a kind, made from its declaration the first time it is asked for
    (and again if the declaration under that name changed)."""
    existing = metadata.tables.get(kind.fact_table)
    if existing is not None and existing.info.get("kind") is kind:
        return existing
    if existing is not None:
        metadata.remove(existing)
    return _build_fact_table(kind)


def fact_tables() -> dict[str, Table]:
    """The fact table of every declared kind, by kind name."""
    return {name: fact_table(kind) for name, kind in KINDS.items()}


quarantine = Table(
    "quarantine",
    metadata,
    Column("organization_id", String(63), nullable=False),
    Column("source_id", String(63), nullable=False),
    Column("source_row", Integer, nullable=False),
    Column("column_name", Text, comment="Canonical column the problem is in"),
    Column("value", Text, comment="The value as found in the file"),
    Column("rule", String(64), nullable=False),
    Column(
        "reason",
        Text,
        nullable=False,
        comment="What was wrong and what was expected, in plain words",
    ),
    Column("row_data", Text, nullable=False, comment="The whole row as JSON, so nothing is lost"),
    Column("file_hash", String(64), nullable=False),
    Column("run_id", String(64), nullable=False),
    Index("ix_quarantine_source", "source_id", "source_row"),
    comment="Rows set aside, with the row number, column, value, rule and reason.",
)

region_review = Table(
    "region_review",
    metadata,
    Column("organization_id", String(63), nullable=False),
    Column("source_id", String(63), nullable=False),
    Column("column_name", Text, nullable=False),
    Column("level", String(16), nullable=False),
    Column("system", String(16), nullable=False, comment="kemendagri, bps or name"),
    Column("value", Text, nullable=False, comment="The region as written in the source"),
    Column("parent_code", String(13), comment="The matched parent the value was looked for in"),
    Column("rows", Integer, nullable=False, comment="Rows carrying this value"),
    Column("example_rows", Text, nullable=False, comment="First row numbers in the original file"),
    Column(
        "status", String(8), nullable=False, comment="decide (no region) or confirm (fuzzy match)"
    ),
    Column("reason", Text),
    Column("suggestions", Text, comment="Closest official regions with their scores"),
    Column("matched_code", String(13), comment="The fuzzy match to confirm"),
    Column("score", Float),
    Column("run_id", String(64), nullable=False),
    Index("ix_region_review_source", "source_id"),
    comment="Region values to decide or confirm, once per spelling, with counts, examples and suggestions. Export: odc regions review export FILE.csv",
)

contestant_review = Table(
    "contestant_review",
    metadata,
    Column("organization_id", String(63), nullable=False),
    Column("source_id", String(63), nullable=False),
    Column("column_name", Text, nullable=False, comment="candidate or party"),
    Column(
        "subject", String(8), nullable=False, comment="party or pair: what the value should name"
    ),
    Column("year", SmallInteger, comment="The election the value was looked for in"),
    Column("value", Text, nullable=False, comment="The party or pair as written in the source"),
    Column("rows", Integer, nullable=False, comment="Rows carrying this value"),
    Column("example_rows", Text, nullable=False, comment="First row numbers in the original file"),
    Column("reason", Text),
    Column("suggestions", Text, comment="Closest parties or pairs with their scores"),
    Column("run_id", String(64), nullable=False),
    Index("ix_contestant_review_source", "source_id"),
    comment="Party and presidential pair values no rule decided, once per spelling and election, with counts, examples and suggestions. Export: odc contestants review export FILE.csv",
)

dim_election = Table(
    "dim_election",
    metadata,
    Column("election_id", String(32), primary_key=True, comment="e.g. pemilu2019"),
    Column("election", String(16), nullable=False, comment="pemilu (general) or pilkada"),
    Column("year", SmallInteger, nullable=False, comment="Year of the election"),
    Column("legislative_date", Date, comment="Voting day for the parliaments"),
    Column("presidential_date", Date, comment="Voting day for president (first round)"),
    Column("contests", Text, nullable=False, comment="The races held, space-separated"),
    Column("legal_basis", Text, comment="The law the election was held under"),
    comment="General elections with their voting days and contests.",
)

dim_party = Table(
    "dim_party",
    metadata,
    Column("party_id", String(32), primary_key=True, comment="Stable across elections"),
    Column("short_name", Text, nullable=False, comment="The name it is best known by"),
    Column("official_name", Text, nullable=False, comment="The party's current official name"),
    Column("scope", String(8), nullable=False, comment="national, or aceh for Aceh local parties"),
    Column("aliases", Text, comment="Other names it is written by, |-separated"),
    comment="Every party with a stable party_id, its names and aliases.",
)

dim_party_ballot = Table(
    "dim_party_ballot",
    metadata,
    Column("year", SmallInteger, primary_key=True, comment="Year of the election"),
    Column("ballot_number", SmallInteger, primary_key=True, comment="Its number on that ballot"),
    Column("party_id", String(32), nullable=False, comment="dim_party"),
    Column("name_on_ballot", Text, nullable=False, comment="Its name in that election"),
    comment="Each party's ballot number and name in each election.",
)

dim_pair = Table(
    "dim_pair",
    metadata,
    Column("pair_id", String(32), primary_key=True, comment="e.g. paslon_2019_01"),
    Column("year", SmallInteger, nullable=False, comment="Year of the election"),
    Column("ballot_number", SmallInteger, nullable=False, comment="Its number on the ballot"),
    Column("president", Text, nullable=False, comment="Candidate for president"),
    Column("vice_president", Text, nullable=False, comment="Candidate for vice president"),
    Column("short_name", Text, nullable=False, comment="The name it is best known by"),
    Column("aliases", Text, comment="Other names it is written by, |-separated"),
    comment="Presidential pairs of each election with their ballot numbers.",
)


def _list_columns() -> list[Column]:
    """Which list of which source a derived row comes from."""
    return [
        Column("source_id", String(63), nullable=False, comment="The candidate list's source"),
        Column("organization_id", String(63), nullable=False),
        Column("year", SmallInteger, nullable=False, comment="Year of the election"),
        Column(
            "contest",
            String(32),
            nullable=False,
            comment="The parliament: dpr, dpd, dprd_provinsi or dprd_kabupaten_kota",
        ),
        Column("dapil", String(32), nullable=False, comment="The dapil as dim_candidate writes it"),
        Column(
            "party_id", String(63), nullable=False, comment="dim_party, or the party as written"
        ),
    ]


dapil_seats = Table(
    "dapil_seats",
    metadata,
    *_list_columns(),
    Column("election", Text, nullable=False, comment="Election, e.g. pemilu"),
    Column(
        "votes", BigInteger, nullable=False, comment="The party's candidates' votes in the dapil"
    ),
    Column(
        "national_share",
        Float,
        nullable=False,
        comment="Its share of all parties' votes nationally",
    ),
    Column(
        "qualifies", Boolean, nullable=False, comment="Over the election's national threshold (DPR)"
    ),
    Column(
        "seats",
        SmallInteger,
        nullable=False,
        comment="Seats by the election's rule, from these votes",
    ),
    Column(
        "seats_listed", SmallInteger, nullable=False, comment="Elected members the source names"
    ),
    comment="Seats per party and dapil by the election's rule (odc_pipeline.elections.seats)",
)

seat_winners = Table(
    "seat_winners",
    metadata,
    *_list_columns(),
    Column("candidate_id", String(96), comment="The candidate (dim_candidate.candidate_id)"),
    Column("name", Text, nullable=False),
    Column("sex", String(1), comment="L (man) or P (woman)"),
    Column("list_position", SmallInteger, comment="Position on the party list"),
    Column("votes", BigInteger, nullable=False, comment="The candidate's votes"),
    Column("elected_computed", Boolean, nullable=False, comment="Takes a seat by the rule"),
    Column("elected_listed", Boolean, nullable=False, comment="Elected as the source says"),
    comment="Candidates who take their party's seats (most votes first), or whom the source names elected",
)

women_representation = Table(
    "women_representation",
    metadata,
    *_list_columns(),
    Column("election", Text, nullable=False, comment="Election, e.g. pemilu"),
    Column("candidates", SmallInteger, nullable=False, comment="Candidates on the list"),
    Column("women", SmallInteger, nullable=False, comment="Women on the list"),
    Column("share_women", Float, nullable=False, comment="Women ÷ candidates"),
    Column(
        "at_least_30_percent", Boolean, nullable=False, comment="At least 30% of the list are women"
    ),
    Column(
        "one_in_every_three", Boolean, nullable=False, comment="A woman in positions 1-3, 4-6, …"
    ),
    Column("meets_rule", Boolean, nullable=False, comment="Both rules of UU 7/2017 art. 245-246"),
    Column(
        "elected",
        SmallInteger,
        nullable=False,
        comment="Elected members of the list (as the source says)",
    ),
    Column("women_elected", SmallInteger, nullable=False, comment="Women among them"),
    comment="Women on each party's list per dapil and among its elected",
)

#: Tables computed at every publish from the candidate lists the warehouse holds.
ELECTION_RESULTS_TABLES = (dapil_seats, seat_winners, women_representation)

region_totals = Table(
    "region_totals",
    metadata,
    Column("election", Text, nullable=False, comment="Election, e.g. pemilu or pilkada"),
    Column("year", SmallInteger, nullable=False, comment="Year of the election"),
    Column("contest", String(32), nullable=False, comment="The race, as in the results"),
    Column("level", SmallInteger, nullable=False, comment="1 provinsi, 2 kabupaten/kota"),
    Column(
        "region_code",
        REGION_CODE,
        nullable=False,
        comment="The province or kabupaten/kota (dim_region) the rows lie in",
    ),
    Column("candidate", Text, nullable=False, comment="Party or candidate as the source names it"),
    Column("party_id", String(32), comment="The party (dim_party), where the rows name one"),
    Column("candidate_id", String(96), comment="The pair or candidate, where the rows name one"),
    Column("organization_id", String(63), nullable=False),
    Column("source_id", String(63), nullable=False),
    Column("votes", BigInteger, nullable=False, comment="Sum of the source's votes there"),
    Column(
        "rows_summed", Integer, nullable=False, comment="Result rows added up (stations, places)"
    ),
    Column(
        "reported_at_level",
        SmallInteger,
        nullable=False,
        comment="Deepest level the source reports at there (4: desa or its stations)",
    ),
    Index("ix_region_totals_place", "year", "contest", "level", "region_code"),
    Index("ix_region_totals_source", "source_id"),
    comment="Each source's votes per contestant, added up per province and per kabupaten/kota "
    "at every publish: the totals analysts ask for most, without reading every polling "
    "station's row",
)

#: Tables computed at every publish from each source's results, added up.
SUMMARY_TABLES = (region_totals,)

dim_region_split = Table(
    "dim_region_split",
    metadata,
    Column("region_code", String(13), primary_key=True, comment="Today's code of the new region"),
    Column(
        "split_from",
        String(13),
        nullable=False,
        comment="Today's code of the region it was split from",
    ),
    Column("created", SmallInteger, nullable=False, comment="Year of the law creating it"),
    Column("name", Text, nullable=False, comment="Its official name"),
    Column("note", Text, comment="Where it came from, in words"),
    comment="Kabupaten/kota made from another: an election's dapil list that does not know "
    "them puts them in the dapil of the region they came from",
)

#: The election reference tables, by table, as published from data/reference/.
ELECTION_DIMENSIONS = (dim_election, dim_party, dim_party_ballot, dim_pair, dim_region_split)

dim_organization = Table(
    "dim_organization",
    metadata,
    Column("organization_id", String(63), primary_key=True),
    Column("name", Text, nullable=False),
    Column("website", Text),
    comment="Member organisations.",
)

dim_source = Table(
    "dim_source",
    metadata,
    Column("source_id", String(63), primary_key=True),
    Column("organization_id", String(63), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("description", Text),
    Column("format", String(8), nullable=False),
    Column("location", Text, nullable=False),
    Column("licence", Text, nullable=False),
    Column("sharing", String(8), nullable=False, comment="public, members or private"),
    Column(
        "status",
        String(16),
        nullable=False,
        comment="current; stale: the latest run could not use its file or registry entry "
        "(the last good load stays); not_published: no run has published it yet",
    ),
    Column(
        "status_message", Text, comment="Why the latest run held the source back, and what to do"
    ),
    Column(
        "last_successful_load",
        DateTime(timezone=True),
        comment="When the published rows were loaded",
    ),
    Column("last_successful_run_id", String(64)),
    Column(
        "file_hash",
        String(64),
        comment="SHA-256 of the file the published rows came from (the latest year's, for a "
        "source with one file per year; each fact row's own is in dim_load)",
    ),
    Column(
        "part_of",
        String(63),
        comment="The registry entry this source is one province's file of (an entry with "
        "provinces), e.g. rekap_tps_dpr for rekap_tps_dpr_31; empty for a source of one file. "
        "GROUP BY part_of adds a split entry's provinces up",
    ),
    Index("ix_dim_source_organization", "organization_id"),
    comment="Every registered dataset: licence, sharing level, status (current, stale or not_published), last good load.",
)

load_audit = Table(
    "load_audit",
    metadata,
    Column("run_id", String(64), nullable=False),
    Column("source_id", String(63), nullable=False),
    Column("organization_id", String(63), nullable=False),
    Column("file_hash", String(64)),
    Column("rows_in", Integer, nullable=False),
    Column("rows_published", Integer, nullable=False),
    Column("rows_quarantined", Integer, nullable=False),
    Column(
        "status",
        String(16),
        nullable=False,
        comment="published, or failed: the last good load stays",
    ),
    Column("message", Text, comment="Why a failed source was held back, in plain words"),
    Column("loaded_at", DateTime(timezone=True), nullable=False),
    Column(
        "pipeline_version",
        String(64),
        comment="The odc-pipeline version that published the load, and a digest of the code "
        "that added up its totals and derived its dapil and seats",
    ),
    Index("ix_load_audit_source", "source_id", "loaded_at"),
    comment="Per source and run: rows in = rows published + rows quarantined.",
)


dim_load = Table(
    "dim_load",
    metadata,
    Column(
        LOAD_ID,
        BigInteger,
        primary_key=True,
        autoincrement=False,  # a hash of the source and file (`loads`), not a counter
        comment="The key fact rows carry: the same for the same source and file in every run",
    ),
    Column("source_id", String(63), nullable=False),
    Column("file_hash", String(64), nullable=False, comment="SHA-256 of the file"),
    Column("run_id", String(64), nullable=False, comment="Dagster run that published its rows"),
    comment="Each file whose rows are published, and the run that published them; fact rows "
    "point here with load_id.",
)


def published_in_run(table: str) -> str:
    """The condition on `table`'s rows (a quoted name) that they are of a source the run
    bound as `:run_id` published, found through the table's source index. In a version
    patched from the last one (see `patching`) these are exactly the rows that run loaded."""
    return (
        f"{table}.source_id IN (SELECT source_id FROM load_audit "  # noqa: S608 - code's names
        "WHERE run_id = :run_id AND message IS NULL)"
    )


release_changes = Table(
    "release_changes",
    metadata,
    Column("release", String(16), nullable=False, comment="The release the change is in"),
    Column("previous_release", String(16), nullable=False, comment="The release compared to"),
    Column("table_name", String(63), nullable=False, comment="Published table of the row"),
    Column("source_id", String(63), nullable=False),
    Column("organization_id", String(63)),
    Column("year", SmallInteger, comment="Election year of the row"),
    Column("region_code", REGION_CODE, comment="Region of the row (dim_region)"),
    Column(
        "key",
        Text,
        nullable=False,
        comment="The rest of what names the row, as JSON: election, contest, candidate or party",
    ),
    Column("change", String(8), nullable=False, comment="added, removed or changed"),
    Column("column_name", String(63), comment="For changed: the column whose value changed"),
    Column(
        "old_value", Text, comment="changed: the value before; removed: the row's values as JSON"
    ),
    Column("new_value", Text, comment="changed: the value now; added: the row's values as JSON"),
    Column(
        "cause",
        Text,
        nullable=False,
        comment="What the pipeline knows changed: the source's file (its SHA-256), its "
        "registry entry, a steward's review decision or a reference update",
    ),
    Index("ix_release_changes_source", "source_id"),
    comment="What changed since the previous release, row by row, and why. The same for any "
    "two releases: odc diff A B.",
)

meta_columns = Table(
    "meta_columns",
    metadata,
    Column("table_name", String(63), nullable=False, comment="Published table"),
    Column("column_name", String(63), nullable=False, comment="Its column"),
    Column("data_type", String(32), nullable=False, comment="SQL type"),
    Column("nullable", Boolean, nullable=False, comment="Whether the column may be empty"),
    Column("description", Text, nullable=False, comment="What the column holds"),
    Column(
        "description_indonesian",
        Text,
        comment="What the column holds, in Indonesian (keterangan dalam bahasa Indonesia)",
    ),
    Column("unit", Text, comment="What one unit of the value is, where it is a quantity"),
    Column(
        "valid_values",
        Text,
        comment="The values the column may hold (a range or a list), where they are declared",
    ),
    comment="The data dictionary: every published table and column, described.",
)


def warehouse_tables() -> list[Table]:
    """Every published table, in the order a version of the warehouse is created."""
    return [
        dim_region,
        dim_organization,
        dim_source,
        # After the facts: a publish locks the tables in this order, and a reader's
        # `fact_* JOIN dim_load` takes them in the same order, so the two never deadlock.
        *fact_tables().values(),
        dim_load,
        quarantine,
        region_review,
        contestant_review,
        *ELECTION_DIMENSIONS,
        *ELECTION_RESULTS_TABLES,
        *SUMMARY_TABLES,
        load_audit,
        release_changes,
        meta_columns,
    ]
