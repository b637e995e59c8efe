"""Infographics for campaigning: a view of an audience file as a titled PNG and SVG that
carries its sources' organisations and licences, the release and the date."""
