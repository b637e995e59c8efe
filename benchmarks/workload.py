"""A national election's night of sources, generated: the workload of `make bench`.

    python -m benchmarks generate --rows 2000000 --seed 7 [--out bench/workload]

Ten sources from five fictional organisations, in every format the club meets (CSV with commas
and with semicolons and Indonesian thousands, JSON, JSON Lines, XLSX) and every way regions are
written (dotted and undotted Kemendagri codes, codes stored as numbers, BPS codes, messy
kabupaten and kecamatan names, KPU-style bare names, Papua's pre-2022 codes). The largest
sources report per polling station for every real village (at the default size). About 0.5% of
the rows are planted bad (unknown regions, unreadable or negative numbers, duplicated rows);
`workload.json` says how many per source, so the benchmark can check none was lost.

The same rows and seed give the same bytes: runs on different days are comparable.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from benchmarks.results import RESULTS_DIR
from odc_pipeline.regions import load_reference
from odc_pipeline.settings import PROJECT_ROOT

DEFAULT_ROWS = 2_000_000
DEFAULT_SEED = 7
DEFAULT_FOLDER = RESULTS_DIR / "workload"
#: Share of each source's rows that are planted bad.
BAD_SHARE = 0.005

ORGANIZATIONS = {
    "kawal": "Kawal Suara Warga",
    "jaga": "Jaga Desa",
    "papua": "Suara Papua Memantau",
    "forum": "Forum Data Pemilu",
    "warga": "Lapor Warga",
}
PAIRS = ("01", "02", "03")
PARTIES = tuple(f"{n:02d}" for n in range(1, 19))
MONTHS = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)
CATEGORIES = ("politik_uang", "intimidasi", "netralitas_asn", "kampanye_hitam", "lainnya")


@dataclass
class Regions:
    """The real regions the sources report on, as arrays (fast to index by the million)."""

    villages: np.ndarray  # dotted desa codes
    kecamatan: pd.DataFrame  # region_code, name, parent name and type
    kabkota: pd.DataFrame  # region_code, name, type
    papua_old_villages: np.ndarray  # pre-2022 desa codes of Papua's regions
    bps_kecamatan: np.ndarray  # BPS kecamatan codes


def _regions() -> Regions:
    reference = load_reference()
    kabkota = reference.loc[reference["level"] == 2, ["region_code", "name", "type"]]
    kecamatan = reference.loc[reference["level"] == 3, ["region_code", "name", "parent_code"]]
    kecamatan = kecamatan.merge(
        kabkota.rename(columns={"region_code": "parent_code", "name": "kab", "type": "kab_type"}),
        on="parent_code",
    )
    historic = pd.read_csv(PROJECT_ROOT / "data/reference/historic_codes.csv", dtype=str)
    bps = pd.read_csv(PROJECT_ROOT / "data/reference/bps_kemendagri.csv", dtype=str)
    return Regions(
        villages=reference.loc[reference["level"] == 4, "region_code"].to_numpy(),
        kecamatan=kecamatan.reset_index(drop=True),
        kabkota=kabkota.reset_index(drop=True),
        papua_old_villages=historic.loc[historic["level"] == "desa", "old_code"].to_numpy(),
        bps_kecamatan=bps.loc[bps["level"] == "kecamatan", "bps_code"].to_numpy(),
    )


def _grid(n: int, places: int, per_place: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row i -> (place, station, item). Each station reports every item; every place gets a
    first station before any gets a second, so from `places * per_place` rows on, every real
    village (or kecamatan) is in the file, and natural keys never repeat."""
    i = np.arange(n)
    slot = i // per_place
    return slot % places, slot // places, i % per_place


def _kabupaten_label(name: str, kind: str, style: int) -> str:
    """A kabupaten/kota name as members write it: prefixes, abbreviations, case."""
    bare = name.removeprefix("Kabupaten ").removeprefix("Kota ")
    if kind == "kota":
        return (f"KOTA {bare.upper()}", f"Kota {bare}", f"kota {bare.lower()}")[style % 3]
    return (f"KABUPATEN {bare.upper()}", f"Kab. {bare}", f"KAB {bare.upper()}")[style % 3]


