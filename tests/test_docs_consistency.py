"""The README, the user guide and the examples agree with the code (fast).

These read text files and import the package; nothing is trained and no
docs are built (``tests/test_docs.py`` builds them, in the slow suite).
"""

import ast
import builtins
import importlib
import importlib.util
import io
import re
import shlex
from pathlib import Path

import pytest

import sklearn_ae

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
# Sphinx sources written by hand (not the pages Sphinx generates).
DOC_PAGES = sorted(
    p
    for p in DOCS.rglob("*.rst")
    if not {"_build", "_templates", "generated", "auto_examples", "gen_modules"} & set(p.parts)
    and p.name != "sg_execution_times.rst"  # written by sphinx-gallery's build
)
# Labels that pages, docstrings or bookmarks refer to: kept when the user
# guide was split into pages.
KEPT_LABELS = {
    "conv",
    "datasets",
    "code_size",
    "incremental",
    "speed",
    "sparse_input",
    "scaling_out",
}
# Top-level names that resolve in other projects' docs (intersphinx).
EXTERNAL = (
    "sklearn.",
    "skorch.",
    "torch.",
    "numpy.",
    "scipy.",
    "matplotlib.",
    "pandas.",
    "joblib.",
    "dask",
    "warnings.",
)
ROLE = re.compile(r":(class|func|meth|attr|mod|exc|obj):`([^`]+)`")
REF = re.compile(r":ref:`([^`]+)`")
DOC = re.compile(r":doc:`([^`]+)`")
LABEL = re.compile(r"^\.\. _([^:]+):\s*$", re.M)
MODULE = re.compile(r"^\.\. (?:current)?module:: (\S+)", re.M)


def _target(text):
    """The target of a role's text: ``title <target>`` or ``~target``."""
    match = re.match(r"^.*<([^>]+)>$", text, re.S)
    target = match.group(1) if match else text
    return target.strip().lstrip("~").lstrip(".")


