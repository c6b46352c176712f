"""Django's SQLite backend, told the real limit on query parameters.

Django assumes SQLite's historical 999 variables per statement, which splits a bulk insert of
1,000 mentions into ~35 statements; SQLite >= 3.32 allows 32,766 by default. We read the
limit of the SQLite library actually loaded.
"""

import sqlite3
from functools import cache

from django.db.backends.sqlite3 import base, features


@cache
def variable_limit() -> int:
    with sqlite3.connect(":memory:") as probe:
        return probe.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class DatabaseFeatures(features.DatabaseFeatures):
    @property
    def max_query_params(self) -> int:  # type: ignore[override]
        return variable_limit()


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
