"""Real recordings benchmark: is the generated EEG real-looking, and does it follow?

One table over the real recordings in ``--root`` (see ``_real_recordings.py``
and ``shared/data/README.md``): the c-VEP recordings (8 channels, 240 Hz,
clips = one 2.1-s code cycle, videos rendered from the codes) scored on 5
codes that no model saw (unseen videos), and the SSVEP recording (64
channels, 256 Hz, 2-s clips of a 6-Hz flicker) scored on held-out epochs.

Rows, per data set:

- ``real test clips``: the held-out real clips' own statistics (the values
  every other row is read against); its evoked r is the real split-half (two
  disjoint halves of the test clips of each code, subject), its
  identification the single real clips against leave-one-out templates;
- ``real vs real``: the real training clips scored against the real test
  clips like a generator (the ceiling of the realism statistics);
- ``default generator``: ``Video2EEGGenerator(random_state=seed)`` (cross-spectral
  Gaussian part, the mTRF's prediction as its expected EEG), ``learned
  mean``: ``expected_eeg="learned"`` (the lag path's map, the previous
  default), ``per-channel whitening``: ``whiten="spectral"`` (the
  previous default), ``unconditional``: ``condition_on_video=False``;
- ``Gaussian part alone``: :class:`mne_video2eeg.spectra.CrossSpectralModel`
  fitted on the training clips as they are (per subject; the stimulus-locked
  part counts as stationary power) and sampled: right spectra and channel
  structure, no network, follows nothing;
- ``ridge``: :class:`~mne_video2eeg.baselines.RidgeEncodingBaseline` with lags
  at the video frame rate (``lag_step = 1 / fps``, 0-400 ms, one model per
  subject), its prediction plus phase-randomised training residuals;
  ``ridge prediction``: the same fit without noise (following columns only).

Every model works at the recording's own sampling rate (``sfreq=`` the data's;
the estimator's default 200 Hz would resample, and the clips keep whole code
cycles) and is fitted on the training and validation clips (``--split test``)
or the training clips only (``--split val``, for choices).

Columns: the realism statistics of
:func:`mne_video2eeg.metrics.compare_realism` (1-45 Hz, average reference;
each row's clips against the real test clips; C2ST accuracy 0.5 =
indistinguishable), and the following scores on occipital channels, each
clip detrended and high-passed at 1 Hz (the SSVEP recording keeps its
drifts) (:mod:`mne_video2eeg.metrics`): ``evoked_r``, the evoked correlation of the
mean of K = 16 clips per (video, subject) with the real test average of that
video and subject (:func:`~mne_video2eeg.metrics.evoked_correlation`);
``ident``, the fraction of single clips whose best-correlated real test
template (per subject, among the test codes; chance 0.2 with 5 codes) is their
own code (:func:`~mne_video2eeg.metrics.template_identification`);
``snr_*``, the SSVEP SNR at 6, 12 and 18 Hz
(:func:`~mne_video2eeg.metrics.ssvep_snr`); ``fit_s``, wall-clock seconds of
``fit`` (noisy when the machine is shared). Cells are the mean +- s.d. over
``--seeds`` seeds (model seeds; the splits are fixed). A row that fails shows
its error in ``note``.

Default sizes fit each data set in at most 15 minutes on the project's 2-core
machine: c-VEP all 3 subjects (1125 training clips), 12 training epochs, 10
minutes; SSVEP (96 training clips) 50 training epochs, 13 minutes (one seed,
2026-12-03, other jobs running, load average ~3). ``--seeds N`` repeats every
model N times: the README table states how many seeds it used.

Usage::

    python benchmarks/real_data.py --root ../shared/data [--quick] [--seeds 1]
        [--datasets cvep ssvep] [--split test] [--n-epochs N] [--out DIR]
"""

from __future__ import annotations

import os