def _resolve(dotted):
    """The object a dotted name names, or None."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _documented_text():
    """(path, text) of every hand-written page and example."""
    return [(p, p.read_text(encoding="utf-8")) for p in [*DOC_PAGES, *EXAMPLES]]


def test_readme_names_every_display():
    text = README.read_text(encoding="utf-8")
    match = re.search(r"`sklearn_ae\.plotting` has [^(]*\(([^)]*)\)", text)
    assert match, "README no longer lists the displays of sklearn_ae.plotting"
    named = re.findall(r"`(\w+)`", match.group(1))
    plotting = importlib.import_module("sklearn_ae.plotting")
    assert sorted(named) == sorted(plotting.__all__)


def test_user_guide_names_every_display():
    text = (DOCS / "user_guide" / "plotting.rst").read_text(encoding="utf-8")
    plotting = importlib.import_module("sklearn_ae.plotting")
    named = set(re.findall(r":class:`~plotting\.(\w+)`", text))
    assert named == set(plotting.__all__)


def test_api_reference_lists_every_public_name():
    text = (DOCS / "api.rst").read_text(encoding="utf-8")
    listed = set(re.findall(r"^   (\w+)$", text, re.M))
    plotting = importlib.import_module("sklearn_ae.plotting")
    datasets = importlib.import_module("sklearn_ae.datasets")
    public = set(sklearn_ae.__all__) - {"__version__"}
    public |= set(plotting.__all__) | set(datasets.__all__)
    assert public <= listed, sorted(public - listed)


@pytest.mark.parametrize("path", [*DOC_PAGES, *EXAMPLES], ids=lambda p: p.name)
def test_python_roles_name_objects_that_exist(path):
    """Every :class:/:func:/... of this package in the docs names a real object."""
    text = path.read_text(encoding="utf-8")
    missing = []
    # The current module of each position, from the (current)module lines.
    modules = [(m.start(), m.group(1)) for m in MODULE.finditer(text)]
    for match in ROLE.finditer(text):
        target = _target(match.group(2))
        if target.startswith(EXTERNAL) or ("." not in target and hasattr(builtins, target)):
            continue
        current = "sklearn_ae"
        for position, module in modules:
            if position < match.start():
                current = module
        if target.startswith("sklearn_ae"):
            candidates = [target]
        else:
            candidates = [f"{current}.{target}", f"sklearn_ae.{target}"]
        if all(_resolve(name) is None for name in candidates):
            missing.append(match.group(0))
    assert not missing, f"{path.name}: {missing}"


def test_ref_labels_exist():
    """Every :ref: of the docs, the examples and the docstrings has a target."""
    labels = set()
    for page in DOC_PAGES:
        labels |= set(LABEL.findall(page.read_text(encoding="utf-8")))
    assert KEPT_LABELS <= labels, sorted(KEPT_LABELS - labels)
    gallery = {f"sphx_glr_auto_examples_{p.name}" for p in EXAMPLES}
    sources = _documented_text() + [
        (p, p.read_text(encoding="utf-8")) for p in (ROOT / "sklearn_ae").rglob("*.py")
    ]
    missing = []
    for path, text in sources:
        for match in REF.finditer(text):
            label = _target(match.group(1))
            if label not in labels and label not in gallery:
                missing.append(f"{path.name}: {match.group(0)}")
    assert not missing, missing


def test_doc_links_exist():
    missing = []
    for page in DOC_PAGES:
        for match in DOC.finditer(page.read_text(encoding="utf-8")):
            target = _target(match.group(1))
            base = DOCS if target.startswith("/") else page.parent
            if not (base / f"{target.lstrip('/')}.rst").exists() and not (
                target.startswith("auto_examples") or "/auto_examples/" in f"/{target}"
            ):
                missing.append(f"{page.name}: {match.group(0)}")
    assert not missing, missing


def test_every_page_is_in_a_toctree():
    """Sphinx warns (an error under -W) about a page no toctree lists."""
    listed = set()
    for page in DOC_PAGES:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"\.\. toctree::\n((?:   .*\n|\n)+)", text):
            for line in block.splitlines():
                entry = line.strip()
                if entry and not entry.startswith(":"):
                    listed.add((page.parent / entry).resolve())
    for page in DOC_PAGES:
        if page == DOCS / "index.rst":
            continue
        assert page.with_suffix("").resolve() in listed, f"{page} is in no toctree"


def test_no_search_over_the_code_size_of_a_deterministic_autoencoder():
    """Held-out reconstruction always prefers the widest code (user guide,
    "Choosing the code size"): no snippet may tune n_components on it."""
    deterministic = "Autoencoder|DenoisingAutoencoder|SparseAutoencoder|ContractiveAutoencoder"
    pattern = re.compile(
        rf"GridSearchCV\(\s*(?:{deterministic})\([^()]*\)\s*,\s*\{{\s*[\"']n_components",
    )
    offenders = [
        f"{path.name}: {m.group(0)}"
        for path, text in [*_documented_text(), (README, README.read_text(encoding="utf-8"))]
        for m in pattern.finditer(text)
    ]
    assert not offenders, offenders


def test_continuable_parameters_are_documented():
    """The user guide names every parameter that may change between calls
    that continue training."""
    from sklearn_ae import _state

    text = " ".join((DOCS / "user_guide" / "persistence.rst").read_text().split())
    sentence = re.search(r"Only ``max_iter``[^.]*may change between calls", text)
    assert sentence, "persistence.rst no longer says which parameters may change"
    named = set(re.findall(r"``(\w+)``", sentence.group(0)))
    assert named == set(_state._CONTINUABLE_PARAMS)


# ---------------------------------------------------------------------------
# The docs build
# ---------------------------------------------------------------------------


def _build_command(text):
    """The documented build command: the line that runs ``python -m sphinx``."""
    lines = [line.strip() for line in text.splitlines() if "python -m sphinx" in line]
    assert len(lines) == 1, lines
    return lines[0].removeprefix("cd docs && ")


def test_readme_and_developer_guide_document_the_same_build():
    readme = _build_command(README.read_text(encoding="utf-8"))
    guide = _build_command((DOCS / "developers.rst").read_text(encoding="utf-8"))
    assert readme == guide
    words = shlex.split(guide)
    env = [w for w in words if re.match(r"^[A-Z_]+=", w)]
    assert env == ["SKLEARN_AE_DOCS_OFFLINE=1"]
    command = words[len(env) :]
    assert command[:3] == ["python", "-m", "sphinx"]
    assert "-W" in command and command[-2:] == [".", "_build/html"]


def test_slow_suite_runs_the_documented_build():
    """tests/test_docs.py builds with the command the docs give."""
    source = (ROOT / "tests" / "test_docs.py").read_text(encoding="utf-8")
    assert "_build_command" in source and '"developers.rst"' in source


def test_build_switches_are_documented():
    conf = (DOCS / "conf.py").read_text(encoding="utf-8")
    switches = set(re.findall(r"os\.environ\.get\(\"(SKLEARN_AE_\w+)\"", conf))
    assert {"SKLEARN_AE_DOCS_OFFLINE", "SKLEARN_AE_GALLERY_PATTERN"} <= switches
    guide = (DOCS / "developers.rst").read_text(encoding="utf-8")
    readme = README.read_text(encoding="utf-8")
    for switch in switches:
        assert f"``{switch}=" in guide, switch
    for switch in ("SKLEARN_AE_DOCS_OFFLINE", "SKLEARN_AE_GALLERY_PATTERN"):
        assert f"`{switch}=" in readme, switch


def test_changelog_converts_without_warnings():
    """The changelog page includes CHANGELOG.md through docs/_ext: any
    Markdown in it must convert to reStructuredText that parses cleanly."""
    docutils_core = pytest.importorskip("docutils.core")
    spec = importlib.util.spec_from_file_location(
        "markdown_include", DOCS / "_ext" / "markdown_include.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    markdown = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    rst = module.markdown_to_rst(markdown)
    messages = io.StringIO()
    doctree = docutils_core.publish_doctree(
        rst,
        settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": messages},
    )
    assert not messages.getvalue(), messages.getvalue()
    titles = [node.astext() for node in doctree.findall() if node.tagname == "title"]
    headings = [
        re.sub(r"[`*]", "", line.lstrip("#").strip())
        for line in markdown.splitlines()
        if line.startswith("#")
    ]
    assert titles == headings


def test_markdown_conversion_keeps_text_literal():
    spec = importlib.util.spec_from_file_location(
        "markdown_include", DOCS / "_ext" / "markdown_include.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rst = module.markdown_to_rst(
        "# T\n\n- `a`s and n_iter_ *x* |y| [link](https://example.org)\n"
        "lazy line\n  indented `code`\n\n1. not a list\n"
    )
    assert "``a``\\ s" in rst
    assert "n\\_iter\\_ \\*x\\* \\|y\\|" in rst
    assert "`link <https://example.org>`__" in rst
    assert "  lazy line" in rst and "  indented ``code``" in rst
    assert "\\1. not a list" in rst


# ---------------------------------------------------------------------------
# The gallery
# ---------------------------------------------------------------------------


def _cells(source):
    """The code cells of a sphinx-gallery script, as source strings."""
    cells, current = [], []
    for line in source.splitlines():
        if line.startswith("# %%"):
            cells.append("\n".join(current))
            current = []
        else:
            current.append(line)
    cells.append("\n".join(current))
    return cells


@pytest.mark.parametrize(
    "script", [p for p in EXAMPLES if p.name.startswith("plot_")], ids=lambda p: p.name
)
def test_gallery_cells_print_no_stray_value(script):
    """The gallery prints the value of a cell's last expression (``Out:
    Text(0.5, 1.0, ...)``; a trailing ``;`` does not stop it): end a cell
    with an assignment or a call that returns None."""
    stray = []
    for cell in _cells(script.read_text(encoding="utf-8")):
        tree = ast.parse(cell)
        if not tree.body or not isinstance(tree.body[-1], ast.Expr):
            continue
        last = tree.body[-1]
        if isinstance(last.value, ast.Constant):  # the docstring
            continue
        call = last.value.func if isinstance(last.value, ast.Call) else None
        name = ast.unparse(call) if call is not None else ""
        if name in {"print", "plt.show", "plt.tight_layout"} or name.endswith(
            (".tight_layout", ".set_axis_off")
        ):
            continue
        stray.append(ast.unparse(last))
    assert not stray, stray


def test_gallery_states_its_time_budget():
    text = (ROOT / "examples" / "README.txt").read_text(encoding="utf-8")
    tests = (ROOT / "tests" / "test_examples.py").read_text(encoding="utf-8")
    budget = re.search(r"under (\d+) seconds", text)
    assert budget, "examples/README.txt states no time budget"
    checked = re.search(r"BUDGET_S = (\d+)", tests)
    assert checked and int(checked.group(1)) >= int(budget.group(1))
