"""Telling two sets of clips apart: Riemannian distance and classifier test.

Both sets go through the same preprocessing as the one-set statistics of
:mod:`._realism`; :func:`compare_realism` gathers every realism statistic of
two sets (real vs generated, or real vs real for the ceiling).
"""

from __future__ import annotations

import mne
import numpy as np
import xarray as xr
from mne.utils import logger
from mne.utils import warn as mne_warn

from ..utils._checks import _check_option, _check_positive, _check_random_state
from ..utils._docs import verbose
from ._realism import (
    ALPHA_BAND,
    amplitude_from_data,
    channel_positions,
    correlation_by_distance_from_data,
    default_bands,
    prepared_pair,
    spectral_parameters_from_data,
)

_CLASSIFIERS = ("riemann", "braindecode")


def _riemann_tools():
    # pyriemann >= 0.12 moved the geometry out of pyriemann.utils (the old
    # path warns a deprecation there); older releases only have utils.
    try:
        from pyriemann.geometry.distance import distance_riemann
        from pyriemann.geometry.mean import mean_riemann
    except ImportError:  # pragma: no cover - pyriemann < 0.12
        from pyriemann.utils.distance import distance_riemann
        from pyriemann.utils.mean import mean_riemann
    return mean_riemann, distance_riemann


def _mean_covariance(data, estimator):
    from pyriemann.estimation import Covariances

    # Average-referenced data have rank n - 1: the shrinkage estimator keeps
    # every clip's covariance positive definite. Volts -> uV only conditions
    # the numbers (the Riemannian distance is invariant to a common scale).
    covs = Covariances(estimator=estimator).fit_transform(data * 1e6)
    return _riemann_tools()[0](covs)


def _riemann_distance(da, db, estimator) -> float:
    _check_option("estimator", estimator, ("oas", "lwf"))
    ca, cb = _mean_covariance(da, estimator), _mean_covariance(db, estimator)
    return float(_riemann_tools()[1](ca, cb))


@verbose
def riemann_distance(
    epochs_a: mne.BaseEpochs,
    epochs_b: mne.BaseEpochs,
    *,
    l_freq: float | None = 1.0,
    h_freq: float | None = 45.0,
    estimator: str = "oas",
    verbose=None,
) -> float:
    """Riemannian distance between the mean channel covariances of two sets.

    After the shared preprocessing (see :func:`amplitude`), each clip's
    covariance ``C_n`` is estimated with shrinkage
    (:class:`pyriemann.estimation.Covariances`), each set's mean is the
    Riemannian (geometric) mean ``M = argmin_M sum_n delta(M, C_n) ** 2``, and::

        delta(M_a, M_b) = sqrt(sum_k log(lambda_k) ** 2)

    with ``lambda_k`` the eigenvalues of ``M_a^-1 M_b``. It is 0 for equal
    means, invariant to any invertible spatial transform applied to both sets,
    and ``sqrt(n_channels) * |log(s ** 2)|`` when one set is the other times
    ``s``.

    Parameters
    ----------
    epochs_a, epochs_b : mne.Epochs
        The two sets of clips, in Volts, with the same good EEG channels and
        sampling rate.
    %(l_freq_h_freq_realism)s
    estimator : "oas" | "lwf"
        Shrinkage covariance estimator (Oracle Approximating / Ledoit-Wolf).
    %(verbose)s

    Returns
    -------
    distance : float
        Dimensionless, >= 0.
    """
    da, _, db, _ = prepared_pair(epochs_a, epochs_b, l_freq, h_freq)
    out = _riemann_distance(da, db, estimator)
    logger.info(f"riemann_distance: {out:.4g}")
    return out


