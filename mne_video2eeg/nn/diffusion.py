"""DDPM training loss and samplers around :class:`~.denoiser.VideoEEGDenoiser`.

The noise schedule is diffusers' ``DDPMScheduler`` (cosine,
``squaredcos_cap_v2``, 1000 training steps, as in the paper); samplers are
built ``from_config`` of it: :class:`~.samplers.TrigFlowMultistepScheduler`
(the default: an Adams predictor-corrector on the v-prediction ODE in angle, see
:mod:`.samplers`), ``DDIMScheduler`` (deterministic, eta=0),
``DPMSolverMultistepScheduler`` (DPM-Solver++ 2M) and ``DDPMScheduler``
(ancestral).  ``clip_sample`` is off: EEG at working scale has unit variance,
so diffusers' default clipping of x0 to [-1, 1] would flatten every peak.
Samplers space their timesteps "trailing" (ends at the last training step),
which is the better choice when running 10-25 steps.
"""

from __future__ import annotations

import contextlib
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from mne.utils import _check_option
from torch import nn

from ._layers import flush_denormal
from .denoiser import VideoEEGDenoiser
from .samplers import TrigFlowMultistepScheduler

SAMPLERS = ("trigflow", "dpmsolver", "ddim", "ddpm")

# Rows per denoiser call when sampling on CPU.  The network is memory-bound
# (LayerNorm, AdaLN, GELU, the (C x C) attention scores): at 64 rows one
# activation tensor is ~16 MB and every elementwise pass streams from DRAM,
# at 8 rows it is ~2 MB and stays in cache.  Measured on 2 cores (1 thread,
# CPU time per call per sample, benchmarks/NOTES.md): 12.9 ms at 64 rows,
# 7.9 ms at 8, 9.0 at 4, 8.7 at 1.  Rows are independent (no batch norm in
# the network), so the output is the same as one call on the whole batch.
CPU_MICRO_BATCH = 8


def _refresh_whitening(module, incompatible_keys) -> None:
    """Set ``whitening`` to the inverse of ``colouring`` (float64 solve)."""
    if module.whiten:
        inv = torch.linalg.inv(module.colouring.to(torch.complex128))
        module.whitening.copy_(inv.to(torch.complex64))


