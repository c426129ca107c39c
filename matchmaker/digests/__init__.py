"""Weekly digest emails: what goes in (compose), when (schedule), exactly once (sending)."""
