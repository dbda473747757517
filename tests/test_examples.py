"""Every script in examples/ runs headless from this checkout (slow),
within the time budget examples/README.txt states."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# examples/README.txt promises under 30 s on a 2-core machine (measured
# well below it); twice that leaves room for a slow or busy machine, so the
# check catches an example that grew, not a noisy one.
BUDGET_S = 60
# As the docs build runs them (docs/conf.py): one thread, which small work
# needs no more than, and which keeps busy cores from slowing them manyfold.
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def test_examples_are_found():
    names = {p.name for p in EXAMPLES}
    assert {"quickstart.py", "plot_quickstart.py", "plot_font_latent.py"} <= names


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(script, tmp_path):
    if script.name.startswith("plot_"):
        pytest.importorskip("matplotlib")
    env = dict(os.environ, MPLBACKEND="Agg", **ONE_THREAD)
    # Import sklearn_ae from this checkout, as an editable install would.
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
    )
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert elapsed < BUDGET_S, f"{script.name} ran {elapsed:.0f} s (budget {BUDGET_S} s)"
