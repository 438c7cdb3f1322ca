"""The training loop of :class:`~.nn.VideoEEGDiffusion` (sampling: :mod:`.nn.sampling`).

Kept separate from the estimator so that checkpoint/resume and distributed
training can be layered on without touching the model code:

* :func:`train_diffusion` accepts ``start_state`` and returns ``state`` (model,
  EMA and optimizer state dicts + the epoch counter), which is everything a
  checkpoint needs.
* Distributed data parallel: under ``torchrun --nproc_per_node=N`` (or in
  a process that already initialised ``torch.distributed``),
  :func:`train_diffusion` wraps the loss in
  :class:`torch.nn.parallel.DistributedDataParallel` (gloo on CPU, nccl on
  CUDA), gives every rank an equal shard of each epoch's permutation (the
  DistributedSampler scheme, drawn from the local generator that every rank
  seeds alike), and logs, shows progress and calls the callback (checkpoints)
  on rank 0 only.  ``batch_size`` is per process, as with DistributedSampler:
  N processes take N x ``batch_size`` clips per optimizer step.  Without a
  process group the single-process path is unchanged.
"""

from __future__ import annotations

import atexit
import copy
import math
import os
from collections.abc import Callable

import torch
from mne.utils import ProgressBar, logger
from torch.optim.swa_utils import AveragedModel

from .nn._layers import flush_denormal
from .nn.sampling import index_cond
from .utils._docs import verbose


def _dist_setup(device: torch.device):
    """Return ``(rank, world_size, device)``; init the process group if asked.

    The group is initialised here when torchrun's environment variables say
    so (``WORLD_SIZE`` > 1 with ``RANK`` and ``MASTER_ADDR``) and nobody did
    it before; it is destroyed at interpreter exit.  On CUDA each process
    takes ``cuda:LOCAL_RANK``.
    """
    if not torch.distributed.is_available():
        return 0, 1, device
    dist = torch.distributed
    if not dist.is_initialized():
        env = os.environ
        if int(env.get("WORLD_SIZE", "1")) <= 1 or "MASTER_ADDR" not in env:
            return 0, 1, device
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        atexit.register(_destroy_group)
    world = dist.get_world_size()
    if world <= 1:
        return 0, 1, device
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return dist.get_rank(), world, device


def _destroy_group():
    if torch.distributed.is_initialized():
        torch.distributed.destroy_process_group()


class _LossModule(torch.nn.Module):
    """``forward`` = ``model.loss``: DDP syncs gradients of ``forward`` calls."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, x0, cond, generator):
        return self.model.loss(x0, cond, generator=generator)


def _shard(perm: torch.Tensor, rank: int, world: int) -> torch.Tensor:
    """Rank's equal share of ``perm`` (wrapped to a multiple of ``world``)."""
    n = len(perm)
    total = math.ceil(n / world) * world
    if total > n:  # as DistributedSampler: repeat the head to even out ranks
        perm = torch.cat([perm, perm[: total - n]])
    return perm[rank:total:world]


def _check_tensors(tensors: dict):
    if not isinstance(tensors, dict) or "x0" not in tensors:
        raise ValueError(
            "tensors must be a dict holding at least 'x0', 'video', 'video_time' "
            f"and 'subject', got {type(tensors).__name__}"
            + (f" with keys {sorted(tensors)}" if isinstance(tensors, dict) else "")
            + "."
        )
    n = len(tensors["x0"])
    for key in ("video", "subject", "video_mask", "ref_eeg"):
        val = tensors.get(key)
        if val is not None and len(val) != n:
            raise ValueError(
                f"tensors[{key!r}] has {len(val)} rows but x0 has {n}; pass one "
                "row per clip."
            )
    return n, {k: torch.as_tensor(v) for k, v in tensors.items() if v is not None}


