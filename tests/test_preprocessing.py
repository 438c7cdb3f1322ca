import json
import subprocess
import sys

import mne
import numpy as np
import pandas as pd
import pytest

from mne_video2eeg.datasets import make_clip_epochs
from mne_video2eeg.preprocessing import (
    apply_channel_scale,
    fit_channel_scale,
    invert_channel_scale,
    prepare_epochs,
    preprocess_eeg,
)

SF_IN = 1000.0
AMP_ALPHA = 20e-6  # Volts
AMP_DRIFT = 50e-6


def _amplitude(x, sfreq, freq):
    """Amplitude of a sinusoid at ``freq`` (least squares, last axis)."""
    t = np.arange(x.shape[-1]) / sfreq
    basis = np.stack([np.sin(2 * np.pi * freq * t), np.cos(2 * np.pi * freq * t)])
    coef = np.linalg.lstsq(basis.T, x.T, rcond=None)[0]
    return np.hypot(*coef)


@pytest.fixture(scope="module")
def raw_1k():
    """EEG at 1 kHz: 10 Hz, 0.1 Hz drift, both, noise; plus a stim channel."""
    rng = np.random.default_rng(0)
    n = int(40 * SF_IN)
    t = np.arange(n) / SF_IN
    alpha = AMP_ALPHA * np.sin(2 * np.pi * 10 * t)
    drift = AMP_DRIFT * np.sin(2 * np.pi * 0.1 * t)
    data = np.stack(
        [alpha, drift, alpha + drift, 5e-6 * rng.standard_normal(n), np.zeros(n)]
    )
    info = mne.create_info(
        ["C3", "C4", "CZ", "PZ", "STI"], SF_IN, ["eeg"] * 4 + ["stim"]
    )
    return mne.io.RawArray(data, info, verbose=False)


def test_preprocess_raw_shape_sfreq_scale(raw_1k):
    before = raw_1k.get_data()
    out = preprocess_eeg(raw_1k, sfreq=200.0, l_freq=0.5, h_freq=70.0)
    assert isinstance(out, mne.io.BaseRaw) and out is not raw_1k
    assert out.info["sfreq"] == 200.0
    assert out.ch_names == ["C3", "C4", "CZ", "PZ"]  # EEG picked, stim dropped
    assert out.get_data().shape == (4, 40 * 200)
    # the input is untouched
    np.testing.assert_array_equal(raw_1k.get_data(), before)
    assert raw_1k.info["sfreq"] == SF_IN
    # Volts out: 10 Hz keeps its amplitude, the 0.1 Hz drift is removed
    mid = out.get_data()[:, 1000:-1000]  # away from the recording's edges
    amp10 = _amplitude(mid, 200.0, 10.0)
    np.testing.assert_allclose(amp10[[0, 2]], AMP_ALPHA, rtol=0.02)
    assert amp10[1] < 0.01 * AMP_ALPHA
    drift_left = _amplitude(mid, 200.0, 0.1)
    assert drift_left[1] < 0.1 * AMP_DRIFT
    assert drift_left[2] < 0.1 * AMP_DRIFT
    np.testing.assert_allclose(mid[2], mid[0], atol=0.1 * AMP_DRIFT)


def test_preprocess_epochs_keeps_metadata(raw_1k, caplog):
    events = mne.make_fixed_length_events(raw_1k, id=3, duration=2.0)
    md = pd.DataFrame({"video": [f"clip_{i:03d}.avi" for i in range(len(events))]})
    epochs = mne.Epochs(
        raw_1k,
        events,
        {"positive": 3},
        tmin=0.0,
        tmax=2.0 - 1 / SF_IN,
        baseline=None,
        metadata=md,
        preload=True,
        verbose=False,
    )
    before = epochs.get_data()
    out = preprocess_eeg(epochs, verbose="info")
    # a 2-s epoch is shorter than the 0.5 Hz FIR: the IIR fallback is noted
    assert "Butterworth" in caplog.text
    assert isinstance(out, mne.BaseEpochs)
    assert out.get_data().shape == (len(events), 4, 400)
    assert out.info["sfreq"] == 200.0
    pd.testing.assert_frame_equal(out.metadata, epochs.metadata)
    assert out.event_id == {"positive": 3}
    np.testing.assert_array_equal(out.events[:, 2], 3)
    # as for any MNE Epochs.resample, event samples still count in the raw's rate
    np.testing.assert_array_equal(out.events, epochs.events)
    np.testing.assert_array_equal(epochs.get_data(), before)
    # the 10 Hz rhythm survives in the middle of each clip
    mid = out.get_data()[:, 0, 100:300]
    np.testing.assert_allclose(_amplitude(mid, 200.0, 10.0), AMP_ALPHA, rtol=0.05)