def _classifier(name, n_chans, n_times, sfreq, max_epochs, n_train):
    """Return a fresh scikit-learn compatible classifier."""
    if name == "riemann":
        from pyriemann.estimation import Covariances
        from pyriemann.tangentspace import TangentSpace
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline

        return make_pipeline(
            Covariances(estimator="oas"), TangentSpace(), LogisticRegression()
        )
    import torch
    from braindecode import EEGClassifier
    from braindecode.models import ShallowFBCSPNet

    # A narrow ShallowFBCSPNet (band-power features of learnt spatial filters,
    # the network counterpart of the Riemannian pipeline) with its time
    # kernels scaled from the 250 Hz design to this sfreq: seconds on CPU.
    sec = sfreq / 250.0
    return EEGClassifier(
        ShallowFBCSPNet,
        module__n_chans=n_chans,
        module__n_outputs=2,
        module__n_times=n_times,
        module__n_filters_time=16,
        module__n_filters_spat=16,
        module__filter_time_length=max(2, round(25 * sec)),
        module__pool_time_length=max(2, round(75 * sec)),
        module__pool_time_stride=max(1, round(15 * sec)),
        optimizer=torch.optim.AdamW,
        lr=1e-2,
        batch_size=min(16, n_train),
        max_epochs=max_epochs,
        train_split=None,
        device="cpu",
        verbose=0,
    )


def _c2st(da, db, sfreq, classifier, n_splits, max_epochs, rng):
    from scipy.stats import binomtest
    from sklearn.model_selection import StratifiedKFold

    _check_option("classifier", classifier, _CLASSIFIERS)
    if n_splits < 2:
        raise ValueError(f"n_splits must be >= 2, got {n_splits}.")
    n = min(len(da), len(db))
    if n < n_splits:
        raise ValueError(
            f"c2st needs at least n_splits={n_splits} clips in each set, got "
            f"{len(da)} and {len(db)}; lower n_splits or pass more clips."
        )
    if da.shape[-1] != db.shape[-1]:
        raise ValueError(
            f"c2st needs clips of one length, got {da.shape[-1]} and "
            f"{db.shape[-1]} samples; crop them to the same window (inst.crop)."
        )
    # balanced classes: subsample the larger set
    da = da[np.sort(rng.choice(len(da), n, replace=False))]
    db = db[np.sort(rng.choice(len(db), n, replace=False))]
    X = np.concatenate([da, db])
    X = X / np.std(X)  # one label-blind scale: unit variance
    y = np.repeat([0, 1], n)
    seed = int(rng.integers(2**31 - 1))
    folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    correct, fold_acc = 0, []
    for k, (train, test) in enumerate(folds.split(X, y)):
        clf = _classifier(
            classifier, X.shape[1], X.shape[2], sfreq, max_epochs, len(train)
        )
        if classifier == "braindecode":
            import torch

            # network initialisation, dropout and shuffling draw from torch's
            # global generator: seed it inside a fork, restored afterwards.
            # One thread: this network's ops are too small to share, and two
            # threads on a busy 2-core machine took 49 s instead of 4 s.
            threads = torch.get_num_threads()
            try:
                torch.set_num_threads(1)
                with torch.random.fork_rng(devices=[]):
                    torch.manual_seed(seed + k)
                    clf.fit(X[train].astype(np.float32), y[train])
                    pred = clf.predict(X[test].astype(np.float32))
            finally:
                torch.set_num_threads(threads)
        else:
            pred = clf.fit(X[train], y[train]).predict(X[test])
        hits = int(np.sum(pred == y[test]))
        correct += hits
        fold_acc.append(hits / len(test))
        logger.debug(f"c2st {classifier} fold {k}: accuracy {fold_acc[-1]:.3f}")
    p = binomtest(correct, len(X), 0.5, alternative="greater").pvalue
    return xr.Dataset(
        {
            "accuracy": correct / len(X),
            "fold_accuracy": ("fold", np.array(fold_acc)),
            "p_value": float(p),
            "n_correct": correct,
            "n_predictions": len(X),
        },
        coords={"fold": np.arange(n_splits)},
        attrs={"classifier": classifier, "n_per_set": n},
    )


