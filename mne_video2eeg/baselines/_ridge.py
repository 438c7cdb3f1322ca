"""A banded ridge solver for the mTRF baseline (features and onset penalised apart)."""

from __future__ import annotations

import numpy as np


class _RidgeFit:
    """A fitted ridge map ``design @ coef_.T + intercept_`` (EEG in microvolts).

    Attributes: ``coef_`` (n_channels, n_columns), ``intercept_``
    (n_channels,), ``alpha_`` (n_channels,), the feature penalty of each
    channel, ``onset_shrinkage_`` (float), the factor by which the onset
    response is shrunk (1: free, 0: none), and ``cv_mse_`` (n_alphas,
    n_shrinkages, n_channels), the cross-validated mean squared error (uV^2)
    of each pair of the grids (None without a choice to make).
    """

    def __init__(self, coef, intercept, alpha, shrinkage, cv_mse):
        self.coef_, self.intercept_ = coef, intercept
        self.alpha_, self.onset_shrinkage_, self.cv_mse_ = alpha, shrinkage, cv_mse

    def predict(self, design):
        return design @ self.coef_.T + self.intercept_


def _moments(design, target, weight):
    """Weighted sufficient statistics of least squares on ``[1, design]``."""
    design = np.concatenate([np.ones((len(design), 1)), design], axis=1)
    dw = design * weight[:, None]
    return {"G": dw.T @ design, "B": dw.T @ target, "q": weight @ target**2}


class _BandedRidge:
    """Ridge with two bands on ``[1, onset, features]`` moments (banded ridge).

    The first ``n_small`` columns (the constant, unpenalised, and the onset
    columns, each with its own penalty) are solved exactly for each feature
    penalty ``alpha`` through the eigendecomposition of the feature block,
    computed once: with ``G_ff = U diag(s) U'`` and ``P = G_sf U``, the small
    block solves ``(G_ss + L - P diag(1/(s+alpha)) P') a = b_s - P
    diag(1/(s+alpha)) U'b_f`` and the features are ``w = U z``, ``z =
    (U'b_f - P'a) / (s + alpha)`` (Nunez-Elizalde et al. 2019, NeuroImage
    197: 482-492, for banded ridge in encoding models).
    """

    def __init__(self, mom, n_small):
        gram, cross = mom["G"], mom["B"]
        small, feat = slice(0, n_small), slice(n_small, None)
        evals, self.U = np.linalg.eigh(gram[feat, feat])
        self.evals = np.clip(evals, 0.0, None)
        self.P = gram[small, feat] @ self.U
        self.g_ss, self.b_s = gram[small, small], cross[small]
        self.ub_f = self.U.T @ cross[feat]
        self.n_small = n_small
        self.jitter = 1e-10 * max(np.trace(self.g_ss) / n_small, 1e-300)

    def solve(self, alpha, small_penalties):
        """Yield ``(a, z)`` for each penalty vector of the small block."""
        inv = 1.0 / (self.evals + alpha)
        p_inv = self.P * inv
        schur = self.g_ss - p_inv @ self.P.T
        rhs = self.b_s - p_inv @ self.ub_f
        for pen in small_penalties:
            mat = schur + np.diag(pen + self.jitter)
            a = np.linalg.solve((mat + mat.T) / 2, rhs)
            yield a, inv[:, None] * (self.ub_f - self.P.T @ a)

    def coef(self, a, z):
        return np.concatenate([a, self.U @ z])

    def held_out(self, mom):
        """Moments of held-out data in this fit's basis, for :meth:`sse`."""
        gram, cross = mom["G"], mom["B"]
        small, feat = slice(0, self.n_small), slice(self.n_small, None)
        return {
            "g_ss": gram[small, small],
            "p": gram[small, feat] @ self.U,
            "h": self.U.T @ gram[feat, feat] @ self.U,
            "b_s": cross[small],
            "ub_f": self.U.T @ cross[feat],
            "q": mom["q"],
        }

    @staticmethod
    def sse(held, a, z):
        """Weighted squared error per target of the solution on held-out data."""
        return (
            held["q"]
            - 2 * np.sum(a * held["b_s"], 0)
            - 2 * np.sum(z * held["ub_f"], 0)
            + np.sum(a * (held["g_ss"] @ a), 0)
            + 2 * np.sum(a * (held["p"] @ z), 0)
            + np.sum(z * (held["h"] @ z), 0)
        )