# BLAS / OpenMP worker threads spin while they wait; on a 2-core machine
# shared with other jobs that made pyriemann's 64-channel Riemannian distance
# 9x slower (62 s against 7 s) and one generator training epoch 15x slower
# (117 s against 7.7 s). Sleeping threads and one BLAS thread avoid it.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402

import mne  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.signal import butter, detrend, sosfiltfilt  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the loaders beside us

from _real_recordings import LOADERS, RealRecording  # noqa: E402

from mne_video2eeg import extract_video_features  # noqa: E402
from mne_video2eeg._inputs import generated_epochs  # noqa: E402
from mne_video2eeg.metrics import (  # noqa: E402
    evoked_correlation,
    evoked_split_half,
    ssvep_snr,
    template_identification,
)
from mne_video2eeg.metrics._following import _occipital_names  # noqa: E402

ENV_ROOT = "MNE_VIDEO2EEG_REAL_DATA"
K_EVOKED = 16
HIGH_PASS_HZ = 1.0  # of the clips scored for following (see _high_passed)
CLASSIFIERS = ("riemann", "braindecode")
# per data set: training epochs (chosen to fit 15 minutes), samples per
# (video, subject): c-VEP K = 16; SSVEP as many as the real test clips (32),
# so that the realism statistics compare sets of one size
FULL = {
    "cvep": dict(n_epochs=12, n_samples=16, subjects=("01", "02", "03")),
    "ssvep": dict(n_epochs=50, n_samples=32),
}
QUICK = {
    "cvep": dict(n_epochs=1, n_samples=4, subjects=("01",)),
    "ssvep": dict(n_epochs=1, n_samples=8),
}
QUICK_NET = dict(module__width=8, module__depth=1)
# --quick keeps 16 SSVEP channels (the occipital ones and a 10-20 spread), so
# that the smoke test stays well under a minute (64 channels: ~12 s of
# covariance and spectral statistics per row)
QUICK_SSVEP_CHANNELS = "Fz F3 F4 Cz C3 C4 Pz P3 P4 POz PO3 PO4 O1 Oz O2 Iz".split()
REAL, CEILING = "real test clips", "real vs real (train clips vs test clips)"
COLUMNS = [
    "amp_uV",
    "amp_ratio",
    "exponent",
    "exp_diff",
    "alpha_peak",
    "alpha_rel_diff",
    "neighbour_r",
    "distant_r",
    "riemann",
    "c2st_riemann",
    "c2st_braindecode",
    "evoked_r",
    "ident",
    "snr_6Hz",
    "snr_12Hz",
    "snr_18Hz",
    "fit_s",
]


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--root",
        type=Path,
        default=os.environ.get(ENV_ROOT),
        help=f"folder of the recordings (default: ${ENV_ROOT})",
    )
    p.add_argument("--quick", action="store_true", help="tiny sizes (smoke test)")
    p.add_argument("--seeds", type=int, default=1, help="model seeds 0..N-1")
    p.add_argument(
        "--datasets", nargs="+", choices=sorted(LOADERS), default=["cvep", "ssvep"]
    )
    p.add_argument(
        "--split",
        choices=("test", "val"),
        default="test",
        help="score the test split (fit on train+val) or validation (fit on train)",
    )
    p.add_argument("--n-epochs", type=int, default=None, help="override per data set")
    p.add_argument(
        "--ssvep-l-freq",
        type=float,
        default=None,
        help="high-pass the SSVEP epochs (Hz) before cutting; default: raw",
    )
    p.add_argument(
        "--models",
        nargs="+",
        default=None,
        choices=["default", "learned", "per-channel", "unconditional", "ridge"],
        help="fit only these model rows (default: all)",
    )
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = p.parse_args(argv)
    if args.root is None:
        p.error(f"pass --root DIR (the real recordings) or set ${ENV_ROOT}")
    if args.seeds < 1:
        p.error("--seeds must be >= 1")
    return args


# --------------------------------------------------------------------------- #
# data


