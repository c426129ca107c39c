"""Run every benchmark in tests/perf/ in turn (``make bench``)."""

from __future__ import annotations

import importlib
import pkgutil

from tests import perf


def main() -> None:
    for info in pkgutil.iter_modules(perf.__path__):
        if info.name.startswith("bench_"):
            print(f"\n=== {info.name} ===", flush=True)
            importlib.import_module(f"tests.perf.{info.name}").main()


if __name__ == "__main__":
    main()
