"""Importing opportunities from CSV files, with progress and a row-by-row report."""
