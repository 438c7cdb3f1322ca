"""The angle-space v-prediction ODE solver (``nn/samplers.py``)."""

import logging
import math

import numpy as np
import pytest
import torch
from diffusers import DDPMScheduler, DPMSolverMultistepScheduler

from mne_video2eeg.nn.samplers import (
    TrigFlowMultistepScheduler,
    adams_bashforth_weights,
)

TRAIN = dict(
    beta_schedule="squaredcos_cap_v2",
    prediction_type="v_prediction",
    clip_sample=False,
)


def _angle(sched, t):
    acp = sched.alphas_cumprod[t].double()
    return torch.atan2((1 - acp).sqrt(), acp.sqrt())


def _gaussian_v(lam):
    """Exact E[v | x_theta] for data ~ N(0, lam) per dimension, unit noise."""

    def v(x, theta):
        c, s = math.cos(theta), math.sin(theta)
        return (1 - lam) * s * c / (lam * c**2 + s**2) * x

    return v


def _solve(sched, v_fn, x, n_steps, ddpm):
    sched.set_timesteps(n_steps)
    for t in sched.timesteps:
        out = v_fn(x, float(_angle(ddpm, t)))
        x = sched.step(out, t, x).prev_sample
    return x


def test_adams_bashforth_weights_integrate_polynomials_exactly():
    # one node: the Euler step, the interval's length
    np.testing.assert_allclose(adams_bashforth_weights([0.3], 0.3, 0.1), [-0.2])
    # k nodes integrate polynomials of degree < k exactly, at uneven spacing
    nodes = [0.7, 0.9, 1.3]
    for coefs in ([2.0], [1.0, -3.0], [0.5, 1.0, 2.0]):
        f = np.polynomial.polynomial.Polynomial(coefs)
        w = adams_bashforth_weights(nodes, 0.7, 0.2)
        exact = f.integ()(0.2) - f.integ()(0.7)
        np.testing.assert_allclose(w @ f(np.array(nodes)), exact, rtol=1e-12)


# diffusers 0.42 DPMSolver calls np.array on a tensor (numpy 2 copy keyword)
@pytest.mark.filterwarnings("ignore:__array__:DeprecationWarning")
def test_v_zero_is_the_identity_flow():
    """White unit-variance data: v = 0 and the solver returns its start exactly.

    DPM-Solver++ shrinks it (by ~cos(dtheta) per step): the power it loses on
    whitened EEG.
    """
    ddpm = DDPMScheduler(**TRAIN)
    x = torch.randn(256, 4, 32, generator=torch.Generator().manual_seed(0))
    zero = lambda x, theta: torch.zeros_like(x)  # noqa: E731
    for corrector in (True, False):
        trig = TrigFlowMultistepScheduler.from_config(ddpm.config, corrector=corrector)
        assert torch.equal(_solve(trig, zero, x, 5, ddpm), x)
    dpm = DPMSolverMultistepScheduler.from_config(
        ddpm.config, algorithm_type="dpmsolver++", timestep_spacing="trailing"
    )
    shrunk = _solve(dpm, zero, x, 5, ddpm)
    assert float(shrunk.var() / x.var()) < 0.95


def _flow_error(lam, n_steps, **kw):
    """Relative error of the solved flow for data ~ N(0, lam), from unit noise."""
    ddpm = DDPMScheduler(**TRAIN)
    trig = TrigFlowMultistepScheduler.from_config(ddpm.config, **kw)
    trig.set_timesteps(n_steps)
    theta_t = float(_angle(ddpm, trig.timesteps[0]))
    exact = math.sqrt(lam / (lam * math.cos(theta_t) ** 2 + math.sin(theta_t) ** 2))
    x = torch.ones(1, dtype=torch.float64)
    return float(_solve(trig, _gaussian_v(lam), x, n_steps, ddpm)) / exact - 1


@pytest.mark.parametrize(
    "lam, order, corrector, rate",
    [
        (0.3, 2, False, (2.8, 7)),  # order 2: ~4x per 2x steps
        (4.0, 2, False, (2.8, 7)),
        (4.0, 2, True, (2.8, 7)),
        (4.0, 3, True, (7, 16)),  # the default, order 3: ~8x
        (18.0, 3, True, (7, 16)),
    ],
)
def test_convergence_order_on_gaussian_data(lam, order, corrector, rate):
    """Data ~ N(0, lam) has a known flow; the error falls as the order says."""
    kw = dict(solver_order=order, corrector=corrector)
    errors = [abs(_flow_error(lam, n, **kw)) for n in (10, 20, 40)]
    assert errors[-1] < 0.01
    rates = [errors[i] / errors[i + 1] for i in range(2)]
    assert all(rate[0] < r < rate[1] for r in rates), (errors, rates)


def test_corrector_lowers_the_error_at_few_steps():
    lams = (0.025, 0.1, 0.3, 1.0, 4.0, 18.0)
    plain = [abs(_flow_error(lam, 6, solver_order=2, corrector=False)) for lam in lams]
    corrected = [abs(_flow_error(lam, 6, solver_order=2)) for lam in lams]
    assert sum(corrected) < 0.8 * sum(plain), (plain, corrected)


def test_built_from_the_training_config_without_warnings(caplog):
    ddpm = DDPMScheduler(**TRAIN)
    with caplog.at_level(logging.WARNING, logger="diffusers"):
        trig = TrigFlowMultistepScheduler.from_config(ddpm.config, solver_order=1)
    assert not caplog.records
    assert trig.config.solver_order == 1
    assert TrigFlowMultistepScheduler.from_config(ddpm.config).config.solver_order == 3
    torch.testing.assert_close(
        trig.angles, _angle(ddpm, torch.arange(1000)), rtol=0, atol=1e-12
    )
    trig.set_timesteps(4)
    # "trailing": the first step is the last training step, the flow ends at x0
    assert trig.timesteps.tolist() == [999, 749, 499, 249]
    trig.set_timesteps(timesteps=[999, 600, 100])  # custom, as diffusers
    assert trig.timesteps.tolist() == [999, 600, 100]
    assert trig.num_inference_steps == 3


def test_bad_input():
    with pytest.raises(ValueError, match="prediction_type='epsilon'.*DPM-Solver"):
        TrigFlowMultistepScheduler(prediction_type="epsilon")
    with pytest.raises(ValueError, match="solver_order must be a positive int"):
        TrigFlowMultistepScheduler(solver_order=0)
    trig = TrigFlowMultistepScheduler()
    x = torch.zeros(2, 3)
    with pytest.raises(ValueError, match="set_timesteps"):
        trig.step(x, 999, x)
    trig.set_timesteps(3)
    with pytest.raises(ValueError, match=r"Expected timestep 999 .*got 665"):
        trig.step(x, 665, x)
    for t in trig.timesteps:
        trig.step(x, t, x)
    with pytest.raises(ValueError, match="step 3 of 3"):
        trig.step(x, 0, x)
