"""Datasette's metadata for the audience files, made from the warehouse's own declarations:
each table's and view's description, each column's description and unit (the data
dictionary), Indonesian and English titles, facets and the canned queries."""

from __future__ import annotations

from odc_pipeline.serving.queries import CANNED_QUERIES
from odc_pipeline.warehouse.audiences import MEMBERS, PUBLIC, Audience
from odc_pipeline.warehouse.dictionary import dictionary_rows
from odc_pipeline.warehouse.dictionary_indonesian import INDONESIAN_UNITS
from odc_pipeline.warehouse.schema import warehouse_tables
from odc_pipeline.warehouse.views import VIEW_DESCRIPTIONS

#: Audiences Datasette serves: a private organisation's file stays with its organisation.
SERVED: tuple[Audience, ...] = (PUBLIC, MEMBERS)

#: Titles in Indonesian and English of what analysts open first.
TITLES = {
    "fact_election_results": ("Hasil pemilu", "Election results"),
    "results_by_place": ("Hasil pemilu per wilayah", "Results by place"),
    "fact_voter_counts": ("Jumlah pemilih (DPT)", "Registered voters"),
    "fact_polling_stations": ("TPS", "Polling stations"),
    "fact_incident_reports": ("Laporan pelanggaran", "Incident reports"),
    "fact_region_statistics": ("Statistik wilayah", "Region statistics"),
    "source_discrepancies": ("Perbedaan antarsumber", "Where sources disagree"),
    "region_summary": ("Rekap per wilayah", "Summary per region"),
    "region_totals": (
        "Jumlah suara per provinsi dan kabupaten/kota",
        "Totals per province and kabupaten/kota",
    ),
    "party_results": ("Suara partai", "Votes per party"),
    "party_results_by_dapil": ("Suara partai per dapil", "Votes per party and dapil"),
    "dapil_regions": ("Wilayah dapil", "Regions of each dapil"),
    "dim_region": ("Wilayah", "Regions"),
    "dim_source": ("Sumber data", "Data sources"),
    "dim_organization": ("Organisasi anggota", "Member organisations"),
    "dim_party": ("Partai", "Parties"),
    "dim_pair": ("Pasangan calon", "Presidential pairs"),
    "dim_candidate": ("Calon legislatif", "Legislative candidates"),
    "dim_dapil": ("Daerah pemilihan", "Electoral districts"),
    "quarantine": ("Baris yang disisihkan", "Rows set aside"),
    "meta_columns": ("Kamus data", "Data dictionary"),
    "bridge_dapil_region": (
        "Wilayah setiap dapil menurut sumber",
        "Regions of each dapil, by source",
    ),
    "region_review": ("Wilayah yang perlu ditinjau", "Regions to review"),
    "contestant_review": ("Partai dan paslon yang perlu ditinjau", "Parties and pairs to review"),
    "dim_election": ("Pemilu", "Elections"),
    "dim_party_ballot": ("Nomor urut partai", "Party ballot numbers"),
    "dim_region_split": ("Pemekaran wilayah", "Region splits"),
    "dapil_seats": ("Kursi per partai dan dapil", "Seats per party and dapil"),
    "seat_winners": ("Calon terpilih", "Seat winners"),
    "women_representation": ("Keterwakilan perempuan", "Women's representation"),
    "load_audit": ("Catatan pemuatan", "Load audit"),
    "dim_load": ("File yang dimuat", "Files loaded"),
    "release_changes": ("Perubahan antarrilis", "Changes between releases"),
}

