import mne
import numpy as np
import pytest

from mne_video2eeg import SEED_CH_NAMES, make_seed_montage
from mne_video2eeg.graphs import (
    adjacency_to_edge_index,
    make_electrode_graph,
    make_signal_graph,
    normalize_adjacency,
)

SFREQ = 200.0


def _assert_graph(adj, n):
    assert adj.shape == (n, n)
    assert adj.dtype == np.float64
    np.testing.assert_allclose(adj, adj.T)
    assert (adj >= 0).all()
    np.testing.assert_array_equal(np.diag(adj), 0.0)


# --------------------------------------------------------------------------- #
# E-Graph


def test_electrode_graph_properties_and_oz_neighbours(seed_info):
    adj = make_electrode_graph(seed_info)
    _assert_graph(adj, 62)
    assert adj.max() <= 1.0
    oz = SEED_CH_NAMES.index("OZ")
    nearest = [SEED_CH_NAMES[j] for j in np.argsort(-adj[oz])[:8]]
    occipital = {"O1", "O2", "POZ", "CB1", "CB2"}
    assert all(n in occipital or n.startswith("PO") for n in nearest), nearest
    assert {"O1", "O2"} <= set(nearest[:2] + nearest[2:4])
    # each node keeps at least its k nearest (union may add a few more)
    assert ((adj > 0).sum(axis=1) >= 8).all()
    # far-apart electrodes are not linked
    assert adj[oz, SEED_CH_NAMES.index("FPZ")] == 0


def test_electrode_graph_sparsity_sigma_and_inputs(seed_info):
    degree = {
        k: (make_electrode_graph(seed_info, n_neighbors=k) > 0).sum()
        for k in (2, 4, 8, 16)
    }
    assert degree[2] < degree[4] < degree[8] < degree[16]
    dense = make_electrode_graph(seed_info, n_neighbors=None)
    assert (dense[~np.eye(62, dtype=bool)] > 0).all()
    loops = make_electrode_graph(seed_info, self_loops=True)
    np.testing.assert_array_equal(np.diag(loops), 1.0)
    # a wider kernel gives larger weights on the same edges
    narrow = make_electrode_graph(seed_info, sigma=0.02)
    wide = make_electrode_graph(seed_info, sigma=0.2)
    edges = narrow > 0
    assert (wide[edges] > narrow[edges]).all()
    # the montage gives the same graph (distances do not change between frames)
    from_montage = make_electrode_graph(make_seed_montage())
    np.testing.assert_allclose(from_montage, make_electrode_graph(seed_info))
    sub = make_electrode_graph(make_seed_montage(), ch_names=["OZ", "O1", "FZ"])
    assert sub.shape == (3, 3)
    # an MNE object holding an info works; non-EEG channels are skipped
    info = mne.create_info(
        list(SEED_CH_NAMES) + ["STI"], SFREQ, ["eeg"] * 62 + ["stim"]
    )
    info.set_montage(make_seed_montage())
    raw = mne.io.RawArray(np.zeros((63, 10)), info, verbose=False)
    np.testing.assert_allclose(
        make_electrode_graph(raw), make_electrode_graph(seed_info)
    )


def test_electrode_graph_bad_input(seed_info):
    info = mne.create_info(["OZ", "O1", "XYZ"], SFREQ, "eeg")
    info.set_montage(make_seed_montage(), on_missing="ignore")
    with pytest.raises(
        ValueError, match=r"XYZ.*graph cannot.*set_montage\(mne_video2eeg.make_seed"
    ):
        make_electrode_graph(info)
    info = mne.create_info(["A", "B"], SFREQ, "eeg")  # no montage: all-zero loc
    with pytest.raises(ValueError, match="'A', 'B'"):
        make_electrode_graph(info)
    epochs = mne.EpochsArray(np.zeros((1, 2, 5)), info, verbose=False)
    with pytest.raises(ValueError, match=r"\['A', 'B'\] have no position"):
        make_electrode_graph(epochs)
    with pytest.raises(TypeError, match="ndarray"):
        make_electrode_graph(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="no EEG"):
        make_electrode_graph(mne.create_info(["a"], SFREQ, "misc"))
    with pytest.raises(ValueError, match="n_neighbors.*0"):
        make_electrode_graph(seed_info, n_neighbors=0)
    with pytest.raises(ValueError, match="sigma.*-1"):
        make_electrode_graph(seed_info, sigma=-1.0)
    with pytest.raises(ValueError, match="NOPE"):
        make_electrode_graph(make_seed_montage(), ch_names=["OZ", "NOPE"])


# --------------------------------------------------------------------------- #
# S-Graph


def _band_source(rng, n_times, lo, hi):
    white = rng.standard_normal(n_times)
    # sharp edges: the sources stay inside their band
    return mne.filter.filter_data(
        white,
        SFREQ,
        lo,
        hi,
        l_trans_bandwidth=1.0,
        h_trans_bandwidth=1.0,
        verbose=False,
    )


