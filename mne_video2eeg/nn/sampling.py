"""Sampling: schedulers, CPU micro-batches and threads, and the batch loop.

:func:`sample` draws one clip per condition row with a trained
:class:`~.diffusion.VideoEEGDiffusion`; :func:`sample_batched` runs it over any
number of rows in batches with flat memory.  Training lives in
``mne_video2eeg._training``.

Samplers are built ``from_config`` of the model's training scheduler:
:class:`~.samplers.TrigFlowMultistepScheduler` (an Adams predictor-corrector
on the v-prediction ODE in angle), ``DDIMScheduler`` (deterministic, eta=0),
``DPMSolverMultistepScheduler`` (DPM-Solver++ 2M) and ``DDPMScheduler``
(ancestral).  They space their timesteps "trailing" (ending at the last
training step), the better choice when running 10-25 steps.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from diffusers import DDIMScheduler, DDPMScheduler, DPMSolverMultistepScheduler
from mne.utils import ProgressBar, _check_option

from ._layers import flush_denormal
from .samplers import TrigFlowMultistepScheduler

SAMPLERS = ("trigflow", "dpmsolver", "ddim", "ddpm")

#: Condition entries a model takes (``x0`` is the clip itself).
COND_KEYS = ("video", "video_time", "video_mask", "subject", "ref_eeg", "expected_eeg")

# Rows per denoiser call when sampling on CPU.  The network is memory-bound
# (LayerNorm, AdaLN, GELU, the (C x C) attention scores): at 64 rows one
# activation tensor is ~16 MB and every elementwise pass streams from DRAM, at
# 8 rows it is ~2 MB and stays in cache (timings in benchmarks/NOTES.md).  Rows
# are independent (no batch norm in the network), so the output is the same as
# one call on the whole batch.
CPU_MICRO_BATCH = 8


def index_cond(tensors: dict, idx, device) -> dict:
    """Slice the condition entries of ``tensors`` along the first axis.

    ``tensors["x0"]`` gives the number of rows; a ``video_time`` of another
    length is the time axis shared by all rows and is kept whole.
    """
    n = len(tensors["x0"])
    cond = {}
    for key in COND_KEYS:
        val = tensors.get(key)
        if val is None:
            continue
        if key == "video_time" and (val.ndim == 1 or len(val) != n):
            cond[key] = val.to(device)  # shared (n_frames,) time axis
        else:
            cond[key] = val[idx].to(device)
    return cond


def make_sampler(scheduler_config: dict, sampler: str = "trigflow"):
    """Build a fresh ``sampler`` scheduler from a training scheduler's config."""
    _check_option("sampler", sampler, SAMPLERS)
    cfg = dict(scheduler_config)
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
    model,
    cond: dict,
    *,
    n_steps: int = 6,
    sampler: str = "trigflow",
    guidance_scale: float = 1.0,
    generator=None,
) -> torch.Tensor:
    """Generate one clip per row of ``cond`` (see :meth:`VideoEEGDiffusion.sample`)."""
    if not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive int, got {n_steps!r}.")
    was_training = model.training
    model.eval()
    try:
        with flush_denormal():
            return _sample(model, cond, n_steps, sampler, guidance_scale, generator)
    finally:
        model.train(was_training)


def denoise(model, x, t, ctx, pool=None):
    """One denoiser call, in cache-sized row chunks on CPU (same output).

    With ``pool`` (a thread pool of one worker per core, see :func:`_chunk_pool`)
    the chunks run concurrently, one single-threaded chunk per core, instead of
    one after the other on intra-op threads.
    """
    den = model.denoiser
    step = len(x) if x.device.type != "cpu" else CPU_MICRO_BATCH
    if len(x) <= step:
        return den(x, t, ctx=ctx)
    out = torch.empty_like(x)

    def run(i):
        part = {k: v[i : i + step] for k, v in ctx.items()}
        out[i : i + step] = den(x[i : i + step], t, ctx=part)

    def run_in_worker(i):
        # inference mode and the denormal flag are per thread: the caller's
        # (see sample) do not reach the pool's workers
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
def _chunk_pool(model, n_rows):
    """Yield a pool of one single-threaded worker per intra-op thread (CPU).

    The micro-batches are independent, so on CPU they run best one per core
    rather than each on all cores in turn (benchmarks/NOTES.md).  torch's
    thread count is process-wide: it is 1 while sampling and restored after.
    """
    n_threads = torch.get_num_threads()
    dev = model.denoiser.elec_embed.device
    if dev.type != "cpu" or n_threads < 2 or n_rows <= CPU_MICRO_BATCH:
        yield None
        return
    torch.set_num_threads(1)
    try:
        with ThreadPoolExecutor(n_threads) as pool:
            yield pool
    finally:
        torch.set_num_threads(n_threads)


