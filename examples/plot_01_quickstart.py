"""
.. _ex-quickstart:

===========
Quick start
===========

The whole path in a few lines: simulate paired video clips and EEG, encode
the videos, fit a generator, generate EEG for the videos and compare it with
the recorded EEG.

The generator here is deliberately tiny and trained for a few seconds so that
the example runs quickly on a CPU; it learns little. ``mne-video2eeg demo``
and the defaults of :class:`~mne_video2eeg.Video2EEGGenerator` train for
longer.
"""

# %%
import mne

from mne_video2eeg import Video2EEGGenerator, extract_video_features
from mne_video2eeg.datasets import simulate_video_eeg
from mne_video2eeg.metrics import evoked_correlation, pearson_correlation
from mne_video2eeg.viz import plot_traces

mne.set_log_level("error")  # keep the page short

# %%
# Paired data
# -----------
# :func:`~mne_video2eeg.datasets.simulate_video_eeg` writes short video files
# (cached in ``~/mne_data``) and returns 62-channel clip epochs in Volts with
# the SEED montage. ``metadata`` pairs each epoch with its video (by file
# name), subject and emotion.

videos, epochs = simulate_video_eeg(n_subjects=1, n_clips=12, random_state=0)
print(epochs)
print(epochs.metadata[["subject", "video", "emotion"]].head())

# %%
# Video features
# --------------
# One feature vector per frame (25 Hz by default), as an
# :class:`xarray.DataArray` with dims ``(video, frame, feature)``.

feats = extract_video_features(videos)
print(dict(feats.sizes))

# %%
# Fit and generate
# ----------------
# :class:`~mne_video2eeg.Video2EEGGenerator` is a scikit-learn style
# estimator: ``fit(features, epochs)`` pairs them by the ``video`` id.
# ``generate`` returns :class:`mne.EpochsArray` with the training channels and
# montage, a ``video``/``subject``/``emotion``/``sample`` metadata table and
# emotion events.

gen = Video2EEGGenerator(
    module__width=16,
    module__depth=1,
    n_epochs=3,
    batch_size=8,
    device="cpu",
    random_state=0,
)
gen.fit(feats, epochs)
print(f"losses of the last epoch: {gen.history_[-1]}")

synth = gen.generate(feats, subject="01", n_samples=2, random_state=0)
print(synth)
print(synth.metadata.head())

# %%
# Look and score
# --------------
# Real (black) and generated (red) clips of one video on a few occipital
# channels, and two scores: the single-trial Pearson correlation and the
# correlation of the generated average with the real average (evoked
# correlation, relative to its noise ceiling).

fig = plot_traces(
    epochs, synth, video=videos[0].name, picks=["O1", "OZ", "O2", "POZ"], show=False
)

r = pearson_correlation(epochs, synth)
evo = evoked_correlation(epochs, synth)
print(f"single-trial correlation: {r:.3f}")
print(evo)

# %%
# The generator can be saved (atomically) and read back safely; see
# :func:`~mne_video2eeg.read_generator`. Next: :ref:`ex-evaluation` compares
# the generator with simple baselines on held-out videos.
