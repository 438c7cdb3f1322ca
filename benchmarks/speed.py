"""Generation and training speed of the default model on this machine (issue 9).

One run prints one table: seconds per generated 62 x 400 sample (2 s at
200 Hz) for every sampler at 10/25/50/100 steps and the estimator's default
step count (6, with its default sampler "trigflow") and batch 1/16/64/256, then
FLOPs per denoiser call, achieved GFLOP/s against the float32 matmul peak
measured in the same run, training samples/s, a plain 1000-step DDPM sampler
(full batch, no micro-batching: what a naive implementation ships) on the
same network, and the peak resident memory of the process.

The default grid skips the slowest cells (more than ``--max-row-steps``
rows x steps per call; shown as ``-``) so that a run takes ~10 minutes on 2
cores; ``--full`` measures every cell.  The naive 1000-step sampler is timed
over its first ``--naive-steps`` steps and scaled to 1000 (every DDPM step
costs the same).  ``--compile`` adds torch.compile of the denoiser (compile
time and per-call time).

OpenMP threads wait passively (``OMP_WAIT_POLICY=PASSIVE`` unless set):
on a machine shared with other jobs, spinning OpenMP threads made a 2-thread
denoiser call 30x slower (257 ms vs 7.6 ms per sample at load average 6.7 on
2 cores); on an idle machine the difference is a few percent.

Usage::

    python benchmarks/speed.py [--threads 2] [--full] [--compile]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads OpenMP

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import mne_video2eeg.nn.sampling as diffusion_mod  # noqa: E402
from mne_video2eeg import Video2EEGGenerator  # noqa: E402
from mne_video2eeg._training import train_diffusion  # noqa: E402
from mne_video2eeg.nn import SAMPLERS, VideoEEGDenoiser, VideoEEGDiffusion  # noqa: E402
from mne_video2eeg.nn.config import network_settings  # noqa: E402

N_CHANNELS, N_TIMES, SFREQ = 62, 400, 200.0
N_FRAMES, N_FEATURES, N_SUBJECTS = 4, 13, 15
_ARCH_OVERRIDE: dict = {}  # --width / --patch-size


def _graphs(seed=0):
    from mne_video2eeg.graphs import make_electrode_graph
    from mne_video2eeg.montage import make_seed_info

    info = make_seed_info(SFREQ)
    a_e = np.asarray(make_electrode_graph(info), float)
    rng = np.random.default_rng(seed)
    sig = rng.normal(size=(N_CHANNELS, 400)) + a_e @ rng.normal(size=(N_CHANNELS, 400))
    a_s = np.abs(np.corrcoef(sig))
    np.fill_diagonal(a_s, 0)
    return {"electrode": a_e, "signal": a_s}


def _model():
    """The estimator's default network (its width, depth and patch size)."""
    defaults = network_settings()["denoiser"]
    arch = {k: defaults[k] for k in ("width", "depth", "patch_size")}
    arch.update(_ARCH_OVERRIDE)
    with torch.random.fork_rng():
        torch.manual_seed(0)
        den = VideoEEGDenoiser(
            **arch,
            n_channels=N_CHANNELS,
            n_times=N_TIMES,
            sfreq=SFREQ,
            n_video_features=N_FEATURES,
            n_subjects=N_SUBJECTS,
            graphs=_graphs(),
            occipital_idx=list(range(50, 62)),
        )
        return VideoEEGDiffusion(den).eval()


