"""A web table for people who do not write SQL: Datasette over the audience files, with the
data dictionary's titles, descriptions and units, facets and the club's canned questions."""
