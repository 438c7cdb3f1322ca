"""A diffusers scheduler that integrates the v-prediction ODE in angle.

With ``alpha_t = sqrt(alphas_cumprod[t])``, ``sigma_t = sqrt(1 - alphas_cumprod[t])``
and the angle ``theta_t = atan2(sigma_t, alpha_t)``, the noised clip is
``x_t = cos(theta) x0 + sin(theta) eps`` and the v-prediction target is
``v = cos(theta) eps - sin(theta) x0 = dx_t / dtheta``.  The probability-flow
ODE is therefore simply ``dx / dtheta = v_hat(x, theta)`` (the "TrigFlow" form
of Lu & Song 2024, "Simplifying, stabilizing and scaling continuous-time
consistency models", with sigma_d = 1).

Why not DDIM or DPM-Solver++ (diffusers has no solver of this ODE): the
diffusion here runs on whitened EEG (see :mod:`..spectra`), which
is close to white, unit-variance noise.  For such data ``v_hat`` is close to
0 and the exact flow is close to the identity.  DDIM and DPM-Solver++
extrapolate the x0 (or epsilon) prediction; for white data each of their
steps shrinks x by ``cos(dtheta)``, so a few large steps lose power.
Integrating ``v`` directly is exact when ``v_hat`` is constant. A linear
multistep method (Adams predictor-corrector of ``solver_order``, one network
call per step) then needs only ``v_hat``'s variation along the path to be
smooth. How close a few steps of it come to 100 DDIM steps in evoked
correlation and band power, against DPM-Solver++, is measured in
``benchmarks/NOTES.md`` (sections 9 and 9b).
"""

from __future__ import annotations

import numpy as np
import torch
from diffusers import DDPMScheduler
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.schedulers.scheduling_utils import SchedulerMixin, SchedulerOutput


def adams_bashforth_weights(nodes, start: float, stop: float) -> np.ndarray:
    """Integrals over ``[start, stop]`` of the Lagrange basis on ``nodes``.

    ``x(stop) ~ x(start) + sum_j w_j f(nodes[j])`` integrates the polynomial
    through the nodes exactly: the variable-step Adams-Bashforth rule when
    the interval runs past the newest node, Adams-Moulton when it ends on it.
    """
    poly = np.polynomial.polynomial
    nodes = np.asarray(nodes, dtype=float)
    weights = np.empty(len(nodes))
    for j, node in enumerate(nodes):
        others = np.delete(nodes, j)
        basis = poly.polyfromroots(others) / np.prod(node - others)
        antiderivative = poly.polyint(basis)
        weights[j] = poly.polyval(stop, antiderivative) - poly.polyval(
            start, antiderivative
        )
    return weights


