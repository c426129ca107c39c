"""A person's rights over their own data: download all of it, or delete the account.

Modules: ``schema`` (which columns of which tables hold a person's id, found by
walking the models' metadata), ``export`` ("Download my data"), ``deletion``
("Delete my account"), ``views`` and ``forms`` (HTTP).
"""
