"""Build the documentation offline, warnings as errors, and check its pages."""

import ast
import importlib
import inspect
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC_TOOLS = ("sphinx", "sphinx_gallery", "numpydoc", "pydata_sphinx_theme")
# Public namespaces whose ``__all__`` the API reference must cover.
PUBLIC_MODULES = (
    "mne_video2eeg",
    "mne_video2eeg.datasets",
    "mne_video2eeg.metrics",
    "mne_video2eeg.viz",
    "mne_video2eeg.baselines",
    "mne_video2eeg.graphs",
    "mne_video2eeg.preprocessing",
    "mne_video2eeg.video",
)


# Namespaces whose public names (and their public members) numpydoc validates:
# the API reference's, and the network classes.
VALIDATED_MODULES = (
    *PUBLIC_MODULES,
    "mne_video2eeg.spectra",
    "mne_video2eeg.nn",
    "mne_video2eeg.nn.samplers",
    "mne_video2eeg.nn.config",
)


def _missing_doc_tools():
    missing = []
    for name in DOC_TOOLS:
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def _public_names():
    """(module, name) for every exported name, except ``__version__``."""
    out = []
    for mod_name in PUBLIC_MODULES:
        mod = importlib.import_module(mod_name)
        out += [(mod_name, n) for n in mod.__all__ if n != "__version__"]
    return out


def _conf_value(name):
    """The literal value assigned to ``name`` in doc/conf.py."""
    tree = ast.parse((ROOT / "doc" / "conf.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", None) == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise KeyError(f"doc/conf.py assigns no {name}")


def _api_reference_names():
    """{module: names} of the autosummary entries of doc/api.rst."""
    out, module, in_summary = {}, None, False
    for line in (ROOT / "doc" / "api.rst").read_text(encoding="utf-8").splitlines():
        directive = re.match(r"\.\. (?:current|auto)?module:: (\S+)", line)
        if directive:
            module = directive.group(1)
        if line.startswith(".. autosummary::"):
            in_summary = True
        elif in_summary and line and not line.startswith(" "):
            in_summary = False
        elif in_summary and re.fullmatch(r"   \w+", line):
            out.setdefault(module, []).append(line.strip())
    return out


def _validated_names():
    """Import path of every public function and class and of their members.

    The members are those the API pages show (``:members:`` of the class
    template): public methods and properties defined in the class itself.
    """
    api = _api_reference_names()
    seen, out = set(), []
    for mod_name in VALIDATED_MODULES:
        mod = importlib.import_module(mod_name)
        # a module without __all__: the names the API reference lists
        public = getattr(mod, "__all__", None) or api.get(mod_name, [])
        assert public, f"{mod_name} has no __all__ and no entry in doc/api.rst"
        for name in public:
            obj = getattr(mod, name)
            if not (inspect.isfunction(obj) or inspect.isclass(obj)):
                continue  # constants: doc/conf.py describes them
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            out.append(f"{mod_name}.{name}")
            if inspect.isclass(obj):
                out += [
                    f"{mod_name}.{name}.{attr}"
                    for attr, member in vars(obj).items()
                    if not attr.startswith("_")
                    # scikit-learn's metadata routing (skipped in doc/conf.py)
                    and not re.fullmatch(r"set_\w+_request", attr)
                    and (inspect.isfunction(member) or isinstance(member, property))
                ]
    return out


def test_docstrings_pass_numpydoc_validation():
    """Every public docstring passes the numpydoc checks of doc/conf.py."""
    pytest.importorskip("numpydoc")
    from numpydoc.validate import get_validation_checks, validate

    assert _conf_value("numpydoc_validate") is True
    checks = get_validation_checks(_conf_value("numpydoc_validation_checks"))
    exclude = re.compile("|".join(_conf_value("numpydoc_validation_exclude")))
    names = _validated_names()
    assert "mne_video2eeg.metrics.evaluate" in names
    assert "mne_video2eeg.video.LowLevelEncoder.encode" in names
    failures = []
    for name in names:
        if exclude.search(name):
            continue
        for code, message in validate(name)["errors"]:
            if code in checks:
                failures.append(f"{name}: {code} {message}")
    assert not failures, "\n".join(failures)


def _cli_subcommands():
    import argparse

    from mne_video2eeg.cli import _build_parser

    parser = _build_parser()
    (sub,) = (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_cli_subcommands_documented():
    """The user guide and the API reference name every sub-command."""
    commands = _cli_subcommands()
    assert "evaluate" in commands
    usage = (ROOT / "doc" / "usage.rst").read_text(encoding="utf-8")
    api = (ROOT / "doc" / "api.rst").read_text(encoding="utf-8")
    assert not [c for c in commands if f"``{c}``" not in usage], usage
    assert not [c for c in commands if f"``mne-video2eeg {c}" not in api], api


@pytest.mark.slow
def test_docs_build_offline(tmp_path):
    missing = _missing_doc_tools()
    if missing:
        pytest.skip(
            f"documentation tools not installed ({', '.join(missing)}); "
            'install them with pip install -e ".[doc]"'
        )
    # Build a copy, so sphinx-gallery runs every example afresh (it skips
    # examples whose outputs it finds next to the sources) and the checkout's
    # doc/ folder is left alone.
    src = tmp_path / "src"
    shutil.copytree(
        ROOT / "doc",
        src / "doc",
        ignore=shutil.ignore_patterns(
            "_build", "auto_examples", "generated", "sg_execution_times.rst"
        ),
    )
    shutil.copytree(ROOT / "examples", src / "examples")
    out = tmp_path / "html"
    env = {k: v for k, v in os.environ.items() if k != "MNE_VIDEO2EEG_DOC_ONLINE"}
    env["MPLBACKEND"] = "Agg"
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html"]
    cmd += ["-d", str(tmp_path / "doctrees"), str(src / "doc"), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1200)
    assert proc.returncode == 0, (
        f"sphinx failed (rc {proc.returncode}):\n{proc.stdout[-3000:]}\n"
        f"{proc.stderr[-6000:]}"
    )

    for page in ("index", "install", "usage", "api", "errors_and_guarantees"):
        assert (out / f"{page}.html").is_file(), page
    assert (out / "whats_new.html").is_file()

    # every public name has its own API page (under one of its import paths)
    generated = {p.stem for p in (out / "generated").glob("*.html")}
    undocumented = [
        f"{mod}.{name}"
        for mod, name in _public_names()
        if f"{mod}.{name}" not in generated and f"mne_video2eeg.{name}" not in generated
    ]
    assert not undocumented, f"no API page for {undocumented}"
    api = (out / "api.html").read_text(encoding="utf-8")
    assert "mne_video2eeg.Video2EEGGenerator.html" in api

    # every example ran and has its gallery page, with at least one figure
    # for the examples that draw (SEED-DV only prints without the data)
    examples = sorted(p.stem for p in (ROOT / "examples").glob("plot_*.py"))
    assert len(examples) >= 7
    gallery = out / "auto_examples"
    assert (gallery / "index.html").is_file()
    for name in examples:
        page = gallery / f"{name}.html"
        assert page.is_file(), name
        if name != "plot_06_seed_dv":
            assert list((out / "_images").glob(f"sphx_glr_{name}_0*.png")), name
    # the page for users with their own recording is reachable from the guide
    usage_html = (out / "usage.html").read_text(encoding="utf-8")
    assert "auto_examples/plot_07_own_recording.html" in usage_html
