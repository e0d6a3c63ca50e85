"""PyTorch peer of kioku's benchmark (bench/run.ts runs it with /usr/bin/python3).

Usage: torch_bench.py '<json>' where the JSON holds {"config": {...}, "seconds": s,
"threads": n, "sgemm": bool}. Prints one JSON object on stdout.

The model is the one bench/kioku.ts builds: Embedding (or raw input) -> nn.LSTM/nn.GRU ->
nn.Linear -> cross-entropy, Adam, clip_grad_norm_(5); sampling is batch 1, one token at a
time, carrying the state. Step times are taken one by one; the figures use the median step.
"""

import json
import resource
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.utils.checkpoint


def main() -> None:
    args = json.loads(sys.argv[1])
    torch.set_num_threads(int(args.get("threads", 2)))
    torch.manual_seed(0)
    out = {"torch": torch.__version__, "threads": torch.get_num_threads()}
    cfg = args.get("config")
    seconds = float(args.get("seconds", 2))
    if cfg is not None:
        out.update(bench_config(cfg, seconds))
    if args.get("sgemm"):
        out["sgemm"] = bench_sgemm(seconds)
    out["peakRssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


class Model(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        H = cfg["hidden"]
        self.emb = nn.Embedding(cfg["vocab"], H) if cfg["vocab"] > 0 else None
        inp = H if cfg["vocab"] > 0 else cfg["inputSize"]
        rnn = nn.GRU if cfg["cell"] == "gru" else nn.LSTM
        self.rnn = rnn(inp, H, cfg["layers"])
        self.head = nn.Linear(H, cfg["outputs"])
        # Gradient checkpointing every k steps (kioku's gradCheckpoint): the sequence runs
        # in segments of k steps, each under torch.utils.checkpoint, so backward recomputes
        # a segment's activations from the state at its start.
        self.k = int(cfg.get("gradCheckpoint") or 0)

    def forward(self, x, state=None):
        if self.emb is not None:
            x = self.emb(x)
        if self.k > 0 and self.training:
            y, state = self.segmented(x, state)
        else:
            y, state = self.rnn(x, state)
        return self.head(y), state

    def segmented(self, x, state):
        if state is None:
            z = x.new_zeros(self.rnn.num_layers, x.shape[1], self.rnn.hidden_size)
            state = (z, z.clone()) if isinstance(self.rnn, nn.LSTM) else z
        lstm = isinstance(self.rnn, nn.LSTM)

        def run(seg, *s):
            y, s2 = self.rnn(seg, tuple(s) if lstm else s[0])
            return (y, *s2) if lstm else (y, s2)

        ys = []
        for a in range(0, x.shape[0], self.k):
            out = torch.utils.checkpoint.checkpoint(
                run, x[a : a + self.k], *(state if lstm else (state,)), use_reentrant=False
            )
            ys.append(out[0])
            state = tuple(out[1:]) if lstm else out[1]
        return torch.cat(ys), state


def bench_config(cfg, seconds):
    T, B = cfg["steps"], cfg["batch"]
    model = Model(cfg)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(7)
    if cfg["vocab"] > 0:
        x = torch.randint(0, cfg["vocab"], (T, B), generator=g)
    else:
        x = torch.randn(T, B, cfg["inputSize"], generator=g)
    y = torch.randint(0, cfg["outputs"], (T * B,), generator=g)
    lossf = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad()
        logits, _ = model(x)
        loss = lossf(logits.reshape(T * B, -1), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return loss.item()

    # Warm-up steps (one for the large configurations, whose steps take seconds).
    for _ in range(1 if cfg["hidden"] >= 400 else 2):
        step()
    times = []
    cpu_times = []  # process CPU time per step (all threads): robust to a busy machine
    t_end = time.perf_counter() + seconds
    while time.perf_counter() < t_end or len(times) < 2:
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    res = {
        "trainTokensPerSec": T * B / statistics.median(times),
        "trainTokensPerCpuSec": T * B / statistics.median(cpu_times),
        "trainSteps": len(times),
        "finalLoss": loss,
        "sampleCharsPerSec": None,
    }
    if cfg["vocab"] > 0:
        model.eval()
        V = cfg["outputs"]
        with torch.no_grad():
            tok = torch.zeros(1, 1, dtype=torch.long)
            state = None

            def sample_one(tok, state):
                logits, state = model(tok, state)
                p = torch.softmax(logits[0, 0], dim=-1)
                nxt = torch.multinomial(p, 1, generator=g)
                return nxt.view(1, 1), state

            for _ in range(20):
                tok, state = sample_one(tok, state)
            chunks = []
            t_end = time.perf_counter() + seconds
            while time.perf_counter() < t_end or len(chunks) < 2:
                t0 = time.perf_counter()
                for _ in range(100):
                    tok, state = sample_one(tok, state)
                chunks.append(time.perf_counter() - t0)
            res["sampleCharsPerSec"] = 100 / statistics.median(chunks)
            res["sampleChars"] = 100 * len(chunks)
        del V
    return res


# The shapes of bench/sgemm.ts, named alike: M x N x K and (op A, op B).
SGEMM_SHAPES = [
    (256, 256, 256, False, False),
    (32, 512, 128, False, True),
    (2048, 512, 128, False, True),
    (512, 128, 2048, True, False),
]


def bench_sgemm(seconds):
    out = {}
    for (M, N, K, ta, tb) in SGEMM_SHAPES:
        a = torch.randn(K, M).t() if ta else torch.randn(M, K)
        b = torch.randn(N, K).t() if tb else torch.randn(K, N)
        c = torch.empty(M, N)
        torch.mm(a, b, out=c)
        reps = max(1, int(2e8 / (2 * M * N * K)))
        best = float("inf")
        t_end = time.perf_counter() + min(seconds, 1.0)
        while True:
            t0 = time.perf_counter()
            for _ in range(reps):
                torch.mm(a, b, out=c)
            best = min(best, (time.perf_counter() - t0) / reps)
            if time.perf_counter() > t_end:
                break
        name = f"{M}x{N}x{K} {'T' if ta else 'N'}{'T' if tb else 'N'}"
        out[name] = 2 * M * N * K / best / 1e9
    return out


if __name__ == "__main__":
    main()