def _onset_penalties(mom, n_onset, shrinkages):
    """Penalty vectors of ``[1, onset]`` that shrink each onset weight by k."""
    diag = np.diag(mom["G"])[1 : 1 + n_onset]
    out = []
    for k in shrinkages:
        ratio = 1e12 if k <= 0 else (1.0 - k) / k
        out.append(np.concatenate([[0.0], diag * ratio]))
    return out


def fit_ridge(design_of, target, weight, alphas, n_folds, n_onset, shrinkages):
    """Banded ridge, the penalties per target chosen by K-fold CV over videos.

    ``design_of(idx)`` returns the design rows (len(idx), n_times, n_columns)
    of the videos ``idx`` (the ``n_onset`` onset columns first); ``target``
    (n_videos, n_times, n_targets) and ``weight`` (n_videos,) the per-video
    targets and weights. The feature penalty runs over ``alphas`` and the
    onset's over ``shrinkages`` (the factor an isolated onset weight is
    shrunk by: 1 free, 0 removed; one for all targets, by the summed error);
    the intercept is free. Folds are whole
    videos (video ``v`` in fold ``v % n_folds``): samples of one video are
    never split between training and validation. Columns are scaled to unit
    standard deviation for the penalty; ``coef_`` is for the unscaled design.
    """
    n_v, n_t, n_c = target.shape
    folds = np.arange(n_v) % n_folds
    moms = []
    for k in range(n_folds):
        idx = np.flatnonzero(folds == k)
        mom = None
        for chunk in np.array_split(idx, max(1, int(np.ceil(len(idx) / 8)))):
            part = _moments(
                design_of(chunk).reshape(len(chunk) * n_t, -1),
                target[chunk].reshape(len(chunk) * n_t, n_c),
                np.repeat(weight[chunk], n_t).astype(float),
            )
            mom = part if mom is None else {key: mom[key] + part[key] for key in mom}
        moms.append(mom)
    total = {key: sum(m[key] for m in moms) for key in moms[0]}
    n = total["G"][0, 0]
    var = np.diag(total["G"]) / n - (total["G"][0] / n) ** 2
    var[0] = 1.0  # the constant
    scale = np.sqrt(np.where(var > 1e-12 * max(var.max(), 1e-300), var, 1.0))

    def scaled(m):
        return {**m, "G": m["G"] / np.outer(scale, scale), "B": m["B"] / scale[:, None]}

    moms, total = [scaled(m) for m in moms], scaled(total)
    n_small = 1 + n_onset
    shrinkages = shrinkages if n_onset else (1.0,)
    grid = [(a, k) for a in range(len(alphas)) for k in range(len(shrinkages))]
    cv_mse = None
    best = np.zeros(n_c, int)
    if len(grid) > 1:
        sse = np.zeros((len(alphas), len(shrinkages), n_c))
        for held in moms:
            train = {key: total[key] - held[key] for key in total}
            solver = _BandedRidge(train, n_small)
            held_basis = solver.held_out(held)
            pens = _onset_penalties(train, n_onset, shrinkages)
            for a, alpha in enumerate(alphas):
                for k, (sa, sz) in enumerate(solver.solve(alpha, pens)):
                    sse[a, k] += solver.sse(held_basis, sa, sz)
        cv_mse = sse / n
        # one onset shrinkage for all channels (one brain response seen on
        # every channel), by the error summed over channels; then the best
        # feature penalty of each channel at that shrinkage
        k_best = np.argmin(cv_mse.min(axis=0).sum(-1))
        a_best = np.argmin(cv_mse[:, k_best], axis=0)
        best = a_best * len(shrinkages) + k_best
    solver = _BandedRidge(total, n_small)
    pens = _onset_penalties(total, n_onset, shrinkages)
    coef = np.empty_like(total["B"])
    for g in np.unique(best):
        a, k = grid[g]
        ((sa, sz),) = solver.solve(alphas[a], [pens[k]])
        coef[:, best == g] = solver.coef(sa, sz)[:, best == g]
    coef = coef / scale[:, None]
    chosen = np.array([grid[g] for g in best]).reshape(n_c, 2)
    return _RidgeFit(
        coef[1:].T,
        coef[0],
        np.asarray(alphas, float)[chosen[:, 0]],
        float(np.asarray(shrinkages, float)[chosen[0, 1]]),
        cv_mse,
    )