@pytest.fixture(scope="module")
def planted():
    """Channels 0-2 share an alpha source, 3-5 a beta source, 6-7 independent."""
    rng = np.random.default_rng(0)
    n_epochs, n_times = 20, 400  # 2-s clips
    total = n_epochs * n_times
    alpha = _band_source(rng, total, 9.5, 12.5)
    beta = _band_source(rng, total, 20.0, 27.0)
    alpha, beta = alpha / alpha.std(), beta / beta.std()
    x = rng.standard_normal((8, total))
    x[0:3] += alpha
    x[3:6] += beta
    x *= 1e-5  # Volts
    epochs = x.reshape(8, n_epochs, n_times).transpose(1, 0, 2)
    return np.ascontiguousarray(epochs)


def test_signal_graph_recovers_planted_structure(planted):
    names = [f"C{i}" for i in range(8)]
    fused, bands = make_signal_graph(
        planted, sfreq=SFREQ, return_bands=True, ch_names=names
    )
    _assert_graph(fused, 8)
    assert list(bands.dims) == ["band", "ch1", "ch2"]
    assert list(bands.band.values) == ["delta", "theta", "alpha", "beta", "gamma"]
    assert list(bands.ch1.values) == names
    np.testing.assert_allclose(fused, bands.mean("band").values)
    alpha, beta = bands.sel(band="alpha").values, bands.sel(band="beta").values
    for g in bands.values:
        _assert_graph(g, 8)
    a_grp, b_grp = np.ix_([0, 1, 2], [0, 1, 2]), np.ix_([3, 4, 5], [3, 4, 5])
    off = ~np.eye(3, dtype=bool)
    assert alpha[a_grp][off].min() > 0.8
    assert beta[b_grp][off].min() > 0.8
    assert alpha[b_grp][off].max() < 0.15  # beta group not linked in alpha
    assert beta[a_grp][off].max() < 0.15
    # independent channels: near zero everywhere
    assert alpha[6:, :].max() < 0.15 and beta[6:, :].max() < 0.15
    # bands without shared power stay near zero (no edge-ringing artefacts)
    for band in ("delta", "theta", "gamma"):
        assert bands.sel(band=band).values.max() < 0.2, band


def test_signal_graph_mne_inputs_sparsity_and_sign(planted):
    info = mne.create_info([f"C{i}" for i in range(8)], SFREQ, "eeg")
    epochs = mne.EpochsArray(planted, info, verbose=False)
    from_epochs = make_signal_graph(epochs)
    np.testing.assert_allclose(from_epochs, make_signal_graph(planted, sfreq=SFREQ))
    raw = mne.io.RawArray(np.concatenate(list(planted), axis=1), info, verbose=False)
    from_raw = make_signal_graph(raw, bands=["alpha"])
    assert from_raw[0, 1] > 0.8
    sparse = make_signal_graph(planted, sfreq=SFREQ, n_neighbors=1)
    _assert_graph(sparse, 8)
    assert ((sparse > 0).sum(axis=1) >= 1).all()
    assert (sparse > 0).sum() < (from_epochs > 0).sum()
    flipped = planted.copy()
    flipped[:, 1] *= -1
    s = make_signal_graph(flipped, sfreq=SFREQ, bands=["alpha"], absolute=False)
    assert s[0, 1] < -0.8 and s[0, 2] > 0.8


def test_signal_graph_band_clipping(planted, caplog):
    # 100 Hz: gamma (31-49) clipped to 0.95 * Nyquist = 47.5 Hz, 'high' dropped
    x = planted[:, :, ::2]
    _, bands = make_signal_graph(
        x,
        sfreq=100.0,
        bands={"alpha": (8, 14), "gamma": (31, 49), "high": (48, 60)},
        return_bands=True,
        verbose="info",
    )
    assert list(bands.band.values) == ["alpha", "gamma"]
    assert bands.fmax.sel(band="gamma") == pytest.approx(47.5)
    assert "dropping band 'high'" in caplog.text
    with pytest.raises(ValueError, match="No band fits"):
        make_signal_graph(x, sfreq=100.0, bands={"high": (48, 60)})


