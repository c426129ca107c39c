"""slugify: organization names into stable, readable URL parts."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from matchmaker.orgs.services import slugify


@pytest.mark.parametrize("name, slug", [
    ("Park Slope Food Pantry", "park-slope-food-pantry"),
    ("Café Brooklyn Pantry!", "cafe-brooklyn-pantry"),
    ("  Friends of   the Park  ", "friends-of-the-park"),
    ("St. Mary's Soup Kitchen", "st-mary-s-soup-kitchen"),
    ("Crème Brûlée & Co.", "creme-brulee-co"),
    ("Straße Garten", "strasse-garten"),
    ("Søndre Ærø Hjælp", "sondre-aero-hjaelp"),
    ("Ages 8–12 Reading Club", "ages-8-12-reading-club"),
    ("---", "organization"),
    ("東京ボランティア", "organization"),
    ("", "organization"),
])
def test_examples(name, slug):
    assert slugify(name) == slug


def test_long_names_are_cut_to_120_characters_without_a_dangling_hyphen():
    assert len(slugify("word " * 100)) <= 120
    assert slugify("a" * 119 + " b") == "a" * 119


@given(st.text(max_size=300))
def test_always_url_safe_and_non_empty(name):
    slug = slugify(name)
    assert slug
    assert len(slug) <= 120
    assert all(ch in "abcdefghijklmnopqrstuvwxyz0123456789-" for ch in slug)
    assert not slug.startswith("-")
    assert "--" not in slug


@given(st.text(max_size=200))
def test_idempotent(name):
    assert slugify(slugify(name)) == slugify(name)
