"""Evaluation protocols: how well a generator generalises to new subjects.

The cross-subject check of the paper's "next steps": fit on every subject but
one, generate for the held-out subject from the population ("unknown
subject") embedding, and score the result against that subject's recordings.
Works with any estimator that has ``fit(X, y)`` and ``generate(X, *,
subject=None, n_samples=..., emotion=..., random_state=...)`` (the generator
and the baselines of :mod:`mne_video2eeg.baselines`).
"""

from __future__ import annotations

import time

import mne
import numpy as np
import xarray as xr
from mne.utils import logger
from sklearn.base import clone
from sklearn.utils.validation import check_is_fitted

from . import _inputs
from .metrics import evaluate
from .utils._checks import _check_positive, _check_random_state, _validate_type
from .utils._docs import verbose

__all__ = ["leave_one_subject_out"]


def _check_subjects(md, subjects) -> list[str]:
    present = sorted(str(s) for s in md["subject"].unique())
    if len(present) < 2:
        raise ValueError(
            f"leave_one_subject_out needs epochs of at least 2 subjects, got {present}."
        )
    if subjects is None:
        return present
    if isinstance(subjects, str):
        subjects = [subjects]
    _validate_type(subjects, (list, tuple), "subjects", "list of str")
    subjects = [str(s) for s in subjects]
    missing = [s for s in subjects if s not in present]
    if missing:
        raise ValueError(
            f"subjects {missing} are not in y (subjects present: {present}); pass "
            "subjects=None to hold out each subject in turn."
        )
    return subjects


def _check_test_videos(md, test_videos) -> set[str] | None:
    if test_videos is None:
        return None
    if isinstance(test_videos, str):
        test_videos = [test_videos]
    _validate_type(test_videos, (list, tuple, set, np.ndarray), "test_videos")
    test = {str(v) for v in test_videos}
    unknown = sorted(test - set(md["video"].astype(str)))
    if unknown:
        raise ValueError(
            f"test_videos {unknown[:10]} are not in y.metadata['video']; pass ids "
            "such as Path(f).name of the video files."
        )
    return test


def _check_prefitted(estimator, subject, test):
    check_is_fitted(estimator)
    seen = [str(v) for v in getattr(estimator, "subjects_", ())]
    if subject in seen:
        raise ValueError(
            f"refit=False, but the estimator was fitted on the held-out subject "
            f"{subject!r} (its subjects_ are {seen}); pass refit=True."
        )
    trained = set(getattr(estimator, "video_emotions_", {}))
    leaked = sorted(trained & (test or set()))
    if leaked:
        raise ValueError(
            f"refit=False, but the estimator was fitted on test videos "
            f"{leaked[:5]}; pass refit=True or other test_videos."
        )
    return estimator


