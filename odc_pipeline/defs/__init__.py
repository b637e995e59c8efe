"""Dagster wiring: assets, resources and checks built from the registry.

Only this package imports Dagster; the domain logic it calls is plain Python over pandas.
"""
