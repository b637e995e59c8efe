"""A national polling-station night, generated from the real 2024 station list.

    python -m benchmarks national --rows 17000000 --seed 7 [--provinces 31,32] [--recount 31]
                                  [--dprd] [--candidates] [--out DIR]

Every real village with the number of polling stations (TPS) it had in 2024, from KawalPemilu's
`tps.json` (818,339 stations; read where it lies in ../shared/data/real, never copied), reports
the presidential pairs and the 18 national parties' DPR votes per station, as two members would
send them: one file per province and contest.

- `presiden/<province>.csv`: `;`-separated, Indonesian thousands, undotted village codes, one
  row per station and pair (3 rows a station).
- `dpr/<province>.json`: a province document as KawalPemilu publishes its drill-downs, the
  stations under `tps`, each with one field per party (18 rows a station once unpivoted).

With `--dprd`, a third organisation sends the 18 parties' DPRD provinsi votes per station:

- `dprd_provinsi/<province>.csv`: commas, dotted village codes, one row per station and one
  column per party under KPU's short names (18 rows a station once unpivoted).

`--rows` scales it: stations are taken in a fixed shuffled order until each contributes its
21 rows (39 with `--dprd`), so 17.2 million rows is the whole country (31.9 million with
`--dprd`) and 1 million about 48,000 stations spread over every province. About 0.5% of
each file's rows are planted bad (an unknown village, an unreadable or negative count, a
duplicated row); `workload.json` says how many rows per file must be set aside (those, and
the stations of the few 2024 villages the 2025 list no longer has). The registry names each
contest's files once, split by province (`provinces` and `{province}` in the location): each
province's file is then a source of its own.

With `--candidates`, another organisation sends the DPRD kabupaten/kota candidates' votes per
station, the rows that take a whole country past 100 million:

- `dprd_kabupaten_kota_caleg/<province>.csv`: commas, undotted village codes, one row per
  station and candidate, the party's ballot number beside the candidate as the ballot names
  them (`PKB 3`: a stand-in for a name). Each party lists as many candidates as the dapil has
  seats, 3 to 12, drawn once per kecamatan (the real dapils are groups of kecamatan), about
  135 rows a station. They are shared with members only, as the club's real candidate lists
  are, so they are not in the public open data.

With `--recount 31,32`, a third organisation sends its own copy of those provinces'
presidential results (`presiden_recount/<province>.csv`, commas, plain numbers, no planted bad
rows), with 1% of the counts differing from KawalPemilu's: the rows the discrepancy view
finds, so that the analysts' question "where do two sources disagree" has answers.

The same rows, seed and provinces give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from benchmarks.results import RESULTS_DIR
from benchmarks.workload import DEFAULT_SEED, PAIRS, spoil_rows, thousands
from odc_pipeline.regions import load_reference
from odc_pipeline.settings import PROJECT_ROOT

REAL_DATA = Path(
    os.environ.get("ODC_REAL_DATA_DIR") or PROJECT_ROOT.parent / "shared" / "data" / "real"
)
STATIONS_FILE = REAL_DATA / "kawalpemilu2024-kp24" / "tps.json"
DEFAULT_FOLDER = RESULTS_DIR / "national"
#: KawalPemilu-style field of each of the 18 national parties of 2024, in ballot order: 1 to
#: 17, then Partai Ummat's 24 (18 to 23 are Aceh's local parties).
PARTY_FIELDS = (
    "pkb", "ger", "pdip", "gol", "nas", "buruh", "gelora", "pks", "pkn",
    "han", "garuda", "pan", "pbb", "dem", "psi", "perindo", "ppp", "ummat",
)  # fmt: skip
BALLOT_NUMBERS = (*(str(n) for n in range(1, 18)), "24")
#: The same parties as the headers of a DPRD provinsi file: KPU's short names.
PARTY_HEADERS = (
    "PKB", "GERINDRA", "PDIP", "GOLKAR", "NASDEM", "BURUH", "GELORA", "PKS", "PKN",
    "HANURA", "GARUDA", "PAN", "PBB", "DEMOKRAT", "PSI", "PERINDO", "PPP", "UMMAT",
)  # fmt: skip
ORGANIZATIONS = {"kawal": "Kawal Suara Warga", "rekap": "Rekap Warga Nusantara"}
#: The organisation that sends the DPRD provinsi votes (`--dprd`).
DPRD_COUNTER = ("jaga", "Jaga Suara Daerah")
#: The organisation that sends the DPRD kabupaten/kota candidates' votes (`--candidates`).
CANDIDATE_COUNTER = ("saksi", "Saksi Caleg Nusantara")
#: Fewest and most seats of a DPRD kabupaten/kota dapil (UU 7/2017): each party
#: lists at most as many candidates as the dapil has seats.
DAPIL_SEATS = (3, 12)
#: The largest candidates' file a registry entry accepts: the whole country's Jawa Barat
#: is about 0.5 GB and 19 million rows.
CANDIDATE_FILE_BYTES = 1_000_000_000
CANDIDATE_FILE_ROWS = 25_000_000
#: The organisation that sends a second count of some provinces (`--recount`).
RECOUNTER = ("pantau", "Pantau Rekap Independen")
#: Share of the recount's counts that differ from KawalPemilu's.
RECOUNT_SHARE = 0.01
#: The village code a planted bad row names: no such village exists.
UNKNOWN_VILLAGE = "9999999999"


def rows_per_station(dprd: bool = False, candidates: bool = False) -> int:
    """Rows a station gives once its files are unpivoted: the pairs, the DPR parties and,
    with `dprd`, the DPRD provinsi parties; with `candidates`, about as many candidates'
    rows as a party lists in a dapil of average size."""
    mean_seats = sum(DAPIL_SEATS) / 2
    return (
        len(PAIRS)
        + len(PARTY_FIELDS) * (2 if dprd else 1)
        + (round(len(PARTY_HEADERS) * mean_seats) if candidates else 0)
    )


def stations(provinces: list[str] | None = None) -> pd.DataFrame:
    """One row per real 2024 polling station: the village's undotted code and its number."""
    document = json.loads(STATIONS_FILE.read_text(encoding="utf-8"))
    codes = np.array(list(document["tps"]), dtype=object)
    counts = np.array([value[0] for value in document["tps"].values()], dtype=np.int64)
    if provinces:
        keep = np.isin(np.array([c[:2] for c in codes]), provinces)
        codes, counts = codes[keep], counts[keep]
    village = np.repeat(codes, counts)
    number = np.concatenate([np.arange(1, n + 1) for n in counts]) if len(counts) else []
    return pd.DataFrame({"kode_desa": village, "tps": np.asarray(number, dtype=np.int64)})