@verbose
def leave_one_subject_out(
    estimator,
    X,
    y,
    *,
    clean=None,
    subjects=None,
    test_videos=None,
    n_samples: int = 32,
    metrics=None,
    feature_net=None,
    refit: bool = True,
    random_state=None,
    verbose=None,
) -> xr.Dataset:
    """Fit on all subjects but one, generate for and score the held-out one.

    For each held-out subject ``s``: a :func:`sklearn.base.clone` of
    ``estimator`` is fitted on the epochs of every other subject (without the
    ``test_videos`` when given), generates ``n_samples`` samples per video for
    the videos ``s`` watched (only ``test_videos`` when given) with
    ``subject=None`` (the population embedding: ``s`` is unknown to the
    model) and the videos' emotion labels from ``y.metadata``, and the
    samples are scored against ``s``'s epochs with
    :func:`mne_video2eeg.metrics.evaluate` (matched by video).

    Parameters
    ----------
    estimator : Video2EEGGenerator | EmotionTemplateBaseline | RidgeEncodingBaseline
        An unfitted (or fitted: it is cloned) estimator.
    X : xarray.DataArray, dims (video, frame, feature)
        Video features of every video in ``y``.
    y : mne.Epochs
        Clip epochs with ``video``, ``subject`` and ``emotion`` metadata.
    clean : mne.Epochs | None
        Noise-free truth aligned epoch by epoch with ``y`` (e.g. from
        ``simulate_video_eeg(return_clean=True)``) for the evoked metrics.
    subjects : str | list of str | None
        Subjects to hold out, one fold each; None = every subject in ``y``.
    test_videos : list of str | None
        Videos never shown in training (held-out clips as well as the held-out
        subject); None = the held-out subject's videos, which the other
        subjects' training epochs include (subject generalisation only).
    n_samples : int
        Samples per video (K of the evoked metrics).
    metrics : list of str | None
        Passed to :func:`~mne_video2eeg.metrics.evaluate`; None = all.
    feature_net : EEGFeatureNet | None
        A fitted feature network for ``eeg_fid`` (None trains one per fold).
    refit : bool
        True (default): fit a clone per fold. False: ``estimator`` is already
        fitted on exactly one fold's training set (e.g. to reuse an expensive
        fit); it is used as is, after checking that it saw neither the held-out
        subject nor the test videos.
    random_state : int | numpy.random.Generator | None
        Seed of the generation noise and of the metrics.
    %(verbose)s

    Returns
    -------
    scores : xarray.Dataset
        The variables of :func:`~mne_video2eeg.metrics.evaluate` with a leading
        ``subject`` dimension (the held-out subject), plus ``n_train_epochs``,
        ``n_test_epochs``, ``fit_time_s`` (NaN when ``refit=False``) and
        ``sample_time_s`` (wall-clock seconds per generated sample). Average
        over ``subject`` for the protocol's summary.
    """
    _validate_type(y, mne.BaseEpochs, "y", "mne.Epochs")
    md = _inputs.check_epochs(y).reset_index(drop=True)
    if clean is not None:
        _validate_type(clean, mne.BaseEpochs, "clean", "mne.Epochs")
        if len(clean) != len(y):
            raise ValueError(
                f"clean must align epoch by epoch with y, got {len(clean)} clean "
                f"and {len(y)} epochs."
            )
    held_out = _check_subjects(md, subjects)
    test = _check_test_videos(md, test_videos)
    n_samples = _check_positive(n_samples, "n_samples", integer=True)
    _validate_type(refit, bool, "refit")
    rng = _check_random_state(random_state)
    subj = md["subject"].astype(str).to_numpy()
    vids = md["video"].astype(str).to_numpy()
    in_test = np.ones(len(md), bool) if test is None else np.isin(vids, list(test))
    folds = []
    for s in held_out:
        train_mask = subj != s
        if test is not None:  # the test clips stay unseen by every subject
            train_mask &= ~in_test
        train = np.flatnonzero(train_mask)
        evals = np.flatnonzero((subj == s) & in_test)
        if len(evals) == 0:
            raise ValueError(
                f"Subject {s!r} has no epochs of the test videos; choose test_videos "
                "that this subject watched."
            )
        logger.info(
            f"Leave-one-subject-out: holding out {s!r} ({len(train)} training, "
            f"{len(evals)} test epochs)"
        )
        seed = int(rng.integers(2**31 - 1))
        if refit:
            est = clone(estimator)
            t0 = time.perf_counter()
            est.fit(X, y[train])
            fit_time = time.perf_counter() - t0
        else:
            est, fit_time = _check_prefitted(estimator, s, test), np.nan
        ids = list(dict.fromkeys(vids[evals]))
        emotions = dict(zip(vids[evals], md["emotion"].to_numpy()[evals], strict=True))
        t0 = time.perf_counter()
        synth = est.generate(
            X.sel(video=ids),
            subject=None,
            n_samples=n_samples,
            emotion=emotions,
            random_state=seed,
        )
        sample_time = (time.perf_counter() - t0) / len(synth)
        scores = evaluate(
            y[evals],
            synth,
            clean=None if clean is None else clean[evals],
            n_samples=n_samples,
            metrics=metrics,
            feature_net=feature_net,
            match="video",
            random_state=seed,
        )
        scores["n_train_epochs"] = len(train)
        scores["n_test_epochs"] = len(evals)
        scores["fit_time_s"] = fit_time
        scores["sample_time_s"] = sample_time
        folds.append(scores)
    out = xr.concat(folds, dim="subject", data_vars="all", coords="minimal")
    return out.assign_coords(subject=held_out)