def _cond(b, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(
        video=torch.randn(b, N_FRAMES, N_FEATURES, generator=g),
        video_time=torch.arange(N_FRAMES) / 2.0,
        subject=torch.arange(b) % N_SUBJECTS,
    )


def _best(fn, n_rep):
    best_wall, best_cpu = np.inf, np.inf
    for _ in range(n_rep):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return best_wall, best_cpu


def matmul_peak(threads, n=1024, n_rep=10):
    """Best float32 GEMM rate (GFLOP/s) of torch on this machine."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    with torch.inference_mode():
        a @ b
        wall, _ = _best(lambda: a @ b, n_rep)
    return 2 * n**3 / wall / 1e9


def denoiser_cost(model, b=64):
    """(FLOPs per call per sample, wall s per call per sample, batch b)."""
    den = model.denoiser
    x = torch.randn(b, N_CHANNELS, N_TIMES)
    t = torch.tensor(500)
    with torch.inference_mode():
        ctx = den.encode_condition(_cond(b))
        with FlopCounterMode(display=False) as fc:
            den(x, t, ctx=ctx)
        flops = fc.get_total_flops() / b
        with FlopCounterMode(display=False) as fc:
            den.encode_condition(_cond(b))
        flops_cond = fc.get_total_flops() / b
        # the sampler's call (micro-batched on CPU)
        diffusion_mod.denoise(model, x, t, ctx)
        wall, cpu = _best(lambda: diffusion_mod.denoise(model, x, t, ctx), 5)
    return flops, flops_cond, wall / b, cpu / b


def sample_time(model, sampler, n_steps, b):
    cond = _cond(b)

    def run():
        model.sample(
            cond, n_steps=n_steps, sampler=sampler, generator=torch.Generator()
        )

    return _best(run, 2 if b * n_steps <= 1600 else 1)


def naive_ddpm(model, b, n_timed):
    """Seconds per sample of a plain 1000-step DDPM loop (full batch, eager)."""
    den = model.denoiser
    sched = model.make_sampler("ddpm")
    sched.set_timesteps(1000)
    g = torch.Generator().manual_seed(0)
    cond = _cond(b)
    with torch.inference_mode():
        ctx = den.encode_condition(cond)
        x = torch.randn(b, N_CHANNELS, N_TIMES, generator=g)
        t0 = time.perf_counter()
        for t in sched.timesteps[:n_timed]:
            out = den(x, t, ctx=ctx)
            x = sched.step(out, t, x, generator=g).prev_sample
        wall = time.perf_counter() - t0
    return wall * 1000 / n_timed / b


def train_rate(b=16, n=64, n_epochs=2):
    model = _model()
    g = torch.Generator().manual_seed(0)
    tensors = dict(_cond(n), x0=torch.randn(n, N_CHANNELS, N_TIMES, generator=g))
    t0 = time.perf_counter()
    train_diffusion(model, tensors, n_epochs=n_epochs, batch_size=b, verbose="warning")
    return n * n_epochs / (time.perf_counter() - t0)


def compiled_call(model, b):
    den = model.denoiser
    x = torch.randn(b, N_CHANNELS, N_TIMES)
    t = torch.tensor(500)
    with torch.inference_mode():
        ctx = den.encode_condition(_cond(b))
        fn = torch.compile(den, dynamic=False)
        t0 = time.perf_counter()
        fn(x, t, ctx=ctx)
        t_compile = time.perf_counter() - t0
        wall, cpu = _best(lambda: fn(x, t, ctx=ctx), 10)
        eager, eager_cpu = _best(lambda: den(x, t, ctx=ctx), 10)
    return t_compile, wall / b, cpu / b, eager / b, eager_cpu / b


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", default="10,25,50,100")
    parser.add_argument("--batches", default="1,16,64,256")
    parser.add_argument("--samplers", default=",".join(SAMPLERS))
    parser.add_argument("--max-row-steps", type=int, default=3200)
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--naive-batch", type=int, default=64)
    parser.add_argument("--naive-steps", type=int, default=25)
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--width", type=int, help="another width than the default")
    parser.add_argument("--patch-size", type=int, help="another patch size")
    args = parser.parse_args()
    if args.width:
        _ARCH_OVERRIDE["width"] = args.width
    if args.patch_size:
        _ARCH_OVERRIDE["patch_size"] = args.patch_size
    torch.set_num_threads(args.threads)
    est = Video2EEGGenerator()
    default = (est.sampler, est.n_inference_steps)
    # the estimator's default step count is always a column
    steps = sorted({int(s) for s in args.steps.split(",")} | {default[1]})
    batches = [int(s) for s in args.batches.split(",")]
    samplers = args.samplers.split(",")
    t_start = time.perf_counter()

    model = _model()
    n_params = sum(p.numel() for p in model.parameters())
    peak = matmul_peak(args.threads)
    flops, flops_cond, call_s, call_cpu = denoiser_cost(model)
    achieved = flops / call_s / 1e9

    cells = {}
    for sampler in samplers:
        for b in batches:
            for n in steps:
                # always measure the default's steps and the batch-1 cells
                skip = b * n > args.max_row_steps and n != default[1] and b > 1
                if skip and not args.full:
                    continue
                cells[sampler, b, n] = sample_time(model, sampler, n, b)
    naive = naive_ddpm(model, args.naive_batch, args.naive_steps)
    train = train_rate()
    comp = compiled_call(model, diffusion_mod.CPU_MICRO_BATCH) if args.compile else None
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    load = os.getloadavg()
    print(
        f"mne-video2eeg speed, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{args.threads} threads, OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}, "
        f"load average {load[0]:.1f} {load[1]:.1f}"
    )
    print(
        f"default model: {n_params:,} parameters, 62 x 400 samples at 200 Hz, "
        f"CPU micro-batch {diffusion_mod.CPU_MICRO_BATCH}"
    )
    print()
    w = 9
    print("seconds per generated sample (wall clock, best of 1-2 runs)")
    print(f"{'sampler':12s}{'batch':>6s}" + "".join(f"{n:>{w}d}" for n in steps))
    for sampler in samplers:
        for b in batches:
            row = [cells.get((sampler, b, n)) for n in steps]
            txt = "".join(
                f"{'-':>{w}s}" if v is None else f"{v[0] / b:{w}.4f}" for v in row
            )
            print(f"{sampler:12s}{b:6d}" + txt)
    print(
        f"{'naive DDPM':12s}{args.naive_batch:6d}   1000 steps, full batch, "
        f"no micro-batch: {naive:.3f} s/sample "
        f"(first {args.naive_steps} steps timed, x{1000 / args.naive_steps:g})"
    )
    head = cells.get((default[0], 64, default[1]))
    if head is not None:
        print(
            f"default ({default[0]} {default[1]} steps, batch 64): "
            f"{head[0] / 64:.4f} s/sample "
            f"wall, {head[1] / 64:.4f} s/sample process CPU time "
            f"(/{args.threads} threads = {head[1] / 64 / args.threads:.4f} s on an "
            "otherwise idle machine if the threads scale); target 0.0333; "
            f"speed-up over naive DDPM: {naive / (head[0] / 64):.0f}x"
        )
    print()
    print(f"MFLOP per denoiser call per sample  {flops / 1e6:10.1f}")
    print(f"MFLOP condition encoding per sample {flops_cond / 1e6:10.1f} (once)")
    print(f"ms per denoiser call per sample     {call_s * 1e3:10.2f} (batch 64)")
    print(f"achieved GFLOP/s                    {achieved:10.1f}")
    print(f"float32 matmul peak GFLOP/s         {peak:10.1f} (1024^3 GEMM)")
    print(f"achieved / peak                     {achieved / peak:10.1%}")
    print(f"training samples/s                  {train:10.1f} (batch 16, AdamW+EMA)")
    if comp is not None:
        print(
            f"torch.compile denoiser (batch {diffusion_mod.CPU_MICRO_BATCH}): "
            f"compile {comp[0]:.1f} s, {comp[1] * 1e3:.2f} ms/call/sample "
            f"(CPU {comp[2] * 1e3:.2f}) vs eager {comp[3] * 1e3:.2f} "
            f"(CPU {comp[4] * 1e3:.2f})"
        )
    print(f"peak resident memory                {rss_mb:10.0f} MB")
    print(
        f"benchmark wall time                 {time.perf_counter() - t_start:10.0f} s"
    )


if __name__ == "__main__":
    main()
