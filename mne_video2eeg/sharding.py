"""Split the videos to generate among processes (torchrun ranks).

Generation needs no communication between processes: each rank generates
EEG for its own contiguous share of the videos and writes it (its own BIDS
dataset or ``-epo.fif``). numpy/xarray only: the ranks are read from
torchrun's environment variables, no process group is needed.
"""

from __future__ import annotations

import os

import numpy as np
import xarray as xr

from ._inputs import check_features


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"Environment variable {name}={value!r} is not an integer; torchrun "
            "sets it, or pass rank= and world_size= explicitly."
        ) from None


def shard_videos(
    X: xr.DataArray, *, rank: int | None = None, world_size: int | None = None
) -> xr.DataArray:
    """Return this process's contiguous share of the videos in ``X``.

    Shards are contiguous and as equal as possible (``numpy.array_split``),
    so the shards of ranks ``0 .. world_size - 1``, concatenated in rank
    order, are ``X`` in its original order.

    Parameters
    ----------
    X : xarray.DataArray, dims (video, frame, feature)
        Video features, e.g. from :func:`mne_video2eeg.extract_video_features`.
    rank, world_size : int | None
        This process's index and the number of processes. None reads
        torchrun's ``RANK`` and ``WORLD_SIZE`` environment variables (0 and
        1 when they are not set: the whole of ``X``).

    Returns
    -------
    X_shard : xarray.DataArray
        The videos of this rank (possibly none when there are fewer videos
        than processes).

    Notes
    -----
    Give each rank its own noise stream, e.g.
    ``gen.generate(shard_videos(X), random_state=seed + rank)``; with the
    same seed every rank would start its first video from the same noise.
    A rank whose shard is empty has nothing to generate (``generate``
    refuses an empty ``X``): skip it.
    """
    X = check_features(X)
    if world_size is None:
        world_size = _env_int("WORLD_SIZE", 1)
    if rank is None:
        rank = _env_int("RANK", 0)
    for name, value in (("rank", rank), ("world_size", world_size)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name} must be an int, got {type(value).__name__}.")
    if world_size < 1 or not 0 <= rank < world_size:
        raise ValueError(
            f"rank must be in 0 .. world_size - 1 and world_size >= 1, got "
            f"rank={rank}, world_size={world_size}."
        )
    parts = np.array_split(np.arange(X.sizes["video"]), int(world_size))
    return X.isel(video=parts[int(rank)])


__all__ = ["shard_videos"]