def _prepare(rec: RealRecording, split: str, quick: bool):
    """Return (fit epochs, scored epochs, features, test video ids)."""
    epochs = rec.epochs
    if quick and rec.name == "ssvep":
        epochs = epochs.copy().pick(list(QUICK_SSVEP_CHANNELS))
        rec = RealRecording(rec.name, epochs, rec.videos, rec.fps, rec.stim_freqs)
    fit_on = ("train", "val") if split == "test" else ("train",)
    fit_ep, test = rec.split(*fit_on), rec.split(split)
    feats = extract_video_features(rec.videos, fps=rec.fps, size=None, verbose=False)
    return fit_ep, test, feats, rec.videos_of(test)


def _by(epochs) -> str:
    return "video+subject" if epochs.metadata["subject"].nunique() > 1 else "video"


# --------------------------------------------------------------------------- #
# scores


def _realism(real, other, seed, classifiers):
    """Realism columns of ``other`` against the real test clips."""
    try:
        from mne_video2eeg.metrics import compare_realism
    except ImportError as err:  # the realism statistics are not in this checkout
        return {"note": f"realism statistics unavailable ({err})"}, None
    ds = compare_realism(real, other, classifiers=classifiers, random_state=seed)
    gen = ds.sel(set="generated")
    row = {
        "amp_uV": float(gen["amplitude"]) * 1e6,
        "amp_ratio": float(ds["amplitude_ratio"]),
        "exponent": float(gen["exponent"]),
        "exp_diff": float(ds["exponent_difference"]),
        "alpha_peak": float(gen["alpha_peak_ratio"]),
        "alpha_rel_diff": float(ds["alpha_peak_ratio_relative_difference"]),
        "neighbour_r": float(gen["neighbour_r"]),
        "distant_r": float(gen["distant_r"]),
        "riemann": float(ds["riemann_distance"]),
    }
    for clf in ds["classifier"].values:
        row[f"c2st_{clf}"] = float(ds["c2st_accuracy"].sel(classifier=clf))
    real_row = {
        "amp_uV": float(ds["amplitude"].sel(set="real")) * 1e6,
        "exponent": float(ds["exponent"].sel(set="real")),
        "alpha_peak": float(ds["alpha_peak_ratio"].sel(set="real")),
        "neighbour_r": float(ds["neighbour_r"].sel(set="real")),
        "distant_r": float(ds["distant_r"].sel(set="real")),
    }
    return row, real_row


def _snr(epochs, freqs) -> dict:
    if not freqs:
        return {}
    ds = ssvep_snr(epochs, freqs, n_harmonics=3, picks="occipital", verbose=False)
    return {
        f"snr_{f:g}Hz": float(v)
        for f, v in zip(ds["frequency"].values, ds["snr_mean"].values, strict=True)
    }


def _high_passed(epochs, occ):
    """Occipital channels, each clip detrended and high-passed at 1 Hz.

    The SSVEP recording is not high-passed: a straight line per clip holds
    88 % of its variance, and what is left below 1 Hz still dominates a 2-s
    clip, so the correlation of two averages would be that of their drifts (a
    Gaussian draw scored -0.44 against the real average on the raw clips,
    -0.23 after removing each clip's line). Real and generated clips go
    through the same zero-phase Butterworth high-pass (order 4, 1 Hz, as the
    realism statistics' band edge; no low-pass: the c-VEP response to a 60-Hz
    code is fast); the band-passed c-VEP clips hardly change.
    """
    picked = epochs.copy().pick(occ)
    sos = butter(4, HIGH_PASS_HZ, "highpass", fs=picked.info["sfreq"], output="sos")
    data = sosfiltfilt(sos, detrend(picked.get_data(), axis=-1), axis=-1)
    return mne.EpochsArray(data, picked.info, metadata=picked.metadata, verbose=False)


