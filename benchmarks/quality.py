"""Quality benchmark: does the generated EEG follow the video, and is it EEG?

Runs on the simulator (``simulate_video_eeg``, whose clean video-locked truth
is known), once per seed: the seed draws the simulated data, the split and the
fits. The last subject is held out entirely. The videos are split, stratified
by emotion, into training (2/3), validation (1/6) and test (1/6) clips:
``--split val`` scores the validation clips (where every choice - sampler,
steps, epochs, architecture - is made) and ``--split test`` the test clips,
once, for the README table. Every row is the mean +- s.d. over ``--seeds``
(at least 3 for the table); a difference is one only beyond 2 s.d.

Rows: the true process (the clean truth + the data's own noise: residual
epochs ``real - clean`` of training clips of the same subject and emotion),
the baselines at full strength (video-blind grand average; the mTRF encoding
model with an onset regressor; the emotion templates), the unconditional
diffusion that knows a video started but not which (``condition_on_video=
"onset"``), the full model, the held-out subject (population embedding) and,
with ``--ablations``, the sampler and architecture ablations.

Headline columns are proper: the energy score of the K samples against each
real clip, as a ratio to the true process's (``energy_ratio``; 1 = as good as
the truth, lower is better, and shrinking the samples cannot improve it), and
the dispersion ratio (the samples' within-video variance over the real
residual's, per band; 1 = right spread). The evoked correlation and its ratio
to the noise ceiling are reported beside the dispersion, never alone; the
video-specific signal is evoked minus mismatched (another video's truth).
TSTR (train on generated, test on real), TRTS (train on real training clips,
test on generated) and TRTR (train on real training clips, test on real) use
one classifier (log band power + logistic regression,
:func:`mne_video2eeg.metrics.tstr_score`).

Usage::

    python benchmarks/quality.py [--quick] [--seeds 0 1 2] [--split val|test]
        [--n-clips 60] [--n-subjects 3] [--n-epochs 150] [--n-samples 32]
        [--simulator default|easy] [--ablations] [--out DIR]
"""

from __future__ import annotations

import argparse
import ast
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import mne  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import xarray as xr  # noqa: E402

from mne_video2eeg import Video2EEGGenerator, extract_video_features  # noqa: E402
from mne_video2eeg.baselines import (  # noqa: E402
    EmotionTemplateBaseline,
    GrandAverageBaseline,
    RidgeEncodingBaseline,
)
from mne_video2eeg.datasets import simulate_video_eeg  # noqa: E402
from mne_video2eeg.metrics import evaluate, tstr_score  # noqa: E402

