"""
.. _ex-evaluation:

=====================================
Evaluating generated EEG vs baselines
=====================================

Does the generated EEG look like EEG, and does it follow the video? We fit
the generator on some videos, generate EEG for held-out videos, and score it
against the recorded EEG of those videos with
:func:`~mne_video2eeg.metrics.evaluate`. Two honest baselines get the same
treatment:

- :class:`~mne_video2eeg.baselines.EmotionTemplateBaseline`: the mean EEG of
  the video's emotion plus resampled noise; realistic, but blind to the video
  itself;
- :class:`~mne_video2eeg.baselines.RidgeEncodingBaseline`: a lagged linear
  encoding model (temporal response function) of the video features.

The simulated data also give the noise-free, video-locked part of the EEG
(``return_clean=True``), so the evoked metrics can be put against their
ceiling. Sizes are tiny to run in seconds; scores from so few clips and such
a short training are noisy.
"""

# %%
import mne
import numpy as np
import pandas as pd

from mne_video2eeg import Video2EEGGenerator, extract_video_features
from mne_video2eeg.baselines import EmotionTemplateBaseline, RidgeEncodingBaseline
from mne_video2eeg.datasets import simulate_video_eeg
from mne_video2eeg.metrics import evaluate
from mne_video2eeg.viz import (
    plot_band_similarity,
    plot_band_topomaps,
    plot_psd_comparison,
)

mne.set_log_level("error")

videos, epochs, clean = simulate_video_eeg(
    n_subjects=1, n_clips=15, return_clean=True, random_state=0
)
feats = extract_video_features(videos)

# %%
# Held-out videos
# ---------------
# Every third video is held out. The models never see its EEG; they are
# given its features and its emotion label (the template baseline needs the
# label; for the others it only labels the output).

md = epochs.metadata
test_videos = [v.name for v in videos[::3]]
is_test = md["video"].isin(test_videos).to_numpy()
train, test = np.flatnonzero(~is_test), np.flatnonzero(is_test)
real, real_clean = epochs[test], clean[test]
emotions = dict(zip(md["video"], md["emotion"], strict=True))
print(f"{len(train)} training clips, {len(test)} held-out clips")

# %%
# Fit and generate
# ----------------

models = {
    "generator": Video2EEGGenerator(
        module__width=16,
        module__depth=1,
        n_epochs=3,
        batch_size=8,
        device="cpu",
        random_state=0,
    ),
    "emotion template": EmotionTemplateBaseline(random_state=0),
    "ridge encoding": RidgeEncodingBaseline(random_state=0),
}
generated = {}
for name, model in models.items():
    model.fit(feats, epochs[train])
    generated[name] = model.generate(
        feats.sel(video=test_videos),
        subject="01",
        n_samples=2,
        emotion=emotions,
        random_state=0,
    )

# %%
# Scores
# ------
# :func:`~mne_video2eeg.metrics.evaluate` returns an :class:`xarray.Dataset`
# (one variable per metric; each function's docstring gives its formula).
# ``eeg_fid`` and ``tstr_score`` (train on synthetic, test on real) need more
# clips per emotion than this example has, so we leave them out.

metrics = [
    "mse",
    "pearson_correlation",
    "band_similarity",
    "psd_distance",
    "evoked_correlation",
    "covariance_similarity",
]
scores = {
    name: evaluate(real, synth, clean=real_clean, metrics=metrics, random_state=0)
    for name, synth in generated.items()
}
print(scores["generator"])

table = pd.DataFrame(
    {
        name: {
            "MSE (z-scored)": float(ds["mse"]),
            "correlation": float(ds["pearson_correlation"]),
            "band similarity (mean)": float(ds["band_similarity"].mean()),
            "PSD distance": float(ds["psd_distance"]),
            "evoked correlation": float(ds["evoked_correlation"]),
            "evoked / ceiling": float(ds["evoked_ratio"]),
            "covariance similarity": float(ds["covariance_similarity"]),
        }
        for name, ds in scores.items()
    }
)
print(table.round(3).to_string())

# %%
# Figures
# -------
# Power spectra of real and generated EEG (mean over channels, band: 5th-95th
# percentile over channels):

fig = plot_psd_comparison(real, generated["generator"], show=False)

# %%
# Per-band similarity of the band-power level and topography:

fig = plot_band_similarity(scores["generator"], show=False)

# %%
# Band-power topographies, real vs generated:

fig = plot_band_topomaps(real, generated["generator"], show=False)