def _following(real, gen, *, k, by, occ, freqs) -> dict:
    """Following columns of generated clips (K per video and subject)."""
    real_d, gen_d = _high_passed(real, occ), _high_passed(gen, occ)
    ds = evoked_correlation(real_d, gen_d, n_samples=k, verbose=False)
    row = {"evoked_r": float(ds["value"])}
    if real.metadata["video"].nunique() > 1:
        ds = template_identification(real_d, gen_d, by=by, verbose=False)
        row["ident"] = float(ds["accuracy"])
    row.update(_snr(gen, freqs))
    return row


def _real_rows(fit_ep, test, *, seed, by, occ, freqs, classifiers):
    """The real test clips' own values, and real training clips vs test clips."""
    real_row, ceil_row = {}, {}
    try:
        ceil, real_vals = _realism(test, fit_ep, seed, classifiers)
        ceil_row.update(ceil)
        real_row.update(real_vals or {})
    except Exception as err:  # a failing statistic must not kill the table
        ceil_row["note"] = _error(err)
    test_d = _high_passed(test, occ)
    split = evoked_split_half(test_d, by=by, random_state=seed, verbose=False)
    real_row["evoked_r"] = float(split["value"])
    if test.metadata["video"].nunique() > 1:
        loo = template_identification(test_d, by=by, verbose=False)
        real_row["ident"] = float(loo["accuracy"])
        real_row["ident_chance"] = float(loo["chance"])
    real_row.update(_snr(test, freqs))
    ceil_row.update(_snr(fit_ep, freqs))
    return real_row, ceil_row


def _error(err: BaseException) -> str:
    msg = str(err).replace("\n", " ").replace("|", "/")
    return f"{type(err).__name__}: {msg[:200]}"


# --------------------------------------------------------------------------- #
# models


def _generate(est, X, subjects, n, seed):
    parts = [
        est.generate(
            X,
            subject=s,
            n_samples=n,
            emotion="unknown",
            random_state=seed + i,
            verbose=False,
        )
        for i, s in enumerate(subjects)
    ]
    return mne.concatenate_epochs(parts, verbose=False) if len(parts) > 1 else parts[0]


def _gaussian(fit_ep, test_videos, subjects, n, seed):
    """CrossSpectralModel fitted per subject on the training clips, sampled."""
    from mne_video2eeg.spectra import CrossSpectralModel

    t0 = time.perf_counter()
    md = fit_ep.metadata
    groups = md["subject"].map({s: g for g, s in enumerate(subjects)}).to_numpy()
    # fitted in microvolts: the model's power floors are relative, but a
    # working scale near 1 keeps every step well away from float limits
    model = CrossSpectralModel().fit(fit_ep.get_data() * 1e6, groups=groups)
    fit_s = time.perf_counter() - t0
    rng = np.random.default_rng(seed)
    parts = []
    for g, s in enumerate(subjects):
        data = model.sample(n * len(test_videos), group=g, random_state=rng) / 1e6
        parts.append(
            generated_epochs(
                data,
                fit_ep.info,
                ids=list(test_videos),
                subject=s,
                emotions=["unknown"] * len(test_videos),
                n_samples=n,
            )
        )
    out = mne.concatenate_epochs(parts, verbose=False) if len(parts) > 1 else parts[0]
    return out, fit_s


