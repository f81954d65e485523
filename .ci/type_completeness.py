"""Print pyright's type completeness of micrograd_plus and fail below a threshold.

Usage: python .ci/type_completeness.py [MIN_PERCENT]   (default 95)
``pyright --verifytypes`` measures what a user's type checker sees: the share of public
symbols whose type is known (annotated, or inferable from the code).
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

minimum = float(sys.argv[1]) if len(sys.argv) > 1 else 95.0
result = subprocess.run(
    ["pyright", "--verifytypes", "micrograd_plus", "--ignoreexternal", "--outputjson"],
    capture_output=True,
    text=True,
    # pyright finds the checkout this way whether or not (or however) it is installed
    env={**os.environ, "PYTHONPATH": str(ROOT)},
)
try:
    report = json.loads(result.stdout)
except json.JSONDecodeError:
    sys.exit(f"pyright gave no report:\n{result.stdout}\n{result.stderr}")
completeness = report["typeCompleteness"]
score = 100 * completeness["completenessScore"]
counts = completeness["exportedSymbolCounts"]
total = counts["withKnownType"] + counts["withAmbiguousType"] + counts["withUnknownType"]
print(
    f"pyright --verifytypes micrograd_plus: type completeness {score:.1f}% "
    f"({counts['withKnownType']} of {total} exported symbols known; minimum {minimum:g}%)"
)
unknown = [
    s["name"]
    for s in completeness["symbols"]
    if s.get("isExported") and not s.get("isTypeKnown") and not s.get("isTypeAmbiguous")
]
for name in unknown[:40]:
    print(f"  unknown type: {name}")
if len(unknown) > 40:
    print(f"  ... and {len(unknown) - 40} more")
sys.exit(0 if score >= minimum else 1)