def test_signal_graph_bad_input(planted):
    with pytest.raises(ValueError, match=r"sfreq=None"):
        make_signal_graph(planted)
    with pytest.raises(ValueError, match=r"-200"):
        make_signal_graph(planted, sfreq=-200.0)
    with pytest.raises(ValueError, match=r"\(8,\).*ndim=1"):
        make_signal_graph(np.ones(8), sfreq=SFREQ)
    with pytest.raises(ValueError, match=r"ndim=4"):
        make_signal_graph(planted[None], sfreq=SFREQ)
    with pytest.raises(TypeError, match="dict"):
        make_signal_graph({"a": 1}, sfreq=SFREQ)
    bad = planted.copy()
    bad[2, 3, 5] = np.nan
    with pytest.raises(ValueError, match=r"NaN/Inf in channel\(s\) \['C3'\]"):
        make_signal_graph(bad, sfreq=SFREQ, ch_names=[f"C{i}" for i in range(8)])
    bad = planted.copy()
    bad[:, 4] = 0.0
    with pytest.raises(ValueError, match=r"\[4\] are flat"):
        make_signal_graph(bad, sfreq=SFREQ)
    with pytest.raises(ValueError, match="Unknown band.*kappa"):
        make_signal_graph(planted, sfreq=SFREQ, bands=["kappa"])
    with pytest.raises(ValueError, match=r"\(10.0, 5.0\)"):
        make_signal_graph(planted, sfreq=SFREQ, bands={"x": (10, 5)})
    info = mne.create_info(8, SFREQ, "eeg")
    epochs = mne.EpochsArray(planted, info, verbose=False)
    with pytest.raises(ValueError, match="sfreq=100.0 disagrees"):
        make_signal_graph(epochs, sfreq=100.0)
    # MNE objects: EEG channels picked and checked as on every EEG input path
    misc = mne.EpochsArray(planted, mne.create_info(8, SFREQ, "misc"), verbose=False)
    with pytest.raises(ValueError, match=r"data has no EEG channels.*'misc'"):
        make_signal_graph(misc)
    nan = planted.copy()
    nan[0, 6, 0] = np.inf
    with pytest.raises(ValueError, match=r"NaN/Inf in channel\(s\) \['6'\]"):
        make_signal_graph(mne.EpochsArray(nan, info, verbose=False))


# --------------------------------------------------------------------------- #
# conversions


def test_edge_index_round_trip_torch_geometric(seed_info):
    torch = pytest.importorskip("torch")
    to_dense_adj = pytest.importorskip("torch_geometric.utils").to_dense_adj
    adj = make_electrode_graph(seed_info)
    edge_index, edge_weight = adjacency_to_edge_index(adj)
    assert edge_index.dtype == np.int64 and edge_index.shape[0] == 2
    assert edge_weight.dtype == np.float32
    assert edge_index.shape[1] == (adj > 0).sum()
    dense = to_dense_adj(
        torch.as_tensor(edge_index),
        edge_attr=torch.as_tensor(edge_weight),
        max_num_nodes=62,
    )[0].numpy()
    np.testing.assert_allclose(dense, adj, rtol=1e-6)
    # directed graphs keep their direction; threshold drops weak edges
    directed = np.array([[0, 0.5, 0], [0, 0, 0.05], [0, 0, 0]])
    ei, ew = adjacency_to_edge_index(directed, threshold=0.1)
    np.testing.assert_array_equal(ei, [[0], [1]])
    np.testing.assert_allclose(ew, [0.5])


def test_normalize_adjacency_matches_gcn(seed_info):
    torch = pytest.importorskip("torch")
    gcn_norm = pytest.importorskip("torch_geometric.nn.conv.gcn_conv").gcn_norm
    adj = make_electrode_graph(seed_info)
    norm = normalize_adjacency(adj)
    np.testing.assert_allclose(norm, norm.T)
    ei, ew = adjacency_to_edge_index(adj)
    ei_t, ew_t = gcn_norm(
        torch.as_tensor(ei), torch.as_tensor(ew, dtype=torch.float64), num_nodes=62
    )
    ref = np.zeros((62, 62))
    ref[ei_t[0].numpy(), ei_t[1].numpy()] = ew_t.numpy()
    np.testing.assert_allclose(norm, ref, rtol=1e-6)
    # without self loops an isolated node gets a zero row
    a = np.array([[0.0, 1, 0], [1, 0, 0], [0, 0, 0]])
    np.testing.assert_allclose(normalize_adjacency(a, add_self_loops=False), a)


def test_conversion_bad_input():
    with pytest.raises(ValueError, match=r"square.*\(3, 4\)"):
        adjacency_to_edge_index(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"square.*\(2, 2, 2\)"):
        normalize_adjacency(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="threshold.*-1"):
        adjacency_to_edge_index(np.eye(2), threshold=-1.0)
    with pytest.raises(TypeError, match="threshold"):
        adjacency_to_edge_index(np.eye(2), threshold="0")
    with pytest.raises(ValueError, match="symmetric.*0.5"):
        normalize_adjacency(np.array([[0, 1.0], [0.5, 0]]))
    with pytest.raises(ValueError, match="non-negative.*-1"):
        normalize_adjacency(np.array([[0, -1.0], [-1.0, 0]]))
    with pytest.raises(ValueError, match="NaN"):
        normalize_adjacency(np.array([[0, np.nan], [np.nan, 0]]))
    with pytest.raises(TypeError, match="adj"):
        normalize_adjacency("not an array")
