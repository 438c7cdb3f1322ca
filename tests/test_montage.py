import warnings

import mne
import numpy as np
import pytest

from mne_video2eeg import SEED_CH_NAMES, make_seed_info, make_seed_montage


def test_seed_names():
    assert len(SEED_CH_NAMES) == 62
    assert len(set(SEED_CH_NAMES)) == 62
    assert SEED_CH_NAMES[:3] == ["FP1", "FPZ", "FP2"]
    assert SEED_CH_NAMES[-4:] == ["O1", "OZ", "O2", "CB2"]


def test_montage_matches_mne_and_cb_posterior():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning may escape
        montage = make_seed_montage()
    assert montage.ch_names == list(SEED_CH_NAMES)
    pos = montage.get_positions()["ch_pos"]
    ref = mne.channels.make_standard_montage("colin27_1005").get_positions()
    ref_pos = {k.upper(): v for k, v in ref["ch_pos"].items()}
    for name in SEED_CH_NAMES:
        if name in ("CB1", "CB2"):
            continue
        np.testing.assert_allclose(pos[name], ref_pos[name])
    for cb, above, sign in (("CB1", "PO7", -1), ("CB2", "PO8", 1)):
        # posterior-inferior: at the back of the head, below the PO/O rows
        # (where PO9/PO10 are in the 10-05 system), on its own side
        assert pos[cb][1] < -0.09
        assert pos[cb][2] < pos[above][2] - 0.02
        assert pos[cb][2] < pos["O1"][2] - 0.02
        assert np.sign(pos[cb][0]) == sign
    assert np.isfinite(np.array(list(pos.values()))).all()


def test_make_seed_info_sets_montage():
    info = make_seed_info(200.0)
    assert info["sfreq"] == 200.0
    assert info.ch_names == list(SEED_CH_NAMES)
    locs = np.array([ch["loc"][:3] for ch in info["chs"]])
    assert np.isfinite(locs).all() and (np.abs(locs).sum(1) > 0).all()


@pytest.mark.parametrize(
    "sfreq, err", [(0, ValueError), (-1.0, ValueError), ("a", TypeError)]
)
def test_make_seed_info_bad_sfreq(sfreq, err):
    with pytest.raises(err, match="sfreq"):
        make_seed_info(sfreq)
