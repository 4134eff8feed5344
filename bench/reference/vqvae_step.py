#!/usr/bin/env python3
"""PyTorch reference for vqkit's training-step benchmark (bench/train-step.ts).

The same architectures as @vqkit/backbones + @vqkit/quantizer + apps/experiments, built the
PyTorch way, so img/s can be compared on the same GPU in the same run:

  single:       Encoder(3->Cs, x4) -> 1x1 proj(Cs->D) -> EMA VQ(Ks) -> Decoder(D->Cs->3, x4)
  hierarchical: Encoder_b(3->Ch, x4) -> Encoder_t(Ch->Ch, x2) -> proj_t -> VQ_t(Kh) -> ConvT up(D->D)
                proj_b(bottom) -> VQ_b(Kh) ; Decoder(concat(zq_b, up(zq_t)) 2D->Ch->3, x4)

Every residual block is latent_channels // 2 wide (80 for Cs 160, 64 for Ch 128), as in the
authors' released code (vqvae/utils.py: n_res_block=2, n_res_channel=latent_channel // 2); the
paper does not state the width.

Loss = mean||x - x_hat||^2 + beta * sum(commitment), Adam lr 3e-4, EMA decay 0.99, eps 1e-5,
windowed dead-code statistics (window 10), straight-through estimator. Prints one JSON line per
(architecture, precision) with ms/step, CPU ms/step (all threads of the process), img/s and peak
GPU memory; on CPU also the CPU time of the main thread (`time.thread_time`), so
bench/train-step.ts can estimate the idle-machine wall time from CPU times as it does for vqkit.

With --params-only it trains nothing and prints one JSON line per (code dim, architecture) with
the trainable parameter count (codebooks are EMA buffers, not parameters), for D = 8, 16, 32 unless
--code-dims says otherwise; @vqkit/backbones' param-counts test pins the same numbers.

usage: python3 vqvae_step.py [--arch single|hierarchical|both] [--batch 16] [--size 256]
                             [--steps 30] [--warmup 5] [--precision fp32|tf32|both] [--device cuda]
                             [--code-dim 8] [--params-only [--code-dims 8,16,32]]
                             [--threads N]   (CPU: torch.set_num_threads(N); default: torch's own)
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class ResBlock(nn.Module):
    def __init__(self, channels, res_channels):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, res_channels, 3, padding=1)
        self.conv2 = nn.Conv2d(res_channels, channels, 1)

    def forward(self, x):
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class Encoder(nn.Module):
    """x4: Conv4x4 s2 (in->C/2), ReLU, Conv4x4 s2 (C/2->C), ReLU, Conv3x3, n ResBlocks, ReLU.
    x2: Conv4x4 s2 (in->C/2), ReLU, Conv3x3 (C/2->C), n ResBlocks, ReLU."""

    def __init__(self, in_ch, channels, downsample, n_res=2, res_channels=None):
        super().__init__()
        res_channels = channels // 2 if res_channels is None else res_channels
        layers = []
        if downsample == 4:
            layers += [nn.Conv2d(in_ch, channels // 2, 4, 2, 1), nn.ReLU(),
                       nn.Conv2d(channels // 2, channels, 4, 2, 1), nn.ReLU(),
                       nn.Conv2d(channels, channels, 3, padding=1)]
        elif downsample == 2:
            layers += [nn.Conv2d(in_ch, channels // 2, 4, 2, 1), nn.ReLU(),
                       nn.Conv2d(channels // 2, channels, 3, padding=1)]
        else:
            raise ValueError("downsample must be 2 or 4")
        layers += [ResBlock(channels, res_channels) for _ in range(n_res)]
        layers += [nn.ReLU()]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class Decoder(nn.Module):
    """Conv3x3 (in->C), n ResBlocks, ReLU, ConvT4x4 s2 (C->C/2), ReLU, ConvT4x4 s2 (C/2->out)."""

    def __init__(self, in_ch, channels, out_ch, n_res=2, res_channels=None):
        super().__init__()
        res_channels = channels // 2 if res_channels is None else res_channels
        layers = [nn.Conv2d(in_ch, channels, 3, padding=1)]
        layers += [ResBlock(channels, res_channels) for _ in range(n_res)]
        layers += [nn.ReLU(), nn.ConvTranspose2d(channels, channels // 2, 4, 2, 1), nn.ReLU(),
                   nn.ConvTranspose2d(channels // 2, out_ch, 4, 2, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class EMAQuantizer(nn.Module):
    """EMA vector quantizer (VQ-VAE-2 style), Laplace-smoothed, with windowed usage counts."""

    def __init__(self, codebook_size, code_dim, decay=0.99, eps=1e-5, beta=0.25, window=10):
        super().__init__()
        self.K, self.D, self.decay, self.eps, self.beta = codebook_size, code_dim, decay, eps, beta
        embed = torch.randn(codebook_size, code_dim)
        self.register_buffer("embed", embed)
        self.register_buffer("cluster_size", torch.ones(codebook_size))
        self.register_buffer("embed_avg", embed.clone())
        self.register_buffer("window", torch.zeros(window, codebook_size))
        self.step = 0

    def forward(self, z):  # z: [B, D, H, W]
        flat = z.permute(0, 2, 3, 1).reshape(-1, self.D)
        dist = (flat.pow(2).sum(1, keepdim=True) - 2 * flat @ self.embed.t()
                + self.embed.pow(2).sum(1)[None, :])
        idx = dist.argmin(1)
        onehot = F.one_hot(idx, self.K).type(flat.dtype)
        q = self.embed[idx].view(z.shape[0], z.shape[2], z.shape[3], self.D).permute(0, 3, 1, 2)
        if self.training:
            with torch.no_grad():
                counts = onehot.sum(0)
                sums = onehot.t() @ flat
                self.cluster_size.mul_(self.decay).add_(counts, alpha=1 - self.decay)
                self.embed_avg.mul_(self.decay).add_(sums, alpha=1 - self.decay)
                n = self.cluster_size.sum()
                smoothed = (self.cluster_size + self.eps) / (n + self.K * self.eps) * n
                self.embed.copy_(self.embed_avg / smoothed[:, None])
                self.window[self.step % self.window.shape[0]] = counts
                self.step += 1
        commitment = self.beta * F.mse_loss(z, q.detach())
        q = z + (q - z).detach()
        return q, commitment


class SingleLevel(nn.Module):
    def __init__(self, channels=160, codebook_size=8192, code_dim=8):
        super().__init__()
        self.enc = Encoder(3, channels, 4)
        self.proj = nn.Conv2d(channels, code_dim, 1)
        self.vq = EMAQuantizer(codebook_size, code_dim)
        self.dec = Decoder(code_dim, channels, 3)

    def forward(self, x):
        q, commit = self.vq(self.proj(self.enc(x)))
        return self.dec(q), commit


class Hierarchical(nn.Module):
    def __init__(self, channels=128, codebook_size=4096, code_dim=8):
        super().__init__()
        self.enc_b = Encoder(3, channels, 4)
        self.enc_t = Encoder(channels, channels, 2)
        self.proj_b = nn.Conv2d(channels, code_dim, 1)
        self.proj_t = nn.Conv2d(channels, code_dim, 1)
        self.vq_b = EMAQuantizer(codebook_size, code_dim)
        self.vq_t = EMAQuantizer(codebook_size, code_dim)
        self.up_t = nn.ConvTranspose2d(code_dim, code_dim, 4, 2, 1)
        self.dec = Decoder(2 * code_dim, channels, 3)

    def forward(self, x):
        hb = self.enc_b(x)
        ht = self.enc_t(hb)
        qt, ct = self.vq_t(self.proj_t(ht))
        qb, cb = self.vq_b(self.proj_b(hb))
        return self.dec(torch.cat([qb, self.up_t(qt)], 1)), cb + ct


def build(arch, code_dim):
    return SingleLevel(code_dim=code_dim) if arch == "single" else Hierarchical(code_dim=code_dim)


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def bench(arch, precision, args):
    torch.manual_seed(0)
    dev = torch.device(args.device)
    tf32 = precision == "tf32"
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    model = build(arch, args.code_dim).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=3e-4)
    x = torch.rand(args.batch, 3, args.size, args.size, device=dev)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    if dev.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    times = []
    cpu_times = []
    main_cpu_times = []
    for i in range(args.warmup + args.steps):
        sync()
        t0 = time.perf_counter()
        c0 = time.process_time()
        m0 = time.thread_time()
        xh, commit = model(x)
        loss = F.mse_loss(xh, x) + commit
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sync()
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
            cpu_times.append(time.process_time() - c0)
            main_cpu_times.append(time.thread_time() - m0)
    ms = statistics.median(times) * 1000
    return {
        "framework": "pytorch", "torch": torch.__version__, "arch": arch, "precision": precision,
        "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
        "batch": args.batch, "size": args.size, "steps": args.steps,
        "code_dim": args.code_dim, "params": count_params(model),
        "threads": torch.get_num_threads(),
        "ms_per_step": round(ms, 3), "img_per_s": round(args.batch / (ms / 1000), 2),
        "cpu_ms_per_step": round(statistics.median(cpu_times) * 1000, 3),
        "main_cpu_ms_per_step": round(statistics.median(main_cpu_times) * 1000, 3),
        "peak_bytes": torch.cuda.max_memory_allocated() if dev.type == "cuda" else None,
        "loss": float(loss.detach()),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--arch", default="both", choices=["single", "hierarchical", "both"])
    p.add_argument("--precision", default="both", choices=["fp32", "tf32", "both"])
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--code-dim", type=int, default=8)
    p.add_argument("--params-only", action="store_true")
    p.add_argument("--code-dims", default="8,16,32")
    p.add_argument("--threads", type=int, default=None,
                   help="CPU threads (torch.set_num_threads); default: torch's own choice")
    args = p.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    archs = ["single", "hierarchical"] if args.arch == "both" else [args.arch]
    if args.params_only:
        for code_dim in [int(d) for d in args.code_dims.split(",")]:
            for arch in archs:
                params = count_params(build(arch, code_dim))
                print(json.dumps({"arch": arch, "code_dim": code_dim, "params": params}), flush=True)
        return
    precisions = ["fp32", "tf32"] if args.precision == "both" else [args.precision]
    for arch in archs:
        for precision in precisions:
            print(json.dumps(bench(arch, precision, args)), flush=True)


if __name__ == "__main__":
    main()