def test_preprocess_no_filter_same_rate_and_nyquist(raw_1k, caplog):
    raw = raw_1k.copy().pick(["C3"]).resample(100.0, verbose=False)
    same = preprocess_eeg(raw, sfreq=100.0, l_freq=None, h_freq=None)
    np.testing.assert_allclose(same.get_data(), raw.get_data())
    out = preprocess_eeg(raw, sfreq=100.0, h_freq=70.0, verbose="info")
    assert "low-pass skipped" in caplog.text
    assert out.info["sfreq"] == 100.0


def test_preprocess_bad_input(raw_1k):
    with pytest.raises(TypeError, match="ndarray"):
        preprocess_eeg(np.zeros((2, 100)))
    misc = mne.io.RawArray(np.zeros((1, 100)), mne.create_info(1, 100.0, "misc"))
    with pytest.raises(ValueError, match="no EEG channels"):
        preprocess_eeg(misc)
    with pytest.raises(ValueError, match="sfreq.*0"):
        preprocess_eeg(raw_1k, sfreq=0)
    with pytest.raises(ValueError, match="sfreq.*-200"):
        preprocess_eeg(raw_1k, sfreq=-200.0)
    with pytest.raises(ValueError, match=r"l_freq=40.0 >= h_freq=30.0"):
        preprocess_eeg(raw_1k, l_freq=40.0, h_freq=30.0)
    with pytest.raises(ValueError, match=r"l_freq=600.0.*Nyquist"):
        preprocess_eeg(raw_1k, l_freq=600.0, h_freq=None)
    with pytest.raises(ValueError, match="l_freq.*-1"):
        preprocess_eeg(raw_1k, l_freq=-1.0)
    with pytest.raises(ValueError, match=r"picks=\['STI'\] selects no EEG"):
        preprocess_eeg(raw_1k, picks=["STI"])
    with pytest.raises(ValueError, match=r"picks=\['NOPE'\]"):
        preprocess_eeg(raw_1k, picks=["NOPE"])


def test_preprocess_warns_on_microvolts(raw_1k):
    raw_uv = raw_1k.copy().pick(["C3", "C4"])
    raw_uv._data *= 1e6
    with pytest.warns(RuntimeWarning, match="microvolts"):
        preprocess_eeg(raw_uv)


# --------------------------------------------------------------------------- #
# the EEG input path: prepare_epochs

SF_CLIPS = 500.0
CLIP_CH = ["C3", "C4", "CZ", "PZ"]


@pytest.fixture
def clips():
    """12 clips of 2 s at 500 Hz: 10 Hz everywhere, 80 Hz on C4, noise; a stim
    channel; positions on the EEG channels; one metadata column."""
    rng = np.random.default_rng(3)
    n_ep, n_t = 12, int(2 * SF_CLIPS)
    t = np.arange(n_t) / SF_CLIPS
    data = 5e-6 * rng.standard_normal((n_ep, 5, n_t))
    data[:, :4] += AMP_ALPHA * np.sin(2 * np.pi * 10 * t)
    data[:, 1] += AMP_ALPHA * np.sin(2 * np.pi * 80 * t)
    data[:, 4] = 0.0
    info = mne.create_info(CLIP_CH + ["STI"], SF_CLIPS, ["eeg"] * 4 + ["stim"])
    pos = {ch: np.r_[np.cos(k), np.sin(k), 0.5] * 0.09 for k, ch in enumerate(CLIP_CH)}
    md = pd.DataFrame({"video": [f"v{k}.avi" for k in range(n_ep)]})
    epochs = mne.EpochsArray(data, info, metadata=md, verbose=False)
    epochs.set_montage(mne.channels.make_dig_montage(ch_pos=pos, coord_frame="head"))
    return epochs


