import numpy as np
import pytest
import xarray as xr

from mne_video2eeg import shard_videos


def _feats(n):
    return xr.DataArray(
        np.zeros((n, 2, 3), np.float32),
        dims=("video", "frame", "feature"),
        coords={"video": [f"v{k}" for k in range(n)], "time": ("frame", [0.0, 0.5])},
    )


def test_shards_cover_all_videos_in_order(monkeypatch):
    X = _feats(10)
    shards = [shard_videos(X, rank=r, world_size=3) for r in range(3)]
    assert [s.sizes["video"] for s in shards] == [4, 3, 3]
    ids = np.concatenate([s["video"].values for s in shards])
    np.testing.assert_array_equal(ids, X["video"].values)
    # torchrun's environment is the default; without it, everything
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert shard_videos(X).sizes["video"] == 10
    monkeypatch.setenv("RANK", "2")
    monkeypatch.setenv("WORLD_SIZE", "3")
    np.testing.assert_array_equal(shard_videos(X)["video"], shards[2]["video"])
    # more ranks than videos: some shards are empty
    assert shard_videos(_feats(2), rank=2, world_size=3).sizes["video"] == 0


def test_shard_bad_input(monkeypatch):
    X = _feats(4)
    with pytest.raises(ValueError, match="rank=3, world_size=3"):
        shard_videos(X, rank=3, world_size=3)
    with pytest.raises(ValueError, match="world_size=0"):
        shard_videos(X, rank=0, world_size=0)
    with pytest.raises(TypeError, match="rank must be an int"):
        shard_videos(X, rank=1.0, world_size=2)
    with pytest.raises(TypeError, match="xarray"):
        shard_videos(np.zeros((4, 2, 3)), rank=0, world_size=1)
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE='two'"):
        shard_videos(X, rank=0)
