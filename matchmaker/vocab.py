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


# --- opportunities (issue 3) ----------------------------------------------------------

#: Accessibility an opportunity offers. Keys match ACCESS_NEEDS where they overlap,
#: so a resident who needs "step-free" finds places tagged "step-free".
ACCESS_TAGS: dict[str, str] = {
    "step-free": "Step-free access",
    "seated": "Can be done seated",
    "accessible-toilet": "Accessible toilet",
    "quiet": "Quiet setting",
    "large-print": "Large print or screen reader friendly",
}

#: What an opportunity asks of the body; residents with "no-heavy-lifting" avoid
#: "heavy-lifting".
DEMAND_TAGS: dict[str, str] = {
    "heavy-lifting": "Heavy lifting",
    "outdoors": "Outdoors in any weather",
    "standing": "Standing for a long time",
    "walking": "A lot of walking",
}

#: How many people an opportunity brings together (what an organizer picks).
OPPORTUNITY_FORMATS: dict[str, str] = {
    "one_on_one": "One-on-one",
    "small_group": "A small group",
    "big_group": "A big group",
    "solo": "On your own",
}

#: Kinds of opportunity, in the words an organizer reads.
OPPORTUNITY_KINDS: dict[str, str] = {
    "one_off": "A single date and time",
    "shifts": "Recurring shifts (every week or every month)",
    "small_act": "A small act people can do any time before a date",
}

#: How often recurring shifts repeat.
FREQUENCIES: dict[str, str] = {
    "weekly": "Every week",
    "monthly": "Every month",
}
