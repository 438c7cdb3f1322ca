"""On-disk cache of per-video features (netCDF via xarray), keyed by content."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import mne
import numpy as np
import xarray as xr

from ..utils._checks import _check_writable_dir, _validate_type
from ..utils._fileio import atomic_path

# (resolved path, size, mtime_ns) -> sha256: hashing a 10-minute block once
# per session is enough.
_FILE_HASHES: dict[tuple, str] = {}


def default_cache_dir() -> Path:
    """``<MNE_DATA or ~/mne_data>/mne-video2eeg/features``."""
    root = mne.get_config("MNE_DATA", os.path.join(os.path.expanduser("~"), "mne_data"))
    return Path(root).expanduser() / "mne-video2eeg" / "features"


def check_cache(cache) -> Path | None:
    if cache is None or cache is False:
        return None
    if cache is True:
        return _check_writable_dir(default_cache_dir(), "cache")
    _validate_type(cache, ("path-like", bool, None), "cache")
    return _check_writable_dir(cache, "cache")


def file_hash(fname) -> str:
    path = Path(fname).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _FILE_HASHES:
        h = hashlib.sha256()
        with open(path, "rb") as fid:
            for chunk in iter(lambda: fid.read(1 << 20), b""):
                h.update(chunk)
        _FILE_HASHES[key] = h.hexdigest()
    return _FILE_HASHES[key]


def array_hash(frames: np.ndarray) -> str:
    h = hashlib.sha256(np.ascontiguousarray(frames).data)
    h.update(repr((frames.shape, str(frames.dtype))).encode())
    return h.hexdigest()


def cache_key(content: str, segment: tuple, config: dict) -> str:
    blob = json.dumps([content, list(segment), config], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def read_cached(folder: Path | None, key: str) -> xr.DataArray | None:
    if folder is None:
        return None
    path = folder / f"{key}.nc"
    if not path.is_file():
        return None
    try:
        return xr.load_dataarray(path, engine="h5netcdf")
    except (OSError, ValueError):  # unreadable entry: recompute, then overwrite
        return None


def write_cached(folder: Path | None, key: str, da: xr.DataArray) -> None:
    if folder is None:
        return
    with atomic_path(folder / f"{key}.nc") as tmp:
        da.to_netcdf(tmp, engine="h5netcdf")