BANDS = ("delta", "theta", "alpha", "beta", "gamma")
# the demo's CPU configuration (mne_video2eeg.cli.DEMO_PARAMS)
FULL_PARAMS = dict(module__width=48, module__depth=2, batch_size=16)
QUICK_PARAMS = dict(module__width=8, module__depth=1, batch_size=16)
# sampler ablations, (sampler, steps), on the same fit and initial noise
SAMPLERS = [
    ("trigflow", 10),
    ("dpmsolver", 10),
    ("dpmsolver", 25),
    ("ddim", 100),
    ("ddpm", 50),
]
# classifier-free guidance scales on the same fit (0: the residual's
# unconditional branch; the expected EEG is never dropped)
GUIDANCE = (0.0, 0.5)
SAMPLER_LABELS = dict(
    trigflow="TrigFlow PC3", dpmsolver="DPM-Solver++", ddim="DDIM", ddpm="DDPM"
)
ABLATIONS = {
    "no spatial attention": dict(spatial_attention=False),
    "no self-play": dict(self_play=False),
    "no Graph-DA": dict(graph_da=False),
    "electrode graph only": dict(graphs=("electrode",)),
    "signal graph only": dict(graphs=("signal",)),
    "per-channel whitening": dict(whiten="spectral"),
    "no subject dropout": dict(module__subject_drop_prob=0.0),
}
METRICS = [
    "band_similarity",
    "psd_distance",
    "evoked_correlation",
    "energy_score",
    "dispersion_ratio",
    "covariance_similarity",
]
ORACLE = "true process (truth + own noise)"
ROW_GROUPS = ("oracle", "baselines", "unconditional", "full")
ABLATION_GROUPS = ("samplers", "guidance", "architecture")
FULL = "full model"
HEADLINE = [
    "energy_ratio",
    "disp_min",
    "disp_max",
    "evoked_r",
    "ratio",
    "video_specific",
    "level_mean",
    "tstr",
    "trts",
    "trtr",
]


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (for the test)")
    p.add_argument("--seeds", type=int, nargs="+", default=None, help="default 0 1 2")
    p.add_argument("--split", choices=("val", "test"), default="val")
    p.add_argument("--n-clips", type=int, default=None, help="default 60 (quick 18)")
    p.add_argument("--n-subjects", type=int, default=None, help="default 3 (quick 2)")
    p.add_argument(
        "--n-epochs",
        type=int,
        default=None,
        help="default 150, chosen on --split val (quick 2)",
    )
    p.add_argument("--n-samples", type=int, default=None, help="K, default 32 (4)")
    p.add_argument(
        "--simulator",
        default="default",
        help="simulate_video_eeg's setting (its snr=...; 'easy' is the v1 setting)",
    )
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument(
        "--ablations",
        nargs="*",
        choices=ABLATION_GROUPS,
        default=None,
        help="ablation rows: samplers and guidance scales on the full model's fit, "
        "one fit per architecture change (no value: all three)",
    )
    p.add_argument(
        "--rows",
        nargs="+",
        choices=ROW_GROUPS,
        default=list(ROW_GROUPS),
        help="row groups to run (default all; 'full' includes the held-out subject)",
    )
    p.add_argument(
        "--params",
        nargs="+",
        default=[],
        metavar="NAME=VALUE",
        help="generator parameters of the full and unconditional rows "
        "(a choice to make on --split val), e.g. expected_eeg=learned",
    )
    args = p.parse_args(argv)
    quick = dict(n_clips=18, n_subjects=2, n_epochs=2, n_samples=4, seeds=[0])
    full = dict(n_clips=60, n_subjects=3, n_epochs=150, n_samples=32, seeds=[0, 1, 2])
    for k, v in (quick if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    if args.n_subjects < 2:
        p.error("--n-subjects must be >= 2 (training subjects + 1 held out)")
    try:
        args.params = {
            k: _literal(v) for k, v in (item.split("=", 1) for item in args.params)
        }
    except ValueError:
        p.error(f"--params takes NAME=VALUE pairs, got {args.params}")
    return args


def _literal(text):
    """A --params value: a Python literal (1e-3, True, "x") or else the string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _split(md, seed):
    """Training, validation and test videos: 2/3, 1/6, 1/6, stratified by emotion."""
    rng = np.random.default_rng(seed)
    per_video = md.drop_duplicates("video").set_index("video")["emotion"]
    split = {"train": [], "val": [], "test": []}
    for _, vids in sorted(per_video.groupby(per_video).groups.items()):
        vids = list(rng.permutation(sorted(vids)))
        n = max(1, int(round(len(vids) / 6)))
        split["test"] += vids[:n]
        split["val"] += vids[n : 2 * n]
        split["train"] += vids[2 * n :]
    return {k: sorted(v) for k, v in split.items()}


class _Timed:
    """Wall-clock seconds per generated sample of one row."""

    def __init__(self):
        self.seconds, self.n = 0.0, 0

    def __call__(self, fn, *a, **kw):
        t0 = time.perf_counter()
        out = fn(*a, **kw)
        self.seconds += time.perf_counter() - t0
        self.n += len(out)
        return out

    @property
    def per_sample(self):
        return self.seconds / self.n if self.n else np.nan


def _generate(est, feats, subjects, emotions, k, seed):
    """K samples per held-out clip for each training subject, concatenated."""
    timer = _Timed()
    parts = [
        timer(
            est.generate,
            feats,
            subject=s,
            n_samples=k,
            emotion=emotions,
            random_state=seed + i,
        )
        for i, s in enumerate(subjects)
    ]
    return mne.concatenate_epochs(parts, verbose=False), timer.per_sample


def _oracle(real, clean, pool_real, pool_clean, k, seed):
    """The true process: clean truth + K residual epochs of the same subject/emotion.

    The simulation's noise (alpha, theta, 1/f background, sensor noise) is
    independent across epochs; its oscillation amplitudes follow the clip's
    drive and valence, hence residuals of clips of the same emotion first,
    then (the pool holds 17 per subject and emotion at the default sizes,
    K = 32) of the subject's other clips. Never a residual twice: a repeated
    one makes the K samples alike, which lowers their dispersion and raises
    their energy score (it did, to 1.07 x, before).
    """
    rng = np.random.default_rng(seed)
    resid = pool_real.get_data() - pool_clean.get_data()
    pmd = pool_real.metadata.reset_index(drop=True)
    md = real.metadata.reset_index(drop=True)
    c = clean.get_data()
    data, rows = [], []
    for i, row in md.iterrows():
        subj = (pmd["subject"] == row["subject"]).to_numpy()
        same = subj & (pmd["emotion"] == row["emotion"]).to_numpy()
        if k > subj.sum():
            raise ValueError(
                f"K={k} samples need {k} residuals of subject {row['subject']}, "
                f"the pool has {subj.sum()}; pass a smaller --n-samples."
            )
        order = [rng.permutation(np.flatnonzero(m)) for m in (same, subj & ~same)]
        pick = np.concatenate(order)[:k]
        data.append(c[i] + resid[pick])
        rows += [dict(row[["video", "subject", "emotion"]], sample=j) for j in range(k)]
    meta = pd.DataFrame(rows)
    codes = meta["emotion"].map(real.event_id).to_numpy()
    events = np.column_stack([np.arange(len(meta)), np.zeros(len(meta), int), codes])
    return mne.EpochsArray(
        np.concatenate(data),
        real.info,
        events=events,
        event_id=real.event_id,
        metadata=meta,
        verbose=False,
    )


def _row(ds) -> dict:
    """The columns of one row from an evaluate() Dataset."""
    disp = ds["dispersion_ratio"]
    row = {
        "energy_score": ds["energy_score"],
        "energy_ratio": ds["energy_ratio"],
        "disp_min": disp.min(),
        "disp_max": disp.max(),
        **{f"disp_{b}": disp.sel(band=b) for b in BANDS},
        "evoked_r": ds["evoked_correlation"],
        "ceiling": ds["evoked_ceiling"],
        "ratio": ds["evoked_ratio"],
        "mismatched": ds["evoked_mismatched"],
        "video_specific": ds["evoked_correlation"] - ds["evoked_mismatched"],
        **{f"level_{b}": ds["band_similarity"].sel(band=b) for b in BANDS},
        "level_mean": ds["band_similarity"].mean(),
        "psd_dB": ds["psd_distance"],
        "cov_sim": ds["covariance_similarity"],
    }
    return {k: float(v) for k, v in row.items()}


def _classifiers(real_train, real_test, gen, seed) -> dict:
    """TSTR, TRTS and TRTR with one classifier (tstr_score's).

    ``tstr_score(a, b)["tstr"]`` is the accuracy on ``a`` of the classifier
    trained on ``b``; the three directions are three calls.
    """

    def acc(test, train):
        try:
            return float(tstr_score(test, train, random_state=seed)["tstr"])
        except ValueError as err:  # too few epochs per emotion (--quick)
            print(f"  classifier skipped: {err}")
            return np.nan

    return {
        "tstr": acc(real_test, gen),
        "trts": acc(gen, real_train),
        "trtr": acc(real_test, real_train),
        "n_tstr_test": len(real_test),
        "n_trts_test": len(gen),
    }


def _simulate(args, out, seed):
    kw = {} if args.simulator == "default" else {"snr": args.simulator}
    return simulate_video_eeg(
        out / f"videos_{args.simulator}",
        n_subjects=args.n_subjects,
        n_clips=args.n_clips,
        return_clean=True,
        random_state=seed,
        **kw,
    )


def run_seed(args, seed, out, curves=None) -> dict[str, dict]:
    """Every row of the table for one seed."""
    k = args.n_samples
    arch = QUICK_PARAMS if args.quick else FULL_PARAMS
    params = dict(arch, n_epochs=args.n_epochs, random_state=seed, device="cpu")
    params.update(args.params)
    videos, epochs, clean = _simulate(args, out, seed)
    feats = extract_video_features(videos)
    md = epochs.metadata.reset_index(drop=True)
    subjects = sorted(md["subject"].unique())
    train_subj, held_subj = subjects[:-1], subjects[-1]
    split = _split(md, seed)
    scored = split[args.split]
    in_train_subj = md["subject"].isin(train_subj).to_numpy()
    tr = np.flatnonzero(in_train_subj & md["video"].isin(split["train"]).to_numpy())
    ev = np.flatnonzero(in_train_subj & md["video"].isin(scored).to_numpy())
    real, truth, real_train = epochs[ev], clean[ev], epochs[tr]
    X_eval = feats.sel(video=scored)
    emotions = dict(zip(md["video"], md["emotion"], strict=True))
    emotions = {v: emotions[v] for v in scored}
    print(
        f"seed {seed}: {args.n_clips} clips x {args.n_subjects} subjects, "
        f"training subjects {train_subj} on {len(split['train'])} videos, "
        f"{len(scored)} {args.split} videos, held-out subject {held_subj!r}, K={k}",
        flush=True,
    )
    rows = {}

    def add(name, gen, per_sample, fit_s=np.nan):
        t0 = time.perf_counter()
        ds = evaluate(
            real, gen, clean=truth, n_samples=k, metrics=METRICS, random_state=seed
        )
        rows[name] = {**_row(ds), **_classifiers(real_train, real, gen, seed)}
        rows[name].update(s_per_sample=per_sample, fit_s=fit_s)
        if curves is not None:
            curves.setdefault(name, _mean_psd(gen))
        print(
            f"  {name}: energy ratio {rows[name]['energy_ratio']:.3f}, dispersion "
            f"{rows[name]['disp_min']:.2f}-{rows[name]['disp_max']:.2f}, evoked "
            f"{rows[name]['evoked_r']:.3f} (fit {fit_s:.0f} s, scored in "
            f"{time.perf_counter() - t0:.0f} s)",
            flush=True,
        )

    def fit(est, X=feats):
        t0 = time.perf_counter()
        est.fit(X, real_train)
        return est, time.perf_counter() - t0

    if "oracle" in args.rows:
        add(ORACLE, _oracle(real, truth, real_train, clean[tr], k, seed), np.nan)
    baselines = (
        ("grand average (video-blind)", GrandAverageBaseline(random_state=seed)),
        ("mTRF encoding (onset + features)", RidgeEncodingBaseline(random_state=seed)),
        ("emotion templates (true labels)", EmotionTemplateBaseline(random_state=seed)),
    )
    for name, est in baselines if "baselines" in args.rows else ():
        est, fit_s = fit(est)
        g, per = _generate(est, X_eval, train_subj, emotions, k, seed)
        add(name, g, per, fit_s)
    if "unconditional" in args.rows:
        est, fit_s = fit(
            Video2EEGGenerator(**{**params, "condition_on_video": "onset"})
        )
        g, per = _generate(est, X_eval, train_subj, emotions, k, seed)
        add("unconditional diffusion (onset kept)", g, per, fit_s)
    if "full" not in args.rows:
        return rows
    full, fit_s = fit(Video2EEGGenerator(**params))
    g, per = _generate(full, X_eval, train_subj, emotions, k, seed)
    add(FULL, g, per, fit_s)
    # --ablations without a value: every group
    ablations = set(ABLATION_GROUPS if args.ablations == [] else args.ablations or ())

    def same_fit(label, **change):  # the same fit and initial noise
        before = {name: full.get_params()[name] for name in change}
        full.set_params(**change)
        g, per = _generate(full, X_eval, train_subj, emotions, k, seed)
        add(label, g, per)
        full.set_params(**before)

    for sampler, steps in SAMPLERS if "samplers" in ablations else ():
        same_fit(
            f"{SAMPLER_LABELS[sampler]} {steps} steps (same fit)",
            sampler=sampler,
            n_inference_steps=steps,
        )
    for scale in GUIDANCE if "guidance" in ablations else ():
        same_fit(f"guidance {scale:g} (same fit)", guidance_scale=scale)
    if "architecture" in ablations:
        for name, change in ABLATIONS.items():
            est, fit_s = fit(Video2EEGGenerator(**{**params, **change}))
            g, per = _generate(est, X_eval, train_subj, emotions, k, seed)
            add(name, g, per, fit_s)
    # the held-out subject: its leave-one-subject-out fold on the scored
    # videos; the full model was fitted on exactly that fold's training set
    held = md["subject"].eq(held_subj).to_numpy()
    hv = np.flatnonzero(held & md["video"].isin(scored).to_numpy())
    g = full.generate(X_eval, n_samples=k, emotion=emotions, random_state=seed)
    ds = evaluate(
        epochs[hv], g, clean=clean[hv], n_samples=k, metrics=METRICS, random_state=seed
    )
    name = "held-out subject (population embedding)"
    rows[name] = {**_row(ds), **_classifiers(real_train, epochs[hv], g, seed)}
    print(f"  {name}: evoked ratio {rows[name]['ratio']:.3f}", flush=True)
    return rows


def _summary(per_seed: pd.DataFrame) -> pd.DataFrame:
    """Mean and s.d. over seeds of every column, per row (in run order)."""
    order = list(dict.fromkeys(per_seed.index.get_level_values("row")))
    grouped = per_seed.groupby(level="row", sort=False)
    mean, sd = grouped.mean().loc[order], grouped.std(ddof=1).loc[order]
    return pd.concat({"mean": mean, "sd": sd}, axis=1)


def _targets(summary: pd.DataFrame) -> pd.DataFrame:
    """Issue 18's targets on the full model's row (mean +- s.d. over seeds)."""
    m, sd = summary["mean"], summary["sd"]
    if FULL not in m.index or ORACLE not in m.index:  # a --rows subset
        return pd.DataFrame(columns=["target", "value", "met"]).set_index("target")
    full, oracle = m.loc[FULL], m.loc[ORACLE]
    baselines = [r for r in m.index if "baseline" in r or "(video-blind)" in r]
    baselines += [r for r in m.index if r.startswith(("mTRF", "emotion templates"))]
    best = m.loc[baselines, "energy_ratio"].idxmin() if baselines else None
    # energy_ratio is already the ratio to the true process's score on the
    # scored clips (clean truth + their own residuals, no repeated member)
    rows = [
        (
            "energy score within 5 % of the true process's",
            full["energy_ratio"],
            full["energy_ratio"] <= 1.05,
        ),
    ]
    if best is not None:
        gap = m.loc[best, "energy_ratio"] - full["energy_ratio"]
        noise = 2 * np.hypot(sd.loc[best, "energy_ratio"], sd.loc[FULL, "energy_ratio"])
        rows.append((f"energy better than {best} beyond 2 s.d.", gap, gap > noise))
    disp = [full[f"disp_{b}"] for b in BANDS]
    rows += [
        ("dispersion ratio 0.9-1.1 in every band (worst band)",
         max(disp, key=lambda v: abs(v - 1)), all(0.9 <= v <= 1.1 for v in disp)),
        ("evoked ratio >= 0.9 (with the dispersion above)", full["ratio"],
         full["ratio"] >= 0.9),
        ("video-specific >= 0.8 x the true process's",
         full["video_specific"] / oracle["video_specific"],
         full["video_specific"] >= 0.8 * oracle["video_specific"]),
    ]  # fmt: skip
    held = "held-out subject (population embedding)"
    if held in m.index:
        rel = m.loc[held, "ratio"] / full["ratio"]
        ok = full["ratio"] > 0 and rel >= 0.8  # a ratio of two negatives is no pass
        rows.append(("held-out subject ratio >= 0.8 x in-subject", rel, ok))
    chance = 1 / 3  # three balanced emotions
    for col in ("tstr", "trts"):
        rel = full[col] / full["trtr"]
        # a ratio of two chance-level accuracies says nothing
        ok = bool(rel >= 0.9) and full["trtr"] > chance + 2 * sd.loc[FULL, "trtr"]
        rows.append((f"{col.upper()} >= 0.9 x TRTR (TRTR above chance)", rel, ok))
    return pd.DataFrame(rows, columns=["target", "value", "met"]).set_index("target")


def markdown(summary: pd.DataFrame, cols=HEADLINE) -> str:
    """The README table: mean +- s.d. over seeds of the headline columns."""
    m, sd = summary["mean"], summary["sd"]
    lines = [
        "| row | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for row in m.index:
        cells = []
        for c in cols:
            v, e = m.loc[row, c], sd.loc[row, c]
            cells.append(
                "" if not np.isfinite(v)
                else f"{v:.2f}" if not np.isfinite(e) else f"{v:.2f} +- {e:.2f}"
            )  # fmt: skip
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _figure(curves, table, fname):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    for name, (freqs, db) in curves.items():
        ax1.plot(
            freqs,
            db,
            label=name,
            lw=2 if name == "real" else 1.2,
            color="k" if name == "real" else None,
        )
    ax1.set(
        xlabel="Frequency (Hz)",
        ylabel="PSD (dB re 1 µV²/Hz)",
        title="Held-out clips: mean power spectrum",
    )
    ax1.legend(fontsize=8)
    names = [n for n in curves if n != "real" and n in table.index]
    x, w = np.arange(len(BANDS)), 0.8 / max(len(names), 1)
    for i, name in enumerate(names):
        vals = [table.loc[name, f"level_{b}"] for b in BANDS]
        ax2.bar(x + (i - (len(names) - 1) / 2) * w, vals, w, label=name)
    ax2.axhline(0.95, color="k", lw=0.6, ls="--")
    ax2.set(
        xticks=x,
        xticklabels=BANDS,
        ylim=(0, 1.05),
        ylabel="Band similarity",
        title="Band-power level similarity (dashed: target 0.95)",
    )
    ax2.legend(fontsize=8, loc="lower left")
    fig.savefig(fname, dpi=110)
    plt.close(fig)


def _mean_psd(inst):
    spec = inst.compute_psd(
        method="welch", fmin=1.0, fmax=45.0, n_fft=400, verbose=False
    )
    psd, freqs = spec.get_data(return_freqs=True)
    return freqs, 10 * np.log10(psd.mean(axis=(0, 1)) * 1e12)


def main(argv=None) -> pd.DataFrame:
    """Run the benchmark over seeds; print and save the tables; return the summary."""
    args = _parse(argv)
    mne.set_log_level("WARNING")
    out = args.out.expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    t_start = time.perf_counter()
    per_seed, curves = {}, {}
    for seed in args.seeds:
        rows = run_seed(args, seed, out, curves if seed == args.seeds[0] else None)
        for name, row in rows.items():
            per_seed[(seed, name)] = row
        # partial results survive an interrupted run
        pd.DataFrame.from_dict(per_seed, orient="index").to_csv(
            out / f"quality_{args.split}_per_seed.csv"
        )
    table = pd.DataFrame.from_dict(per_seed, orient="index")
    table.index.names = ["seed", "row"]
    summary = _summary(table)
    targets = _targets(summary)
    with pd.option_context("display.width", 400, "display.max_columns", 100):
        print()
        print(summary["mean"].to_string(float_format=lambda v: f"{v:.3f}"))
        print()
        print(markdown(summary))
        print()
        print(f"Targets (full model, {args.split} clips, seeds {args.seeds}):")
        print(targets.to_string(float_format=lambda v: f"{v:.3f}"))
    table.to_csv(out / f"quality_{args.split}_per_seed.csv")
    summary.to_csv(out / f"quality_{args.split}.csv")
    targets.to_csv(out / f"quality_{args.split}_targets.csv")
    ds = xr.Dataset.from_dataframe(table)
    ds.attrs.update(
        n_clips=args.n_clips,
        n_subjects=args.n_subjects,
        n_epochs=args.n_epochs,
        n_samples=args.n_samples,
        seeds=",".join(map(str, args.seeds)),
        split=args.split,
        simulator=args.simulator,
    )
    ds.to_netcdf(out / f"quality_{args.split}.nc", engine="h5netcdf")
    _figure(curves, summary["mean"], out / f"quality_{args.split}.png")
    print(
        f"\nSaved {out / f'quality_{args.split}.csv'} (+ per-seed, targets, .nc, .png; "
        f"total {time.perf_counter() - t_start:.0f} s)"
    )
    return summary


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
