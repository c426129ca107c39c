"""Real ZIP codes of north Brooklyn and western Queens, with the names people use.

Coordinates come from the ``zipcodes`` package (offline US ZIP centroids), so the
demo neighbourhood sits where it really is on a map.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import zipcodes

TIMEZONE = "America/New_York"


@dataclass(frozen=True)
class Neighbourhood:
    zip_code: str
    name: str
    borough: str
    #: Relative number of demo residents living here.
    weight: int

    @property
    def label(self) -> str:
        """What a resident's profile shows: "Park Slope, Brooklyn 11215"."""
        return f"{self.name}, {self.borough} {self.zip_code}"

    @property
    def centroid(self) -> tuple[float, float]:
        return zip_centroid(self.zip_code)


NEIGHBOURHOODS: tuple[Neighbourhood, ...] = (
    Neighbourhood("11215", "Park Slope", "Brooklyn", 14),
    Neighbourhood("11217", "Boerum Hill", "Brooklyn", 8),
    Neighbourhood("11238", "Prospect Heights", "Brooklyn", 10),
    Neighbourhood("11216", "Bedford-Stuyvesant", "Brooklyn", 7),
    Neighbourhood("11225", "Prospect Lefferts Gardens", "Brooklyn", 6),
    Neighbourhood("11226", "Flatbush", "Brooklyn", 6),
    Neighbourhood("11213", "Crown Heights", "Brooklyn", 7),
    Neighbourhood("11205", "Fort Greene", "Brooklyn", 6),
    Neighbourhood("11201", "Brooklyn Heights", "Brooklyn", 5),
    Neighbourhood("11231", "Carroll Gardens", "Brooklyn", 5),
    Neighbourhood("11218", "Kensington", "Brooklyn", 4),
    Neighbourhood("11211", "Williamsburg", "Brooklyn", 8),
    Neighbourhood("11222", "Greenpoint", "Brooklyn", 6),
    Neighbourhood("11237", "Bushwick", "Brooklyn", 5),
    Neighbourhood("11101", "Long Island City", "Queens", 8),
    Neighbourhood("11102", "Astoria", "Queens", 7),
    Neighbourhood("11103", "Astoria", "Queens", 5),
    Neighbourhood("11105", "Ditmars Steinway", "Queens", 4),
    Neighbourhood("11104", "Sunnyside", "Queens", 6),
    Neighbourhood("11377", "Woodside", "Queens", 5),
    Neighbourhood("11372", "Jackson Heights", "Queens", 7),
    Neighbourhood("11373", "Elmhurst", "Queens", 4),
    Neighbourhood("11385", "Ridgewood", "Queens", 4),
)

BY_ZIP: dict[str, Neighbourhood] = {n.zip_code: n for n in NEIGHBOURHOODS}


@cache
def zip_centroid(zip_code: str) -> tuple[float, float]:
    """(lat, lon) of a US ZIP code. Raises KeyError for a ZIP the package does not know."""
    matches = zipcodes.matching(zip_code)
    if not matches:
        raise KeyError(zip_code)
    return float(matches[0]["lat"]), float(matches[0]["long"])
