"""bandit over the application code: no unresolved finding of medium or high severity or
confidence. A finding is resolved by fixing the code, or by ``# nosec BXXX - reason``
on its line, naming the one check it silences and saying why the code is safe.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["matchmaker", "workers"]
SERIOUS = {"MEDIUM", "HIGH"}
#: "# nosec B105 - the public prefix of every token": a check id, a dash, a reason.
NOSEC_WITH_REASON = re.compile(r"#\s*nosec\s+B\d{3}(,\s*B\d{3})*\s+-\s+\S.{10,}")


def _bandit() -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *SCANNED, "-f", "json", "-q"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert result.stdout, f"bandit printed no report: {result.stderr[-2000:]}"
    return json.loads(result.stdout)


def test_no_unresolved_medium_or_high_findings():
    report = _bandit()
    assert not report["errors"], report["errors"]
    assert report["metrics"]["_totals"]["loc"] > 1000, "bandit scanned (almost) nothing"
    unresolved = [f"{r['filename']}:{r['line_number']} {r['test_id']} "
                  f"({r['issue_severity']}/{r['issue_confidence']}) {r['issue_text']}"
                  for r in report["results"]
                  if r["issue_severity"] in SERIOUS or r["issue_confidence"] in SERIOUS]
    assert not unresolved, "fix these, or mark them '# nosec BXXX - why it is safe':\n" + \
        "\n".join(unresolved)


def test_every_nosec_names_its_check_and_a_reason():
    bare = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for folder in SCANNED for path in sorted((ROOT / folder).rglob("*.py"))
            for number, line in enumerate(path.read_text().splitlines(), start=1)
            if "nosec" in line and not NOSEC_WITH_REASON.search(line)]
    assert not bare, "a nosec needs a check id and a reason:\n" + "\n".join(bare)
