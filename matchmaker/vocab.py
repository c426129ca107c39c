"""The curated vocabularies residents and organizers choose from.

Kept small and in plain words on purpose: a resident picks from a short list
instead of typing tags, so matching compares like with like. Keys are stored in
the database; labels are what people read.
"""

from __future__ import annotations

CAUSES: dict[str, str] = {
    "food-security": "Food security",
    "older-people": "Older people",
    "children-youth": "Children and youth",
    "environment": "Environment",
    "animals": "Animals",
    "health": "Health",
    "arts-culture": "Arts and culture",
    "neighbourhood": "Neighbourhood",
    "refugees-newcomers": "Refugees and newcomers",
    "disaster-readiness": "Disaster readiness",
    "education-literacy": "Education and literacy",
    "homelessness": "Homelessness",
    "disability": "Disability inclusion",
    "mental-health": "Mental health and loneliness",
    "sports-recreation": "Sports and recreation",
    "civic": "Civic life",
    "faith-community": "Faith communities",
    "lgbtq": "LGBTQ+ community",
    "veterans": "Veterans",
    "technology": "Digital help",
}

SKILLS: dict[str, str] = {
    "cooking": "Cooking",
    "driving": "Driving",
    "gardening": "Gardening",
    "listening": "Listening and conversation",
    "teaching": "Teaching and tutoring",
    "languages": "Languages and translation",
    "admin": "Office and admin",
    "computers": "Computers and phones",
    "crafts": "Crafts and making",
    "diy": "Repairs and DIY",
    "first-aid": "First aid",
    "music": "Music",
    "photography": "Photography",
    "organising": "Organising events",
    "lifting": "Lifting and carrying",
    "writing": "Writing",
}

SOCIAL_FORMATS: dict[str, str] = {
    "any": "Any of these is fine",
    "one_on_one": "One-on-one",
    "small_group": "A small group",
    "big_group": "A big group",
    "solo_remote": "On my own or from home",
}

ACCESS_NEEDS: dict[str, str] = {
    "step-free": "Step-free access",
    "seated": "Something I can do seated",
    "no-heavy-lifting": "No heavy lifting",
}

WEEKDAYS: list[str] = [
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
]


def labels(vocabulary: dict[str, str], keys: list[str]) -> list[str]:
    """Readable labels for stored keys, skipping any key that left the vocabulary."""
    return [vocabulary[k] for k in keys if k in vocabulary]