def _chosen(
    all_stations: pd.DataFrame, rows: int, per_station: int, rng: np.random.Generator
) -> pd.DataFrame:
    """The stations that give about `rows` rows at `per_station` rows each: a fixed shuffled
    order's first ones, then put back in village and station order (files list stations the
    way KPU does)."""
    wanted = min(len(all_stations), max(1, rows // per_station))
    picked = np.sort(rng.permutation(len(all_stations))[:wanted])
    return all_stations.iloc[picked].reset_index(drop=True)


def _presidential(chosen: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(chosen)
    frame = pd.DataFrame(
        {
            "kode_desa": np.repeat(chosen["kode_desa"].to_numpy(), len(PAIRS)),
            "no_tps": np.repeat(chosen["tps"].to_numpy(), len(PAIRS)),
            "paslon": np.tile(np.array(PAIRS, dtype=object), n),
            "suara": rng.integers(0, 250, size=n * len(PAIRS)),
        }
    )
    frame["suara"] = thousands(frame["suara"].to_numpy())
    return frame


def _dpr(chosen: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    votes = rng.integers(0, 60, size=(len(chosen), len(PARTY_FIELDS)))
    frame = pd.DataFrame(votes, columns=list(PARTY_FIELDS))
    frame.insert(0, "tps", chosen["tps"].to_numpy())
    frame.insert(0, "kode", chosen["kode_desa"].to_numpy())
    frame["sah"] = votes.sum(axis=1) + rng.integers(0, 5, size=len(chosen))
    return frame


def _dprd_provinsi(chosen: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    votes = rng.integers(0, 60, size=(len(chosen), len(PARTY_HEADERS)))
    frame = pd.DataFrame(votes, columns=list(PARTY_HEADERS))
    codes = chosen["kode_desa"].str
    dotted = codes[:2] + "." + codes[2:4] + "." + codes[4:6] + "." + codes[6:]
    frame.insert(0, "tps", chosen["tps"].to_numpy())
    frame.insert(0, "kode_wilayah", dotted.to_numpy())
    frame["suara_sah"] = votes.sum(axis=1) + rng.integers(0, 5, size=len(chosen))
    return frame


def _candidates(chosen: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """One row per station, party and candidate: each party lists as many candidates as its
    kecamatan's dapil has seats (DAPIL_SEATS, drawn once per kecamatan)."""
    kecamatan = chosen["kode_desa"].str[:6].to_numpy()
    names, position = np.unique(kecamatan, return_inverse=True)
    low, high = DAPIL_SEATS
    seats = rng.integers(low, high + 1, size=len(names))[position]
    per_station = seats * len(PARTY_HEADERS)
    total = int(per_station.sum())
    station = np.repeat(np.arange(len(chosen)), per_station)
    within = np.arange(total) - np.repeat(np.cumsum(per_station) - per_station, per_station)
    listed = seats[station]
    party, number = within // listed, within % listed + 1
    labels = np.array([f"{p} {n}" for p in PARTY_HEADERS for n in range(1, high + 1)], dtype=object)
    return pd.DataFrame(
        {
            "kode_desa": chosen["kode_desa"].to_numpy()[station],
            "no_tps": chosen["tps"].to_numpy()[station],
            "no_partai": np.array(BALLOT_NUMBERS, dtype=object)[party],
            "nama_caleg": labels[party * high + number - 1],
            "suara": rng.integers(0, 40, size=total),
        }
    )


def _bad_rows(
    frame: pd.DataFrame, key: list[str], region: str, number: str, width: int, known: set[str]
) -> int:
    """Rows the pipeline must set aside once each of `frame`'s rows becomes `width` rows (the
    parties of a station): all of a row whose village is not in `known` (planted, or one of
    the few 2024 villages the 2025 list no longer has) or repeated, else the one row of a
    count that is unreadable or negative."""
    unknown = ~frame[region].astype(str).str.replace(".", "").isin(known)
    repeated = frame.duplicated(key, keep=False) & ~unknown
    count = pd.to_numeric(frame[number].astype(str).str.replace(".", ""), errors="coerce")
    spoiled_count = (count.isna() | (count < 0)) & ~unknown & ~repeated
    return int((unknown | repeated).sum()) * width + int(spoiled_count.sum())


def _entries(
    provinces: list[str], recounted: list[str], dprd: bool, candidates: bool
) -> list[dict]:
    """The registry's entries: one per contest, split by province (`{province}` in the
    location), so each province's file is read, checked and published as a source of its own;
    the recount of `recounted` provinces, if any; the DPRD provinsi files with `dprd`; and
    the DPRD kabupaten/kota candidates' files with `candidates`."""
    common = {
        "kind": "election_results",
        "regions": [{"column": "desa", "level": "desa", "system": "kemendagri"}],
        "licence": "CC-BY-4.0",
        "sharing": "public",
        "provinces": provinces,
    }
    # The presidential files' headers, the same in both organisations' counts.
    presidential = {
        "columns": {
            "kode_desa": "desa",
            "no_tps": "station_number",
            "paslon": "candidate",
            "suara": "votes",
        },
        "constants": {"election": "pemilu", "year": 2024, "contest": "presiden"},
    }
    entries = [
        {
            "id": "kawal_tps_presiden",
            "organization": "kawal",
            "format": "csv",
            "location": "presiden/{province}.csv",
            "read": {"delimiter": ";"},
            **presidential,
            **common,
        },
        {
            "id": "rekap_tps_dpr",
            "organization": "rekap",
            "format": "json",
            "location": "dpr/{province}.json",
            "read": {
                "records_path": "tps",
                "unpivot": {
                    "columns": dict(zip(PARTY_FIELDS, BALLOT_NUMBERS, strict=True)),
                    "name": "partai",
                    "value": "suara",
                },
            },
            "columns": {
                "kode": "desa",
                "tps": "station_number",
                "partai": "candidate",
                "suara": "votes",
                "sah": "valid_ballots",
            },
            "constants": {"election": "pemilu", "year": 2024, "contest": "dpr"},
            **common,
        },
    ]
    if dprd:
        entries.append(
            {
                "id": "jaga_tps_dprd_provinsi",
                "organization": DPRD_COUNTER[0],
                "format": "csv",
                "location": "dprd_provinsi/{province}.csv",
                "read": {
                    "unpivot": {
                        "columns": dict(zip(PARTY_HEADERS, BALLOT_NUMBERS, strict=True)),
                        "name": "partai",
                        "value": "suara",
                    },
                },
                "columns": {
                    "kode_wilayah": "desa",
                    "tps": "station_number",
                    "partai": "candidate",
                    "suara": "votes",
                    "suara_sah": "valid_ballots",
                },
                "constants": {"election": "pemilu", "year": 2024, "contest": "dprd_provinsi"},
                **common,
            }
        )
    if candidates:
        entries.append(
            {
                "id": "saksi_tps_dprd_kabkota_caleg",
                "organization": CANDIDATE_COUNTER[0],
                "format": "csv",
                "location": f"{CANDIDATES.folder}/{{province}}.csv",
                "columns": {
                    "kode_desa": "desa",
                    "no_tps": "station_number",
                    "no_partai": "party",
                    "nama_caleg": "candidate",
                    "suara": "votes",
                },
                "constants": {
                    "election": "pemilu",
                    "year": 2024,
                    "contest": "dprd_kabupaten_kota",
                },
                # Jawa Barat's file passes the 200 MB and 10 million rows a file may have
                # unless the registry says more (360 MB, 13.4 million rows at 100 million
                # rows in all), so the registry says more, as a steward's would.
                "pull": {"max_bytes": CANDIDATE_FILE_BYTES},
                "read": {"max_rows": CANDIDATE_FILE_ROWS},
                **common,
                # Shared with members only, as the club's real candidate lists are: the
                # rows reach the members' audience and release, not the public open data.
                "sharing": "members",
            }
        )
    if recounted:
        entries.append(
            {
                "id": "pantau_tps_presiden",
                "organization": RECOUNTER[0],
                "format": "csv",
                "location": "presiden_recount/{province}.csv",
                **presidential,
                **common,
                "provinces": recounted,
            }
        )
    return entries


def _recount(frame: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Another organisation's count of the same stations (the file before any row was spoiled):
    plain numbers, RECOUNT_SHARE of them higher by 1 to 20."""
    votes = pd.to_numeric(frame["suara"].str.replace(".", "", regex=False)).to_numpy()
    differs = rng.random(len(votes)) < RECOUNT_SHARE
    votes = votes + np.where(differs, rng.integers(1, 21, size=len(votes)), 0)
    return frame.assign(suara=votes)


def _write_document(frame: pd.DataFrame, path: Path, province: str, name: str) -> None:
    """A province document as KawalPemilu publishes its drill-downs: stations under `tps`."""
    document = {
        "id": province,
        "name": name,
        "depth": 1,
        "tps": json.loads(frame.to_json(orient="records", force_ascii=False)),
    }
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")


@dataclass(frozen=True)
class Contest:
    """One contest's province files: how a province's rows are made, what identifies a row
    (village first), how many results a row holds, where a planted bad count goes, the
    random stream its counts come from (one per contest: DPR and DPRD have as many parties),
    and how a file is written: a CSV with `separator`, or with None a JSON document."""

    folder: str
    make: Callable[[pd.DataFrame, np.random.Generator], pd.DataFrame]
    key: tuple[str, ...]
    width: int
    count: str
    unknown_village: str
    stream: int
    separator: str | None

    def write(self, frame: pd.DataFrame, out: Path, province: str, name: str) -> None:
        extension = "json" if self.separator is None else "csv"
        path = out / self.folder / f"{province}.{extension}"
        path.parent.mkdir(parents=True, exist_ok=True)
        if self.separator is None:
            _write_document(frame, path, province, name)
        else:
            frame.to_csv(path, index=False, sep=self.separator)


PRESIDEN = Contest(
    "presiden", _presidential, ("kode_desa", "no_tps", "paslon"), 1, "suara", UNKNOWN_VILLAGE,
    1, ";",
)  # fmt: skip
DPR = Contest(
    "dpr", _dpr, ("kode", "tps"), len(PARTY_FIELDS), PARTY_FIELDS[0], UNKNOWN_VILLAGE,
    len(PARTY_FIELDS), None,
)  # fmt: skip
DPRD_PROVINSI = Contest(
    "dprd_provinsi", _dprd_provinsi, ("kode_wilayah", "tps"), len(PARTY_HEADERS),
    PARTY_HEADERS[0], "99.99.99.9999", 2 * len(PARTY_HEADERS), ",",
)  # fmt: skip
CANDIDATES = Contest(
    "dprd_kabupaten_kota_caleg", _candidates, ("kode_desa", "no_tps", "nama_caleg"), 1, "suara",
    UNKNOWN_VILLAGE, 3 * len(PARTY_HEADERS), ",",
)  # fmt: skip


def contests(dprd: bool = False, candidates: bool = False) -> tuple[Contest, ...]:
    """The contests whose files are written: the pairs and DPR, with `dprd` DPRD provinsi,
    and with `candidates` the DPRD kabupaten/kota candidates. Each one's folder is its
    contest's name in the registry (the candidates' `_caleg` after it)."""
    return (
        PRESIDEN, DPR, *([DPRD_PROVINSI] if dprd else []), *([CANDIDATES] if candidates else []),
    )  # fmt: skip


def generate(
    rows: int,
    seed: int = DEFAULT_SEED,
    out: Path = DEFAULT_FOLDER,
    provinces: list[str] | None = None,
    recount: list[str] | None = None,
    dprd: bool = False,
    candidates: bool = False,
) -> Path:
    """Write the province files, `sources.yaml` and `workload.json` into `out`; the
    registry's path. `recount` names the provinces a third organisation counts again;
    `dprd` adds the DPRD provinsi files, `candidates` the DPRD kabupaten/kota candidates'."""
    rng = np.random.default_rng(seed)
    all_stations = stations(provinces)
    chosen = _chosen(all_stations, rows, rows_per_station(dprd, candidates), rng)
    names = json.loads(STATIONS_FILE.read_text(encoding="utf-8"))["id2name"]
    manifest: dict = {"rows": rows, "seed": seed, "stations": len(chosen), "files": {}}
    province_of = chosen["kode_desa"].str[:2]
    reference = load_reference()
    known = set(reference.loc[reference["level"] == 4, "region_code"].str.replace(".", ""))
    for contest in contests(dprd, candidates):
        key, region, width = list(contest.key), contest.key[0], contest.width
        for province in sorted(province_of.unique()):
            part = chosen.loc[province_of == province].reset_index(drop=True)
            frame = contest.make(part, np.random.default_rng([seed, int(province), contest.stream]))
            if contest is PRESIDEN and province in (recount or ()):
                again = _recount(frame, np.random.default_rng([seed, int(province), 0]))
                (out / "presiden_recount").mkdir(parents=True, exist_ok=True)
                again.to_csv(out / "presiden_recount" / f"{province}.csv", index=False)
                manifest["files"][f"presiden_recount/{province}"] = {
                    "rows": len(again),
                    "bad_rows": _bad_rows(again, key, region, contest.count, 1, known),
                }
            if len(frame) > 8:
                spoil_rows(frame, region, contest.count, contest.unknown_village, rng)
            contest.write(frame, out, province, names.get(province, province))
            manifest["files"][f"{contest.folder}/{province}"] = {
                "rows": len(frame) * width,
                "bad_rows": _bad_rows(frame, key, region, contest.count, width, known),
            }
    manifest["total_rows"] = sum(f["rows"] for f in manifest["files"].values())
    recounted = sorted(set(recount or ()) & set(province_of))
    organizations = {
        **ORGANIZATIONS,
        **(dict([RECOUNTER]) if recounted else {}),
        **(dict([DPRD_COUNTER]) if dprd else {}),
        **(dict([CANDIDATE_COUNTER]) if candidates else {}),
    }
    registry = {
        "organizations": {key: {"name": name} for key, name in organizations.items()},
        "sources": _entries(sorted(province_of.unique()), recounted, dprd, candidates),
    }
    path = out / "sources.yaml"
    path.write_text(
        "# Generated by python -m benchmarks national: polling stations, a file per province.\n"
        + yaml.safe_dump(registry, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    (out / "workload.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks national")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument("--provinces", help="Only these, e.g. 31,32 (default: all 38).")
    parser.add_argument(
        "--recount", help="Provinces a third organisation counts again, e.g. 31 (default: none)."
    )
    parser.add_argument(
        "--dprd", action="store_true", help="Also the DPRD provinsi votes (18 more rows a station)."
    )
    parser.add_argument(
        "--candidates",
        action="store_true",
        help="Also the DPRD kabupaten/kota candidates' votes (about 135 more rows a station).",
    )
    args = parser.parse_args(argv)
    if not STATIONS_FILE.is_file():
        print(f"The 2024 station list is not at {STATIONS_FILE}; set ODC_REAL_DATA_DIR.")
        return 2
    provinces = args.provinces.split(",") if args.provinces else None
    recount = args.recount.split(",") if args.recount else None
    registry = generate(
        args.rows, args.seed, args.out, provinces, recount, args.dprd, args.candidates
    )
    manifest = json.loads((args.out / "workload.json").read_text(encoding="utf-8"))
    print(
        f"{manifest['total_rows']:,} rows from {manifest['stations']:,} polling stations in "
        f"{len(manifest['files'])} files (seed {args.seed}) written to {args.out}; "
        f"registry {registry}"
    )
    return 0
