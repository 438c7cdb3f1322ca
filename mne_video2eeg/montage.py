"""The 62-channel SEED / SEED-DV montage (NeuroScan 64-channel cap, M1/M2 dropped)."""

from __future__ import annotations

from functools import lru_cache

import mne
import numpy as np

#: The 62 channel names of SEED-DV, in the released order (upper case, as released).
SEED_CH_NAMES: tuple[str, ...] = (
    "FP1 FPZ FP2 AF3 AF4 F7 F5 F3 F1 FZ F2 F4 F6 F8 FT7 FC5 FC3 FC1 FCZ FC2 FC4 "
    "FC6 FT8 T7 C5 C3 C1 CZ C2 C4 C6 T8 TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8 P7 "
    "P5 P3 P1 PZ P2 P4 P6 P8 PO7 PO5 PO3 POZ PO4 PO6 PO8 CB1 O1 OZ O2 CB2"
).split()

#: Channels over the visual cortex (used by the occipital subject-encoder branch).
SEED_OCCIPITAL_CH_NAMES: tuple[str, ...] = (
    "PO7 PO5 PO3 POZ PO4 PO6 PO8 CB1 O1 OZ O2 CB2"
).split()

# colin27_1005 (the new name of the deprecated standard_1005) holds 60 of the 62;
# the cerebellar CB1/CB2 exist only in colin27_postfixed, in the same colin27
# space, at the positions of PO9/PO10.
_BASE_MONTAGE = "colin27_1005"
_CB_MONTAGE = "colin27_postfixed"


@lru_cache(maxsize=1)
def _seed_positions() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    base = mne.channels.make_standard_montage(_BASE_MONTAGE).get_positions()
    cb = mne.channels.make_standard_montage(_CB_MONTAGE).get_positions()
    lookup = {name.upper(): pos for name, pos in base["ch_pos"].items()}
    lookup.update(
        {name.upper(): cb["ch_pos"][name] for name in ("Cb1", "Cb2")},
    )
    missing = [name for name in SEED_CH_NAMES if name not in lookup]
    if missing:  # pragma: no cover - would mean MNE changed its montage files
        raise RuntimeError(
            f"MNE's {_BASE_MONTAGE}/{_CB_MONTAGE} montages lack {missing}; "
            "please report this with `mne sys_info`."
        )
    ch_pos = {name: np.array(lookup[name], float) for name in SEED_CH_NAMES}
    fid = {key: np.array(base[key], float) for key in ("nasion", "lpa", "rpa")}
    return ch_pos, fid


def make_seed_montage() -> mne.channels.DigMontage:
    """Make the 62-channel SEED-DV montage with positions for every channel.

    Positions of the 60 channels shared with the 10-05 system come from MNE's
    ``colin27_1005`` template; CB1 and CB2 come from ``colin27_postfixed``
    (``Cb1``/``Cb2``), which lives in the same colin27 space. Fiducials and the
    coordinate frame are those of ``colin27_1005``, so ``set_montage`` places
    the channels in head coordinates as for any MNE standard montage.

    Returns
    -------
    montage : mne.channels.DigMontage
        Montage whose channel names are :data:`SEED_CH_NAMES` (upper case, as
        SEED-DV releases them).
    """
    ch_pos, fid = _seed_positions()
    return mne.channels.make_dig_montage(
        ch_pos={name: pos.copy() for name, pos in ch_pos.items()},
        coord_frame="mri",
        **{key: value.copy() for key, value in fid.items()},
    )


def make_seed_info(sfreq: float = 200.0) -> mne.Info:
    """Make an :class:`mne.Info` for the 62 SEED channels with the montage set.

    Parameters
    ----------
    sfreq : float
        Sampling frequency in Hz (SEED-DV: 200 Hz).

    Returns
    -------
    info : mne.Info
        EEG info with :data:`SEED_CH_NAMES` and :func:`make_seed_montage`.
    """
    from .utils._checks import _check_sfreq

    info = mne.create_info(list(SEED_CH_NAMES), _check_sfreq(sfreq), ch_types="eeg")
    info.set_montage(make_seed_montage())
    return info
