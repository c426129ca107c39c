"""Follow-through: what happens around an occurrence so people turn up and come back.

Before the event (reminders, passing a spot on, reliability-aware overbooking),
at the event (roster marking, self check-in) and the asks afterwards. Pure
modules (``reliability``, ``overbooking``) import neither Flask nor SQLAlchemy.
"""