def test_prepare_epochs_picks_checks_and_logs(clips, caplog):
    before = clips.get_data()
    out, steps = prepare_epochs(clips, verbose="info")
    assert isinstance(out, mne.BaseEpochs) and out is not clips
    assert out.ch_names == CLIP_CH  # EEG picked, stim dropped
    np.testing.assert_array_equal(out.get_data(), before[:, :4])
    pd.testing.assert_frame_equal(out.metadata, clips.metadata)
    # a plain JSON-able record of what was done (nothing but the picking here)
    assert json.loads(json.dumps(steps)) == steps
    drift = steps.pop("drift")
    assert 0.0 <= drift < 0.1
    assert steps == {
        "n_eeg": 4,
        "n_dropped": 1,
        "l_freq": None,
        "h_freq": None,
        "filter": None,
        "sfreq_in": SF_CLIPS,
        "sfreq": SF_CLIPS,
    }
    lines = [r.getMessage() for r in caplog.records if "EEG input" in r.getMessage()]
    assert len(lines) == 1
    assert lines[0].startswith("EEG input: 4 EEG channel(s); 1 other channel(s)")
    # the input is untouched
    assert clips.ch_names == CLIP_CH + ["STI"]
    np.testing.assert_array_equal(clips.get_data(), before)


def test_prepare_epochs_runs_the_braindecode_chain(clips, caplog):
    before = clips.get_data()
    with pytest.warns(RuntimeWarning, match=r"500 Hz is resampled to sfreq=250"):
        out, steps = prepare_epochs(
            clips, sfreq=250.0, l_freq=1.0, h_freq=40.0, verbose="info"
        )
    assert out.info["sfreq"] == 250.0 and out.get_data().shape == (12, 4, 500)
    # a 1 Hz high-pass FIR is longer than a 2-s clip: the zero-phase IIR runs
    assert steps["filter"] == "iir"
    assert (steps["l_freq"], steps["h_freq"]) == (1.0, 40.0)
    assert (steps["sfreq_in"], steps["sfreq"]) == (SF_CLIPS, 250.0)
    assert json.loads(json.dumps(steps)) == steps
    (line,) = [m for r in caplog.records if "EEG input" in (m := r.getMessage())]
    assert "band-pass 1-40 Hz (IIR)" in line and "resampled 500 -> 250 Hz" in line
    # the same chain as preprocess_eeg: 10 Hz kept, 80 Hz removed
    same = preprocess_eeg(clips, sfreq=250.0, l_freq=1.0, h_freq=40.0)
    np.testing.assert_allclose(out.get_data(), same.get_data())
    mid = out.get_data()[:, :, 125:375]
    np.testing.assert_allclose(_amplitude(mid[:, 0], 250.0, 10.0), AMP_ALPHA, rtol=0.1)
    assert _amplitude(mid[:, 1], 250.0, 80.0).max() < 0.05 * AMP_ALPHA
    # each step can be switched off; an h_freq above Nyquist is dropped (noted)
    caplog.clear()
    hp, steps = prepare_epochs(clips, l_freq=1.0, h_freq=300.0, verbose="info")
    assert (steps["l_freq"], steps["h_freq"], steps["filter"]) == (1.0, None, "iir")
    assert "low-pass skipped" in caplog.text and "high-pass 1 Hz" in caplog.text
    assert hp.info["sfreq"] == SF_CLIPS
    # the input is untouched
    assert clips.info["sfreq"] == SF_CLIPS
    np.testing.assert_array_equal(clips.get_data(), before)


