"""Demo data: a believable Brooklyn and Queens neighbourhood for local runs and screenshots.

* :mod:`places` — real ZIP codes and the neighbourhood names people use for them.
* :mod:`organizations` — eight local groups and the people who run them.
* :mod:`people` — 200 residents with varied, plausible profiles (pure, seeded).
* :mod:`opportunities` — about sixty opportunity definitions as plain data;
  :mod:`opportunity_rows` publishes them through the opportunities service.
* :mod:`history` — twelve weeks of past dates with attendance, so impact pages,
  dashboards, reliability and digests have something to show.
* :mod:`seed` — writes all of it in one transaction (``flask seed-demo``), then
  computes everyone's "For you" suggestions once.

Everything is deterministic: the same seed gives the same neighbourhood.
"""

from matchmaker.demo.seed import (
    DEMO_ADMIN_EMAIL,
    DEMO_PASSWORD,
    SeedReport,
    demo_logins,
    demo_present,
    seed_demo,
)

__all__ = [
    "DEMO_ADMIN_EMAIL",
    "DEMO_PASSWORD",
    "SeedReport",
    "demo_logins",
    "demo_present",
    "seed_demo",
]
