"""The ``mne-video2eeg`` command: fit, generate, evaluate, demo, sys-info."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

# Fast CPU configuration for the demo: small enough to fit in minutes on two
# cores, large enough to learn the simulated video-locked responses.
DEMO_PARAMS = dict(module__width=48, module__depth=2, n_epochs=60, batch_size=16)


def _add_common(parser):
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument(
        "--verbose",
        default="info",
        help="MNE logging level (warning: errors and warnings only, no progress "
        "bars; debug: also per-epoch losses and error tracebacks)",
    )


def _subparser(sub, name, **kwargs):
    return sub.add_parser(
        name, formatter_class=argparse.ArgumentDefaultsHelpFormatter, **kwargs
    )


def _build_parser() -> argparse.ArgumentParser:
    from ._version import __version__

    parser = argparse.ArgumentParser(
        prog="mne-video2eeg",
        description="Learn how EEG responds to video; generate synthetic EEG.",
    )
    parser.add_argument("--version", action="version", version=__version__)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = _subparser(
        sub,
        "demo",
        help="simulate -> features -> fit -> generate -> BIDS, on the embedded data",
        description=(
            "Run the whole pipeline on the embedded simulated dataset: simulate "
            "paired video + EEG, extract video features, fit a CPU-fast generator "
            "on training clips, generate EEG for held-out clips, write a BIDS "
            "derivative dataset, and print quality figures."
        ),
    )
    demo.add_argument("--out", required=True, type=Path, help="output folder")
    demo.add_argument("--n-subjects", type=int, default=2, help="simulated subjects")
    demo.add_argument(
        "--n-clips", type=int, default=60, help="simulated video clips (1/6 held out)"
    )
    demo.add_argument(
        "--n-epochs",
        type=int,
        default=DEMO_PARAMS["n_epochs"],
        help="training epochs (passes over the training clips)",
    )
    demo.add_argument(
        "--n-samples", type=int, default=8, help="generated samples per held-out clip"
    )
    demo.add_argument(
        "--overwrite", action="store_true", help="replace the outputs in --out"
    )
    _add_common(demo)

    fit = _subparser(
        sub,
        "fit",
        help="fit a generator on video files + clip epochs",
        description=(
            "Fit a generator. EEG: an -epo.fif file whose metadata has video, "
            "subject and emotion columns; videos: the files named in metadata."
        ),
    )
    fit.add_argument("--epochs", required=True, type=Path, help="clip epochs (.fif)")
    fit.add_argument(
        "--videos", required=True, type=Path, nargs="+", help="the video files"
    )
    fit.add_argument("--out", required=True, type=Path, help="generator file (.pt)")
    fit.add_argument(
        "--encoder",
        default="lowlevel",
        choices=["lowlevel", "clip"],
        help="video feature encoder",
    )
    fit.add_argument("--n-epochs", type=int, default=100, help="training epochs")
    fit.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out"
    )
    _add_common(fit)

    gen = _subparser(
        sub,
        "generate",
        help="generate EEG for videos with a fitted generator",
        description="Generate EEG for video files; write .fif epochs or BIDS.",
    )
    gen.add_argument("--model", required=True, type=Path, help="generator (.pt)")
    gen.add_argument(
        "--videos", required=True, type=Path, nargs="+", help="the video files"
    )
    gen.add_argument("--out", required=True, type=Path, help="-epo.fif or BIDS dir")
    gen.add_argument("--bids", action="store_true", help="write a BIDS dataset")
    gen.add_argument(
        "--subject",
        default=None,
        help="a training subject of the model; none: the population",
    )
    gen.add_argument(
        "--emotion",
        nargs="+",
        default=None,
        metavar="LABEL",
        help="emotion labels of the videos: one label for all, VIDEO=LABEL pairs, "
        "or a .csv/.tsv file with video and emotion columns (e.g. from "
        "label_emotions); none: the training label of a video the model saw, "
        "else 'unknown'",
    )
    gen.add_argument(
        "--n-samples", type=int, default=1, help="generated samples per video"
    )
    gen.add_argument(
        "--overwrite", action="store_true", help="replace an existing --out"
    )
    _add_common(gen)

    ev = _subparser(
        sub,
        "evaluate",
        help="score generated EEG against real EEG; save scores and figures",
        description=(
            "Score generated epochs against real epochs with "
            "mne_video2eeg.metrics.evaluate (matched by video, and subject when "
            "both have it) and save scores.nc, scores.csv and PNG figures (PSD "
            "comparison, band similarity, band topomaps, traces) into --out."
        ),
    )
    ev.add_argument("--real", required=True, type=Path, help="real -epo.fif")
    ev.add_argument("--generated", required=True, type=Path, help="generated -epo.fif")
    ev.add_argument(
        "--clean", type=Path, default=None, help="noise-free truth -epo.fif (optional)"
    )
    ev.add_argument("--out", required=True, type=Path, help="output folder")
    ev.add_argument(
        "--n-samples",
        type=int,
        default=None,
        help="K for the evoked metrics (default: all samples per video)",
    )
    ev.add_argument(
        "--metrics",
        nargs="+",
        default=None,
        metavar="METRIC",
        help="subset of the metrics (default: all of mne_video2eeg.metrics.METRICS)",
    )
    ev.add_argument(
        "--match",
        default="auto",
        choices=["auto", "video", "video+subject"],
        help="how generated epochs are paired with real ones",
    )
    ev.add_argument(
        "--overwrite", action="store_true", help="replace the outputs in --out"
    )
    _add_common(ev)

    info = _subparser(
        sub,
        "sys-info",
        help="print versions of the dependencies (offline)",
        description="Print versions of the dependencies and of the system, as "
        "mne.sys_info does; nothing is looked up on the network.",
    )
    info.set_defaults(verbose="warning")
    return parser


def _sys_info() -> int:
    import importlib.metadata as md

    import mne

    from ._version import __version__

    print(f"mne-video2eeg {__version__}")
    for dist in (
        "torch",
        "torchaudio",
        "braindecode",
        "torch_geometric",
        "diffusers",
        "open_clip_torch",
        "mne-bids",
        "xarray",
        "opencv-python-headless",
    ):
        try:
            print(f"{dist:>24}: {md.version(dist)}")
        except md.PackageNotFoundError:
            print(f"{dist:>24}: not installed")
    import torch

    print(f"{'CUDA':>24}: {torch.cuda.is_available()}")
    mne.sys_info(check_version=False)  # offline: no look-up of newer versions
    return 0


class _UsageError(Exception):
    """A mistake on the command line: said in one line, exit code 2."""


def _check_out(path: Path, overwrite: bool, *, flag: str = "--out") -> None:
    """Refuse, before any work, to replace an output without ``--overwrite``."""
    exists = path.is_file() or (path.is_dir() and any(path.iterdir()))
    if exists and not overwrite:
        raise _UsageError(f"{path} exists; pass --overwrite or another {flag}.")


def _check_inputs(paths, what: str) -> None:
    missing = [str(p) for p in paths if not Path(p).exists()]
    if missing:
        raise _UsageError(f"{what} not found: {', '.join(missing[:5])}")


def _check_epo_name(path: Path, flag: str) -> None:
    if not path.name.endswith(("-epo.fif", "_epo.fif", "-epo.fif.gz")):
        raise _UsageError(
            f"{flag} {path} must end in -epo.fif (MNE's name for epochs files)."
        )


_DEMO_EPOCHS = {
    "real": "real-epo.fif",
    "clean": "clean-epo.fif",
    "generated": "generated-epo.fif",
}


def _demo(args) -> int:
    import numpy as np

    from . import Video2EEGGenerator, extract_video_features, write_bids
    from .datasets import simulate_video_eeg

    out = args.out.expanduser().resolve()
    bids_root = out / "bids"
    for path in [bids_root, out / "generator.pt"] + [
        out / f for f in _DEMO_EPOCHS.values()
    ]:
        _check_out(path, args.overwrite)
    t0 = time.perf_counter()
    videos, epochs, clean = simulate_video_eeg(
        out / "videos",
        n_subjects=args.n_subjects,
        n_clips=args.n_clips,
        return_clean=True,
        random_state=args.seed,
    )
    feats = extract_video_features(videos)
    md = epochs.metadata
    rng = np.random.default_rng(args.seed)
    names = [v.name for v in videos]
    n_test = max(1, len(names) // 6)
    test = set(rng.choice(names, n_test, replace=False).tolist())
    train_mask = ~md["video"].isin(test).to_numpy()
    params = dict(DEMO_PARAMS, n_epochs=args.n_epochs)
    gen = Video2EEGGenerator(**params, random_state=args.seed, device="auto")
    t1 = time.perf_counter()
    gen.fit(feats, epochs[np.flatnonzero(train_mask)])
    t2 = time.perf_counter()
    test_feats = feats.sel(video=sorted(test))
    subject = gen.subjects_[0]
    # held-out videos are unseen by the model: their true labels are passed
    truth = dict(zip(md["video"], md["emotion"], strict=True))
    synth = gen.generate(
        test_feats,
        subject=subject,
        n_samples=args.n_samples,
        emotion={v: truth[v] for v in test},
    )
    t3 = time.perf_counter()
    root = write_bids(
        synth,
        bids_root,
        videos=[v for v in videos if v.name in test],
        generator=gen,
        overwrite=args.overwrite,
    )
    model = gen.save(out / "generator.pt", overwrite=True)
    real, truth_epochs = _held_out(epochs, clean, synth, subject)
    written = {}
    for key, inst in (("real", real), ("clean", truth_epochs), ("generated", synth)):
        written[key] = out / _DEMO_EPOCHS[key]
        inst.save(written[key], overwrite=True, verbose=False)
    print(f"Simulated {len(videos)} clips x {args.n_subjects} subjects in {out}")
    print(f"Fitted on {int(train_mask.sum())} clips in {t2 - t1:.1f} s")
    per = (t3 - t2) / len(synth)
    print(f"Generated {len(synth)} clips ({per:.3f} s per clip) for held-out videos")
    print(f"Wrote BIDS dataset: {root}")
    print(f"Saved generator: {model}")
    for line in _demo_quality(synth, real, truth_epochs, subject):
        print(line)
    print(f"Total {time.perf_counter() - t0:.1f} s")
    print(
        "Score them with all metrics and figures:\n  mne-video2eeg evaluate "
        f"--real {written['real']} --generated {written['generated']} "
        f"--clean {written['clean']} --out {out / 'evaluation'}"
    )
    return 0


def _held_out(epochs, clean, synth, subject):
    """Return the real and noise-free clips of the generated videos and subject."""
    import numpy as np

    md = epochs.metadata
    held_out = md["video"].isin(set(synth.metadata["video"])) & (
        md["subject"] == subject
    )
    idx = np.flatnonzero(held_out.to_numpy())
    return epochs[idx], clean[idx]


def _demo_quality(synth, real, truth, subject) -> list[str]:
    """Quality of the held-out generations against the simulation's truth."""
    from .metrics import (
        band_similarity,
        dispersion_ratio,
        energy_score,
        evoked_correlation,
    )

    energy = energy_score(real, synth, clean=truth, random_state=0, verbose=False)
    disp = dispersion_ratio(real, synth, clean=truth, verbose=False)["ratio"]
    evoked = evoked_correlation(real, synth, clean=truth, verbose=False)
    bands = band_similarity(real, synth, verbose=False)
    k = int(evoked["n_samples"])

    def per_band(values):
        return ", ".join(
            f"{b} {float(values.sel(band=b)):.2f}" for b in values["band"].values
        )

    return [
        f"Held-out clips, subject {subject}, {k} samples each, against the "
        "simulation's truth:",
        f"  energy score / true process's  {float(energy['ratio']):.3f}"
        "  (1 = as good as the truth; lower is better)",
        f"  dispersion ratio               {per_band(disp)}",
        f"  evoked correlation             {float(evoked['value']):.3f}"
        f"  (noise ceiling {float(evoked['ceiling']):.3f}, ratio "
        f"{float(evoked['ratio']):.2f})",
        f"  against another video          {float(evoked['mismatched']):.3f}",
        f"  band similarity                {per_band(bands['level'])}",
        "  (the paper reports a correlation of 0.005 with real EEG)",
    ]