def test_prepare_epochs_errors_and_warnings(clips):
    with pytest.raises(TypeError, match="mne.Epochs"):
        prepare_epochs(np.zeros((2, 4, 100)))
    misc = mne.EpochsArray(
        np.zeros((2, 1, 100)), mne.create_info(["M"], 100.0, "misc"), verbose=False
    )
    with pytest.raises(ValueError, match=r"train has no EEG channels.*'misc'"):
        prepare_epochs(misc, name="train")
    info = mne.create_info(CLIP_CH + ["STI"], SF_CLIPS, ["eeg"] * 4 + ["stim"])
    nopos = mne.EpochsArray(clips.get_data(), info, verbose=False)
    with pytest.raises(ValueError, match=r"\['C3', 'C4', 'CZ', 'PZ'\] have no pos"):
        prepare_epochs(nopos)
    assert prepare_epochs(nopos, require_positions=False)[1]["n_eeg"] == 4
    nan = clips.get_data()
    nan[3, 1, 10] = np.nan
    nan = mne.EpochsArray(nan, clips.info, verbose=False)
    with pytest.raises(ValueError, match=r"y holds NaN/Inf in channel\(s\) \['C4'\]"):
        prepare_epochs(nan)
    with pytest.raises(ValueError, match=r"l_freq=40.0 >= h_freq=30.0"):
        prepare_epochs(clips, l_freq=40.0, h_freq=30.0)
    with pytest.raises(ValueError, match="sfreq.*0"):
        prepare_epochs(clips, sfreq=0)
    micro = clips.copy().apply_function(lambda x: x * 1e6, picks="eeg")
    with pytest.warns(RuntimeWarning, match=r"microvolts.*1e-6"):
        prepare_epochs(micro)
    ramp = np.linspace(-1, 1, len(clips.times)) * 2e-4
    drifting = clips.copy().apply_function(lambda x: x + ramp, picks="eeg")
    with pytest.warns(RuntimeWarning, match="Slow drifts dominate"):
        steps = prepare_epochs(drifting)[1]
    assert steps["drift"] > 0.5
    # a high-pass on the clips removes what the warning was about
    assert prepare_epochs(drifting, l_freq=1.0)[1]["drift"] < 0.5