@verbose
def train_diffusion(
    model,
    tensors: dict,
    *,
    n_epochs: int = 100,
    batch_size: int = 32,
    lr: float = 1e-3,
    weight_decay: float = 1e-4,
    ema_decay: float = 0.999,
    grad_clip: float | None = 1.0,
    warmup_steps: int = 100,
    seed: int = 0,
    device="cpu",
    callback: Callable | None = None,
    start_state: dict | None = None,
    copy_ema: bool = True,
    verbose=None,
):
    """Train a :class:`~mne_video2eeg.nn.VideoEEGDiffusion` with AdamW + EMA.

    Parameters
    ----------
    model : VideoEEGDiffusion
        The model (moved to ``device`` in place).
    tensors : dict of Tensor
        ``x0`` (N, C, T), ``video`` (N, M, F), ``video_time`` (M,) or (N, M),
        ``subject`` (N,) long; optional ``video_mask`` (N, M) bool and
        ``ref_eeg`` (N, C, T_ref).  Kept on CPU; batches are moved to device.
    n_epochs, batch_size : int
        Passes over the data and clips per step (the last partial batch is
        kept).
    lr, weight_decay : float
        AdamW settings; the learning rate warms up linearly over
        ``warmup_steps`` optimizer steps and then stays constant.
    ema_decay : float
        Final EMA decay of the weights (``AveragedModel``, decay ramped up,
        buffers included).  The EMA weights are the ones to sample with.
    grad_clip : float | None
        Max gradient norm (None: no clipping).
    warmup_steps : int
        Linear warm-up length.
    seed : int
        Seeds the LOCAL generators for batching (CPU) and for timesteps, noise,
        CFG drop and Graph-DA (on ``device``).  Deterministic on CPU.
    device : str | torch.device
        Where to train.
    callback : callable | None
        ``callback(epoch, logs, state_fn)`` after every epoch; ``state_fn()``
        returns the current ``state`` (for checkpoints).  Return True to stop.
    start_state : dict | None
        A ``state`` returned earlier: resumes model, EMA, optimizer, epoch and
        RNG streams.
    copy_ema : bool
        Load the EMA weights into ``model`` at the end (the raw weights stay in
        ``state["model"]``).
    %(verbose)s

    Returns
    -------
    history : list of dict
        One dict per epoch: ``epoch`` and the means of every logged value
        (``loss``, ``mse``, ``trf_mse``, ``disc_loss``, ``disc_acc``,
        ``gate_mean``) plus ``lr``.
    state : dict
        ``model``, ``ema`` (EMA weights; ``model.load_state_dict(state["ema"])``
        to sample with them), ``optimizer``, ``epoch``, ``step``, ``rng``.
    """
    with flush_denormal():
        return _train(
            model,
            tensors,
            n_epochs=n_epochs,
            batch_size=batch_size,
            lr=lr,
            weight_decay=weight_decay,
            ema_decay=ema_decay,
            grad_clip=grad_clip,
            warmup_steps=warmup_steps,
            seed=seed,
            device=device,
            callback=callback,
            start_state=start_state,
            copy_ema=copy_ema,
        )


def _ema_with_warmup(decay: float):
    """EMA whose decay ramps up as min(decay, (1 + n) / (10 + n)).

    A fixed decay (``get_ema_multi_avg_fn``) keeps the EMA near the initial
    weights for ~1 / (1 - decay) steps, longer than a short run on a small
    dataset; the ramp is the one of diffusers' ``EMAModel(use_ema_warmup)``.
    """

    @torch.no_grad()
    def update(ema_params, params, num_averaged):
        n = float(num_averaged)
        weight = 1.0 - min(decay, (1.0 + n) / (10.0 + n))
        floats = [
            (e, p)
            for e, p in zip(ema_params, params, strict=True)
            if e.is_floating_point()
        ]
        if floats:
            torch._foreach_lerp_([e for e, _ in floats], [p for _, p in floats], weight)
        for e, p in zip(ema_params, params, strict=True):
            if not e.is_floating_point():  # integer buffers are copied
                e.copy_(p)

    return update


