"""Groups an organization runs, and who belongs to them."""