def test_prepare_epochs_without_chain_needs_no_torch():
    code = (
        "import sys, mne, numpy as np\n"
        "from mne_video2eeg.preprocessing import prepare_epochs\n"
        "info = mne.create_info(2, 100.0, 'eeg')\n"
        "x = np.random.default_rng(0).standard_normal((3, 2, 100)) * 1e-5\n"
        "prepare_epochs(mne.EpochsArray(x, info), require_positions=False)\n"
        "assert 'braindecode' not in sys.modules and 'torch' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


# --------------------------------------------------------------------------- #
# working scale


def test_channel_scale_round_trip():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 4, 50)) * [[[1e-6], [5e-6], [2e-5], [3e-6]]]
    x += [[[1e-6], [-2e-6], [0], [4e-5]]]
    mean, std = fit_channel_scale(x)
    assert mean.shape == std.shape == (4,)
    z = apply_channel_scale(x, mean, std)
    np.testing.assert_allclose(z.mean(axis=(0, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=(0, 2)), 1, rtol=1e-12)
    np.testing.assert_allclose(invert_channel_scale(z, mean, std), x, rtol=1e-13)
    # 2-D arrays and MNE objects give the same scale
    info = mne.create_info(4, 100.0, "eeg")
    epochs = mne.EpochsArray(x, info, verbose=False)
    np.testing.assert_allclose(fit_channel_scale(epochs)[1], std)
    x2 = np.concatenate(list(x), axis=1)
    np.testing.assert_allclose(fit_channel_scale(x2)[0], mean)
    np.testing.assert_allclose(
        invert_channel_scale(apply_channel_scale(x2, mean, std), mean, std), x2
    )


def test_channel_scale_bad_input():
    x = np.random.default_rng(2).standard_normal((3, 4, 20)) * 1e-5
    flat = x.copy()
    flat[:, 2] = 3e-6
    info = mne.create_info(["A", "B", "FLAT", "D"], 100.0, "eeg")
    with pytest.raises(ValueError, match=r"\['FLAT'\] are flat"):
        fit_channel_scale(mne.EpochsArray(flat, info, verbose=False))
    with pytest.raises(ValueError, match=r"\[2\] are flat"):
        fit_channel_scale(flat)
    nan = x.copy()
    nan[1, 3, 4] = np.inf
    with pytest.raises(ValueError, match=r"NaN/Inf in channel\(s\) \['D'\]"):
        fit_channel_scale(nan, ch_names=["A", "B", "C", "D"])
    with pytest.raises(ValueError, match=r"ndim=1"):
        fit_channel_scale(np.ones(5))
    with pytest.raises(TypeError, match="str"):
        fit_channel_scale("data")
    mean, std = fit_channel_scale(x)
    with pytest.raises(ValueError, match=r"mean must have shape \(4,\).*\(3,\)"):
        apply_channel_scale(x, mean[:3], std)
    with pytest.raises(ValueError, match="std must be finite and > 0"):
        invert_channel_scale(x, mean, np.zeros(4))


# --------------------------------------------------------------------------- #
# clip windowing


@pytest.fixture
def ramp_raw():
    """A ramp (value = sample index from the first sample, in uV) at 100 Hz."""
    sfreq, n = 100.0, 1500
    ramp = np.arange(n) * 1e-6
    info = mne.create_info(["OZ", "O1"], sfreq, "eeg")
    raw = mne.io.RawArray(np.stack([ramp, -ramp]), info, first_samp=250, verbose=False)
    raw.set_meas_date(1_600_000_000.0)
    return raw


def test_make_clip_epochs_places_windows_at_onsets(ramp_raw):
    t_on = [1.0, 3.5, 7.25, 9.0]
    ann = mne.Annotations(
        onset=np.array(t_on) + ramp_raw.first_time,  # relative to meas_date
        duration=[0.0, 5.0, 0.0, 0.0],
        description=["b.avi", "a.avi", "b.avi", "BAD_blink"],
        orig_time=ramp_raw.info["meas_date"],
    )
    ramp_raw.set_annotations(ann)
    epochs = make_clip_epochs(ramp_raw, clip_duration=2.0)
    assert isinstance(epochs, mne.BaseEpochs)
    data = epochs.get_data()
    assert data.shape == (3, 2, 200)  # the BAD annotation is not a clip
    starts = np.round(np.array(t_on[:3]) * 100).astype(int)
    np.testing.assert_allclose(data[:, 0, 0], starts * 1e-6)
    np.testing.assert_allclose(data[:, 0, -1], (starts + 199) * 1e-6)
    np.testing.assert_allclose(data[:, 1], -data[:, 0])
    assert epochs.event_id == {"a.avi": 1, "b.avi": 2}
    np.testing.assert_array_equal(epochs.events[:, 2], [2, 1, 2])
    np.testing.assert_array_equal(epochs.events[:, 0], starts + ramp_raw.first_samp)
    md = epochs.metadata
    assert list(md["description"]) == ["b.avi", "a.avi", "b.avi"]
    assert list(md["video"]) == ["b.avi", "a.avi", "b.avi"]
    np.testing.assert_allclose(md["onset"], t_on[:3])
    np.testing.assert_array_equal(md["sample"], starts)
    # event_id selects descriptions; no metadata on request
    only_b = make_clip_epochs(
        ramp_raw, event_id={"b.avi": 7}, metadata_from_annotations=False
    )
    assert only_b.metadata is None
    np.testing.assert_array_equal(only_b.events[:, 2], [7, 7])


def test_make_clip_epochs_extras_and_late_clips(ramp_raw):
    ann = mne.Annotations(
        onset=[0.0, 2.0, 14.0],
        duration=0.0,
        description=["negative", "positive", "positive"],
        extras=[
            {"video": "v1.mp4", "block": 1},
            {"video": "v2.mp4", "block": 1},
            {"video": "v3.mp4", "block": 2},
        ],
    )
    ramp_raw.set_annotations(ann)
    with pytest.warns(RuntimeWarning, match=r"'positive' at 14.000 s"):
        epochs = make_clip_epochs(ramp_raw, clip_duration=1.5, preload=False)
    assert len(epochs.events) == 2
    assert epochs.get_data().shape == (2, 2, 150)
    assert list(epochs.metadata["video"]) == ["v1.mp4", "v2.mp4"]
    assert list(epochs.metadata["block"]) == [1, 1]
    assert list(epochs.metadata["description"]) == ["negative", "positive"]


def test_make_clip_epochs_bad_input(ramp_raw):
    with pytest.raises(TypeError, match="EpochsArray"):
        make_clip_epochs(mne.EpochsArray(np.zeros((1, 2, 10)), ramp_raw.info))
    with pytest.raises(ValueError, match="clip_duration.*0"):
        make_clip_epochs(ramp_raw, clip_duration=0)
    with pytest.raises(ValueError, match="no .*annotations"):
        make_clip_epochs(ramp_raw)
    ramp_raw.set_annotations(mne.Annotations([14.5], [0.0], ["late"]))
    with pytest.raises(ValueError, match="No clip of 2.0 s fits"):
        make_clip_epochs(ramp_raw)
    with pytest.raises(ValueError, match=r"\['nope'\]"):
        make_clip_epochs(ramp_raw, event_id={"nope": 1})
    misc = mne.io.RawArray(np.zeros((1, 100)), mne.create_info(1, 100.0, "misc"))
    with pytest.raises(ValueError, match="no EEG channels"):
        make_clip_epochs(misc)
