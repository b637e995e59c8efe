"""Region matching benchmark: quality on a labelled set, and throughput on millions of rows.

    python -m benchmarks regions [--rows N] [--real DIR]

Quality: precision (automatic matches that are right) and recall (labelled regions matched
automatically) per category, the share sent to review, and Kota/Kabupaten confusions.
Throughput: `harmonize_regions` on N rows (default 2,000,000) drawn from 20,000 distinct
(kabupaten/kota, kecamatan) spellings, against a naive per-row loop of the same matcher on a
100,000-row sample, measured in the same run.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.region_eval import EvalItem, real_items, synthetic_items
from benchmarks.results import save
from odc_pipeline.regions import harmonize_regions, load_reference, load_region_tables
from odc_pipeline.regions.harmonize import _resolve_row
from odc_pipeline.regions.index import build_index, name_key_for_level
from odc_pipeline.regions.resolve import Spec
from odc_pipeline.regions.tables import RegionTables
from odc_pipeline.settings import PROJECT_ROOT

DEFAULT_REAL = PROJECT_ROOT.parent / "shared" / "data" / "real"


def evaluate(items: list[EvalItem], tables: RegionTables) -> dict:
    """Match every item and count right, wrong, reviewed, and Kota/Kabupaten confusions."""
    by_specs: dict[tuple, list[EvalItem]] = defaultdict(list)
    for item in items:
        by_specs[item.specs].append(item)
    types = dict(zip(tables.reference["region_code"], tables.reference["type"], strict=True))
    per_category: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    wrong_examples: list[str] = []
    for specs, group in by_specs.items():
        frame = pd.DataFrame([item.values for item in group], columns=[s.column for s in specs])
        out = harmonize_regions(frame, list(specs), tables)
        for item, code in zip(group, out["region_code"], strict=True):
            counts = per_category[item.category]
            counts["items"] += 1
            counts["labelled"] += item.expected is not None
            if code is None or pd.isna(code):
                counts["review"] += 1
                continue
            counts["matched"] += 1
            if code == item.expected:
                counts["correct"] += 1
            else:
                counts["wrong"] += 1
                if len(wrong_examples) < 25:
                    wrong_examples.append(
                        f"{item.category}: {item.values} -> {code}, expected {item.expected}"
                    )
                if item.expected and {types.get(code), types.get(item.expected)} == {
                    "kabupaten",
                    "kota",
                }:
                    counts["kota_kabupaten_confusions"] += 1
    total: dict[str, int] = defaultdict(int)
    for counts in per_category.values():
        for key, value in counts.items():
            total[key] += value

    def rates(c: dict[str, int]) -> dict:
        c = {
            k: c.get(k, 0)
            for k in (
                "items",
                "labelled",
                "matched",
                "correct",
                "wrong",
                "review",
                "kota_kabupaten_confusions",
            )
        }
        return {
            **c,
            "precision": c["correct"] / c["matched"] if c["matched"] else 1.0,
            "recall": c["correct"] / c["labelled"] if c["labelled"] else 1.0,
            "review_share": c["review"] / c["items"] if c["items"] else 0.0,
        }

    return {
        "total": rates(dict(total)),
        "categories": {name: rates(dict(c)) for name, c in sorted(per_category.items())},
        "wrong_examples": wrong_examples,
    }


def throughput_frame(
    tables: RegionTables, rows: int, distinct: int, seed: int = 11
) -> tuple[pd.DataFrame, list[Spec]]:
    """`rows` rows over `distinct` spellings of (kabupaten/kota, kecamatan), all exact or alias."""
    ref = tables.reference
    names = dict(zip(ref["region_code"], ref["name"], strict=True))
    spellings = []
    for name, parent in ref.loc[ref["level"] == 3, ["name", "parent_code"]].itertuples(index=False):
        kab = names[parent]
        spellings += [
            (kab, name),
            (kab.upper(), f"Kec. {name}"),
            (kab.replace("Kabupaten", "Kab."), name.upper()),
        ]
    spellings = spellings[:distinct]
    rng = np.random.default_rng(seed)
    picks = rng.integers(0, len(spellings), size=rows)
    pairs = np.array(spellings, dtype=object)
    frame = pd.DataFrame({"kabkota": pairs[picks, 0], "kecamatan": pairs[picks, 1]})
    return frame, [Spec("kabkota", 2, "name"), Spec("kecamatan", 3, "name")]


def measure_throughput(tables: RegionTables, rows: int, distinct: int, naive_rows: int) -> dict:
    frame, specs = throughput_frame(tables, rows, distinct)
    # Start cold: no name keys cached from the quality run. The index is built outside the
    # timing (once per process in production too), which caches only the official names.
    name_key_for_level.cache_clear()
    tables.indexes.clear()
    build_index_once = harmonize_regions(frame.head(0), specs, tables)
    del build_index_once
    start = time.perf_counter()
    out = harmonize_regions(frame, specs, tables)
    vectorized_seconds = time.perf_counter() - start
    matched = int(out["region_code"].notna().sum())
    sample = frame.head(naive_rows)
    index = build_index(tables, max_level=3)
    start = time.perf_counter()
    naive = sample.apply(
        lambda row: _resolve_row((row["kabkota"], row["kecamatan"]), specs, index, "")[0], axis=1
    )
    naive_seconds = time.perf_counter() - start
    assert naive.tolist() == out["region_code"].head(naive_rows).tolist()
    vectorized_rate = rows / vectorized_seconds
    naive_rate = naive_rows / naive_seconds
    return {
        "rows": rows,
        "distinct_spellings": int(frame.drop_duplicates().shape[0]),
        "rows_matched": matched,
        "seconds": round(vectorized_seconds, 3),
        "rows_per_second": round(vectorized_rate),
        "naive_rows": naive_rows,
        "naive_seconds": round(naive_seconds, 3),
        "naive_rows_per_second": round(naive_rate),
        "speedup_vs_naive": round(vectorized_rate / naive_rate, 1),
    }


def _markdown(quality: dict, speed: dict) -> str:
    lines = [
        "# Region matching benchmark",
        "",
        "| category | items | labelled | matched | correct | wrong | review | precision | recall | Kota/Kab confusions |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, c in [*quality["categories"].items(), ("**total**", quality["total"])]:
        lines.append(
            f"| {name} | {c['items']} | {c['labelled']} | {c.get('matched', 0)} | {c.get('correct', 0)} | "
            f"{c.get('wrong', 0)} | {c.get('review', 0)} | {c['precision']:.2%} | {c['recall']:.2%} | "
            f"{c.get('kota_kabupaten_confusions', 0)} |"
        )
    lines += [
        "",
        f"Throughput: {speed['rows']:,} rows over {speed['distinct_spellings']:,} distinct spellings in "
        f"{speed['seconds']} s = **{speed['rows_per_second']:,} rows/s**; naive per-row apply on "
        f"{speed['naive_rows']:,} rows: {speed['naive_rows_per_second']:,} rows/s; "
        f"ratio **{speed['speedup_vs_naive']}x**.",
    ]
    if quality["wrong_examples"]:
        lines += [
            "",
            "Wrong matches (first 25):",
            "",
            *[f"- {w}" for w in quality["wrong_examples"]],
        ]
    return "\n".join(lines)


def run(rows: int, distinct: int, naive_rows: int, real_dir: Path) -> dict:
    reference = load_reference()
    tables = load_region_tables(reference, PROJECT_ROOT / "data" / "reference")
    items = synthetic_items(tables) + real_items(real_dir, tables)
    quality = evaluate(items, tables)
    speed = measure_throughput(tables, rows, distinct, naive_rows)
    result = {
        "quality": quality,
        "throughput": speed,
        "real_data_dir": str(real_dir) if real_dir.exists() else None,
    }
    markdown = _markdown(quality, speed)
    save("regions", result, markdown)
    print(markdown)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks regions")
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--distinct", type=int, default=20_000)
    parser.add_argument("--naive-rows", type=int, default=100_000)
    parser.add_argument("--real", type=Path, default=DEFAULT_REAL)
    args = parser.parse_args(argv)
    run(args.rows, args.distinct, args.naive_rows, args.real)
    return 0
