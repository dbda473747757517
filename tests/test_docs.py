"""The documentation builds without warnings (slow; needs the docs extra)."""

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _build_command(text):
    """The documented build command: the line that runs ``python -m sphinx``."""
    lines = [line.strip() for line in text.splitlines() if "python -m sphinx" in line]
    assert len(lines) == 1, lines
    return lines[0].removeprefix("cd docs && ")


def documented_build():
    """(environment, sphinx arguments) of the command docs/developers.rst gives.

    ``tests/test_docs_consistency.py`` checks that the README gives the same
    command; this test runs it, from a copy of the sources.
    """
    words = shlex.split(_build_command((ROOT / "docs" / "developers.rst").read_text()))
    env = dict(w.split("=", 1) for w in words if re.match(r"^[A-Z_]+=", w))
    command = words[len(env) :]
    assert command[:3] == ["python", "-m", "sphinx"] and command[-2:] == [".", "_build/html"]
    return env, command[3:-2]


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module)
    pytest.importorskip("matplotlib")
    documented_env, options = documented_build()
    env = dict(
        os.environ,
        MPLBACKEND="Agg",
        **documented_env,
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
    shutil.copy(ROOT / "CHANGELOG.md", src / "CHANGELOG.md")  # docs/changelog.rst
    out = tmp_path / "html"
    command = [*options, "-q", str(src / "docs"), str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-5000:]
    assert (out / "index.html").exists()
    assert (out / "user_guide" / "introduction.html").exists()
    assert "Unreleased" in (out / "changelog.html").read_text(encoding="utf-8")
    assert (out / "auto_examples" / "plot_font_latent.html").exists()
    assert (out / "generated" / "sklearn_ae.plotting.LatentSpaceDisplay.html").exists()
