"""The conditional DDPM around :class:`~.denoiser.VideoEEGDenoiser`: its loss.

The noise schedule is diffusers' ``DDPMScheduler`` (cosine,
``squaredcos_cap_v2``, 1000 training steps, as in the paper).  ``clip_sample``
is off: EEG at working scale has unit variance, so diffusers' default clipping
of x0 to [-1, 1] would flatten every peak.  Sampling is :mod:`.sampling`.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from diffusers import DDPMScheduler
from torch import nn

from . import sampling
from .denoiser import VideoEEGDenoiser
from .sampling import SAMPLERS

__all__ = ["SAMPLERS", "VideoEEGDiffusion"]


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
    subject_drop_prob : float
        Probability, per training clip, of replacing its subject by the
        learned "unknown subject" in every path that uses the subject (the
        lag path's FiLM and expected-EEG map, the network's embedding, the
        whitening, which then uses the population's cross-spectrum). It trains
        the population embedding that ``generate(subject=None)`` and held-out
        subjects use; independent of the classifier-free-guidance drop, which
        also removes the video.
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
        subject_drop_prob: float = 0.1,
    ):
        super().__init__()
        if not 0.0 <= float(subject_drop_prob) < 1.0:
            raise ValueError(
                f"subject_drop_prob must be in [0, 1), got {subject_drop_prob!r}."
            )
        self.subject_drop_prob = float(subject_drop_prob)
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
        terms, aux = self.loss_terms(x0, cond, generator=generator)
        loss = terms["mse"]
        if "disc_loss" in terms:
            loss = loss + self.adv_weight * terms["disc_loss"]
        if "trf_mse" in terms:
            loss = loss + self.trf_weight * terms["trf_mse"]
        logs = {k: float(v.detach()) for k, v in {**terms, **aux}.items()}
        logs["loss"] = float(loss.detach())
        return loss, logs

    def loss_terms(self, x0: torch.Tensor, cond: dict, *, generator=None):
        """Return the differentiable terms of :meth:`loss`, unweighted.

        Returns
        -------
        terms : dict of Tensor
            ``mse`` (the diffusion loss), ``disc_loss`` (self-play, when on)
            and ``trf_mse`` (the expected-EEG map, when ``trf_weight > 0``).
        aux : dict of Tensor
            The self-play statistics (``gate_mean``, ``disc_acc``), detached.
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
        cond = self._drop_subjects(cond, generator)
        ctx = den.encode_condition(cond, generator=generator)
        mean = ctx["mean"][..., : den.n_times]
        r0 = x0 - mean.detach() if self.residual else x0
        # the expected-EEG map stays fitted in the raw space: fitted on the
        # whitened EEG (generalised least squares) it learned nothing
        # (benchmarks/NOTES.md)
        r0 = self.whiten_eeg(r0, cond["subject"])
        a = self.sqrt_acp[t][:, None, None]
        s = self.sqrt_1m_acp[t][:, None, None]
        x_t = a * r0 + s * noise
        target = noise if den.prediction_type == "epsilon" else a * noise - s * r0
        pred, aux = den(x_t, t, ctx=ctx, generator=generator, return_aux=True)
        terms = {"mse": F.mse_loss(pred, target)}
        if "disc_loss" in aux:
            terms["disc_loss"] = aux.pop("disc_loss")
        if self.trf_weight > 0 and den.cond.lag is not None:
            terms["trf_mse"] = F.mse_loss(mean, x0)
        return terms, {k: v.detach() for k, v in aux.items()}

    def _drop_subjects(self, cond: dict, generator) -> dict:
        """Replace subjects by the unknown subject with ``subject_drop_prob``."""
        if not self.training or self.subject_drop_prob <= 0:
            return cond
        subject = torch.as_tensor(cond["subject"])
        drop = torch.rand(len(subject), generator=generator, device=subject.device)
        unknown = torch.full_like(subject, self.denoiser.cond.n_subjects)
        return dict(
            cond, subject=torch.where(drop < self.subject_drop_prob, unknown, subject)
        )

    # ---------------------------------------------------------------- sample
    def make_sampler(self, sampler: str = "trigflow"):
        """Build a fresh diffusers ``sampler`` scheduler from the training config."""
        return sampling.make_sampler(self.scheduler.config, sampler)

    def sample(
        self,
        cond: dict,
        *,
        n_steps: int = 6,
        sampler: str = "trigflow",
        guidance_scale: float = 1.0,
        generator=None,
    ) -> torch.Tensor:
        """Generate one clip per row of ``cond`` (:func:`.sampling.sample`).

        Parameters
        ----------
        cond : dict
            Condition with batch size B (see
            :meth:`VideoEEGDenoiser.encode_condition`).
        n_steps : int
            Inference steps (network calls); how few suffice for each sampler
            is measured in ``benchmarks/NOTES.md``.
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
        return sampling.sample(
            self,
            cond,
            n_steps=n_steps,
            sampler=sampler,
            guidance_scale=guidance_scale,
            generator=generator,
        )
