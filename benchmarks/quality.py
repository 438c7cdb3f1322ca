"""Quality benchmark: does the generated EEG follow the video, and is it EEG?

One run on the simulated dataset (``simulate_video_eeg``, whose clean
video-locked truth is known). The last subject is held out entirely; of the
others, 1/6 of the clips (stratified by emotion, at least 2 per emotion) are
held out of training. Every row is scored on those held-out clips: the
in-sample-subject rows against the training subjects' epochs of the held-out
clips (generated with each subject's embedding), the held-out-subject row
(one fold of :func:`mne_video2eeg.protocols.leave_one_subject_out`, population
embedding) against the held-out subject's epochs.

Rows: noise ceiling (the clean truth + the data's own noise: residual epochs
``real - clean`` of training clips of the same subject and emotion), the
baselines, unconditional diffusion (same network, no video), the full model,
sampler ablations on the SAME fitted model (no refit), architecture ablations
(one fit each), 2 Hz video features, the held-out subject, and the paper's
reported figures. The architecture ablations include the spectral whitening
(``whiten=False``) and a patch of 50 samples (the speed lever of issue 9).
Columns: metrics of :func:`mne_video2eeg.metrics.evaluate`
and seconds per generated sample (wall clock on this machine: noisy when the
machine is shared).

Default sizes: 3 subjects x 60 clips (2 training subjects, 1 held out), 9
held-out clips (3 per emotion), 51 training clips, K = 32 samples per (clip,
subject) (K = 8 for the sampler rows, whose cost grows with the steps), the
demo's CPU configuration of the generator (width 48, depth 2, batch 16, 60
epochs; every other parameter at the estimator's default).

Usage::

    python benchmarks/quality.py [--quick] [--n-clips 60] [--n-subjects 3]
        [--n-epochs 60] [--n-samples 32] [--seed 0] [--out DIR] [--skip-ablations]
"""

from __future__ import annotations

import argparse
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
    RidgeEncodingBaseline,
)
from mne_video2eeg.datasets import simulate_video_eeg  # noqa: E402
from mne_video2eeg.metrics import evaluate, tstr_score  # noqa: E402
from mne_video2eeg.nn.eeg_features import EEGFeatureNet  # noqa: E402
from mne_video2eeg.protocols import leave_one_subject_out  # noqa: E402

BANDS = ("delta", "theta", "alpha", "beta", "gamma")
# the demo's CPU configuration (mne_video2eeg.cli.DEMO_PARAMS)
FULL_PARAMS = dict(module__width=48, module__depth=2, batch_size=16)
QUICK_PARAMS = dict(module__width=8, module__depth=1, batch_size=16)
# sampler ablations, (sampler, steps); the estimator's default (trigflow, 6)
# is the full row; DDIM 100 is the reference of issue 9's "default quality"
SAMPLERS = [("trigflow", 10), ("dpmsolver", 6), ("dpmsolver", 10)]
SAMPLERS += [("dpmsolver", 25), ("ddim", 50), ("ddim", 100)]
SAMPLER_LABELS = dict(trigflow="TrigFlow PC3", dpmsolver="DPM-Solver++", ddim="DDIM")
SAMPLER_TOLERANCE = 0.02
ABLATIONS = {
    "no spatial attention": dict(spatial_attention=False),
    "no self-play": dict(self_play=False),
    "no Graph-DA": dict(graph_da=False),
    "electrode graph only": dict(graphs=("electrode",)),
    "signal graph only": dict(graphs=("signal",)),
    "per-channel whitening (previous default)": dict(whiten="spectral"),
    "no spectral whitening": dict(whiten=False),
    "patch 50 (half the time tokens: 2x faster)": dict(module__patch_size=50),
}
METRICS = [
    "mse",
    "pearson_correlation",
    "band_similarity",
    "psd_distance",
    "evoked_correlation",
    "lagged_xcorr",
    "covariance_similarity",
    "eeg_fid",
]
PAPER = {
    "mse": 0.5109,
    "pearson": 0.0054,
    **{
        f"level_{b}": v
        for b, v in zip(BANDS, (0.92, 0.88, 0.85, 0.82, 0.78), strict=True)
    },
    "s_per_sample": 0.0333,
}