class TrigFlowMultistepScheduler(SchedulerMixin, ConfigMixin):
    """Adams predictor-corrector on ``dx / dtheta = v`` (v-prediction networks).

    Each step predicts ``x`` at the next angle with Adams-Bashforth of
    ``solver_order`` (the network's v at this and the previous angles).
    With ``corrector=True``, the network's v at the predicted point, which
    the next step computes anyway, then corrects the step just taken with
    Adams-Moulton of the same order (the trapezoid rule at order 2) before
    the next prediction:
    the predictor-corrector of UniPC (Zhao et al. 2023), here in angle, at
    no extra network call. The last step stays uncorrected.

    The noise schedule is :class:`diffusers.DDPMScheduler`'s for the same
    config, so it is built ``from_config`` of the training scheduler like the
    other samplers. The timesteps are the DDPM scheduler's for
    ``timestep_spacing``. The last step integrates to ``theta = 0``, the
    clean clip. The scheduler is deterministic.

    Parameters
    ----------
    num_train_timesteps, beta_start, beta_end, beta_schedule, trained_betas
        The training noise schedule (as :class:`diffusers.DDPMScheduler`).
    prediction_type : "v_prediction"
        The only kind this ODE is written in; epsilon networks would need
        ``v = (eps - sigma x) / alpha``, whose error is amplified by
        ``1 / alpha`` (~2e4 at the last training step of the cosine
        schedule): use DPM-Solver++ for them.
    solver_order : int
        Order of the Adams steps (1 = Euler in angle). With the corrector,
        order 3 comes closer to 100 DDIM steps at a few steps than order 2;
        without it, order 3 overshoots at so few steps and order 2 is the
        better one (``benchmarks/NOTES.md``, sections 9 and 9b).
    corrector : bool
        Correct each step with the v at its end point (see above).
    timestep_spacing : "trailing" | "linspace" | "leading"
        How the inference timesteps are spread (as diffusers).
    steps_offset : int
        As diffusers (only for ``"leading"``).
    """

    _compatibles = ["DDPMScheduler", "DDIMScheduler", "DPMSolverMultistepScheduler"]
    order = 1

    @register_to_config
    def __init__(
        self,
        num_train_timesteps: int = 1000,
        beta_start: float = 0.0001,
        beta_end: float = 0.02,
        beta_schedule: str = "squaredcos_cap_v2",
        trained_betas=None,
        prediction_type: str = "v_prediction",
        solver_order: int = 3,
        corrector: bool = True,
        timestep_spacing: str = "trailing",
        steps_offset: int = 0,
    ):
        if prediction_type != "v_prediction":
            raise ValueError(
                "TrigFlowMultistepScheduler integrates the v-prediction ODE, got "
                f"prediction_type={prediction_type!r}. Train with "
                "prediction_type='v_prediction' or sample with DPM-Solver++."
            )
        if not isinstance(solver_order, int) or solver_order < 1:
            raise ValueError(
                f"solver_order must be a positive int, got {solver_order!r}."
            )
        self._schedule = DDPMScheduler(
            num_train_timesteps=num_train_timesteps,
            beta_start=beta_start,
            beta_end=beta_end,
            beta_schedule=beta_schedule,
            trained_betas=trained_betas,
            timestep_spacing=timestep_spacing,
            steps_offset=steps_offset,
        )
        acp = self._schedule.alphas_cumprod.double()
        self.angles = torch.atan2((1 - acp).sqrt(), acp.sqrt())  # theta per t
        self.init_noise_sigma = 1.0
        self.num_inference_steps = None
        self.timesteps = None

    def set_timesteps(
        self, num_inference_steps: int | None = None, device=None, timesteps=None
    ) -> None:
        """Set the inference timesteps and precompute the multistep weights.

        Parameters
        ----------
        num_inference_steps : int | None
            Steps, spread by ``timestep_spacing``.
        device : str | torch.device | None
            Where the timesteps go.
        timesteps : list of int | None
            Custom descending training timesteps instead (as diffusers).
        """
        self._schedule.set_timesteps(num_inference_steps, timesteps=timesteps)
        steps = self._schedule.timesteps
        self.num_inference_steps = len(steps)
        self.timesteps = steps.to(device)
        theta = np.append(self.angles[steps].numpy(), 0.0)
        order = self.config.solver_order
        # predictor of step i: nodes theta_i, theta_i-1, ... (newest first),
        # integrated over [theta_i, theta_i+1]; corrector of step i - 1: the
        # same nodes, integrated over [theta_i-1, theta_i]
        nodes = [theta[max(0, i + 1 - order) : i + 1][::-1] for i in range(len(steps))]
        self._weights = [
            adams_bashforth_weights(nodes[i], theta[i], theta[i + 1])
            for i in range(len(steps))
        ]
        self._correction = [None] + [
            adams_bashforth_weights(nodes[i], theta[i - 1], theta[i])
            for i in range(1, len(steps))
        ]
        self._history = []
        self._last_start = None  # x at the previous angle, where its step began
        self._step_index = 0

    def scale_model_input(self, sample: torch.Tensor, *args, **kwargs):
        """Return ``sample`` unchanged (the network takes ``x_t`` as is)."""
        return sample

    def step(
        self,
        model_output: torch.Tensor,
        timestep,
        sample: torch.Tensor,
        return_dict: bool = True,
    ):
        """Advance ``sample`` from ``timestep`` to the next one (or to x0).

        ``model_output`` is the network's v at ``timestep``; the steps must be
        taken in the order of :attr:`timesteps`, each on the previous step's
        output, as with diffusers' other multistep schedulers.  With the
        corrector that output is replaced by its corrected value here.
        """
        if self.timesteps is None:
            raise ValueError("Call set_timesteps before step.")
        i = self._step_index
        if i >= len(self.timesteps) or int(timestep) != int(self.timesteps[i]):
            raise ValueError(
                f"Expected timestep {self.timesteps[min(i, len(self.timesteps) - 1)]}"
                f" (step {i} of {len(self.timesteps)}), got {timestep}; "
                "call set_timesteps again to restart."
            )
        order = self.config.solver_order
        if self.config.corrector and i > 0:
            # redo the previous step with v at its end (implicit Adams, the
            # newest node being this model output); ``sample`` was its
            # prediction
            recent = [model_output, *self._history][:order]
            sample = self._last_start
            for w, v in zip(self._correction[i], recent, strict=True):
                sample = sample + float(w) * v
        self._history = [model_output, *self._history][:order]
        self._last_start = sample
        prev = sample
        for w, v in zip(self._weights[i], self._history, strict=True):
            prev = prev + float(w) * v
        self._step_index += 1
        return SchedulerOutput(prev_sample=prev) if return_dict else (prev,)

    def __len__(self) -> int:
        return self.config.num_train_timesteps