def _models(sfreq, seed, n_epochs, quick, fps, n_subjects, n_videos):
    """Name -> factory of the fitted models (generators and the ridge baseline)."""
    from mne_video2eeg import Video2EEGGenerator
    from mne_video2eeg.baselines import RidgeEncodingBaseline

    base = dict(random_state=seed, n_epochs=n_epochs, sfreq=sfreq)
    # cross-validating the ridge penalties needs >= 2 training videos (folds
    # never split a video); with one (the SSVEP recording in --quick) a
    # single penalty and a free onset response
    ridge_grid = {} if n_videos >= 2 else dict(alphas=(1e3,), onset_shrinkages=(1.0,))
    if quick:
        base.update(QUICK_NET)
    return {
        "default generator": lambda: Video2EEGGenerator(**base),
        'learned mean (expected_eeg="learned")': lambda: Video2EEGGenerator(
            expected_eeg="learned", **base
        ),
        'per-channel whitening (whiten="spectral")': lambda: Video2EEGGenerator(
            whiten="spectral", **base
        ),
        "unconditional (condition_on_video=False)": lambda: Video2EEGGenerator(
            condition_on_video=False, **base
        ),
        # its full strength: lags at every video frame, one model per subject
        "ridge (lag_step=1/fps, + phase noise)": lambda: RidgeEncodingBaseline(
            lag_step=1.0 / fps,
            by_subject=n_subjects > 1,
            random_state=seed,
            **ridge_grid,
        ),
    }


# --------------------------------------------------------------------------- #
# one data set, one seed


