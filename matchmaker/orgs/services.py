"""Organization rules: creating, editing, membership, invitations, verification."""

from __future__ import annotations

import re
import unicodedata


def slugify(name: str) -> str:
    """'Café Brooklyn Pantry!' -> 'cafe-brooklyn-pantry'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:120] or "organization"