def _train(
    model,
    tensors,
    *,
    n_epochs,
    batch_size,
    lr,
    weight_decay,
    ema_decay,
    grad_clip,
    warmup_steps,
    seed,
    device,
    callback,
    start_state,
    copy_ema,
):
    n, tensors = _check_tensors(tensors)
    rank, world, device = _dist_setup(torch.device(device))
    model.to(device)
    opt = torch.optim.AdamW(
        model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True
    )
    ema = AveragedModel(
        model, multi_avg_fn=_ema_with_warmup(ema_decay), use_buffers=True
    )
    n_local = math.ceil(n / world)  # rows per rank and epoch
    total_steps = (n_epochs - (start_state or {}).get("epoch", 0)) * math.ceil(
        n_local / batch_size
    )
    # a fixed warm-up would eat a short run on a small dataset: cap it at 5 %
    warmup_steps = max(1, min(int(warmup_steps), total_steps // 20))
    g_batch = torch.Generator().manual_seed(int(seed))
    # noise, timesteps, CFG drop and Graph-DA differ per rank; batching does not
    g_dev = torch.Generator(device=device).manual_seed(int(seed) + 1 + 7919 * rank)
    epoch0, step = 0, 0
    if start_state is not None:
        model.load_state_dict(start_state["model"])
        ema.module.load_state_dict(start_state["ema"])
        ema.n_averaged.fill_(max(1, int(start_state.get("step", 1))))
        opt.load_state_dict(start_state["optimizer"])
        epoch0, step = int(start_state["epoch"]), int(start_state["step"])
        g_batch.set_state(start_state["rng"]["batch"])
        g_dev.set_state(start_state["rng"]["device"].to(g_dev.get_state().device))

    def state_fn():
        return {
            "model": copy.deepcopy(model.state_dict()),
            "ema": copy.deepcopy(ema.module.state_dict()),
            "optimizer": copy.deepcopy(opt.state_dict()),
            "epoch": epoch,
            "step": step,
            "rng": {"batch": g_batch.get_state(), "device": g_dev.get_state()},
        }

    loss_fn = model.loss
    if world > 1:
        # find_unused_parameters: which parameters get a gradient varies per
        # step (CFG-dropped batches, an absent ref_eeg encoder)
        ddp = torch.nn.parallel.DistributedDataParallel(
            _LossModule(model),
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=True,
        )

        def loss_fn(x0, cond, generator):
            return ddp(x0, cond, generator)

    history = []
    model.train()
    epoch = epoch0
    epochs = range(epoch0, n_epochs)
    for epoch in ProgressBar(epochs, mesg="Training") if rank == 0 else epochs:
        perm = torch.randperm(n, generator=g_batch)
        if world > 1:
            perm = _shard(perm, rank, world)
        sums: dict = {}
        n_batches = 0
        for start in range(0, len(perm), batch_size):
            idx = perm[start : start + batch_size]
            x0 = tensors["x0"][idx].to(device)
            cond = index_cond(tensors, idx, device)
            for group in opt.param_groups:
                group["lr"] = lr * min(1.0, (step + 1) / max(1, warmup_steps))
            loss, logs = loss_fn(x0, cond, generator=g_dev)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            if grad_clip is not None:
                torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
            opt.step()
            ema.update_parameters(model)
            step += 1
            n_batches += 1
            for key, val in logs.items():
                sums[key] = sums.get(key, 0.0) + val
        epoch += 1
        if world > 1:  # logged values: means over all ranks' batches
            keys = sorted(sums)
            tot = [sums[k] for k in keys] + [n_batches]
            tot = torch.tensor(tot, dtype=torch.float64, device=device)
            torch.distributed.all_reduce(tot)
            sums = dict(zip(keys, tot[:-1].tolist(), strict=True))
            n_batches = tot[-1].item()
        row = {"epoch": epoch, "lr": opt.param_groups[0]["lr"]}
        row.update({k: v / n_batches for k, v in sums.items()})
        history.append(row)
        if rank == 0:  # the progress bar shows progress; losses are in history
            logger.debug(
                f"Epoch {epoch}/{n_epochs}: "
                + ", ".join(f"{k}={v:.4g}" for k, v in row.items() if k != "epoch")
            )
        if callback is not None and _callback(callback, epoch, row, state_fn, rank):
            break
    state = state_fn()
    if copy_ema:
        model.load_state_dict(state["ema"])
    model.eval()
    return history, state


def _callback(callback, epoch, row, state_fn, rank) -> bool:
    """Run the callback on rank 0 only; every rank learns whether to stop."""
    stop = bool(callback(epoch, row, state_fn)) if rank == 0 else False
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        if torch.distributed.get_world_size() > 1:
            flag = [stop]
            torch.distributed.broadcast_object_list(flag, src=0)
            stop = bool(flag[0])
    return stop


def log_fit_summary(history: list[dict], seconds: float) -> None:
    """Log one line: how long the fit took and the last epoch's losses."""
    last = history[-1] if history else {}
    losses = ", ".join(
        f"{k}={v:.3g}" for k, v in last.items() if k not in ("epoch", "lr")
    )
    logger.info(
        f"Fitted {len(history)} epoch(s) in {seconds:.1f} s"
        + (f"; last epoch {losses}" if losses else "")
        + " (per-epoch losses in history_)"
    )
