"""A labelled evaluation set of region strings, from the official list and from real files.

Every item is a tuple of region values (top level first), the specs that read them, and the
code a careful person would give it, or None when a person would say "ambiguous, ask". The
synthetic part writes each region the ways members do (types, abbreviations, suffix forms,
case, codes as text, integers and floats, typos, historic and BPS codes); the real part
takes region names and codes exactly as KawalPemilu 2024, Open Data Jabar and the
BPS↔Kemendagri bridging scrape publish them, read in place from the real-data folder.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from odc_pipeline.regions.names import parse_name
from odc_pipeline.regions.resolve import Spec
from odc_pipeline.regions.tables import RegionTables


@dataclass(frozen=True)
class EvalItem:
    category: str
    values: tuple[str, ...]
    specs: tuple[Spec, ...]
    expected: str | None


def _typo(rng: random.Random, text: str) -> str:
    """One realistic slip in the base name: a dropped, doubled or swapped letter."""
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    i = rng.choice(letters[len(letters) // 2 :])  # keep the type word intact
    kind = rng.choice(("drop", "double", "swap"))
    if kind == "drop":
        return text[:i] + text[i + 1 :]
    if kind == "double":
        return text[:i] + text[i] + text[i:]
    j = min(i + 1, len(text) - 1)
    return text[:i] + text[j] + text[i] + text[j + 1 :] if text[j].isalpha() else text


_COMPASS_ABBREVIATIONS = {
    "Selatan": "Sel.",
    "Utara": "Utr.",
    "Timur": "Tim.",
    "Barat": "Bar.",
    "Tengah": "Tng.",
    "Pusat": "Pst.",
}


def _older_spellings(name: str, kind: str, base: str) -> list[str]:
    """How old lists and members write a kabupaten/kota: `Kodya`/`Kotamadya` for a city, a
    compass word abbreviated at the end, `Administrasi` kept in Jakarta's types or written
    bare (KPU), and a long one-word name split in two (`Sawah Lunto`)."""
    short = "Kab." if kind == "kabupaten" else "Kota"
    variants = [f"Kodya {base}", f"Kotamadya {base.upper()}"] if kind == "kota" else []
    *head, last = base.split(" ")
    if head and last in _COMPASS_ABBREVIATIONS:
        variants.append(f"{short} {' '.join(head)} {_COMPASS_ABBREVIATIONS[last]}")
    if " Administrasi " in name:
        variants += [f"{short} Administrasi {base}", f"ADMINISTRASI {base.upper()}"]
    if " " not in base and len(base) >= 9:
        middle = len(base) // 2
        variants.append(f"{short} {base[:middle]} {base[middle:]}")
    return variants


def synthetic_items(tables: RegionTables, seed: int = 7) -> list[EvalItem]:
    rng = random.Random(seed)
    ref = tables.reference
    names = dict(zip(ref["region_code"], ref["name"], strict=True))
    items: list[EvalItem] = []
    province = (Spec("p", 1, "name"),)
    regency = (Spec("k", 2, "name"),)
    regency_code = (Spec("k", 2, "kemendagri"),)
    for code, name in ref.loc[ref["level"] == 1, ["region_code", "name"]].itertuples(index=False):
        for variant in (name, name.upper(), f"Prov. {name}", f"Provinsi {name.lower()}"):
            items.append(EvalItem("province name", (variant,), province, code))
        items.append(EvalItem("province code", (code,), (Spec("p", 1, "kemendagri"),), code))
    for alias, level, code in tables.aliases.loc[
        tables.aliases["source_id"] == "", ["alias", "level", "region_code"]
    ].itertuples(index=False):
        spec = province if level == 1 else regency
        items.append(EvalItem("alias", (alias,), spec, code))
    level2 = ref.loc[ref["level"] == 2, ["region_code", "name", "type"]]
    bases: dict[str, list[str]] = {}
    for code, name, _ in level2.itertuples(index=False):
        bases.setdefault(parse_name(name).base, []).append(code)
    for code, name, kind in level2.itertuples(index=False):
        base = name.split(" ", 1)[1].removeprefix("Administrasi ")
        short = "Kab." if kind == "kabupaten" else "Kota"
        variants = [
            name,
            name.upper(),
            f"{short} {base}",
            f"{short.rstrip('.')} {base.upper()}",
            f"{base}, {short}",
        ]
        for variant in variants:
            items.append(EvalItem("kabupaten/kota name", (variant,), regency, code))
        unique = len(bases[parse_name(name).base]) == 1
        items.append(
            EvalItem("bare kabupaten/kota name", (base,), regency, code if unique else None)
        )
        digits = code.replace(".", "")
        for variant in (code, digits, f"{digits}.0", f" {code} "):
            items.append(EvalItem("kabupaten/kota code", (variant,), regency_code, code))
        items.append(EvalItem("typo", (_typo(rng, f"{short} {base}"),), regency, code))
        for variant in _older_spellings(name, kind, base):
            items.append(
                EvalItem("old or abbreviated kabupaten/kota name", (variant,), regency, code)
            )
    level3 = ref.loc[ref["level"] == 3].sample(600, random_state=seed)
    for code, name, parent in level3[["region_code", "name", "parent_code"]].itertuples(
        index=False
    ):
        specs = (Spec("k", 2, "name"), Spec("c", 3, "name"))
        items.append(EvalItem("kecamatan in parent", (names[parent], f"Kec. {name}"), specs, code))
        items.append(
            EvalItem("kecamatan in parent", (names[parent].upper(), name.upper()), specs, code)
        )
        items.append(
            EvalItem(
                "kecamatan code", (code.replace(".", ""),), (Spec("c", 3, "kemendagri"),), code
            )
        )
    # Kecamatan whose official name starts with a level or type word (Kampung Laut, Kota
    # Bahagia): the word is part of the name, not to be dropped.
    worded = ref.loc[(ref["level"] == 3) & ref["name"].str.match(r"(Kampung|Kota|Desa) ")]
    for code, name, parent in worded[["region_code", "name", "parent_code"]].itertuples(
        index=False
    ):
        specs = (Spec("k", 2, "name"), Spec("c", 3, "name"))
        items.append(
            EvalItem(
                "kecamatan named with a level word", (names[parent], f"Kec. {name}"), specs, code
            )
        )
    level4 = ref.loc[ref["level"] == 4].sample(600, random_state=seed)
    for code, name, parent in level4[["region_code", "name", "parent_code"]].itertuples(
        index=False
    ):
        specs = (Spec("k", 2, "name"), Spec("c", 3, "name"), Spec("d", 4, "name"))
        kab = names[parent.rsplit(".", 1)[0]]
        items.append(EvalItem("desa in parents", (kab, names[parent], name), specs, code))
        items.append(
            EvalItem("desa code", (code.replace(".", ""),), (Spec("d", 4, "kemendagri"),), code)
        )
    historic = tables.historic.loc[tables.historic["level"] > 1].sample(300, random_state=seed)
    for old, new, level in historic[["old_code", "new_code", "level"]].itertuples(index=False):
        items.append(EvalItem("historic code", (old,), (Spec("x", int(level), "kemendagri"),), new))
    return items


def real_items(real_dir: Path, tables: RegionTables, seed: int = 7) -> list[EvalItem]:
    """Labelled strings from real public files; an absent folder gives no items."""
    known = set(tables.reference["region_code"])
    items: list[EvalItem] = []
    historic = dict(zip(tables.historic["old_code"], tables.historic["new_code"], strict=True))
    kp24 = real_dir / "kawalpemilu2024-kp24" / "tps.json"
    if kp24.exists():
        id2name = json.loads(kp24.read_text(encoding="utf-8"))["id2name"]

        def dotted(c: str) -> str:
            return ".".join(p for p in (c[0:2], c[2:4], c[4:6], c[6:10]) if p)

        kabs = [(c, n) for c, n in id2name.items() if len(c) == 4]
        for code, name in kabs:
            specs = (Spec("p", 1, "name"), Spec("k", 2, "name", untyped="kabupaten"))
            items.append(
                EvalItem(
                    "KawalPemilu 2024 kabupaten/kota",
                    (id2name[code[:2]], name),
                    specs,
                    dotted(code),
                )
            )
        rng = random.Random(seed)
        kecs = rng.sample([(c, n) for c, n in id2name.items() if len(c) == 6], 800)
        for code, name in kecs:
            specs = (Spec("k", 2, "name", untyped="kabupaten"), Spec("c", 3, "name"))
            items.append(
                EvalItem(
                    "KawalPemilu 2024 kecamatan", (id2name[code[:4]], name), specs, dotted(code)
                )
            )
        desas = rng.sample([(c, n) for c, n in id2name.items() if len(c) == 10], 800)
        for code, name in desas:
            specs = (
                Spec("k", 2, "name", untyped="kabupaten"),
                Spec("c", 3, "name"),
                Spec("d", 4, "name"),
            )
            values = (id2name[code[:4]], id2name[code[:6]], name)
            items.append(EvalItem("KawalPemilu 2024 desa", values, specs, dotted(code)))
    jabar = real_dir / "opendata-jabar" / "dpmdes-idm_sts_kejadian_pencemaran_air__des_kel_data.csv"
    if jabar.exists():
        frame = pd.read_csv(jabar, dtype=str).drop_duplicates("kemendagri_kode_desa_kelurahan")
        frame = frame.sample(800, random_state=seed)
        columns = [
            "bps_nama_kabupaten_kota",
            "kemendagri_nama_kecamatan",
            "kemendagri_nama_desa_kelurahan",
        ]
        for kab, kec, desa, code in frame[[*columns, "kemendagri_kode_desa_kelurahan"]].itertuples(
            index=False
        ):
            specs = (Spec("k", 2, "name"), Spec("c", 3, "name"), Spec("d", 4, "name"))
            items.append(EvalItem("Open Data Jabar desa", (kab, kec, desa), specs, code))
    bridging = real_dir / "bps-kemendagri-bridging" / "csv" / "kabkota.csv"
    if bridging.exists():
        frame = pd.read_csv(bridging, dtype=str)
        for bps, dagri in frame[["kode_bps", "kode_dagri"]].itertuples(index=False):
            code = f"{dagri[:2]}.{dagri[2:]}"
            items.append(
                EvalItem(
                    "BPS code (bridging scrape)",
                    (bps,),
                    (Spec("k", 2, "bps"),),
                    historic.get(code, code),
                )
            )
    # KawalPemilu 2024 follows the 2024 code set: where the 2025 decree gave a code to another
    # region (e.g. renumbered kecamatan in Papua Barat Daya), the label is outdated, not wrong.
    names = dict(zip(tables.reference["region_code"], tables.reference["name"], strict=True))

    def label_current(item: EvalItem) -> bool:
        if item.expected is None:
            return True
        if item.expected not in known:
            return False
        if not item.category.startswith("KawalPemilu"):
            return True
        level = item.specs[-1].level
        given, official = (
            parse_name(item.values[-1], typed=level == 2),
            parse_name(names[item.expected], typed=level == 2),
        )
        return given is not None and official is not None and given.base == official.base

    return [item for item in items if label_current(item)]
