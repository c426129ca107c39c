"""Organizer and admin dashboards: the follow-through figures, defined once.

``definitions`` (pure) says what every figure means and does the arithmetic,
``chart`` (pure) draws the cohort chart as SVG, ``queries`` counts in SQL, and
``views`` serves the pages and their CSV downloads.
"""