def _tps_results(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    place, station, item = _grid(n, len(regions.villages), len(PAIRS))
    return pd.DataFrame(
        {
            "kode_desa": np.char.replace(regions.villages[place].astype(str), ".", ""),
            "tps": np.char.zfill((station + 1).astype(str), 3),
            "paslon": np.array(PAIRS)[item],
            "suara": rng.integers(0, 250, size=n),
            "suara_sah": rng.integers(250, 300, size=n),
            "suara_tidak_sah": rng.integers(0, 12, size=n),
        }
    )


def _tps_stations(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    place, station, _ = _grid(n, len(regions.villages), 1)
    return pd.DataFrame(
        {
            "kode": regions.villages[place],
            "no_tps": np.char.zfill((station + 1).astype(str), 3),
            "dpt": rng.integers(150, 300, size=n),
        }
    )


def thousands(values: np.ndarray) -> np.ndarray:
    """Whole numbers written the Indonesian way: 1.234.567."""
    return np.array([f"{v:,}".replace(",", ".") for v in values.tolist()], dtype=object)


def _village_dpr(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    place, station, item = _grid(n, len(regions.villages), len(PARTIES))
    return pd.DataFrame(
        {
            "kode_wilayah": regions.villages[place],
            "tahun": 2024 - 5 * station,  # more rows than villages x parties: earlier elections
            "partai": np.array(PARTIES)[item],
            "suara": thousands(rng.integers(0, 4000, size=n)),
        }
    )


def _village_voters(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    place, station, _ = _grid(n, len(regions.villages), 1)
    male = rng.integers(200, 3000, size=n)
    female = rng.integers(200, 3000, size=n)
    return pd.DataFrame(
        {
            "kode_wilayah": regions.villages[place],
            "tahun": 2024 - 5 * station,
            "laki_laki": thousands(male),
            "perempuan": thousands(female),
            "jumlah": thousands(male + female),
        }
    )


def _papua_results(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    place, station, item = _grid(n, len(regions.papua_old_villages), 2)
    return pd.DataFrame(
        {
            "kode_desa_lama": regions.papua_old_villages[place],
            "tps": (station + 1).astype(str),
            "calon": np.array(("01", "02"))[item],
            "suara": rng.integers(0, 250, size=n),
        }
    )


def _kecamatan_names(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    kecamatan = regions.kecamatan
    place, station, item = _grid(n, len(kecamatan), len(PARTIES))
    style = rng.integers(0, 3, size=len(kecamatan))
    kab = [
        _kabupaten_label(name, kind, s)
        for name, kind, s in zip(kecamatan["kab"], kecamatan["kab_type"], style, strict=True)
    ]
    kec = [
        (name.upper(), name, f"Kec. {name}")[s]
        for name, s in zip(kecamatan["name"], style[::-1], strict=True)
    ]
    return pd.DataFrame(
        {
            "kabupaten_kota": np.array(kab, dtype=object)[place],
            "kecamatan": np.array(kec, dtype=object)[place],
            "tahun": 2024 - 5 * station,
            "partai": np.array(PARTIES)[item],
            "suara": rng.integers(0, 20000, size=n),
        }
    )


def _kecamatan_bps_voters(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    place, station, _ = _grid(n, len(regions.bps_kecamatan), 1)
    male = rng.integers(5000, 60000, size=n)
    female = rng.integers(5000, 60000, size=n)
    return pd.DataFrame(
        {
            "kode_bps": regions.bps_kecamatan[place],
            "tahun": 2024 - station,  # voter lists are updated every year
            "pria": male,
            "wanita": female,
        }
    )


def _kabupaten_kpu(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    kabkota = regions.kabkota
    place, station, item = _grid(n, len(kabkota), 2)
    # KPU writes regencies bare and cities with KOTA: BANDUNG, KOTA BANDUNG.
    names = kabkota["name"].str.removeprefix("Kabupaten ").str.upper().to_numpy()
    return pd.DataFrame(
        {
            "NAMA WILAYAH": names[place],
            "TAHUN": 2024 - 5 * station,
            "PASLON": np.array(("01", "02"))[item],
            "SUARA": rng.integers(10_000, 900_000, size=n),
        }
    )


def _incidents(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    kabkota = regions.kabkota["region_code"].to_numpy()
    day = rng.integers(1, 29, size=n)
    month = rng.integers(0, 12, size=n)
    year = np.where(month < 2, 2024, 2023)
    phones = rng.integers(10**9, 10**10, size=n)
    described = rng.random(n) < 0.02
    return pd.DataFrame(
        {
            "kab_kota": kabkota[rng.integers(0, len(kabkota), size=n)],
            "tanggal": [
                f"{d} {MONTHS[m]} {y}"
                for d, m, y in zip(day.tolist(), month.tolist(), year.tolist(), strict=True)
            ],
            "kategori": np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), size=n)],
            "uraian": np.where(
                described,
                [f"Pelapor dapat dihubungi di 08{p}" for p in phones.tolist()],
                "Pembagian uang kepada pemilih di sekitar TPS",
            ),
            "no_laporan": [f"LW-{i:07d}" for i in range(n)],
        }
    )


def _dpd_numbers(n: int, rng: np.random.Generator, regions: Regions) -> pd.DataFrame:
    place, station, item = _grid(n, len(regions.villages), 4)
    codes = np.char.replace(regions.villages.astype(str), ".", "").astype(np.int64)
    return pd.DataFrame(
        {
            "desa": codes[place],  # stored as a number by the export
            "tps": station + 1,
            "calon_dpd": np.array(("A1", "A2", "A3", "A4"))[item],
            "suara": rng.integers(0, 200, size=n),
        }
    )


@dataclass(frozen=True)
class SourcePlan:
    """One generated source: how many rows it gets, how they are made and written, its entry."""

    id: str
    share: float  # of the requested rows; 0 for a fixed-size source
    fixed_rows: int
    make: Callable[[int, np.random.Generator, Regions], pd.DataFrame]
    file: str
    entry: dict
    bad_columns: tuple[str, str]  # (region column, a number column) to plant problems in


def _results(contest: str, **extra) -> dict:
    return {"constants": {"election": "pemilu", "contest": contest, **extra}}


PLANS: tuple[SourcePlan, ...] = (
    SourcePlan(
        "kawal_tps_presiden",
        0.40,
        0,
        _tps_results,
        "kawal_tps_presiden.csv",
        {
            "organization": "kawal",
            "kind": "election_results",
            "format": "csv",
            "columns": {
                "kode_desa": "region",
                "tps": "station_number",
                "paslon": "candidate",
                "suara": "votes",
                "suara_sah": "valid_ballots",
                "suara_tidak_sah": "invalid_ballots",
            },
            **_results("presiden", year=2024),
            "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
            "licence": "CC-BY-4.0",
            "sharing": "public",
        },
        ("kode_desa", "suara"),
    ),
    SourcePlan(
        "kawal_tps_dpt",
        0.15,
        0,
        _tps_stations,
        "kawal_tps_dpt.jsonl",
        {
            "organization": "kawal",
            "kind": "polling_stations",
            "format": "jsonl",
            "columns": {"kode": "region", "no_tps": "station_number", "dpt": "registered_voters"},
            "constants": {"election": "pemilu", "year": 2024},
            "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
            "licence": "CC-BY-4.0",
            "sharing": "public",
        },
        ("kode", "dpt"),
    ),
    SourcePlan(
        "jaga_desa_dpr",
        0.15,
        0,
        _village_dpr,
        "jaga_desa_dpr.csv",
        {
            "organization": "jaga",
            "kind": "election_results",
            "format": "csv",
            "read": {"delimiter": ";", "locale": "id"},
            "columns": {
                "kode_wilayah": "region",
                "tahun": "year",
                "partai": "candidate",
                "suara": "votes",
            },
            **_results("dpr"),
            "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
            "licence": "CC-BY-SA-4.0",
            "sharing": "members",
        },
        ("kode_wilayah", "suara"),
    ),
    SourcePlan(
        "jaga_desa_dpt",
        0.08,
        0,
        _village_voters,
        "jaga_desa_dpt.csv",
        {
            "organization": "jaga",
            "kind": "voter_counts",
            "format": "csv",
            "read": {"delimiter": ";", "locale": "id"},
            "columns": {
                "kode_wilayah": "region",
                "tahun": "year",
                "laki_laki": "registered_male",
                "perempuan": "registered_female",
                "jumlah": "registered_total",
            },
            "constants": {"election": "pemilu"},
            "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
            "licence": "CC-BY-SA-4.0",
            "sharing": "members",
        },
        ("kode_wilayah", "laki_laki"),
    ),
    SourcePlan(
        "papua_tps_presiden",
        0.05,
        0,
        _papua_results,
        "papua_tps_presiden.json",
        {
            "organization": "papua",
            "kind": "election_results",
            "format": "json",
            "read": {"records_path": "data"},
            "columns": {
                "kode_desa_lama": "region",
                "tps": "station_number",
                "calon": "candidate",
                "suara": "votes",
            },
            **_results("presiden", year=2019),
            "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
            "licence": "CC-BY-4.0",
            "sharing": "public",
        },
        ("kode_desa_lama", "suara"),
    ),
    SourcePlan(
        "forum_kecamatan_dprd",
        0.08,
        0,
        _kecamatan_names,
        "forum_kecamatan_dprd.csv",
        {
            "organization": "forum",
            "kind": "election_results",
            "format": "csv",
            "columns": {
                "kabupaten_kota": "kabupaten",
                "kecamatan": "kecamatan",
                "tahun": "year",
                "partai": "candidate",
                "suara": "votes",
            },
            **_results("dprd_kabupaten_kota"),
            "regions": [
                {"column": "kabupaten", "level": "kabupaten_kota", "system": "name"},
                {"column": "kecamatan", "level": "kecamatan", "system": "name"},
            ],
            "licence": "CC-BY-4.0",
            "sharing": "public",
        },
        ("kecamatan", "suara"),
    ),
    SourcePlan(
        "forum_kecamatan_dpt_bps",
        0.02,
        0,
        _kecamatan_bps_voters,
        "forum_kecamatan_dpt_bps.csv",
        {
            "organization": "forum",
            "kind": "voter_counts",
            "format": "csv",
            "columns": {
                "kode_bps": "region",
                "tahun": "year",
                "pria": "registered_male",
                "wanita": "registered_female",
            },
            "constants": {"election": "pemilu"},
            "regions": [{"column": "region", "level": "kecamatan", "system": "bps"}],
            "licence": "ODbL-1.0",
            "sharing": "public",
        },
        ("kode_bps", "pria"),
    ),
    SourcePlan(
        "warga_kabkota_kpu",
        0.0,
        2_056,
        _kabupaten_kpu,
        "warga_kabkota_kpu.xlsx",
        {
            "organization": "warga",
            "kind": "election_results",
            "format": "xlsx",
            "columns": {
                "NAMA WILAYAH": "region",
                "TAHUN": "year",
                "PASLON": "candidate",
                "SUARA": "votes",
            },
            **_results("presiden"),
            "regions": [
                {
                    "column": "region",
                    "level": "kabupaten_kota",
                    "system": "name",
                    "untyped": "kabupaten",
                }
            ],
            "licence": "CC-BY-4.0",
            "sharing": "members",
        },
        ("NAMA WILAYAH", "SUARA"),
    ),
    SourcePlan(
        "warga_laporan",
        0.02,
        0,
        _incidents,
        "warga_laporan.csv",
        {
            "organization": "warga",
            "kind": "incident_reports",
            "format": "csv",
            "columns": {
                "kab_kota": "region",
                "tanggal": "date",
                "kategori": "category",
                "uraian": "description",
                "no_laporan": "report_id",
            },
            "constants": {"election": "pemilu", "year": 2024},
            "regions": [{"column": "region", "level": "kabupaten_kota", "system": "kemendagri"}],
            "licence": "CC-BY-4.0",
            "sharing": "private",
        },
        ("kab_kota", "tanggal"),
    ),
    SourcePlan(
        "kawal_tps_dpd",
        0.05,
        0,
        _dpd_numbers,
        "kawal_tps_dpd.json",
        {
            "organization": "kawal",
            "kind": "election_results",
            "format": "json",
            "columns": {
                "desa": "region",
                "tps": "station_number",
                "calon_dpd": "candidate",
                "suara": "votes",
            },
            **_results("dpd", year=2024),
            "regions": [{"column": "region", "level": "desa", "system": "kemendagri"}],
            "licence": "CC-BY-4.0",
            "sharing": "public",
        },
        ("desa", "suara"),
    ),
)


def spoil_rows(
    frame: pd.DataFrame, region: str, number: str, unknown: str, rng: np.random.Generator
) -> dict[str, int]:
    """Spoil about BAD_SHARE of the rows, four ways in turn (a region `unknown` names no
    real place, an unreadable and a negative count in `number`, a row repeated from the one
    before it); how many rows each way spoiled."""
    count = max(4, int(len(frame) * BAD_SHARE)) // 4 * 4
    rows = np.sort(rng.choice(np.arange(1, len(frame)), size=count, replace=False))
    frame[region] = frame[region].astype(object)
    frame[number] = frame[number].astype(object)
    unknown_rows, unreadable, negative, duplicate = np.array_split(rows, 4)
    frame.loc[unknown_rows, region] = unknown
    frame.loc[unreadable, number] = "tiga ratus"
    frame.loc[negative, number] = "-7"
    frame.loc[duplicate, :] = frame.loc[duplicate - 1, :].to_numpy()
    # A row repeated spoils two: both copies are set aside (unless the one before was
    # already spoiled another way).
    others = set(unknown_rows) | set(unreadable) | set(negative)
    return {
        "unknown": len(unknown_rows),
        "unreadable": len(unreadable),
        "negative": len(negative),
        "duplicate": len((set(duplicate) | set(duplicate - 1)) - others),
    }


def _plant_bad_rows(frame: pd.DataFrame, plan: SourcePlan, rng: np.random.Generator) -> int:
    """Spoil about BAD_SHARE of the source's rows; how many rows were spoiled."""
    region, number = plan.bad_columns
    unknown = "99.99.99.9999" if plan.entry["format"] != "xlsx" else "ATLANTIS"
    return sum(spoil_rows(frame, region, number, unknown, rng).values())


def _write(frame: pd.DataFrame, path: Path, entry: dict) -> None:
    kind = entry["format"]
    if kind == "csv":
        frame.to_csv(path, index=False, sep=entry.get("read", {}).get("delimiter", ","))
    elif kind == "jsonl":
        frame.to_json(path, orient="records", lines=True, force_ascii=False)
    elif kind == "json":
        records = frame.to_json(orient="records", force_ascii=False)
        path_in = entry.get("read", {}).get("records_path")
        text = f'{{"{path_in}": {records}}}' if path_in else records
        path.write_text(text, encoding="utf-8")
    else:
        frame.to_excel(path, index=False, sheet_name="Rekap")


def generate(
    rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED, out: Path = DEFAULT_FOLDER
) -> Path:
    """Write the ten files, `sources.yaml` and `workload.json` into `out`; the registry's path."""
    out.mkdir(parents=True, exist_ok=True)
    regions = _regions()
    fixed = sum(p.fixed_rows for p in PLANS)
    scaled = max(rows - fixed, 0)
    sources, manifest = [], {"rows": rows, "seed": seed, "sources": {}}
    for position, plan in enumerate(PLANS):
        rng = np.random.default_rng([seed, position])
        n = plan.fixed_rows or max(100, int(round(scaled * plan.share)))
        frame = plan.make(n, rng, regions)
        planted = _plant_bad_rows(frame, plan, rng)
        _write(frame, out / plan.file, plan.entry)
        sources.append({"id": plan.id, "location": plan.file, **plan.entry})
        manifest["sources"][plan.id] = {"rows": n, "bad_rows": planted, "file": plan.file}
    manifest["total_rows"] = sum(s["rows"] for s in manifest["sources"].values())
    registry = {
        "organizations": {key: {"name": name} for key, name in ORGANIZATIONS.items()},
        "sources": sources,
    }
    path = out / "sources.yaml"
    path.write_text(
        "# Generated by python -m benchmarks generate: the benchmark workload.\n"
        + yaml.safe_dump(registry, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    (out / "workload.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks generate")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, default=DEFAULT_FOLDER)
    args = parser.parse_args(argv)
    registry = generate(args.rows, args.seed, args.out)
    manifest = json.loads((args.out / "workload.json").read_text(encoding="utf-8"))
    print(
        f"{manifest['total_rows']:,} rows in {len(manifest['sources'])} sources "
        f"(seed {args.seed}) written to {args.out}; registry {registry}"
    )
    return 0