@verbose
def c2st(
    real: mne.BaseEpochs,
    generated: mne.BaseEpochs,
    *,
    classifier: str = "riemann",
    n_splits: int = 5,
    l_freq: float | None = 1.0,
    h_freq: float | None = 45.0,
    max_epochs: int = 10,
    random_state=None,
    verbose=None,
) -> xr.Dataset:
    """Classifier two-sample test: accuracy of telling two sets of clips apart.

    After the shared preprocessing (see :func:`amplitude`), real clips are
    labelled 0 and generated clips 1; the larger set is subsampled to the size
    ``n`` of the smaller, and a classifier is trained and tested with
    stratified ``n_splits``-fold cross-validation. Every clip is predicted once
    while held out::

        accuracy = (number of correct held-out predictions) / (2 n)
        p_value  = P(Binomial(2 n, 0.5) >= number correct)     (one-sided)

    0.5 means indistinguishable, 1 perfectly separable. The p-value treats the
    held-out predictions as independent, which cross-validation makes only
    approximately true.

    Parameters
    ----------
    %(real_generated_sets)s
        The classifier test needs clips of one length.
    classifier : "riemann" | "braindecode"
        ``"riemann"``: shrinkage covariance (OAS), tangent space at the
        Riemannian mean, logistic regression (pyriemann + scikit-learn).
        ``"braindecode"``: a small ShallowFBCSPNet trained with braindecode's
        ``EEGClassifier`` on CPU.
    %(n_splits_c2st)s
    %(l_freq_h_freq_realism)s
    %(max_epochs_c2st)s
    random_state : int | numpy.random.Generator | None
        Seed of the subsampling, the folds and the network initialisation.
    %(verbose)s

    Returns
    -------
    result : xarray.Dataset
        Scalars ``accuracy``, ``p_value``, ``n_correct``, ``n_predictions``;
        ``fold_accuracy`` on dim ``fold``; attrs ``classifier``, ``n_per_set``.
    """
    n_splits = _check_positive(n_splits, "n_splits", integer=True)
    max_epochs = _check_positive(max_epochs, "max_epochs", integer=True)
    rng = _check_random_state(random_state)
    names = ("real", "generated")
    da, info, db, _ = prepared_pair(real, generated, l_freq, h_freq, names)
    out = _c2st(da, db, info["sfreq"], classifier, n_splits, max_epochs, rng)
    logger.info(
        f"c2st ({classifier}): accuracy {float(out.accuracy):.3f}, "
        f"p = {float(out.p_value):.3g}"
    )
    return out


def _check_positions(info_a, info_b):
    """Warn when both sets have positions and they differ (missing: see later)."""
    try:
        pa, pb = channel_positions(info_a), channel_positions(info_b)
    except ValueError:  # correlation_by_distance says what to do
        return
    gap = np.linalg.norm(pa - pb, axis=1).max()
    if gap > 1e-3:
        mne_warn(
            f"real and generated channel positions differ by up to {gap * 1e3:.1f} "
            "mm; each set's distances use its own positions. Use one montage: "
            "generated.set_montage(real.get_montage())."
        )


