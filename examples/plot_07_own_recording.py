"""
.. _ex-own-recording:

===================================================
From your own recording to a synthetic BIDS dataset
===================================================

The path most users take: a continuous EEG recording made while a subject
watched some videos, plus the video files, in; a BIDS dataset of synthetic
EEG for *new* videos out.

1. :func:`~mne_video2eeg.datasets.read_video_recording` cuts the recording
   into clip epochs at the annotations that mark each video onset, and
   returns the matching video segments;
2. :func:`~mne_video2eeg.extract_video_features` encodes those segments;
3. :meth:`Video2EEGGenerator.fit <mne_video2eeg.Video2EEGGenerator.fit>`
   learns how this subject's EEG responds to them;
4. :meth:`~mne_video2eeg.Video2EEGGenerator.generate` writes EEG for videos
   the subject never watched;
5. :func:`~mne_video2eeg.write_bids` saves it as a BIDS derivative dataset,
   which :func:`mne_bids.read_raw_bids` reads back like any other.

So that the page runs anywhere, the "recording" is simulated: the clips of
:func:`~mne_video2eeg.datasets.simulate_video_eeg` laid end to end in one
continuous :class:`mne.io.RawArray`. With your data, start at
:ref:`the second section <own-recording-read>` with your own
:class:`~mne.io.Raw` (e.g. from :func:`mne.io.read_raw`) and video files. As
in the other examples, the generator is tiny and trained for a few seconds:
the page shows the workflow, not the quality of a trained model.
"""

# %%
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import mne_bids
import numpy as np

from mne_video2eeg import Video2EEGGenerator, extract_video_features, write_bids
from mne_video2eeg.datasets import read_video_recording, simulate_video_eeg

mne.set_log_level("error")  # keep the page short

# %%
# A recording to start from
# -------------------------
# Twelve 2-s videos and one subject's EEG to them (62 channels, 200 Hz, in
# Volts, with the SEED montage). The subject watched the first nine videos;
# the last three stand for new videos, never shown, for which we want
# synthetic EEG.
#
# The recording is continuous: 2 s before the first video, then the nine
# clips one after the other, then 2 s after the last. Each video onset is an
# annotation whose description is the video's **file name**; that is how
# :func:`~mne_video2eeg.datasets.read_video_recording` pairs EEG and video.
# A recording whose triggers are codes (``"Stimulus/S 11"``) maps them with
# ``description_to_video={"Stimulus/S 11": "clip_011.mp4"}``. Other
# annotations, such as the ``BAD_blink`` before the first video here, are
# ignored (a clip is cut at every video onset, ``BAD_*`` or not). A slow
# drift of 40 µV, as in a recording made without a hardware high-pass, is
# added on top.

videos, sim = simulate_video_eeg(n_subjects=1, n_clips=12, random_state=0)
shown, new_videos = videos[:9], videos[9:]
descriptions = [video.name for video in shown]  # e.g. "clip_000.avi"

sfreq = sim.info["sfreq"]
clip_data = dict(zip(sim.metadata["video"], sim.get_data(), strict=True))  # Volts
data = np.concatenate([clip_data[name] for name in descriptions], axis=1)
n_lead = int(2 * sfreq)
data = np.pad(data, ((0, 0), (n_lead, n_lead)), mode="reflect")
times = np.arange(data.shape[1]) / sfreq
data += 40e-6 * np.sin(2 * np.pi * 0.05 * times)  # slow drift
blink = 150e-6 * np.hanning(int(0.3 * sfreq))  # a blink at 0.8 s on Fp1/z/2
start = int(0.8 * sfreq)
data[:3, start : start + len(blink)] += blink

raw = mne.io.RawArray(data, sim.info.copy())  # the SEED channels and montage
raw.set_annotations(
    mne.Annotations(
        onset=[0.8] + list(2.0 + 2.0 * np.arange(9)),
        duration=[0.3] + [2.0] * 9,
        description=["BAD_blink"] + descriptions,
    )
)
print(raw)
print(raw.annotations[:4])

with mne.viz.use_browser_backend("matplotlib"):
    fig = raw.plot(n_channels=8, duration=10.0, scalings=dict(eeg=60e-6), show=False)

# %%
# Your own recording needs the same three things: the data in **Volts**
# (:func:`mne.io.read_raw` converts from the file's units; a recording that
# looks like microvolts is flagged with a warning), electrode positions
# (``raw.set_montage("colin27_1020")`` for 10-20 names; the generator builds
# its electrode graph from them and keeps your channels, whatever their
# number), and one annotation per video onset.
#
# .. _own-recording-read:
#
# Read the recording
# ------------------
# :func:`~mne_video2eeg.datasets.read_video_recording` high-passes the whole
# recording at ``l_freq=0.5`` Hz (before cutting it, so the clips have no
# filter edges; ``None`` skips it, ``sfreq=`` resamples), and cuts one epoch
# per video onset, as long as the shortest video shown (``clip_duration=``
# chooses). It returns the video segments as
# :class:`~mne_video2eeg.VideoClip` objects whose ids equal
# ``epochs.metadata["video"]``.
#
# The **subject label** comes from ``subject=`` (an int is zero-padded,
# ``1 -> "01"``) or from ``raw.info["subject_info"]``; it becomes the BIDS
# subject of the synthetic data. **Emotion labels** are optional: pass
# ``emotions={file name: label}`` (or a table, e.g. from
# :func:`~mne_video2eeg.label_emotions`, or an ``emotion`` extra on the
# annotations) when you know them; without them every clip is ``"unknown"``.
# The simulation knows its videos' emotions, so we pass them.

