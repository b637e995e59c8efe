"""Province maps: boundaries read from a GeoJSON file and matched to Kemendagri codes by name
(through the region harmonizer, like any source), drawn as choropleths with matplotlib."""
