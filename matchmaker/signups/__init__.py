"""Signing up: seats, the waitlist, passing a spot on, commitments and calendars."""