def run_dataset(
    rec: RealRecording, *, seed, split, quick, n_epochs=None, models=None
) -> dict:
    """Return {row name: {column: value}} for one data set and one seed."""
    sizes = dict((QUICK if quick else FULL)[rec.name])
    if n_epochs is not None:
        sizes["n_epochs"] = n_epochs
    fit_ep, test, feats, test_videos = _prepare(rec, split, quick)
    subjects = sorted(fit_ep.metadata["subject"].unique())
    by, occ = _by(test), _occipital_names(test.ch_names)
    freqs = list(rec.stim_freqs)
    classifiers = ("riemann",) if quick else CLASSIFIERS
    k = min(K_EVOKED, sizes["n_samples"])
    n = sizes["n_samples"]
    sfreq = float(fit_ep.info["sfreq"])
    X_test = feats.sel(video=test_videos)
    print(
        f"[{rec.name} seed {seed}] fit on {len(fit_ep)} clips "
        f"({fit_ep.metadata['video'].nunique()} videos), score on {len(test)} "
        f"{split} clips of {len(test_videos)} video(s), subjects {subjects}, "
        f"{len(fit_ep.ch_names)} channels at {sfreq:g} Hz, occipital {occ}, "
        f"n_epochs {sizes['n_epochs']}, K {k}",
        flush=True,
    )
    rows = {}
    t0 = time.perf_counter()
    rows[REAL], rows[CEILING] = _real_rows(
        fit_ep, test, seed=seed, by=by, occ=occ, freqs=freqs, classifiers=classifiers
    )
    print(f"  real rows ({time.perf_counter() - t0:.0f} s)", flush=True)

    def score(name, produce, *, realism=True):
        """Fit and generate with ``produce() -> (model, clips, fit_s)``, score."""
        t0 = time.perf_counter()
        try:
            model, gen, fit_s = produce()
        except Exception as err:  # one failing model must not kill the table
            traceback.print_exc()
            rows[name] = {"note": _error(err)}
            print(f"  {name}: FAILED {_error(err)}", flush=True)
            return None
        row = {"fit_s": fit_s}
        parts = [("following", _following)]
        if realism:
            parts.insert(
                0,
                ("realism", lambda *a, **kw: _realism(test, gen, seed, classifiers)[0]),
            )
        for what, fn in parts:
            try:
                row.update(fn(test, gen, k=k, by=by, occ=occ, freqs=freqs))
            except Exception as err:  # nor one failing statistic
                traceback.print_exc()
                row["note"] = (row.get("note", "") + f" {what}: {_error(err)}").strip()
        rows[name] = row
        print(
            f"  {name}: evoked {row.get('evoked_r', np.nan):.3f}, ident "
            f"{row.get('ident', np.nan):.3f}, C2ST "
            f"{row.get('c2st_riemann', np.nan):.3f}, fit {fit_s:.0f} s "
            f"(row {time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        return model

    def fitted(make):
        t0 = time.perf_counter()
        est = make().fit(feats, fit_ep, verbose=False)
        fit_s = time.perf_counter() - t0
        return est, _generate(est, X_test, subjects, n, seed), fit_s

    n_videos = fit_ep.metadata["video"].nunique()
    factories = _models(
        sfreq, seed, sizes["n_epochs"], quick, rec.fps, len(subjects), n_videos
    )
    if models is not None:  # a subset, by the first word of the row name
        factories = {k: v for k, v in factories.items() if k.split()[0] in models}
    for name, make in factories.items():
        model = score(name, lambda make=make: fitted(make))
        if name == "default generator":
            score(
                "Gaussian part alone (CrossSpectralModel, no network)",
                lambda: (None, *_gaussian(fit_ep, test_videos, subjects, n, seed)),
            )
        if name.startswith("ridge") and model is not None:
            # the same fit, its deterministic prediction (one per video, subject)
            model.set_params(noise=None)
            score(
                "ridge prediction (noise=None)",
                lambda m=model: (m, _generate(m, X_test, subjects, 1, seed), np.nan),
                realism=False,
            )
    return rows


# --------------------------------------------------------------------------- #
# table


def _summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and s.d. over seeds per (dataset, row)."""
    cols = [c for c in COLUMNS + ["ident_chance"] if c in runs.columns]
    grouped = runs.groupby(["dataset", "row"], sort=False)
    mean = grouped[cols].mean()
    sd = grouped[cols].std(ddof=1)
    notes = grouped["note"].agg(
        lambda s: "; ".join(sorted({str(v) for v in s if isinstance(v, str) and v}))
    )
    out = mean.add_suffix("_mean").join(sd.add_suffix("_sd")).join(notes)
    out["n_seeds"] = grouped.size()
    return out


def _cell(mean, sd, col) -> str:
    if not np.isfinite(mean):
        return ""
    digits = 0 if col == "fit_s" else (1 if col.startswith(("snr", "amp_uV")) else 3)
    text = f"{mean:.{digits}f}"
    if np.isfinite(sd):
        text += f" ± {sd:.{digits}f}"
    return text


def to_markdown(summary: pd.DataFrame) -> str:
    """One markdown table: data set, row, then every column present."""
    cols = [c for c in COLUMNS if f"{c}_mean" in summary.columns]
    head = ["data", "row", *cols, "note"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (dataset, row), vals in summary.iterrows():
        cells = [_cell(vals[f"{c}_mean"], vals[f"{c}_sd"], c) for c in cols]
        note = vals["note"] if isinstance(vals["note"], str) else ""
        lines.append("| " + " | ".join([dataset, row, *cells, note]) + " |")
    return "\n".join(lines)


def targets(summary: pd.DataFrame) -> pd.DataFrame:
    """The issue's targets on the default generator's row (means over seeds)."""
    out = []
    for dataset in summary.index.get_level_values(0).unique():
        s = summary.loc[dataset]
        if "default generator" not in s.index:
            continue
        g, real = s.loc["default generator"], s.loc[REAL]
        ceil = s.loc[CEILING]

        def m(row, col):
            return row.get(f"{col}_mean", np.nan)

        checks = [
            ("C2ST riemann <= 0.60", m(g, "c2st_riemann"), m(g, "c2st_riemann") <= 0.6),
            (
                "C2ST braindecode <= 0.60",
                m(g, "c2st_braindecode"),
                m(g, "c2st_braindecode") <= 0.6,
            ),
            (
                "amplitude within 10 %",
                m(g, "amp_ratio"),
                abs(m(g, "amp_ratio") - 1) <= 0.1,
            ),
            (
                "aperiodic exponent within 0.1",
                m(g, "exp_diff"),
                abs(m(g, "exp_diff")) <= 0.1,
            ),
            (
                "alpha peak within 20 %",
                m(g, "alpha_rel_diff"),
                abs(m(g, "alpha_rel_diff")) <= 0.2,
            ),
            (
                "neighbour r within 0.05",
                m(g, "neighbour_r") - m(real, "neighbour_r"),
                abs(m(g, "neighbour_r") - m(real, "neighbour_r")) <= 0.05,
            ),
            (
                "distant r within 0.05",
                m(g, "distant_r") - m(real, "distant_r"),
                abs(m(g, "distant_r") - m(real, "distant_r")) <= 0.05,
            ),
            (
                "Riemann distance <= 1.2 x real vs real",
                m(g, "riemann") / m(ceil, "riemann"),
                m(g, "riemann") <= 1.2 * m(ceil, "riemann"),
            ),
        ]
        if np.isfinite(m(real, "ident")):
            ridge = s.loc[[r for r in s.index if r.startswith("ridge prediction")]]
            ridge_r = float(ridge["evoked_r_mean"].max()) if len(ridge) else np.nan
            checks += [
                (
                    "evoked r >= 0.8 x real split-half",
                    m(g, "evoked_r") / m(real, "evoked_r"),
                    m(g, "evoked_r") >= 0.8 * m(real, "evoked_r"),
                ),
                (
                    "evoked r above the ridge prediction",
                    m(g, "evoked_r") - ridge_r,
                    m(g, "evoked_r") > ridge_r,
                ),
                (
                    "identification >= 0.8 x single real clips",
                    m(g, "ident") / m(real, "ident"),
                    m(g, "ident") >= 0.8 * m(real, "ident"),
                ),
            ]
        for col in [c for c in COLUMNS if c.startswith("snr_")]:
            if np.isfinite(m(real, col)):
                ratio = m(g, col) / m(real, col)
                checks.append(
                    (f"SSVEP {col[4:]} SNR within 25 %", ratio, abs(ratio - 1) <= 0.25)
                )
        for name, value, met in checks:
            met = "n/a" if not np.isfinite(value) else ("yes" if met else "NO")
            out.append(dict(data=dataset, target=name, value=value, met=met))
    return pd.DataFrame(out)


def main(argv=None) -> pd.DataFrame:
    """Run the benchmark; print and save the table; return the summary."""
    args = _parse(argv)
    mne.set_log_level("WARNING")
    out = args.out.expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    print(
        f"Real recordings in {args.root}; {args.seeds} seed(s); "
        f"{'quick' if args.quick else 'default'} sizes; load average "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        flush=True,
    )
    records = []
    for name in args.datasets:
        t0 = time.perf_counter()
        loader = LOADERS[name]
        kw = {}
        if name == "cvep":
            kw["subjects"] = (QUICK if args.quick else FULL)["cvep"]["subjects"]
        else:
            kw["l_freq"] = args.ssvep_l_freq
        rec = loader(args.root, **kw)
        for seed in range(args.seeds):
            rows = run_dataset(
                rec,
                seed=seed,
                split=args.split,
                quick=args.quick,
                n_epochs=args.n_epochs,
                models=args.models,
            )
            for row, vals in rows.items():
                records.append(dict(dataset=name, row=row, seed=seed, **vals))
        print(f"[{name}] {time.perf_counter() - t0:.0f} s", flush=True)
    runs = pd.DataFrame.from_records(records)
    if "note" not in runs.columns:
        runs["note"] = ""
    summary = _summary(runs)
    table = to_markdown(summary)
    goals = targets(summary)
    print()
    print(table)
    print()
    if len(goals):
        print("Targets (default generator, mean over seeds):")
        print(goals.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    runs.to_csv(out / "real_data_runs.csv", index=False)
    summary.to_csv(out / "real_data.csv")
    goals.to_csv(out / "real_data_targets.csv", index=False)
    (out / "real_data.md").write_text(table + "\n")
    print(
        f"\nSaved {out / 'real_data.md'}, real_data.csv, real_data_runs.csv, "
        f"real_data_targets.csv (total {time.perf_counter() - t_start:.0f} s)"
    )
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
