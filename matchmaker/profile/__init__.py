"""A resident's profile: what they care about, when they are free, how far they go."""
