"""Print the oldest versions that pyproject.toml declares, as pip pins.

``python .ci/min_versions.py`` prints e.g. ``numpy==1.24.0 torch==2.2.0 ...``
for every core dependency declared ``name>=version``: the floors that
``.ci/run`` installs and tests, as scikit-learn's min-dependencies job does.
"""

import re
import sys
from pathlib import Path

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = None

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"


def floors():
    text = PYPROJECT.read_text()
    if tomllib is not None:
        deps = tomllib.loads(text)["project"]["dependencies"]
    else:
        block = re.search(r"^dependencies = \[(.*?)\]", text, re.S | re.M).group(1)
        deps = re.findall(r'"([^"]+)"', block)
    pins = []
    for dep in deps:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][0-9a-zA-Z.]*)\s*", dep)
        if match is None:
            sys.exit(f"{dep!r} declares no floor (name>=version) to test")
        name, version = match.groups()
        if version.count(".") == 1:
            version += ".0"
        pins.append(f"{name}=={version}")
    return pins


if __name__ == "__main__":
    print(" ".join(floors()))