emotions = sim.metadata.set_index("video")["emotion"].to_dict()
clips, epochs = read_video_recording(
    raw, shown, subject="01", emotions={name: emotions[name] for name in descriptions}
)
print(epochs)
print(epochs.metadata[["video", "subject", "emotion", "onset"]])

# %%
# Video features
# --------------
# The same encoder for the training clips and for the new videos (its rate
# and frame size are checked at ``generate``).

feats = extract_video_features(clips)
new_feats = extract_video_features(new_videos)
print(dict(feats.sizes), dict(new_feats.sizes))

# %%
# Fit, then generate for the new videos
# -------------------------------------
# :class:`~mne_video2eeg.Video2EEGGenerator` keeps the recording's channels,
# sampling rate and montage (``gen.info_``), learns one embedding per
# training subject (``gen.subjects_``) and the emotions it saw
# (``gen.emotions_``).

gen = Video2EEGGenerator(
    module__width=16,
    module__depth=1,
    n_epochs=3,
    batch_size=8,
    device="cpu",
    random_state=0,
)
gen.fit(feats, epochs)
print(f"subjects: {gen.subjects_}, emotions: {gen.emotions_}")

# %%
# ``subject="01"`` generates in that subject's style (``subject=None``: the
# population of training subjects). The new videos were never in training
# and have no emotion label there, so they are labelled ``"unknown"``; pass
# ``emotion=`` (one label, or ``{video id: label}``) to label them yourself.
# The output is an :class:`mne.EpochsArray` in Volts, ``n_samples`` draws per
# video.

synth = gen.generate(new_feats, subject="01", n_samples=2, random_state=0)
print(synth)
print(synth.metadata)

labelled = gen.generate(
    new_feats,
    subject="01",
    emotion={v.name: emotions[v.name] for v in new_videos},
    random_state=0,
)
print(labelled.metadata[["video", "emotion"]])

# %%
# Write the synthetic dataset
# ---------------------------
# :func:`~mne_video2eeg.write_bids` writes one run per subject with the
# clips laid end to end, their emotion, video and stimulus file in
# ``events.tsv``, the stimuli copied to ``stimuli/`` (``videos=``), and how
# they were generated in ``dataset_description.json`` (``generator=``). See
# :ref:`ex-bids-export` for the layout.

tmp = Path(tempfile.mkdtemp(prefix="mne-video2eeg-own-"))
root = write_bids(labelled, tmp / "synthetic_bids", videos=new_videos, generator=gen)
for path in sorted(root.rglob("*")):
    depth = len(path.relative_to(root).parts) - 1
    print("    " * depth + path.name + ("/" if path.is_dir() else ""))

# %%
# Read it back
# ------------
# :func:`mne_bids.read_raw_bids` returns the synthetic run in Volts, with the
# training montage and one annotation per generated clip, described by its
# emotion. Its spectrum beside that of the recorded clips is the first thing
# to look at (here, after three training epochs, it says little about the
# model).

bids_path = mne_bids.BIDSPath(
    root=root,
    subject="01",
    task="video2eeg",
    datatype="eeg",
    suffix="eeg",
    extension=".vhdr",
)
synth_raw = mne_bids.read_raw_bids(bids_path)
print(synth_raw)
print(synth_raw.annotations.to_data_frame(time_format=None))

fig, ax = plt.subplots(layout="constrained")
for inst, label in ((epochs, "recorded clips"), (synth_raw, "synthetic run")):
    psd = inst.compute_psd(method="welch", fmin=1.0, fmax=45.0, n_fft=400)
    power = psd.get_data().reshape(-1, len(psd.freqs)).mean(axis=0)  # V²/Hz
    ax.semilogy(psd.freqs, power * 1e12, label=label)
ax.set(
    xlabel="Frequency (Hz)",
    ylabel="Power (µV²/Hz), mean over channels",
    title="sub-01",
)
ax.legend()

# %%
# From here the synthetic dataset goes wherever BIDS goes (MNE-BIDS, EEGLAB,
# FieldTrip, ...). To check how close a generator comes to the real EEG,
# hold out some of the recorded videos instead and score them as in
# :ref:`ex-evaluation`; the same steps, from a released dataset instead of
# a recording, are in :ref:`ex-seed-dv`.
