"""Organizers' rosters per occurrence: who is coming, CSV export, emailing them."""
