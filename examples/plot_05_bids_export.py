"""
.. _ex-bids-export:

================================
Exporting synthetic EEG as BIDS
================================

Synthetic EEG is most useful downstream in a standard layout.
:func:`~mne_video2eeg.write_bids` writes generated clips as a BIDS
*derivative* dataset with `mne-bids <https://mne.tools/mne-bids>`_: one run per
subject with the clips laid end to end, ``events.tsv`` holding each clip's
emotion, video and stimulus file, the stimuli copied to ``stimuli/``, and a
``dataset_description.json`` that says how the data were generated.

The dataset is assembled in a temporary folder and moved into place only when
complete, and an existing dataset is never replaced unless
``overwrite=True`` (see :doc:`/errors_and_guarantees`).
"""

# %%
import json
import tempfile
from pathlib import Path

import mne
import mne_bids
import pandas as pd

from mne_video2eeg import Video2EEGGenerator, extract_video_features, write_bids
from mne_video2eeg.datasets import simulate_video_eeg

mne.set_log_level("error")

# %%
# Generate a few clips
# --------------------
# A tiny, briefly trained generator (see :ref:`ex-quickstart`).

videos, epochs = simulate_video_eeg(n_subjects=1, n_clips=6, random_state=0)
feats = extract_video_features(videos)
gen = Video2EEGGenerator(
    module__width=16,
    module__depth=1,
    n_epochs=2,
    n_inference_steps=5,
    device="cpu",
    random_state=0,
)
gen.fit(feats, epochs)
synth = gen.generate(feats, subject="01", n_samples=2, random_state=0)
print(synth)

# %%
# Write the dataset
# -----------------
# ``videos=`` copies the stimulus files; ``generator=`` records a digest of
# the model configuration in ``dataset_description.json``.

tmp = Path(tempfile.mkdtemp(prefix="mne-video2eeg-bids-"))
root = write_bids(synth, tmp / "synthetic_bids", videos=videos, generator=gen)

for path in sorted(root.rglob("*")):
    depth = len(path.relative_to(root).parts) - 1
    print("    " * depth + path.name + ("/" if path.is_dir() else ""))

# %%
# The description declares a derivative dataset and what generated it:

print(json.dumps(json.loads((root / "dataset_description.json").read_text()), indent=2))

# %%
# Each clip is an event with its emotion (``trial_type``), video, stimulus
# file and the index of the generated draw:

bids_path = mne_bids.BIDSPath(
    root=root, subject="01", task="video2eeg", datatype="eeg", suffix="eeg"
)
events_tsv = bids_path.copy().update(suffix="events", extension=".tsv")
print(pd.read_csv(events_tsv.fpath, sep="\t").head(6).to_string())

# %%
# Read it back
# ------------
# :func:`mne_bids.read_raw_bids` returns the continuous run with the clips as
# annotations, in Volts, with the electrode positions from
# ``electrodes.tsv``; cutting it at the annotations gives the generated clips
# back.

raw = mne_bids.read_raw_bids(bids_path.copy().update(extension=".vhdr"))
print(raw)
print(raw.annotations[:3])
events, event_id = mne.events_from_annotations(raw)
back = mne.Epochs(
    raw, events, event_id, tmin=0, tmax=synth.tmax, baseline=None, preload=True
)
print(f"{len(back)} clips read back (written: {len(synth)})")
with mne.viz.use_browser_backend("matplotlib"):
    fig = raw.plot(n_channels=8, duration=8.0, scalings=dict(eeg=40e-6), show=False)
