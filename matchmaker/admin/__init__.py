"""Platform administration: verifying organizations."""