def _sample(model, cond, n_steps, sampler, guidance_scale, generator):
    den = model.denoiser
    dev = den.elec_embed.device
    sched = make_sampler(model.scheduler.config, sampler)
    with warnings.catch_warnings():
        # diffusers' DPMSolver calls np.array on a torch tensor (numpy 2
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
    with _chunk_pool(model, len(x) * (2 if guided else 1)) as pool:
        for t in sched.timesteps:
            xin = torch.cat([x, x]) if guided else x
            xin = sched.scale_model_input(xin, t)
            out = denoise(model, xin, t, ctx, pool)
            if guided:
                oc, ou = out.chunk(2)
                out = ou + guidance_scale * (oc - ou)
            kw = {"generator": generator} if sampler == "ddpm" else {}
            x = sched.step(out, t, x, **kw).prev_sample
    x = model.whiten_eeg(x, cond["subject"], inverse=True)
    if model.residual:
        x = x + ctx["mean"][:b, :, : den.n_times]
    return x


def sample_batched(
    model,
    cond: dict,
    *,
    batch_size: int = 64,
    n_steps: int = 6,
    sampler: str = "trigflow",
    guidance_scale: float = 1.0,
    seed: int | None = 0,
    device=None,
    transform: Callable | None = None,
    batch_cond: Callable | None = None,
) -> np.ndarray:
    """Generate one clip per row of ``cond`` in batches (flat memory).

    Memory: the output array is allocated once and each batch is written
    into it, so the peak is the output plus ONE batch's working set (the
    network's activations for ``min(batch_size, CPU_MICRO_BATCH)`` rows on
    CPU, the batch's ``x`` and scheduler state, and the batch's ``transform``
    output), independent of the number of rows.  A progress bar counts the
    batches (silent at WARNING).

    Parameters
    ----------
    model : VideoEEGDiffusion
        Trained model (sample with EMA weights loaded).
    cond : dict of Tensor
        Condition with N rows (``video_time`` may be shared (M,)).
    batch_size : int
        Clips per sampler call.
    n_steps, sampler, guidance_scale
        See :func:`sample`.
    seed : int | None
        Seeds one local generator used for all batches (same seed, same
        output for the same ``batch_size``).
    device : str | torch.device | None
        Defaults to the model's device.
    transform : callable | None
        Applied to each batch's float32 ``(n, n_channels, n_times)`` array
        before it is stored (e.g. back to Volts in float64); the output takes
        the dtype it returns.  Done per batch so that no full-size
        intermediate copy is ever made.
    batch_cond : callable | None
        ``batch_cond(rows)`` (an int array of row indices) returns further
        condition entries (tensors with ``len(rows)`` rows, e.g.
        ``"expected_eeg"``) made per batch, so that no entry as large as the
        output is held beside it.

    Returns
    -------
    ndarray, shape (N, n_channels, n_times)
        float32, or the dtype ``transform`` returns.
    """
    if device is None:
        device = next(model.parameters()).device
    device = torch.device(device)
    model.to(device)
    subject = torch.as_tensor(cond["subject"])
    n = len(subject)
    gen = torch.Generator(device=device)
    if seed is None:
        gen.seed()
    else:
        gen.manual_seed(int(seed))
    tensors = dict(cond, x0=subject)
    out = None
    for start in ProgressBar(range(0, n, batch_size), mesg="Generating"):
        idx = torch.arange(start, min(n, start + batch_size))
        part = index_cond(tensors, idx, device)
        if batch_cond is not None:
            extra = batch_cond(idx.numpy())
            part.update({k: torch.as_tensor(v).to(device) for k, v in extra.items()})
        x = sample(
            model,
            part,
            n_steps=n_steps,
            sampler=sampler,
            guidance_scale=guidance_scale,
            generator=gen,
        )
        x = x.cpu().numpy()
        if transform is not None:
            x = transform(x)
        if out is None:  # allocated once: no list of batches + concatenate
            out = np.empty((n,) + x.shape[1:], x.dtype)
        out[start : start + len(x)] = x
        del x
    return out if out is not None else np.zeros((0,), np.float32)
