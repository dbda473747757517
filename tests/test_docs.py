"""The documentation builds without warnings (slow; needs the docs extra)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module)
    pytest.importorskip("matplotlib")
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        SKLEARN_AE_DOCS_OFFLINE="1",
        # Every example is run by tests/test_examples.py; executing the
        # fastest one checks the gallery machinery and keeps this short.
        SKLEARN_AE_GALLERY_PATTERN=r"/plot_font_latent\.py$",
        PYTHONPATH=os.pathsep.join(
            p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p
        ),
    )
    # Sphinx writes the gallery and the autosummary pages next to the sources:
    # build from a copy so the checkout stays clean.
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "docs",
        src / "docs",
        ignore=shutil.ignore_patterns("_build", "auto_examples", "generated", "gen_modules"),
    )
    shutil.copytree(ROOT / "examples", src / "examples")
    out = tmp_path / "html"
    command = ["-W", "--keep-going", "-b", "html", "-q", str(src / "docs"), str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert (out / "index.html").exists()
    assert (out / "auto_examples" / "plot_font_latent.html").exists()
    assert (out / "generated" / "sklearn_ae.plotting.LatentSpaceDisplay.html").exists()
