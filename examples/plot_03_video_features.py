"""
.. _ex-video-features:

=====================================
Reading videos and low-level features
=====================================

The generator sees a video through its features: one vector per frame, with
the frame's time. The default ``"lowlevel"`` encoder computes, cheaply and
offline, the visual quantities early visual cortex (and EEG) follows:
luminance, contrast, colour, optical-flow motion, spatial-frequency energy and
edge density. (``encoder="clip"`` gives CLIP image embeddings instead, from
local open_clip weights.)

We read a simulated clip with :func:`~mne_video2eeg.read_video`, look at its
frames, and extract its feature time courses with
:func:`~mne_video2eeg.extract_video_features`. The clips come from the
simulator's ``snr="easy"`` setting, whose flicker covers the whole frame and
so must show up in the mean-luminance feature at exactly its frequency (the
default setting flickers a local disc, as natural videos rarely flicker the
whole screen).
"""

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.signal import periodogram

from mne_video2eeg import VideoClip, extract_video_features, read_video
from mne_video2eeg.datasets import simulate_video_eeg

videos, epochs = simulate_video_eeg(
    n_subjects=1, n_clips=6, snr="easy", random_state=0, verbose="error"
)
md = epochs.metadata
print(md[["video", "emotion", "flicker_hz"]])

# %%
# Frames
# ------
# :func:`~mne_video2eeg.read_video` decodes with OpenCV and returns RGB
# ``uint8`` frames and their times. ``fps=None`` keeps the native frames
# (24 fps here); ``size`` resizes (the paper uses 256 x 256).

row = md[md["flicker_hz"].notna()].sort_values("flicker_hz").iloc[0]
fname = next(v for v in videos if v.name == row["video"])
flicker_hz = float(row["flicker_hz"])
frames, times = read_video(fname, fps=None, size=None, verbose="error")
print(
    f"{fname.name}: {frames.shape} {frames.dtype}, {len(times)} frames over "
    f"{times[-1] + times[1]:.2f} s, flicker at {flicker_hz:g} Hz"
)

fig, axes = plt.subplots(1, 6, figsize=(12, 2.4), layout="constrained")
for ax, k in zip(axes, np.linspace(0, len(frames) - 1, 6).astype(int), strict=True):
    ax.imshow(frames[k])
    ax.set(title=f"t = {times[k]:.2f} s", xticks=[], yticks=[])

# %%
# A segment of a longer file is a :class:`~mne_video2eeg.VideoClip`; only that
# part is decoded. Its id (used to pair features and EEG) is the file name
# plus the segment:

clip = VideoClip(fname, start=0.5, stop=1.5)
seg_frames, seg_times = read_video(
    clip.fname, start=clip.start, stop=clip.stop, fps=None, verbose="error"
)
print(clip.id, seg_frames.shape)

# %%
# Features
# --------
# :func:`~mne_video2eeg.extract_video_features` returns an
# :class:`xarray.DataArray` with dims ``(video, frame, feature)`` and a
# ``time`` coordinate; the ``video`` coordinate is the file name, as in
# ``epochs.metadata["video"]``. We sample at the native 24 fps, so that the
# flicker (a divisor of the frame rate) is not aliased; the default for
# ``"lowlevel"`` is 25 Hz.

feats = extract_video_features(videos, fps=24, verbose="error")
print(feats.dims, dict(feats.sizes))
print([str(name) for name in feats["feature"].values])

one = feats.sel(video=fname.name)
fig, axes = plt.subplots(4, 1, figsize=(8, 6.5), sharex=True, layout="constrained")
groups = [
    ("luminance / contrast", ["lum_mean", "lum_std", "contrast_rms"]),
    ("colour", ["hue_sin", "hue_cos", "saturation"]),
    ("motion", ["motion_mag", "motion_dx", "motion_dy"]),
    ("spatial structure", ["sf_low", "sf_mid", "sf_high", "edge_density"]),
]
for ax, (title, names) in zip(axes, groups, strict=True):
    for name in names:
        ax.plot(one["time"], one.sel(feature=name), label=name)
    ax.set(title=title)
    ax.legend(loc="upper right", fontsize=7, ncol=4)
axes[-1].set(xlabel="Time (s)")

# %%
# The flicker
# -----------
# The power spectrum of the mean luminance peaks at the flicker frequency.

lum = one.sel(feature="lum_mean").values
freqs, power = periodogram(lum - lum.mean(), fs=24.0)
peak = freqs[np.argmax(power)]
print(f"luminance peaks at {peak:g} Hz (flicker {flicker_hz:g} Hz)")

fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
ax.plot(freqs, power, color="k")
ax.axvline(flicker_hz, color="C3", ls="--", label=f"flicker {flicker_hz:g} Hz")
ax.set(xlabel="Frequency (Hz)", ylabel="Power", title="lum_mean spectrum")
ax.legend()
