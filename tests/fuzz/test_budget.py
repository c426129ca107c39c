"""Issue 7 asks for at least 10,000 generated inputs: the campaigns' budgets add up to that.

Each campaign asserts it really sent its budget, so when every fuzz test
passes, the inputs sent are at least this sum (the terminal summary prints
the actual count).
"""

from __future__ import annotations

import schemathesis

from tests.fuzz.targets import FORMS
from tests.fuzz.test_api import API
from tests.fuzz.test_queries import FILTER_CAMPAIGNS, PER_ROUTE, get_rules
from tests.fuzz.test_schemathesis import PER_OPERATION

REQUIRED = 10_000


def test_budgets_add_up_to_ten_thousand_inputs(app):
    operations = list(schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
                      .get_all_operations())
    budgets = {
        "forms": sum(t.budget for t in FORMS.values()),
        "api bodies": sum(t.budget for t in API.values()),
        "filters": sum(budget for _, _, budget in FILTER_CAMPAIGNS),
        "get routes": PER_ROUTE * len(get_rules(app)),
        "schemathesis": PER_OPERATION * len(operations),
    }
    total = sum(budgets.values())
    print(f"fuzz budget: {budgets} = {total}")
    assert total >= REQUIRED, budgets
