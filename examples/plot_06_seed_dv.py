"""
.. _ex-seed-dv:

=====================
The SEED-DV workflow
=====================

SEED-DV (20 subjects watching 7 blocks of 40 concepts x 5 two-second clips,
62-channel EEG at 200 Hz) is the dataset of the paper. This example shows the
path from the released folder to the (features, epochs) pair the generator is
trained on:

1. :func:`~mne_video2eeg.datasets.read_seed_dv`: the EEG as 2-s clip epochs
   (Volts, SEED montage) with the dataset's annotations in ``metadata``;
2. :func:`~mne_video2eeg.datasets.seed_dv_clips`: the matching 2-s segments of
   the 10-minute block videos, as :class:`~mne_video2eeg.VideoClip`;
3. :func:`~mne_video2eeg.extract_video_features`: features clip by clip,
   decoding only those segments;
4. :func:`~mne_video2eeg.label_emotions`: zero-shot emotion labels (SEED-DV
   ships none) from CLIP, merged back into the epochs by clip.

SEED-DV is distributed by its authors on request, so it is not downloaded
here. Set the environment variable ``SEED_DV_ROOT`` to your copy (the folder
holding ``EEG/``, ``Video/``, ``meta_info/`` and ``BLIP/``), or place it at
``~/mne_data/SEED-DV``. Without the data, the example prints what it would
do and stops.
"""

# %%
import os
from pathlib import Path

root = Path(os.environ.get("SEED_DV_ROOT", "~/mne_data/SEED-DV")).expanduser()
have_data = (root / "EEG").is_dir() or (root / "Segmented_Rawf_200Hz_2s").is_dir()
print(f"SEED-DV root: {root} ({'found' if have_data else 'not found'})")

# %%
# Steps
# -----
# The workflow reads one subject and one block (200 clips) to stay light:
# a subject's 7 blocks take about 280 MB as float64.

steps = """\
epochs = read_seed_dv(root, subjects=[1], blocks=[1])  # 200 clips x 62 ch x 400
clips = seed_dv_clips(root, block=1)                   # 200 VideoClip segments
feats = extract_video_features(clips)                  # 'lowlevel', 25 Hz
labels = label_emotions(clips, pretrained=...)         # needs local CLIP weights
epochs = read_seed_dv(root, subjects=[1], blocks=[1], emotions=labels)
"""
if not have_data:
    print("SEED-DV is not available here; with the data, this example runs:")
    print(steps)

# %%
# Read the EEG and the matching video segments
# --------------------------------------------
# ``epochs.metadata["video"]`` (e.g. ``"b1_c07_k2"``: block 1, presentation
# position 7, clip 2) equals the id of each :class:`~mne_video2eeg.VideoClip`,
# hence the ``video`` coordinate of the features.

if have_data:
    from mne_video2eeg import extract_video_features
    from mne_video2eeg.datasets import read_seed_dv, seed_dv_clips

    epochs = read_seed_dv(root, subjects=[1], blocks=[1], verbose="error")
    print(epochs)
    print(epochs.metadata[["video", "concept", "coarse_class", "start", "stop"]].head())
    print(epochs.metadata["caption"].iloc[0])
    clips = seed_dv_clips(root, block=1, verbose="error")
    print(f"{len(clips)} clips, first: {clips[0]}")
    feats = extract_video_features(clips, verbose="error")
    print(dict(feats.sizes))
    assert set(epochs.metadata["video"]) == set(feats["video"].values)

# %%
# Emotion labels
# --------------
# :func:`~mne_video2eeg.label_emotions` needs CLIP weights on this machine
# (nothing is downloaded). Point ``CLIP_WEIGHTS`` at an open_clip ViT-L/14
# checkpoint file (or the tag of weights in your Hugging Face cache) to run it;
# the labels are merged into the epochs by clip id.

weights = os.environ.get("CLIP_WEIGHTS")
if have_data and weights:
    from mne_video2eeg import label_emotions

    labels = label_emotions(clips, pretrained=weights, verbose="error")
    print(labels["emotion"].value_counts())
    epochs = read_seed_dv(
        root, subjects=[1], blocks=[1], emotions=labels, verbose="error"
    )
    print(epochs.event_id)
elif have_data:
    print("Set CLIP_WEIGHTS to label emotions; clips stay 'unknown' for now.")

# %%
# From (features, epochs) to a synthetic BIDS dataset
# ---------------------------------------------------
# From here the pair ``(feats, epochs)`` goes to
# :class:`~mne_video2eeg.Video2EEGGenerator` exactly as the simulated data do in
# :ref:`ex-quickstart`, and on to a dataset as in :ref:`ex-own-recording`:
#
# 1. hold out some concepts: split the clips by ``epochs.metadata["concept"]``
#    so that the held-out concepts' videos are never seen in training, and
#    select their features with ``feats.sel(video=...)``;
# 2. :meth:`Video2EEGGenerator.fit <mne_video2eeg.Video2EEGGenerator.fit>` on
#    the training clips' ``(feats, epochs)``; the subject labels of
#    :func:`~mne_video2eeg.datasets.read_seed_dv` (``"01"`` ...) become the
#    generator's subjects (``gen.subjects_``);
# 3. :meth:`~mne_video2eeg.Video2EEGGenerator.generate` for the held-out
#    videos, with ``subject="01"`` (or ``None`` for the population) and
#    ``n_samples`` draws per video: :class:`mne.EpochsArray` in Volts with
#    the 62 SEED channels. Videos seen in training keep their emotion label;
#    held-out ones get CLIP's zero-shot label when the features are CLIP's
#    with local weights, else ``"unknown"`` (``emotion=labels["emotion"]
#    .to_dict()`` passes the labels of :func:`~mne_video2eeg.label_emotions`);
# 4. :func:`~mne_video2eeg.write_bids` with ``videos=clips`` writes a BIDS
#    derivative dataset: the block videos are copied to ``stimuli/`` and
#    each clip's ``events.tsv`` row names its segment (``video``, e.g.
#    ``"b1_c07_k2"``) and file (``stim_file``); ``source_datasets=`` can cite
#    SEED-DV;
# 5. :func:`mne_bids.read_raw_bids` reads a synthetic run back, with one
#    annotation per generated clip.
#
# On a 2-core CPU, fitting the default generator on one subject's block (200
# clips) for 100 epochs takes several minutes (``n_epochs`` and a GPU,
# ``device="cuda"``, shorten it).