@verbose
def compare_realism(
    real: mne.BaseEpochs,
    generated: mne.BaseEpochs,
    *,
    l_freq: float | None = 1.0,
    h_freq: float | None = 45.0,
    classifiers: tuple[str, ...] = ("riemann",),
    n_splits: int = 5,
    max_epochs: int = 10,
    fraction: float = 0.2,
    random_state=None,
    verbose=None,
) -> xr.Dataset:
    """Every realism statistic, computed the same way on two sets of clips.

    Both sets go through the same preprocessing (see :func:`amplitude`) and
    the same statistics; ``generated`` may be any second set with the same
    channels and sfreq (e.g. held-out real clips, for the real-vs-real
    ceiling). With ``a`` the value of ``real`` and ``b`` that of
    ``generated``::

        amplitude_ratio                      = b / a    (amplitude)
        exponent_difference                  = b - a    (median exponent)
        alpha_peak_ratio_relative_difference = (b - a) / a

    Parameters
    ----------
    %(real_generated_sets)s
        They need the same channel positions, and, for the classifier test,
        clips of one length.
    %(l_freq_h_freq_realism)s
    classifiers : tuple of str
        The :func:`c2st` classifiers to run (``"riemann"``,
        ``"braindecode"``); empty skips the test.
    %(n_splits_c2st)s
    %(max_epochs_c2st)s
    %(fraction_distance)s
    random_state : int | numpy.random.Generator | None
        Seed of :func:`c2st` (the same folds for every classifier).
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        On dim ``set`` (``"real"``, ``"generated"``): ``amplitude`` (V, from
        :func:`amplitude`), ``exponent`` and ``alpha_peak_ratio`` (the medians
        of :func:`spectral_parameters`), ``neighbour_r`` and ``distant_r``
        (:func:`correlation_by_distance`); scalars ``amplitude_ratio``,
        ``exponent_difference``, ``alpha_peak_ratio_relative_difference``,
        ``riemann_distance`` (:func:`riemann_distance`); ``c2st_accuracy`` and
        ``c2st_p_value`` on dim ``classifier``.
    """
    if isinstance(classifiers, str):
        classifiers = (classifiers,)
    for name in classifiers:
        _check_option("classifiers", name, _CLASSIFIERS)
    n_splits = _check_positive(n_splits, "n_splits", integer=True)
    max_epochs = _check_positive(max_epochs, "max_epochs", integer=True)
    fraction = _check_positive(fraction, "fraction")
    rng = _check_random_state(random_state)
    names = ("real", "generated")
    da, info_a, db, info_b = prepared_pair(real, generated, l_freq, h_freq, names)
    _check_positions(info_a, info_b)
    bands = default_bands(l_freq, h_freq)
    per_set = {"amp": [], "exp": [], "alpha": [], "near": [], "far": []}
    for data, info in ((da, info_a), (db, info_b)):
        sp = spectral_parameters_from_data(data, info, (2.0, 40.0), ALPHA_BAND, 6)
        cd = correlation_by_distance_from_data(data, info, 6, fraction, bands)
        per_set["amp"].append(amplitude_from_data(data))
        per_set["exp"].append(float(sp.exponent_median))
        per_set["alpha"].append(float(sp.alpha_peak_ratio_median))
        per_set["near"].append(float(cd.neighbour))
        per_set["far"].append(float(cd.distant))
    amp, exp, alpha = per_set["amp"], per_set["exp"], per_set["alpha"]
    seed = int(rng.integers(2**31 - 1))  # one seed: the same folds per classifier
    tests = [
        _c2st(
            da,
            db,
            info_a["sfreq"],
            c,
            n_splits,
            max_epochs,
            np.random.default_rng(seed),
        )
        for c in classifiers
    ]
    out = xr.Dataset(
        {
            "amplitude": ("set", amp),
            "amplitude_ratio": amp[1] / amp[0],
            "exponent": ("set", exp),
            "exponent_difference": exp[1] - exp[0],
            "alpha_peak_ratio": ("set", alpha),
            "alpha_peak_ratio_relative_difference": (alpha[1] - alpha[0]) / alpha[0],
            "neighbour_r": ("set", per_set["near"]),
            "distant_r": ("set", per_set["far"]),
            "riemann_distance": _riemann_distance(da, db, "oas"),
            "c2st_accuracy": ("classifier", [float(t.accuracy) for t in tests]),
            "c2st_p_value": ("classifier", [float(t.p_value) for t in tests]),
        },
        coords={"set": list(names), "classifier": list(classifiers)},
        attrs={
            "l_freq": "none" if l_freq is None else l_freq,
            "h_freq": "none" if h_freq is None else h_freq,
            "n_real": len(da),
            "n_generated": len(db),
        },
    )
    logger.info(
        f"compare_realism: amplitude ratio {float(out.amplitude_ratio):.3g}, "
        f"exponent difference {float(out.exponent_difference):.3g}, "
        f"riemann distance {float(out.riemann_distance):.3g}"
    )
    return out
