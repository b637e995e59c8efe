"""Synthetic demo datasets for three fictional member organisations (see generate.py)."""