class VideoEEGDiffusion(nn.Module):
    """Conditional DDPM on EEG clips.

    Parameters
    ----------
    denoiser : VideoEEGDenoiser
        The network (its ``prediction_type`` sets the scheduler's).
    num_train_timesteps : int
        Training diffusion steps.
    adv_weight : float
        Weight of the self-play discriminator loss (its gradient is reversed
        into the graph branches, see :class:`~.spgn.SelfPlayFusion`).
    trf_weight : float
        Weight of the regression of the condition's expected-EEG map
        (``ctx["mean"]``, the lag path's encoding model) onto ``x0``.  It
        teaches the stimulus-locked mean directly; 0 disables it.
    residual : bool
        Diffuse the residual ``x0 - mean`` (``mean`` detached) and add
        ``mean`` back after sampling, as in CARD (Han et al. 2022,
        "Classification and regression diffusion models"), whose diffusion
        starts from a learned conditional mean.  The stimulus-locked mean is
        then fitted by plain regression (the estimator that is optimal for
        it), and the diffusion spends its capacity on the background EEG and
        its (video-dependent) spectra/topographies.  Classifier-free guidance
        acts on the residual model only.  Needs the lag path.
    whiten : bool
        Diffuse the (residual) EEG whitened, per frequency, by the
        subject's cross-spectral matrix (the ``colouring`` buffer ``L``, set
        with :meth:`set_whitening` from
        :class:`mne_video2eeg.spectra.CrossSpectralModel`; the identity until
        then), and colour the samples back.  The background EEG is then
        close to white noise of unit variance in every channel and
        frequency, the diffusion's own prior, so a network that predicts
        nothing samples EEG with the fitted spectra and channel correlations.
        The transform is a per-bin matrix product in the Fourier domain of
        the clip: exactly invertible.
    """

    def __init__(
        self,
        denoiser: VideoEEGDenoiser,
        *,
        num_train_timesteps: int = 1000,
        adv_weight: float = 0.1,
        trf_weight: float = 1.0,
        residual: bool = True,
        whiten: bool = True,
    ):
        super().__init__()
        self.denoiser = denoiser
        self.adv_weight = float(adv_weight)
        self.trf_weight = float(trf_weight)
        self.residual = bool(residual) and denoiser.cond.lag is not None
        self.whiten = bool(whiten)
        n_freqs = denoiser.n_times // 2 + 1
        n_rows = denoiser.cond.n_subjects + 1  # the last: unknown subject
        n_ch = denoiser.n_channels
        # whiten=False stores nothing: a (rows, bins, C, C) identity is ~100 MB
        # for 62 channels and 20 subjects
        shape = (n_rows, n_freqs, n_ch, n_ch) if self.whiten else (0, 0, n_ch, n_ch)
        eye = torch.eye(n_ch, dtype=torch.complex64).expand(shape).clone()
        self.register_buffer("colouring", eye)
        # the inverse is derived state: recomputed after set/load, never saved
        self.register_buffer("whitening", eye.clone(), persistent=False)
        self.register_load_state_dict_post_hook(_refresh_whitening)
        self.scheduler = DDPMScheduler(
            num_train_timesteps=num_train_timesteps,
            beta_schedule="squaredcos_cap_v2",
            prediction_type=denoiser.prediction_type,
            clip_sample=False,
        )
        acp = self.scheduler.alphas_cumprod.float()
        self.register_buffer("sqrt_acp", acp.sqrt(), persistent=False)
        self.register_buffer("sqrt_1m_acp", (1 - acp).sqrt(), persistent=False)

    # ------------------------------------------------------------- whitening
    def set_whitening(self, colouring) -> None:
        """Set the per-subject colouring matrices the EEG is whitened with.

        Parameters
        ----------
        colouring : array-like of complex, shape (n_subjects + 1, n_freqs, n_ch, n_ch)
            ``L[s, f]`` with ``L L^H`` the subject's cross-spectral matrix at
            rfft bin ``f`` (``CrossSpectralModel.colouring_``); the last row
            is the unknown subject's.  Whitening uses its inverse.
        """
        if not self.whiten:
            raise ValueError(
                "This model was built with whiten=False and has no whitening to "
                "set; build it with whiten=True."
            )
        colouring = torch.as_tensor(np.asarray(colouring), dtype=torch.complex64)
        if colouring.shape != self.colouring.shape:
            raise ValueError(
                f"colouring must have shape {tuple(self.colouring.shape)} "
                "(subjects + 1, rfft bins, channels, channels), got "
                f"{tuple(colouring.shape)}."
            )
        if not bool(colouring.isfinite().all()):
            raise ValueError("colouring must be finite.")
        self.colouring.copy_(colouring.to(self.colouring.device))
        _refresh_whitening(self, None)

    def whiten_eeg(self, x, subject, *, inverse: bool = False):
        """Whiten ``x`` (B, C, T) with each row's subject, or colour it back."""
        if not self.whiten:
            return x
        mats = self.colouring if inverse else self.whitening
        subject = torch.as_tensor(subject, device=x.device)
        spec = torch.fft.rfft(x, dim=-1)  # (B, C, F)
        out = torch.empty_like(spec)
        for s in torch.unique(subject).tolist():
            rows = subject == s
            out[rows] = torch.einsum("fcd,bdf->bcf", mats[s], spec[rows])
        return torch.fft.irfft(out, n=x.shape[-1], dim=-1)

    # ----------------------------------------------------------------- train
    def loss(self, x0: torch.Tensor, cond: dict, *, generator=None):
        """Training loss for a batch.

        Parameters
        ----------
        x0 : Tensor, shape (B, n_channels, n_times)
            Clean EEG at working scale.
        cond : dict
            Condition (see :meth:`VideoEEGDenoiser.encode_condition`).
        generator : torch.Generator | None
            Local generator (on ``x0.device``) for timesteps, noise, CFG drop
            and Graph-DA.

        Returns
        -------
        loss : Tensor
            Scalar: ``mse + adv_weight * disc_loss + trf_weight * trf_mse``.
        logs : dict of float
            ``loss``, ``mse``, ``disc_loss``, ``disc_acc``, ``gate_mean``,
            ``trf_mse`` (those that apply).
        """
        den = self.denoiser
        b = x0.shape[0]
        t = torch.randint(
            0,
            self.scheduler.config.num_train_timesteps,
            (b,),
            generator=generator,
            device=x0.device,
        )
        noise = torch.randn(x0.shape, generator=generator, device=x0.device)
        ctx = den.encode_condition(cond, generator=generator)
        mean = ctx["mean"][..., : den.n_times]
        r0 = x0 - mean.detach() if self.residual else x0
        # the expected-EEG map stays fitted in the raw space: fitted on the
        # whitened EEG (generalised least squares) it learned nothing in 60
        # epochs (benchmarks/NOTES.md)
        r0 = self.whiten_eeg(r0, cond["subject"])
        a = self.sqrt_acp[t][:, None, None]
        s = self.sqrt_1m_acp[t][:, None, None]
        x_t = a * r0 + s * noise
        target = noise if den.prediction_type == "epsilon" else a * noise - s * r0
        pred, aux = den(x_t, t, ctx=ctx, generator=generator, return_aux=True)
        mse = F.mse_loss(pred, target)
        loss = mse
        logs = {"mse": float(mse.detach())}
        if "disc_loss" in aux:
            loss = loss + self.adv_weight * aux["disc_loss"]
        if self.trf_weight > 0 and den.cond.lag is not None:
            trf_mse = F.mse_loss(mean, x0)
            loss = loss + self.trf_weight * trf_mse
            logs["trf_mse"] = float(trf_mse.detach())
        logs.update({k: float(v.detach()) for k, v in aux.items()})
        logs["loss"] = float(loss.detach())
        return loss, logs

    # ---------------------------------------------------------------- sample
    def make_sampler(self, sampler: str = "trigflow"):
        """Build a fresh diffusers ``sampler`` scheduler from the training config."""
        _check_option("sampler", sampler, SAMPLERS)
        cfg = dict(self.scheduler.config)
        if sampler == "trigflow":
            return TrigFlowMultistepScheduler.from_config(cfg)
        if sampler == "ddim":
            return DDIMScheduler.from_config(
                cfg, timestep_spacing="trailing", set_alpha_to_one=False
            )
        if sampler == "dpmsolver":
            return DPMSolverMultistepScheduler.from_config(
                cfg,
                algorithm_type="dpmsolver++",
                solver_order=2,
                timestep_spacing="trailing",
            )
        return DDPMScheduler.from_config(cfg, timestep_spacing="trailing")

    @torch.inference_mode()
    def sample(
        self,
        cond: dict,
        *,
        n_steps: int = 6,
        sampler: str = "trigflow",
        guidance_scale: float = 1.0,
        generator=None,
    ) -> torch.Tensor:
        """Generate one clip per row of ``cond``.

        Parameters
        ----------
        cond : dict
            Condition with batch size B (see
            :meth:`VideoEEGDenoiser.encode_condition`).
        n_steps : int
            Inference steps (network calls).  Default 6 with "trigflow": on
            the quality benchmark it came within 0.007 of 100 DDIM steps in
            evoked correlation and band power, where DPM-Solver++ needs 25
            (``benchmarks/NOTES.md`` sections 9-9b).
        sampler : "trigflow" | "dpmsolver" | "ddim" | "ddpm"
            Adams predictor-corrector (order 3) on the v-prediction ODE in
            angle (:class:`~.samplers.TrigFlowMultistepScheduler`,
            v-prediction networks only), DPM-Solver++ (2M), DDIM (eta=0) or
            ancestral DDPM.
        guidance_scale : float
            Classifier-free guidance ``w``: ``uncond + w (cond - uncond)``.
            1.0 runs no unconditional pass.
        generator : torch.Generator | None
            Local generator (on the model's device) for the initial noise and
            stochastic sampler steps.

        Returns
        -------
        Tensor, shape (B, n_channels, n_times)
        """
        if not isinstance(n_steps, int) or n_steps < 1:
            raise ValueError(f"n_steps must be a positive int, got {n_steps!r}.")
        was_training = self.training
        self.eval()
        try:
            with flush_denormal():
                return self._sample(cond, n_steps, sampler, guidance_scale, generator)
        finally:
            self.train(was_training)

    def _denoise(self, x, t, ctx, pool=None):
        """One denoiser call, in cache-sized row chunks on CPU (same output).

        With ``pool`` (a thread pool of one worker per core, see
        :meth:`_chunk_pool`) the chunks run concurrently, one single-threaded
        chunk per core, instead of one after the other on intra-op threads.
        """
        den = self.denoiser
        step = len(x) if x.device.type != "cpu" else CPU_MICRO_BATCH
        if len(x) <= step:
            return den(x, t, ctx=ctx)
        out = torch.empty_like(x)

        def run(i):
            part = {k: v[i : i + step] for k, v in ctx.items()}
            out[i : i + step] = den(x[i : i + step], t, ctx=part)

        def run_in_worker(i):
            # inference mode and the denormal flag are per thread: the
            # caller's (see sample) do not reach the pool's workers
            with torch.inference_mode(), flush_denormal():
                run(i)

        starts = range(0, len(x), step)
        if pool is None:
            for i in starts:
                run(i)
        else:
            for _ in pool.map(run_in_worker, starts):
                pass
        return out

    @contextlib.contextmanager
    def _chunk_pool(self, n_rows):
        """Yield a pool of one single-threaded worker per intra-op thread (CPU).

        The micro-batches are independent, so on CPU they run best one per
        core: measured on 2 cores (width 64, patch 25, batch 64), 7.3 ms per
        denoiser call per sample with 2 intra-op threads on each chunk in
        turn, 5.1 ms with 2 workers of 1 thread (``benchmarks/NOTES.md``).
        torch's thread count is process-wide: it is 1 while sampling and
        restored after.
        """
        n_threads = torch.get_num_threads()
        dev = self.denoiser.elec_embed.device
        if dev.type != "cpu" or n_threads < 2 or n_rows <= CPU_MICRO_BATCH:
            yield None
            return
        torch.set_num_threads(1)
        try:
            with ThreadPoolExecutor(n_threads) as pool:
                yield pool
        finally:
            torch.set_num_threads(n_threads)

    def _sample(self, cond, n_steps, sampler, guidance_scale, generator):
        den = self.denoiser
        dev = den.elec_embed.device
        sched = self.make_sampler(sampler)
        with warnings.catch_warnings():
            # diffusers 0.42 DPMSolver calls np.array on a torch tensor (numpy 2
            # copy-keyword DeprecationWarning): harmless, not ours to fix
            warnings.filterwarnings("ignore", "__array__", DeprecationWarning)
            sched.set_timesteps(n_steps, device=dev)
        b = len(torch.as_tensor(cond["subject"]))
        ctx = den.encode_condition(cond, drop=torch.zeros(b, dtype=torch.bool))
        guided = float(guidance_scale) != 1.0
        if guided:
            unc = den.encode_condition(cond, drop=torch.ones(b, dtype=torch.bool))
            ctx = {k: torch.cat([ctx[k], unc[k]]) for k in ctx}
        shape = (b, den.n_channels, den.n_times)
        x = torch.randn(shape, generator=generator, device=dev)
        x = x * sched.init_noise_sigma
        with self._chunk_pool(len(x) * (2 if guided else 1)) as pool:
            x = self._run_sampler(
                sched, x, ctx, guided, guidance_scale, sampler, generator, pool
            )
        x = self.whiten_eeg(x, cond["subject"], inverse=True)
        if self.residual:
            x = x + ctx["mean"][:b, :, : den.n_times]
        return x

    def _run_sampler(
        self, sched, x, ctx, guided, guidance_scale, sampler, generator, pool
    ):
        for t in sched.timesteps:
            xin = torch.cat([x, x]) if guided else x
            xin = sched.scale_model_input(xin, t)
            out = self._denoise(xin, t, ctx, pool)
            if guided:
                oc, ou = out.chunk(2)
                out = ou + guidance_scale * (oc - ou)
            kw = {"generator": generator} if sampler == "ddpm" else {}
            x = sched.step(out, t, x, **kw).prev_sample
        return x
