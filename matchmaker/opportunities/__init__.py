"""Posting opportunities: drafts, publishing, recurrence, copying, cancelling."""