#: What the tables analysts open first hold, in Indonesian (the English is the table's own
#: comment, declared with it in the schema).
DESCRIPTIONS_ID = {
    "fact_election_results": "Suara per partai atau calon per wilayah, dengan suara sah dan "
    "tidak sah wilayah itu; satu baris untuk setiap baris file sumber, dengan asal-usulnya.",
    "results_by_place": "Setiap hasil dengan nama wilayah dan provinsinya serta nama singkat "
    "partai.",
    "fact_voter_counts": "Jumlah pemilih terdaftar (DPT) per wilayah: laki-laki, perempuan "
    "dan total.",
    "fact_polling_stations": "TPS per desa/kelurahan dengan jumlah pemilih terdaftarnya.",
    "fact_incident_reports": "Laporan dugaan pelanggaran dan kejadian pemilu: tanggal, jam, "
    "kategori dan uraiannya; kontak pelapor adalah data pribadi dan tidak diterbitkan.",
    "fact_region_statistics": "Statistik wilayah (misalnya jumlah penduduk) per indikator "
    "dan tahun.",
    "source_discrepancies": "Wilayah dan calon yang perolehan suaranya berbeda antara dua "
    "sumber: kedua angka, selisihnya dan asal-usul masing-masing.",
    "region_summary": "Suara setiap sumber per wilayah, dijumlahkan ke setiap tingkat di atasnya.",
    "region_totals": "Suara setiap sumber per partai atau calon, dijumlahkan per provinsi "
    "(level 1) dan per kabupaten/kota (level 2) pada setiap penerbitan.",
    "party_results": "Suara per partai per wilayah dan sumber, apa pun cara sumber menulis "
    "nama partainya.",
    "party_results_by_dapil": "Suara per partai per dapil dan sumber.",
    "dapil_regions": "Kabupaten/kota setiap dapil, termasuk yang dimekarkan kemudian.",
    "dim_region": "Setiap wilayah di setiap tingkat (kode Kemendagri) dengan induknya.",
    "dim_source": "Setiap dataset yang terdaftar: lisensi, tingkat berbagi, status dan "
    "pemuatan terakhir yang berhasil.",
    "dim_organization": "Organisasi anggota.",
    "dim_party": "Setiap partai dengan party_id yang tetap, nama-namanya dan aliasnya.",
    "dim_pair": "Pasangan calon presiden dan wakil presiden setiap pemilu dengan nomor urutnya.",
    "dim_candidate": "Daftar calon tetap (DCT) anggota legislatif: siapa mencalonkan diri di "
    "mana untuk partai apa, dengan suara dan keterpilihannya; data pribadi calon tidak "
    "diterbitkan.",
    "dim_dapil": "Daerah pemilihan dengan jumlah kursinya.",
    "quarantine": "Baris yang disisihkan: nomor baris, kolom, nilai, aturan dan alasannya.",
    "meta_columns": "Kamus data: setiap kolom setiap tabel, artinya dan satuannya.",
    "bridge_dapil_region": "Kabupaten/kota (atau kecamatan, bila dapil membelah kabupaten) "
    "yang termasuk setiap dapil, dengan kode wilayah sekarang; satu baris untuk setiap baris "
    "sumber, dengan asal-usulnya.",
    "region_review": "Nilai wilayah yang perlu ditentukan atau dikonfirmasi, sekali per "
    "ejaan, dengan jumlah, contoh dan saran. Ekspor: odc regions review export FILE.csv",
    "contestant_review": "Nilai partai dan pasangan calon yang belum ditentukan oleh aturan "
    "mana pun, sekali per ejaan dan pemilu, dengan jumlah, contoh dan saran. Ekspor: odc "
    "contestants review export FILE.csv",
    "dim_election": "Pemilu umum dengan hari pemungutan suara dan pemilihannya.",
    "dim_party_ballot": "Nomor urut dan nama setiap partai di setiap pemilu.",
    "dim_region_split": "Kabupaten/kota yang dimekarkan dari wilayah lain: daftar dapil "
    "pemilu yang belum mengenalnya menempatkannya di dapil wilayah asalnya.",
    "dapil_seats": "Kursi per partai dan dapil menurut aturan pemilu itu "
    "(odc_pipeline.elections.seats).",
    "seat_winners": "Calon yang memperoleh kursi partainya (suara terbanyak lebih dulu), atau "
    "yang disebut terpilih oleh sumbernya.",
    "women_representation": "Perempuan di daftar calon setiap partai per dapil dan di antara "
    "calon terpilihnya.",
    "load_audit": "Per sumber dan run: baris masuk = baris terbit + baris dikarantina.",
    "dim_load": "Setiap file yang barisnya terbit, dan run yang menerbitkannya; baris fakta "
    "merujuk ke sini dengan load_id.",
    "release_changes": "Apa yang berubah sejak rilis sebelumnya, baris demi baris, dan "
    "mengapa. Untuk dua rilis mana pun: odc diff A B.",
}

#: Columns a reader filters on first, where a table has them.
FACETS = ("province", "election", "year", "contest", "party", "party_id", "source_id")


def _in_both(indonesian: str | None, english: str) -> str:
    """Indonesian first, then English, as every title and description is shown; the English
    alone where there is no Indonesian yet."""
    return f"{indonesian} / {english}" if indonesian else english


def _described(name: str, english: str) -> str:
    return _in_both(DESCRIPTIONS_ID.get(name), english)


def _title(name: str) -> str:
    indonesian, english = TITLES.get(name, (None, name))
    return _in_both(indonesian, english)


def _unit(unit: str | None) -> str:
    if not unit:
        return ""
    indonesian = INDONESIAN_UNITS.get(unit)
    label = "satuan / unit" if indonesian else "unit"
    return f" ({label}: {_in_both(indonesian, unit)})"


def _columns(table: str, rows: list[dict]) -> dict[str, str]:
    """Each column's description, in Indonesian then English, with its unit."""
    described = {}
    for row in rows:
        if row["table_name"] != table or not row["description"]:
            continue
        both = _in_both(row["description_indonesian"], row["description"])
        described[row["column_name"]] = both + _unit(row["unit"])
    return described


def datasette_metadata(licences: list[str]) -> dict:
    """The metadata document for `datasette --metadata`, for every served audience."""
    rows = dictionary_rows()
    tables: dict[str, dict] = {}
    for table in warehouse_tables():
        columns = {c.name for c in table.columns}
        tables[table.name] = {
            "title": _title(table.name),
            "description": _described(table.name, table.comment or ""),
            "columns": _columns(table.name, rows),
            "facets": [f for f in FACETS if f in columns][:3],
        }
    for view, description in VIEW_DESCRIPTIONS.items():
        tables[view] = {"title": _title(view), "description": _described(view, description)}
    tables["results_by_place"]["facets"] = ["province", "election", "party"]
    queries = {
        q.name: {"title": q.title, "description": q.description, "sql": q.sql}
        for q in CANNED_QUERIES
    }
    return {
        "title": "odc-pipeline: data pemilu gabungan / combined election data",
        "description": "Data shared by the member organisations, combined and harmonized. "
        "Read-only. The public file holds public sources; the members file also members-only "
        "sources. Each table says what its rows and columns hold.",
        "license": ", ".join(licences) or None,
        "databases": {
            audience.name: {
                "title": f"{audience.name}: "
                + ("sumber publik / public sources" if audience is PUBLIC else "anggota / members"),
                "tables": tables,
                "queries": queries,
            }
            for audience in SERVED
        },
    }
