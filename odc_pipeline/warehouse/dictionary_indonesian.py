"""The data dictionary in Indonesian: what each column holds, for readers of the web table,
`meta_columns` and docs/data_dictionary.md who read Indonesian first.

Keyed by the English description, as a translation catalogue is: a description shared by
many columns (`source_id`, `region_code`, ...) is translated once, and a description changed
in its declaration no longer finds its old translation, so `test_dictionary` names it until
someone who reads Indonesian writes the new one. Units are translated the same way.
"""

from __future__ import annotations

#: Indonesian for each unit a declared column is counted in.
INDONESIAN_UNITS = {
    "votes": "suara",
    "voters": "pemilih",
    "ballots": "surat suara",
    "seats": "kursi",
}

#: Indonesian for each English column description of the data dictionary.
INDONESIAN_DESCRIPTIONS = {
    # Columns every fact table has: where the row came from and where it lies.
    "Election, e.g. pemilu or pilkada": "Jenis pemilihan, misalnya pemilu atau pilkada",
    "Year of the election (for statistics: the year measured)": "Tahun pemilihan (untuk "
    "statistik: tahun yang diukur)",
    "The parliament: dpr, dpd, dprd_provinsi or dprd_kabupaten_kota": "Lembaga yang dipilih: "
    "dpr, dpd, dprd_provinsi atau dprd_kabupaten_kota",
    "The dapil's code or number as the publisher writes it (dim_dapil.dapil or dapil_number)": (
        "Kode atau nomor dapil seperti yang ditulis penerbitnya (dim_dapil.dapil atau dapil_number)"
    ),
    "What the source says beyond the kind's columns, as JSON: columns it maps that the kind "
    "does not declare, and values as written before a recode (<column>_as_written)": (
        "Isi sumber di luar kolom jenis datanya, dalam JSON: kolom yang dipetakan sumber "
        "tetapi tidak dideklarasikan jenisnya, dan nilai sebagaimana tertulis sebelum "
        "dikode ulang (<kolom>_as_written)"
    ),
    "Current Kemendagri code (dim_region); today's codes joined by + for a region as it was "
    "before a split (region_method vintage)": (
        "Kode Kemendagri yang berlaku (dim_region); untuk wilayah sebagaimana sebelum "
        "pemekaran, kode-kode sekarang yang digabung dengan + (region_method vintage)"
    ),
    "1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan": "1 provinsi, "
    "2 kabupaten/kota, 3 kecamatan, 4 desa/kelurahan",
    "The region as the source wrote it": "Wilayah sebagaimana ditulis sumbernya",
    "code, historic_code, bps_code, name, alias or fuzzy; vintage: the region was larger in "
    "the source's code_vintage (region_rule names the regions made from it since); no_place: "
    "the row names no place (region 00)": (
        "code, historic_code, bps_code, name, alias atau fuzzy; vintage: wilayah itu lebih "
        "luas pada code_vintage sumbernya (region_rule menyebut wilayah yang dimekarkan "
        "darinya sejak itu); no_place: baris tidak menyebut tempat (wilayah 00)"
    ),
    "100 for exact matches; the fuzzy score otherwise": "100 untuk kecocokan persis; selain "
    "itu skor kemiripannya",
    "Which table and rule decided the region": "Tabel dan aturan yang menentukan wilayahnya",
    "Member organisation that shared the row": "Organisasi anggota yang membagikan baris ini",
    "Registry id of the dataset": "Id dataset di registri",
    "Row number in the original file (spreadsheet row, CSV line, JSON record)": "Nomor baris "
    "di file asli (baris lembar kerja, baris CSV, rekaman JSON)",
    "SHA-256 of the file the row was read from": "SHA-256 file tempat baris ini dibaca",
    "Member organisation (dim_organization)": "Organisasi anggota (dim_organization)",
    "Registered dataset (dim_source)": "Dataset yang terdaftar (dim_source)",
    # Review queues: values a steward decides.
    "candidate or party": "calon atau partai",
    "party or pair: what the value should name": "partai atau pasangan calon: apa yang "
    "seharusnya disebut nilai ini",
    "The election the value was looked for in": "Pemilu tempat nilai ini dicari",
    "The party or pair as written in the source": "Partai atau pasangan calon sebagaimana "
    "ditulis di sumber",
    "Rows carrying this value": "Jumlah baris yang memuat nilai ini",
    "First row numbers in the original file": "Nomor-nomor baris pertama di file asli",
    "Why, in plain words": "Alasannya, dalam kata-kata sederhana",
    "Closest parties or pairs with their scores": "Partai atau pasangan calon yang paling "
    "mirip, dengan skornya",
    "Dagster run that wrote the row": "Run Dagster yang menulis baris ini",
    # Seats and candidates.
    "The candidate list's source": "Sumber daftar calon",
    "Year of the election": "Tahun pemilu",
    "The dapil as dim_candidate writes it": "Dapil sebagaimana ditulis di dim_candidate",
    "dim_party, or the party as written": "dim_party, atau partai sebagaimana ditulis",
    "Election, e.g. pemilu": "Jenis pemilihan, misalnya pemilu",
    "The party's candidates' votes in the dapil": "Suara para calon partai itu di dapil",
    "Its share of all parties' votes nationally": "Bagiannya dari suara semua partai secara "
    "nasional",
    "Over the election's national threshold (DPR)": "Melewati ambang batas parlemen nasional "
    "pemilu itu (DPR)",
    "Seats by the election's rule, from these votes": "Kursi menurut aturan pemilu itu, "
    "dihitung dari suara ini",
    "Elected members the source names": "Anggota terpilih yang disebut sumber",
    "Electoral district (dapil) code as the source writes it": "Kode daerah pemilihan (dapil) "
    "sebagaimana ditulis sumber",
    "Party as the source names it (none for DPD)": "Partai sebagaimana disebut sumber "
    "(kosong untuk DPD)",
    "Position on the party's list in the dapil": "Nomor urut di daftar calon partai di dapil itu",
    "The publisher's id of the candidate (KPU's), when the source gives one": "Id calon dari "
    "penerbitnya (KPU), bila sumber memberikannya",
    "The candidate's name as on the ballot (public)": "Nama calon seperti di surat suara (publik)",
    "L (laki-laki, man) or P (perempuan, woman)": "L (laki-laki) atau P (perempuan)",
    "The candidate's valid votes": "Suara sah calon",
    "Whether the candidate won a seat": "Apakah calon memperoleh kursi",
    "The party (dim_party), where the row names one": "Partai (dim_party), bila baris ini "
    "menyebut partai",
    "The presidential pair (dim_pair) or legislative candidate, where the row names one": (
        "Pasangan calon presiden (dim_pair) atau calon legislatif, bila baris ini menyebutnya"
    ),
    "How the party or pair was decided: key, number or name; empty: kept as written (see "
    "contestant_review)": (
        "Cara partai atau pasangan calon ditentukan: key (kunci), number (nomor urut) atau "
        "name (nama); kosong: dibiarkan sebagaimana tertulis (lihat contestant_review)"
    ),
    "The dapil's name, e.g. ACEH I": "Nama dapil, misalnya ACEH I",
    "Another number the publisher gives the dapil (e.g. 1 to 77), when it has one": "Nomor "
    "lain yang diberikan penerbit kepada dapil (misalnya 1 sampai 77), bila ada",
    "Seats the dapil elects": "Jumlah kursi yang diperebutkan di dapil",
    # Elections, parties and pairs.
    "e.g. pemilu2019": "misalnya pemilu2019",
    "pemilu (general) or pilkada": "pemilu (umum) atau pilkada",
    "Voting day for the parliaments": "Hari pemungutan suara pemilu legislatif",
    "Voting day for president (first round)": "Hari pemungutan suara pemilu presiden "
    "(putaran pertama)",
    "The races held, space-separated": "Pemilihan yang diselenggarakan, dipisah spasi",
    "The law the election was held under": "Undang-undang yang menjadi dasar pemilu itu",
    "Name": "Nama",
    "Website": "Situs web",
    "e.g. paslon_2019_01": "misalnya paslon_2019_01",
    "Its number on the ballot": "Nomor urutnya di surat suara",
    "Candidate for president": "Calon presiden",
    "Candidate for vice president": "Calon wakil presiden",
    "The name it is best known by": "Nama yang paling dikenal",
    "Other names it is written by, |-separated": "Nama-nama lain yang dipakai untuk menulisnya, "
    "dipisah |",
    "Stable across elections": "Tetap sama dari pemilu ke pemilu",
    "The party's current official name": "Nama resmi partai saat ini",
    "national, or aceh for Aceh local parties": "national (nasional), atau aceh untuk partai "
    "lokal Aceh",
    "Its number on that ballot": "Nomor urutnya di surat suara pemilu itu",
    "dim_party": "dim_party",
    "Its name in that election": "Namanya pada pemilu itu",
    # Regions.
    "Dotted Kemendagri code, e.g. 32.04; for a region as it was before a split, today's codes "
    "that make it joined by +, e.g. 91+93+94+95 (type wilayah_lama)": (
        "Kode Kemendagri bertitik, misalnya 32.04; untuk wilayah sebagaimana sebelum "
        "pemekaran, kode-kode sekarang yang membentuknya digabung dengan +, misalnya "
        "91+93+94+95 (type wilayah_lama)"
    ),
    "Official name (Kepmendagri 300.2.2-2138/2025)": "Nama resmi (Kepmendagri 300.2.2-2138/2025)",
    "1 provinsi, 2 kabupaten/kota, 3 kecamatan, 4 desa": "1 provinsi, 2 kabupaten/kota, "
    "3 kecamatan, 4 desa",
    "provinsi, kabupaten, kota, kecamatan, distrik, desa, kelurahan, desa_adat; luar_negeri "
    "for KPU's overseas electoral area 99; nasional for 00, a row about no place in "
    "particular; wilayah_lama for a region as it was before a split (a source's "
    "code_vintage)": (
        "provinsi, kabupaten, kota, kecamatan, distrik, desa, kelurahan, desa_adat; "
        "luar_negeri untuk wilayah pemilihan luar negeri KPU (99); nasional untuk 00, baris "
        "yang tidak menyangkut tempat tertentu; wilayah_lama untuk wilayah sebagaimana "
        "sebelum pemekaran (code_vintage sumber)"
    ),
    "Code of the region one level up": "Kode wilayah satu tingkat di atasnya",
    "Kemendagri code of the province the region lies in": "Kode Kemendagri provinsi tempat "
    "wilayah itu berada",
    "Today's code of the new region": "Kode sekarang wilayah baru itu",
    "Today's code of the region it was split from": "Kode sekarang wilayah induk asal pemekarannya",
    "Year of the law creating it": "Tahun undang-undang pembentukannya",
    "Its official name": "Nama resminya",
    "Where it came from, in words": "Asal-usulnya, dalam kata-kata",
    # Sources.
    "Dataset kind: election_results, voter_counts, polling_stations, incident_reports, "
    "region_statistics, candidate_lists, electoral_districts, dapil_regions": (
        "Jenis dataset: election_results (hasil pemilu), voter_counts (jumlah pemilih), "
        "polling_stations (TPS), incident_reports (laporan pelanggaran), region_statistics "
        "(statistik wilayah), candidate_lists (daftar calon), electoral_districts (dapil), "
        "dapil_regions (wilayah dapil)"
    ),
    "The dataset's description": "Keterangan dataset",
    "File format: csv, xlsx, xls, json, jsonl": "Format file: csv, xlsx, xls, json, jsonl",
    "Where the file is read from (path relative to the registry, or URL)": "Tempat file "
    "dibaca (path relatif terhadap registri, atau URL)",
    "Licence under which the member shares the dataset": "Lisensi yang dipakai anggota untuk "
    "membagikan dataset",
    "public, members or private": "public (publik), members (anggota) atau private (pribadi)",
    "current; stale: the latest run could not use its file or registry entry (the last good "
    "load stays); not_published: no run has published it yet": (
        "current (terkini); stale: run terakhir tidak dapat memakai file atau entri "
        "registrinya (muatan baik terakhir tetap dipakai); not_published: belum ada run yang "
        "menerbitkannya"
    ),
    "Why the latest run held the source back, and what to do": "Mengapa run terakhir menahan "
    "sumber ini, dan apa yang perlu dilakukan",
    "When the published rows were loaded": "Kapan baris yang terbit dimuat",
    "Run that published the rows now in the warehouse": "Run yang menerbitkan baris yang kini "
    "ada di gudang data",
    "SHA-256 of the file the published rows came from (the latest year's, for a source with "
    "one file per year; each fact row's own is in dim_load)": (
        "SHA-256 file asal baris yang terbit (file tahun terakhir, untuk sumber dengan satu "
        "file per tahun; file setiap baris fakta ada di dim_load)"
    ),
    "The file the row was read from and the run that published it (dim_load)": (
        "File tempat baris ini dibaca dan run yang menerbitkannya (dim_load)"
    ),
    "The key fact rows carry: the same for the same source and file in every run": (
        "Kunci yang dibawa baris fakta: sama untuk sumber dan file yang sama di setiap run"
    ),
    "SHA-256 of the file": "SHA-256 file tersebut",
    "Dagster run that published its rows": "Run Dagster yang menerbitkan baris-barisnya",
    "The registry entry this source is one province's file of (an entry with provinces), e.g. "
    "rekap_tps_dpr for rekap_tps_dpr_31; empty for a source of one file. GROUP BY part_of adds "
    "a split entry's provinces up": (
        "Entri registri yang salah satu file provinsinya adalah sumber ini (entri dengan "
        "provinsi), misalnya rekap_tps_dpr untuk rekap_tps_dpr_31; kosong untuk sumber satu "
        "file. GROUP BY part_of menjumlahkan provinsi-provinsi entri yang terbagi"
    ),
    # Facts.
    "The race: president, a parliament (DPR, DPD, DPRD) or a regional head": "Pemilihannya: "
    "presiden, lembaga perwakilan (DPR, DPD, DPRD) atau kepala daerah",
    "Party or candidate (pair) as the source names it": "Partai atau calon (pasangan calon) "
    "sebagaimana disebut sumber",
    "The candidate's party as the source names it, where a source gives candidates and "
    "parties apart": (
        "Partai calon sebagaimana disebut sumber, bila sumber memisahkan calon dan partai"
    ),
    "Electoral district (dapil) as the source writes it (code, number or name), when it "
    "reports per dapil": (
        "Daerah pemilihan (dapil) sebagaimana ditulis sumber (kode, nomor atau nama), bila "
        "sumber melapor per dapil"
    ),
    "Votes for the party or candidate": "Suara untuk partai atau calon",
    "Valid ballots in the region, when the source gives them": "Suara sah di wilayah itu, "
    "bila sumber memberikannya",
    "Invalid ballots in the region, when the source gives them": "Suara tidak sah di wilayah "
    "itu, bila sumber memberikannya",
    "Polling station (TPS) number, when the source reports per station": "Nomor tempat "
    "pemungutan suara (TPS), bila sumber melapor per TPS",
    "The dapil the row lies in (dim_dapil.dapil), from its dapil column or its region "
    "(bridge_dapil_region); empty where no dapil list covers the contest": (
        "Dapil tempat baris ini berada (dim_dapil.dapil), dari kolom dapilnya atau dari "
        "wilayahnya (bridge_dapil_region); kosong bila tidak ada daftar dapil untuk "
        "pemilihan itu"
    ),
    "Date of the incident": "Tanggal kejadian",
    "Time of day of the incident, HH:MM (24-hour), when the report gives one: from its own "
    "column, or written after the date in the date's cell": (
        "Jam kejadian, JJ:MM (24 jam), bila laporan memberikannya: dari kolomnya sendiri, "
        "atau ditulis setelah tanggal di sel tanggal"
    ),
    "Incident category": "Kategori kejadian",
    "The incident as reported": "Kejadian sebagaimana dilaporkan",
    "The reporting organisation's own id for the report": "Id laporan dari organisasi "
    "pelapor sendiri",
    "Salted SHA-256 (ODC_HASH_SALT) of reporter_contact, The reporter's phone or e-mail; the "
    "value itself is never stored": (
        "SHA-256 bergaram (ODC_HASH_SALT) dari reporter_contact, nomor telepon atau surel "
        "pelapor; nilainya sendiri tidak pernah disimpan"
    ),
    "TPS number as written, e.g. 001": "Nomor TPS sebagaimana tertulis, misalnya 001",
    "Registered voters (DPT) of the polling station": "Jumlah pemilih terdaftar (DPT) di TPS itu",
    "What is measured, e.g. jumlah_penduduk": "Apa yang diukur, misalnya jumlah_penduduk",
    "The part of the region's population measured (e.g. LAKI-LAKI), or a status": "Bagian "
    "penduduk wilayah yang diukur (misalnya LAKI-LAKI), atau suatu status",
    "The figure, in `unit`": "Angkanya, dalam `unit`",
    "As the source gives it, e.g. JIWA or RIBU JIWA": "Sebagaimana diberikan sumber, misalnya "
    "JIWA atau RIBU JIWA",
    "Registered male voters": "Pemilih terdaftar laki-laki",
    "Registered female voters": "Pemilih terdaftar perempuan",
    "As the source gives it (checked = male + female)": "Sebagaimana diberikan sumber "
    "(diperiksa = laki-laki + perempuan)",
    # Loads and rows set aside.
    "Data rows read from the file": "Baris data yang dibaca dari file",
    "Rows published to the fact table": "Baris yang diterbitkan ke tabel fakta",
    "Rows set aside in quarantine": "Baris yang disisihkan ke karantina",
    "published, or failed: the last good load stays": "published (terbit), atau failed "
    "(gagal): muatan baik terakhir tetap dipakai",
    "Why a failed source was held back, in plain words": "Mengapa sumber yang gagal ditahan, "
    "dalam kata-kata sederhana",
    "When the run published": "Kapan run itu menerbitkan",
    "The odc-pipeline version that published the load, and a digest of the code that added "
    "up its totals and derived its dapil and seats": "Versi odc-pipeline yang menerbitkan "
    "muatan ini, beserta sidik (digest) kode yang menjumlahkan totalnya serta menurunkan "
    "dapil dan kursinya",
    "Canonical column the problem is in": "Kolom baku tempat masalahnya",
    "The value as found in the file": "Nilai sebagaimana ditemukan di file",
    "The rule that failed (pandera check name or project rule)": "Aturan yang dilanggar "
    "(nama pemeriksaan pandera atau aturan proyek)",
    "What was wrong and what was expected, in plain words": "Apa yang salah dan apa yang "
    "diharapkan, dalam kata-kata sederhana",
    "The whole row as JSON, so nothing is lost": "Seluruh baris dalam JSON, agar tidak ada "
    "yang hilang",
    "The column the problem or value is in": "Kolom tempat masalah atau nilai itu",
    "Administrative level of the column": "Tingkat administratif kolom itu",
    "kemendagri, bps or name": "kemendagri, bps atau name (nama)",
    "The region as written in the source": "Wilayah sebagaimana ditulis di sumber",
    "The matched parent the value was looked for in": "Wilayah induk yang cocok, tempat "
    "nilai itu dicari",
    "decide (no region) or confirm (fuzzy match)": "decide (tentukan: tidak ada wilayah) "
    "atau confirm (konfirmasi: kecocokan mirip)",
    "Closest official regions with their scores": "Wilayah resmi yang paling mirip, dengan skornya",
    "The fuzzy match to confirm": "Kecocokan mirip yang perlu dikonfirmasi",
    "Fuzzy score of the match to confirm": "Skor kemiripan kecocokan yang perlu dikonfirmasi",
    # Totals.
    "The race, as in the results": "Pemilihannya, seperti di hasil pemilu",
    "1 provinsi, 2 kabupaten/kota": "1 provinsi, 2 kabupaten/kota",
    "The province or kabupaten/kota (dim_region) the rows lie in": "Provinsi atau "
    "kabupaten/kota (dim_region) tempat baris-baris itu berada",
    "Party or candidate as the source names it": "Partai atau calon sebagaimana disebut sumber",
    "The party (dim_party), where the rows name one": "Partai (dim_party), bila baris-baris "
    "itu menyebut partai",
    "The pair or candidate, where the rows name one": "Pasangan calon atau calon, bila "
    "baris-baris itu menyebutnya",
    "Sum of the source's votes there": "Jumlah suara sumber itu di sana",
    "Result rows added up (stations, places)": "Jumlah baris hasil yang dijumlahkan (TPS, tempat)",
    "Deepest level the source reports at there (4: desa or its stations)": "Tingkat terdalam "
    "yang dilaporkan sumber di sana (4: desa atau TPS-nya)",
    # Releases.
    "The release the change is in": "Rilis yang memuat perubahan ini",
    "The release compared to": "Rilis pembandingnya",
    "Published table of the row": "Tabel terbit tempat baris itu",
    "Election year of the row": "Tahun pemilu baris itu",
    "Region of the row (dim_region)": "Wilayah baris itu (dim_region)",
    "The rest of what names the row, as JSON: election, contest, candidate or party": "Sisa "
    "penanda baris itu, dalam JSON: pemilu, pemilihan, calon atau partai",
    "added, removed or changed": "added (ditambah), removed (dihapus) atau changed (diubah)",
    "For changed: the column whose value changed": "Untuk changed: kolom yang nilainya berubah",
    "changed: the value before; removed: the row's values as JSON": "changed: nilai "
    "sebelumnya; removed: nilai-nilai baris itu dalam JSON",
    "changed: the value now; added: the row's values as JSON": "changed: nilai sekarang; "
    "added: nilai-nilai baris itu dalam JSON",
    "What the pipeline knows changed: the source's file (its SHA-256), its registry entry, a "
    "steward's review decision or a reference update": (
        "Yang diketahui pipeline telah berubah: file sumber (SHA-256-nya), entri "
        "registrinya, keputusan peninjauan pengelola data, atau pembaruan tabel rujukan"
    ),
    # Seat winners and women's representation.
    "The candidate (dim_candidate.candidate_id)": "Calon (dim_candidate.candidate_id)",
    "L (man) or P (woman)": "L (laki-laki) atau P (perempuan)",
    "Position on the party list": "Nomor urut di daftar calon partai",
    "The candidate's votes": "Suara calon",
    "Takes a seat by the rule": "Memperoleh kursi menurut aturan",
    "Elected as the source says": "Terpilih menurut sumber",
    "Candidates on the list": "Jumlah calon di daftar",
    "Women on the list": "Jumlah perempuan di daftar",
    "Women ÷ candidates": "Perempuan ÷ calon",
    "At least 30% of the list are women": "Sedikitnya 30% calon di daftar adalah perempuan",
    "A woman in positions 1-3, 4-6, …": "Ada perempuan di nomor urut 1-3, 4-6, …",
    "Both rules of UU 7/2017 art. 245-246": "Kedua aturan UU 7/2017 pasal 245-246 terpenuhi",
    "Elected members of the list (as the source says)": "Anggota terpilih dari daftar itu "
    "(menurut sumber)",
    "Women among them": "Perempuan di antara mereka",
}
