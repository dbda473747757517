"""Sphinx configuration of the sklearn-ae documentation."""

# SPDX-License-Identifier: BSD-3-Clause

import os
import warnings

import sklearn_ae

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
if os.environ.get("SKLEARN_AE_DOCS_OFFLINE"):
    intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-ae {release}"
html_static_path = []
html_theme_options = {"navigation_with_keys": False}

# The gallery runs every example unless SKLEARN_AE_GALLERY_PATTERN narrows
# it (a regex on the file path); the examples not run still get a page.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": os.environ.get("SKLEARN_AE_GALLERY_PATTERN", r"/plot_"),
    "ignore_pattern": r"^quickstart\.py$",
    "within_subsection_order": "FileNameSortKey",
    "reference_url": {"sklearn_ae": None},
    "backreferences_dir": "gen_modules/backreferences",
    "doc_module": ("sklearn_ae",),
    "remove_config_comments": True,
    "matplotlib_animations": False,
}



def _skip_external_refs(app, env, node, contnode):
    """Offline, leave scikit-learn's glossary terms and labels unlinked.

    Docstrings inherited from scikit-learn (``set_output``,
    ``get_metadata_routing``) and ours (``:term:`fit```) point into
    scikit-learn's documentation, which only intersphinx can resolve.
    """
    if os.environ.get("SKLEARN_AE_DOCS_OFFLINE") and node.get("reftype") in {"term", "ref"}:
        if node.get("refdoc", "").startswith("generated/"):
            return contnode
    return None


def setup(app):
    app.connect("missing-reference", _skip_external_refs)


# Examples stop a short training early on purpose.
warnings.filterwarnings("ignore", message=".*hasn't converged yet.*")
