"""Sphinx configuration of the mne-video2eeg documentation.

Build (offline, warnings as errors)::

    python -m sphinx -W --keep-going -b html doc doc/_build/html

The build never touches the network unless ``MNE_VIDEO2EEG_DOC_ONLINE=1`` is
set: only then are the intersphinx inventories of MNE, numpy, torch, ... fetched
(so that ``mne.Epochs`` and friends become links). Offline, those references
render as plain code text, and the build is identical otherwise.
"""

import os
import sys
from datetime import date
from pathlib import Path

# Headless plotting for the gallery; sphinx-gallery resets matplotlib between
# examples (``reset_modules``).
os.environ.setdefault("MPLBACKEND", "Agg")
# Examples and docstrings log at WARNING unless they ask for more.
os.environ.setdefault("MNE_LOGGING_LEVEL", "warning")

_ROOT = Path(__file__).resolve().parent.parent
if (_ROOT / "mne_video2eeg").is_dir():
    sys.path.insert(0, str(_ROOT))  # document the checkout, even if not installed

import mne_video2eeg  # noqa: E402

# -- Project ------------------------------------------------------------------
project = "mne-video2eeg"
author = "mne-video2eeg developers"
copyright = f"{date.today().year}, {author}"  # noqa: A001 - Sphinx's name
release = mne_video2eeg.__version__
version = ".".join(release.split(".")[:2])

# -- General ------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "auto_examples/*.ipynb"]
root_doc = "index"
default_role = "py:obj"
nitpicky = False  # third-party names resolve only with the online inventories

# -- autodoc / autosummary / numpydoc -----------------------------------------
autosummary_generate = True
autodoc_default_options = {"inherited-members": False}
autodoc_typehints = "none"  # numpydoc's "Parameters" already give the types
autodoc_member_order = "bysource"
numpydoc_show_class_members = False  # members come from the class template
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False
# Validate every docstring numpydoc renders (as MNE-Python and mne-bids do):
# all checks but the ones this project does not follow. tests/test_docs.py
# runs the same checks on the public API without a sphinx build.
numpydoc_validate = True
numpydoc_validation_checks = {
    "all",
    "GL01",  # the summary starts on the line of the opening quotes
    "ES01",  # an extended summary is not required
    "SA01",  # nor a See Also section
    "EX01",  # nor Examples: the gallery shows the API in use
    "RT02",  # returns are named ("scores : xarray.Dataset")
}
# Docstrings of files whose owners are fixing them; remove each entry with its
# fix.
numpydoc_validation_exclude = {
    r"\.Video2EEGGenerator\.generate_raw$",  # estimator.py: PR01
    r"\.baselines\.\w+Baseline\.fit$",  # baselines.py: RT03
    r"\.baselines\.RidgeEncodingBaseline$",  # baselines.py: SS02
    r"\.nn\.VideoEEGDenoiser(\.encode_condition|\.forward)?$",  # PR03, PR07, RT01
    r"\.nn\.VideoEEGDiffusion\.(whiten_eeg|loss_terms|make_sampler|sample)$",
    r"\.nn\.samplers\.adams_bashforth_weights$",  # SS05, PR01, RT01
    # PR04; the diffusers methods: PR01, RT01
    r"\.nn\.samplers\.TrigFlowMultistepScheduler(\.scale_model_input|\.step)?$",
    r"\.spectra\.CrossSpectralModel(\.fit|\.whiten|\.colour)?$",  # PR03, RT03
    r"\.spectra\.fit_amplitude_spectra$",  # RT04
}

# -- intersphinx: inventories only on request (offline by default) ------------
_INTERSPHINX = {
    "python": ("https://docs.python.org/3", None),
    "mne": ("https://mne.tools/stable", None),
    "mne-bids": ("https://mne.tools/mne-bids/stable", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "torch": ("https://docs.pytorch.org/docs/stable", None),
    "xarray": ("https://docs.xarray.dev/en/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
    "pandas": ("https://pandas.pydata.org/docs", None),
}
DOC_ONLINE = os.environ.get("MNE_VIDEO2EEG_DOC_ONLINE", "0") == "1"
intersphinx_mapping = _INTERSPHINX if DOC_ONLINE else {}
intersphinx_timeout = 10

# -- HTML ---------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"mne-video2eeg {release}"
html_theme_options = {
    "github_url": "https://github.com/mne-tools/mne-video2eeg",
    "navigation_with_keys": False,
    "show_toc_level": 1,
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "secondary_sidebar_items": ["page-toc", "sg_download_links", "sg_launcher_links"],
}
html_context = {"default_mode": "light"}
html_sidebars = {
    "index": [],
    "install": [],
    "errors_and_guarantees": [],
    "whats_new": [],
}
html_show_sourcelink = False

# -- sphinx-gallery -----------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    # run every example; a failing one fails the build
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "reset_modules_order": "both",
    "doc_module": ("mne_video2eeg",),
    "backreferences_dir": "generated/backreferences",
    "reference_url": {"mne_video2eeg": None},  # this documentation
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 2,
    "download_all_examples": False,
}

# -- Constants ----------------------------------------------------------------
# autodoc gives a module-level constant the docstring of its type ("Built-in
# immutable sequence..."), and the ``#:`` comments sit in the defining modules,
# not in the package namespaces documented here: describe them once here.
_CONSTANT_DOCS = {
    "SEED_CH_NAMES": "The 62 channel names of SEED-DV, in the released order "
    "(upper case, as released; CB1/CB2 included).",
    "SEED_DV_COARSE_CLASSES": "The 9 coarse classes of SEED-DV and their concept "
    "ids (inclusive ranges), as in the ``coarse_class`` column of "
    ":func:`~mne_video2eeg.datasets.read_seed_dv`.",
    "METRICS": "Names accepted by ``evaluate(metrics=...)``, in computation order.",
    "DEFAULT_FPS": "Default feature rate in Hz per encoder: 25 Hz for "
    '``"lowlevel"`` (close to the EEG time scale), 2 Hz for ``"clip"`` '
    "(the paper's rate).",
    "LOWLEVEL_FEATURES": 'Feature names of the ``"lowlevel"`` encoder, in the '
    "order of the ``feature`` coordinate.",
    "DEFAULT_EMOTION_PROMPTS": "CLIP text prompts per emotion label used by "
    ":func:`~mne_video2eeg.label_emotions` (each label's text embeddings are "
    "averaged).",
}


# numpydoc would validate the docstring of a constant's type (tuple, dict):
# the constants are described above, not validated.
numpydoc_validation_exclude |= {rf"\.{name}$" for name in _CONSTANT_DOCS}


def _constant_docstring(app, what, name, obj, options, lines):
    if what == "data":
        short = name.rsplit(".", 1)[-1]
        if short not in _CONSTANT_DOCS:
            raise KeyError(f"Describe the constant {name} in doc/conf.py")
        lines[:] = [_CONSTANT_DOCS[short], ""]


def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn adds set_{method}_request (metadata routing) to every
    # estimator whose methods take extra keyword arguments; their docstrings
    # point into scikit-learn's own documentation.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _constant_docstring)
    app.connect("autodoc-skip-member", _skip_member)