def _fit(args) -> int:
    from . import Video2EEGGenerator, extract_video_features

    _check_inputs([args.epochs], "epochs file")
    _check_inputs(args.videos, "video file(s)")
    _check_out(args.out, args.overwrite)
    epochs = _read_epochs(args.epochs)
    feats = extract_video_features(args.videos, encoder=args.encoder)
    gen = Video2EEGGenerator(n_epochs=args.n_epochs, random_state=args.seed)
    gen.fit(feats, epochs)
    gen.save(args.out, overwrite=args.overwrite)
    print(f"Saved generator to {args.out}")
    return 0


def _parse_emotion(values: list[str] | None):
    """``--emotion``: one label, VIDEO=LABEL pairs, or a .csv/.tsv table."""
    if values is None:
        return None
    if len(values) == 1 and Path(values[0]).suffix.lower() in (".csv", ".tsv"):
        import pandas as pd

        _check_inputs(values, "emotion table")
        sep = "\t" if values[0].lower().endswith(".tsv") else ","
        table = pd.read_csv(values[0], sep=sep)
        if "emotion" not in table:
            raise _UsageError(
                f"--emotion {values[0]} has no 'emotion' column (columns: "
                f"{list(table.columns)})."
            )
        index = table["video"] if "video" in table else table.iloc[:, 0]
        return dict(zip(index.astype(str), table["emotion"].astype(str), strict=True))
    if len(values) == 1 and "=" not in values[0]:
        return values[0]
    bad = [v for v in values if "=" not in v]
    if bad:
        raise _UsageError(
            f"--emotion takes one LABEL, VIDEO=LABEL pairs or a .csv/.tsv file, "
            f"got {bad[:3]} among pairs."
        )
    pairs = (v.split("=", 1) for v in values)
    return {Path(video).name: label for video, label in pairs}


