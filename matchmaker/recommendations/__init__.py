"""Recommendations: the matcher's output stored per resident, and the "For you" page.

``adapter`` turns rows into ``matchmaker.matching`` values, ``store`` writes the
results in bulk, ``queries`` reads them back, ``services`` ties the three
together for the jobs; ``views`` is the page.
"""
