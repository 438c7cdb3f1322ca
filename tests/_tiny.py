"""Tiny generators and random video/EEG pairs shared by the estimator tests."""

#: A generator small enough to fit in about a second on CPU.
TINY_GENERATOR = dict(
    module__width=8,
    module__depth=1,
    module__patch_size=10,
    n_epochs=1,
    batch_size=4,
    n_inference_steps=2,
    device="cpu",
    random_state=0,
)
TINY_CHANNELS = [
    "FZ",
    "CZ",
    "PZ",
    "C3",
    "C4",
    "P3",
    "P4",
    "POZ",
    "O1",
    "OZ",
    "O2",
    "CB1",
]


def video_eeg_pair(
    n_videos,
    *,
    n_times=100,
    sfreq=100.0,
    n_frames=5,
    n_features=3,
    channels=TINY_CHANNELS,
    scale=1e-5,
    seed=0,
    prefix="v",
):
    """Random features and clip epochs (Volts, SEED positions) of one subject."""
    import mne
    import numpy as np
    import pandas as pd
    import xarray as xr

    from mne_video2eeg import make_seed_montage

    rng = np.random.default_rng(seed)
    fps = n_frames * sfreq / n_times
    feats = xr.DataArray(
        rng.standard_normal((n_videos, n_frames, n_features)),
        dims=("video", "frame", "feature"),
        coords={
            "video": [f"{prefix}{k:04d}.avi" for k in range(n_videos)],
            "time": ("frame", np.arange(n_frames) / fps),
            "feature": [f"f{k}" for k in range(n_features)],
        },
        attrs={"encoder": "lowlevel", "fps": fps},
    )
    info = mne.create_info(list(channels), sfreq, "eeg")
    info.set_montage(make_seed_montage())
    md = pd.DataFrame(
        {
            "video": feats["video"].values.astype(str),
            "subject": "01",
            "emotion": "neutral",
        }
    )
    data = rng.standard_normal((n_videos, len(channels), n_times)) * scale
    return feats, mne.EpochsArray(data, info, metadata=md, verbose=False)