def _generate(args) -> int:
    from . import extract_video_features, read_generator, write_bids

    _check_inputs([args.model], "generator file")
    _check_inputs(args.videos, "video file(s)")
    if not args.bids:
        _check_epo_name(args.out, "--out")
    _check_out(args.out, args.overwrite)
    emotion = _parse_emotion(args.emotion)
    gen = read_generator(args.model)
    attrs = gen.feature_attrs_
    encoder = attrs.get("encoder", "lowlevel")
    options = {}
    if "fps" in attrs:
        options["fps"] = float(attrs["fps"])
    if "size" in attrs:
        options["size"] = None if attrs["size"] == "native" else int(attrs["size"])
    feats = extract_video_features(args.videos, encoder=encoder, **options)
    synth = gen.generate(
        feats,
        subject=args.subject,
        n_samples=args.n_samples,
        emotion=emotion,
        random_state=args.seed,
    )
    if args.bids:
        write_bids(
            synth, args.out, videos=args.videos, generator=gen, overwrite=args.overwrite
        )
    else:
        synth.save(args.out, overwrite=args.overwrite, verbose=False)
    print(f"Wrote {len(synth)} generated clips to {args.out}")
    return 0


_EVAL_FILES = ("scores.nc", "scores.csv")


def _flat_scores(scores) -> dict:
    """Dataset -> one flat row: scalars as is, one column per band etc."""
    import numpy as np

    row = {}
    for name, var in scores.data_vars.items():
        if var.ndim == 0:
            row[name] = float(var)
            continue
        stacked = var.stack(_k=var.dims) if var.ndim > 1 else var
        for idx, value in zip(
            stacked[stacked.dims[0]].values, np.ravel(stacked.values), strict=True
        ):
            label = "_".join(map(str, idx)) if isinstance(idx, tuple) else str(idx)
            row[f"{name}_{label}"] = float(value)
    return row


