"""Sphinx configuration of the sklearn-ae documentation.

Environment switches (docs/developers.rst, "Building the docs"):

``SKLEARN_AE_DOCS_OFFLINE=1``
    Build without network: no intersphinx inventories are fetched (links
    into other projects' docs stay plain text) and the build prints no
    warning for them.
``SKLEARN_AE_GALLERY_PATTERN=REGEX``
    Run only the examples whose path matches REGEX (default: every
    ``plot_*.py``); the others still get a page, without outputs.
``SKLEARN_AE_REPOSITORY_URL=URL``
    Link the navigation bar to the source repository at URL (no link
    otherwise).
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import sys
import warnings
from pathlib import Path

import sklearn_ae

sys.path.insert(0, str(Path(__file__).parent / "_ext"))

OFFLINE = bool(os.environ.get("SKLEARN_AE_DOCS_OFFLINE"))
GALLERY_PATTERN = os.environ.get("SKLEARN_AE_GALLERY_PATTERN", r"/plot_")
REPOSITORY_URL = os.environ.get("SKLEARN_AE_REPOSITORY_URL", "").strip()

project = "sklearn-ae"
author = "sklearn-ae developers"
copyright = "sklearn-ae developers"
release = sklearn_ae.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "markdown_include",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
default_role = "literal"

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": True}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False

intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
}
# The build must work offline (CI machines, the docs test): a missing
# inventory only costs external links, so it is not an error.
intersphinx_timeout = 5
suppress_warnings = ["intersphinx.external"]
if OFFLINE:
    intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ae {release}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "icon_links": [],
}
if REPOSITORY_URL:
    html_theme_options["icon_links"].append(
        {
            "name": "Source repository",
            "url": REPOSITORY_URL,
            "icon": "fa-brands fa-github" if "github.com" in REPOSITORY_URL else "fa-brands fa-git-alt",
            "type": "fontawesome",
        }
    )

# The gallery runs every example unless SKLEARN_AE_GALLERY_PATTERN narrows
# it (a regex on the file path); the examples not run still get a page.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": GALLERY_PATTERN,
    "ignore_pattern": r"^quickstart\.py$",
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"sklearn_ae": None},
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_ae",),
    "remove_config_comments": True,
    "matplotlib_animations": False,
    # A cell's last expression is printed (``Out: Text(0.5, 1.0, ...)``);
    # the examples end cells with an assignment (tests/test_docs_consistency.py),
    # and the values of matplotlib calls and of displays are never shown.
    "ignore_repr_types": r"matplotlib[.]|sklearn_ae[.]plotting[.]",
}


def _skip_external_refs(app, env, node, contnode):
    """Offline, leave scikit-learn's glossary terms and labels unlinked.

    Docstrings inherited from scikit-learn (``set_output``,
    ``get_metadata_routing``) and ours (``:term:`fit```) point into
    scikit-learn's documentation, which only intersphinx can resolve.
    """
    if OFFLINE and node.get("reftype") in {"term", "ref"}:
        if node.get("refdoc", "").startswith("generated/"):
            return contnode
    return None


def setup(app):
    app.connect("missing-reference", _skip_external_refs)


# The gallery runs the examples on one thread. They are small work, which
# one thread does as fast as two on idle cores; on busy ones (CI, a laptop
# doing other work) threads that wait for each other made them many times
# slower (measured on 2 cores with another test run going: scikit-learn's
# MLPClassifier fit 1.2 s on one OpenBLAS thread, 11.8 s on two;
# plot_pretraining.py 23 s against 54 s). Results do not depend on it.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"
try:
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)
except ImportError:  # scikit-learn depends on it; kept safe all the same
    pass
import torch  # noqa: E402

torch.set_num_threads(1)

# Examples stop a short training early on purpose.
warnings.filterwarnings("ignore", message=".*hasn't converged yet.*")