def _parse(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes (for the test)")
    p.add_argument("--n-clips", type=int, default=None, help="default 60 (quick 18)")
    p.add_argument("--n-subjects", type=int, default=None, help="default 3 (quick 2)")
    p.add_argument("--n-epochs", type=int, default=None, help="default 60 (quick 2)")
    p.add_argument("--n-samples", type=int, default=None, help="K, default 32 (4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    p.add_argument("--skip-ablations", action="store_true")
    args = p.parse_args(argv)
    quick = dict(n_clips=18, n_subjects=2, n_epochs=2, n_samples=4)
    full = dict(n_clips=60, n_subjects=3, n_epochs=60, n_samples=32)
    for k, v in (quick if args.quick else full).items():
        if getattr(args, k) is None:
            setattr(args, k, v)
    if args.n_subjects < 2:
        p.error("--n-subjects must be >= 2 (training subjects + 1 held out)")
    return args


def _split(md, seed, n_clips):
    """Held-out clips: 1/6 of the videos, stratified by emotion, >= 2 per emotion."""
    rng = np.random.default_rng(seed)
    per_video = md.drop_duplicates("video").set_index("video")["emotion"]
    groups = per_video.groupby(per_video).groups
    n_per = max(2, int(round(n_clips / 6 / len(groups))))
    test = []
    for emo in sorted(groups):
        vids = sorted(groups[emo])
        test += rng.choice(vids, min(n_per, len(vids) - 1), replace=False).tolist()
    return sorted(test)


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
    drive and valence, hence residuals of clips of the same emotion. When the
    pool holds fewer than K such residuals (17 per subject and emotion at the
    default sizes, K = 32) they are drawn with replacement, which makes this
    row's evoked correlation UNDERSTATE the true process: the analytic
    ``ceiling`` column is the reference for the evoked metrics.
    """
    rng = np.random.default_rng(seed)
    resid = pool_real.get_data() - pool_clean.get_data()
    pmd = pool_real.metadata.reset_index(drop=True)
    md = real.metadata.reset_index(drop=True)
    c = clean.get_data()
    data, rows = [], []
    for i, row in md.iterrows():
        same = (pmd["subject"] == row["subject"]) & (pmd["emotion"] == row["emotion"])
        pick = rng.choice(np.flatnonzero(same.to_numpy()), k, replace=k > same.sum())
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


def _score(real, gen, clean, k, net, seed):
    """One row of the table (a dict of floats) from the evaluate() Dataset."""
    ds = evaluate(
        real,
        gen,
        clean=clean,
        n_samples=k,
        metrics=METRICS,
        feature_net=net,
        random_state=seed,
        verbose=False,
    )
    return _row(ds, _tstr(real, gen, seed))


def _tstr(real, gen, seed):
    try:
        return tstr_score(real, gen, random_state=seed, verbose=False)
    except ValueError as err:  # too few held-out epochs per emotion (--quick)
        print(f"  TSTR skipped: {err}")
        return None


def _row(ds, tstr=None):
    row = {
        "evoked_r": ds["evoked_correlation"],
        "ceiling": ds["evoked_ceiling"],
        "ratio": ds["evoked_ratio"],
        "mismatched": ds["evoked_mismatched"],
        **{f"level_{b}": ds["band_similarity"].sel(band=b) for b in BANDS},
        **{f"topo_{b}": ds["band_topography"].sel(band=b) for b in BANDS},
        "psd_dB": ds["psd_distance"],
        "xcorr_lag": ds["xcorr_lag"],
        "cov_sim": ds["covariance_similarity"],
        "pearson": ds["pearson_correlation"],
        "mse": ds["mse"],
        "fid": ds["eeg_fid"] if "eeg_fid" in ds else np.nan,
    }
    if tstr is None and "tstr_ratio" in ds:
        tstr = {"tstr": ds["tstr_accuracy"], "trtr": ds["trtr_accuracy"]}
        tstr["ratio"] = ds["tstr_ratio"]
    if tstr is not None:
        row.update(tstr=tstr["tstr"], trtr=tstr["trtr"], tstr_ratio=tstr["ratio"])
    return {k: float(v) for k, v in row.items()}


def _targets(table: pd.DataFrame) -> pd.DataFrame:
    """The issue's targets, checked on the full model's row."""
    full = table.loc["full model"]
    rows = [
        (
            "evoked ratio >= 0.9 at K (held-out clips)",
            full["ratio"],
            full["ratio"] >= 0.9,
        ),
        (
            "evoked >> mismatched (by >= 0.2)",
            full["evoked_r"] - full["mismatched"],
            full["evoked_r"] - full["mismatched"] >= 0.2,
        ),
        *[
            (
                f"band {kind} {b} >= 0.95",
                full[f"{kind}_{b}"],
                full[f"{kind}_{b}"] >= 0.95,
            )
            for kind in ("level", "topo")
            for b in BANDS
        ],
        ("PSD distance <= 1 dB", full["psd_dB"], full["psd_dB"] <= 1.0),
        (
            "TSTR >= 0.9 TRTR",
            full.get("tstr_ratio", np.nan),
            full.get("tstr_ratio", np.nan) >= 0.9,
        ),
        (
            "xcorr peak lag within +-1 sample",
            full["xcorr_lag"],
            abs(full["xcorr_lag"]) <= 1,
        ),
    ]
    default = [r for r in table.index if "(default, K=" in r]
    ref = [r for r in table.index if r.startswith("DDIM 100 steps")]
    if default and ref:
        cols = ["ratio"] + [f"{kind}_{b}" for kind in ("level", "topo") for b in BANDS]
        gap = (table.loc[default[0], cols] - table.loc[ref[0], cols]).abs().max()
        rows.append(
            (
                "default sampler within 0.02 of DDIM 100 (ratio, band level/topo)",
                gap,
                gap <= SAMPLER_TOLERANCE,
            )
        )
    if "unconditional diffusion" in table.index:
        u = table.loc["unconditional diffusion"]
        gap = full["evoked_r"] - u["evoked_r"]
        rows.append(("conditional - unconditional evoked >= 0.2", gap, gap >= 0.2))
    return pd.DataFrame(rows, columns=["target", "value", "met"]).set_index("target")


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
    """Run the benchmark; print and save the table; return it."""
    args = _parse(argv)
    mne.set_log_level("WARNING")
    out = args.out.expanduser().resolve()
    out.mkdir(parents=True, exist_ok=True)
    seed, k = args.seed, args.n_samples
    arch = QUICK_PARAMS if args.quick else FULL_PARAMS
    params = dict(arch, n_epochs=args.n_epochs, random_state=seed, device="cpu")
    t_start = time.perf_counter()

    videos, epochs, clean = simulate_video_eeg(
        out / "videos",
        n_subjects=args.n_subjects,
        n_clips=args.n_clips,
        return_clean=True,
        random_state=seed,
    )
    feats = extract_video_features(videos)
    md = epochs.metadata.reset_index(drop=True)
    subjects = sorted(md["subject"].unique())
    train_subj, held_subj = subjects[:-1], subjects[-1]
    test = _split(md, seed, args.n_clips)
    is_test = md["video"].isin(test).to_numpy()
    in_train_subj = md["subject"].isin(train_subj).to_numpy()
    tr = np.flatnonzero(in_train_subj & ~is_test)
    ev = np.flatnonzero(in_train_subj & is_test)
    real, truth = epochs[ev], clean[ev]
    X_test = feats.sel(video=test)
    emotions = dict(zip(md["video"], md["emotion"], strict=True))
    emotions = {v: emotions[v] for v in test}
    print(
        f"Simulated {args.n_clips} clips x {args.n_subjects} subjects; training "
        f"subjects {train_subj} on {len(tr) // len(train_subj)} clips, "
        f"{len(test)} held-out clips, held-out subject {held_subj!r}, K={k}"
    )
    net = EEGFeatureNet(n_epochs=2 if args.quick else 30, random_state=seed)
    net.fit(epochs[tr].get_data(), md["emotion"].to_numpy()[tr], sfreq=200.0)

    rows, curves = {}, {"real": _mean_psd(real)}

    def add(name, gen, per_sample, fit_s=np.nan, kk=k):
        t0 = time.perf_counter()
        rows[name] = {"K": kk, **_score(real, gen, truth, kk, net, seed)}
        rows[name]["s_per_sample"] = per_sample
        rows[name]["fit_s"] = fit_s
        # partial results survive an interrupted run
        pd.DataFrame.from_dict(rows, orient="index").to_csv(out / "quality_partial.csv")
        print(
            f"  {name}: evoked {rows[name]['evoked_r']:.3f} "
            f"(fit {fit_s:.0f} s, {per_sample:.4f} s/sample, "
            f"scored in {time.perf_counter() - t0:.0f} s)",
            flush=True,
        )
        return gen

    def fit(est, X=feats):
        t0 = time.perf_counter()
        est.fit(X, epochs[tr])
        return est, time.perf_counter() - t0

    # noise ceiling: the true process
    oracle = _oracle(real, truth, epochs[tr], clean[tr], k, seed)
    add("noise ceiling (truth + own noise)", oracle, np.nan)
    curves["noise ceiling (truth + own noise)"] = _mean_psd(oracle)
    for name, est in (
        ("emotion template", EmotionTemplateBaseline(random_state=seed)),
        ("ridge encoding", RidgeEncodingBaseline(random_state=seed)),
    ):
        est, fit_s = fit(est)
        g, per = _generate(est, X_test, train_subj, emotions, k, seed)
        add(name, g, per, fit_s)
    est, fit_s = fit(Video2EEGGenerator(condition_on_video=False, **params))
    g, per = _generate(est, X_test, train_subj, emotions, k, seed)
    add("unconditional diffusion", g, per, fit_s)
    curves["unconditional diffusion"] = _mean_psd(g)

    full, fit_s = fit(Video2EEGGenerator(**params))
    g, per = _generate(full, X_test, train_subj, emotions, k, seed)
    add("full model", g, per, fit_s)
    curves["full model"] = _mean_psd(g)
    default = (full.sampler, full.n_inference_steps)
    labels = SAMPLER_LABELS
    if not args.skip_ablations:
        # samplers at K/4 samples (sampling cost grows with the steps), all
        # from the same initial noise (same seed and layout), so that their
        # differences are the solvers' and not those of other draws: a K = 8
        # subset of the K = 32 default samples differed from DDIM 100 by
        # 0.021 in delta topography, the same draws by 0.007 at most
        ks = max(2, k // 4)
        for sampler, steps in [default, *SAMPLERS]:
            full.set_params(sampler=sampler, n_inference_steps=steps)
            gs, per_s = _generate(full, X_test, train_subj, emotions, ks, seed)
            which = "default" if (sampler, steps) == default else "same fit"
            add(f"{labels[sampler]} {steps} steps ({which}, K={ks})", gs, per_s, kk=ks)
        full.set_params(sampler=default[0], n_inference_steps=default[1])
        for name, change in ABLATIONS.items():
            est, fit_s = fit(Video2EEGGenerator(**params, **change))
            g, per = _generate(est, X_test, train_subj, emotions, k, seed)
            add(name, g, per, fit_s)
        feats2 = extract_video_features(videos, fps=2.0)
        est, fit_s = fit(Video2EEGGenerator(**params), feats2)
        g, per = _generate(est, feats2.sel(video=test), train_subj, emotions, k, seed)
        add("video features at 2 Hz (default 25 Hz)", g, per, fit_s)

    # the held-out subject: the leave-one-subject-out fold of the held-out
    # subject on the held-out clips; the full model was fitted on exactly that
    # fold's training set, so it is reused (refit=False) instead of refitted
    t0 = time.perf_counter()
    loso = leave_one_subject_out(
        full,
        feats,
        epochs,
        clean=clean,
        subjects=[held_subj],
        test_videos=test,
        n_samples=k,
        metrics=METRICS + ["tstr_score"],
        feature_net=net,
        refit=False,
        random_state=seed,
    ).isel(subject=0)
    name = f"held-out subject {held_subj} (population embedding)"
    rows[name] = {"K": k, **_row(loso)}
    rows[name]["s_per_sample"] = float(loso["sample_time_s"])
    rows[name]["fit_s"] = rows["full model"]["fit_s"]
    print(
        f"  {name}: evoked {rows[name]['evoked_r']:.3f} "
        f"({time.perf_counter() - t0:.0f} s)",
        flush=True,
    )
    rows["paper (reported; other data and definitions)"] = dict(PAPER)

    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "row"
    targets = _targets(table)
    with pd.option_context("display.width", 400, "display.max_columns", 100):
        print()
        print(table.to_string(float_format=lambda v: f"{v:.3f}"))
        print()
        print("Targets (full model, held-out clips):")
        print(targets.to_string(float_format=lambda v: f"{v:.3f}"))
    table.to_csv(out / "quality.csv")
    targets.to_csv(out / "quality_targets.csv")
    ds = xr.Dataset.from_dataframe(table)
    ds.attrs.update(
        n_clips=args.n_clips,
        n_subjects=args.n_subjects,
        n_epochs=args.n_epochs,
        n_samples=k,
        seed=seed,
        held_out_subject=held_subj,
        test_videos=",".join(test),
    )
    ds.to_netcdf(out / "quality.nc", engine="h5netcdf")
    _figure(curves, table, out / "quality.png")
    print(
        f"\nSaved {out / 'quality.csv'}, quality.nc, quality.png "
        f"(total {time.perf_counter() - t_start:.0f} s)"
    )
    return table


if __name__ == "__main__":
    main(sys.argv[1:])
    sys.exit(0)