def _read_epochs(fname):
    import warnings

    import mne

    with warnings.catch_warnings():
        # mne's metadata reader uses DataFrame.set_index(inplace=True), which
        # pandas >= 3.1 deprecates; users cannot act on it
        warnings.filterwarnings("ignore", message="The inplace keyword")
        return mne.read_epochs(fname, verbose=False)


def _evaluate(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from . import viz
    from .metrics import METRICS, evaluate

    for name in args.metrics or ():
        if name not in METRICS:
            raise _UsageError(
                f"Unknown metric {name!r}; choose from {', '.join(METRICS)}."
            )
    out = args.out.expanduser().resolve()
    existing = [f for f in _EVAL_FILES if (out / f).exists()]
    if existing and not args.overwrite:
        raise _UsageError(
            f"{out} already holds {existing}; pass --overwrite or another --out."
        )
    _check_inputs(
        [args.real, args.generated] + ([args.clean] if args.clean else []),
        "epochs file(s)",
    )
    out.mkdir(parents=True, exist_ok=True)
    real, gen = _read_epochs(args.real), _read_epochs(args.generated)
    clean = None if args.clean is None else _read_epochs(args.clean)
    try:
        scores = evaluate(
            real,
            gen,
            clean=clean,
            n_samples=args.n_samples,
            metrics=args.metrics,
            match=args.match,
            random_state=args.seed,
        )
    except ValueError as err:
        raise _UsageError(f"evaluate failed: {err}") from None
    scores.attrs.update(real=str(args.real), generated=str(args.generated))
    scores.to_netcdf(out / "scores.nc", engine="h5netcdf")
    row = _flat_scores(scores)
    pd.DataFrame([row]).to_csv(out / "scores.csv", index=False)
    figures = {"psd.png": lambda: viz.plot_psd_comparison(real, gen, show=False)}
    if "band_similarity" in scores:
        figures["band_similarity.png"] = lambda: viz.plot_band_similarity(
            scores, show=False
        )
    figures["band_topomaps.png"] = lambda: viz.plot_band_topomaps(real, gen, show=False)
    figures["traces.png"] = lambda: viz.plot_traces(real, gen, show=False)
    for fname, make in figures.items():
        try:
            fig = make()
        except ValueError as err:  # e.g. no positions, no shared video
            print(f"Skipped {fname}: {err}")
            continue
        fig.savefig(out / fname, dpi=110)
        plt.close(fig)
    for name, value in row.items():
        print(f"{name:>32} {value:.4g}")
    print(f"Wrote scores and figures to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``mne-video2eeg`` command line."""
    args = _build_parser().parse_args(argv)
    import mne

    mne.set_log_level(args.verbose)
    handlers = {
        "demo": _demo,
        "fit": _fit,
        "generate": _generate,
        "evaluate": _evaluate,
        "sys-info": lambda _: _sys_info(),
    }
    try:
        return handlers[args.command](args)
    except _UsageError as err:
        print(f"mne-video2eeg {args.command}: {err}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError) as err:
        # the library's errors say what was received and what to do: one line
        # is enough, the traceback is for debugging
        if str(args.verbose).lower() == "debug":
            raise
        message = " ".join(str(err).split())
        print(
            f"mne-video2eeg {args.command}: {type(err).__name__}: {message} "
            "(--verbose debug shows the traceback)",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
