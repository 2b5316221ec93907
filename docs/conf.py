"""Sphinx configuration of the documentation.

The README (with the architecture notes), the API, the tutorials and the validation page:
``nox -s docs`` or ``sphinx-build -W docs docs/_build/html``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

project = "cevns"
author = "The cevns developers"
copyright = "The cevns developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
templates_path = ["_templates"]
myst_heading_anchors = 3
autosummary_generate = True
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
html_theme = "furo"
html_title = "cevns"
suppress_warnings = ["myst.header", "myst.xref_missing"]

# The tutorials are jupytext scripts (tutorials/*.py); render them as MyST pages without
# executing them (the test suite executes every tutorial).
_out = HERE / "_generated_tutorials"
_out.mkdir(exist_ok=True)
for _py in sorted((ROOT / "tutorials").glob("[0-9][0-9]_*.py")):
    jupytext.write(jupytext.read(_py), _out / f"{_py.stem}.md", fmt="md")
