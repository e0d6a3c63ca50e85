"""PyTorch peer of `kioku train char` for the whole-process benchmark (`npm run bench -- --whole`).

Usage: torch_train_char.py '<json>' with {"data", "out", "hidden", "embed", "layers", "batch",
"seq", "steps", "lr", "decay", "decayEvery", "clip", "valFraction", "validateEvery",
"checkpointEvery", "threads"}. Does what `kioku train char` does, the way a PyTorch user
would write it: read the UTF-8 text, sorted character vocabulary, the last valFraction held
out; B parallel streams with truncated BPTT (state carried, detached); Embedding -> LSTM ->
Linear, cross-entropy, Adam, StepLR, clip_grad_norm_; a validation pass over the first
16,384 validation characters every validateEvery steps and at the end; a checkpoint (model,
optimizer, step) every checkpointEvery steps and at the end; a JSON training log.
Prints one JSON object (seconds inside the script) on stdout.
"""

import json
import math
import os
import sys
import time

import torch
import torch.nn as nn


class CharLM(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.emb = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, layers)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, x, state=None):
        y, state = self.rnn(self.emb(x), state)
        return self.head(y), state


def streams(ids, B, T):
    """Yield [T, B] input/target chunks of B contiguous streams, forever (wrapping)."""
    L = (len(ids) - 1) // B
    data = ids[: B * L + 1]
    x_all = torch.stack([data[b * L : (b + 1) * L] for b in range(B)], 1)  # [L, B]
    y_all = torch.stack([data[b * L + 1 : (b + 1) * L + 1] for b in range(B)], 1)
    while True:
        for p in range(0, L - T + 1, T):
            yield x_all[p : p + T], y_all[p : p + T], p == 0


def main():
    a = json.loads(sys.argv[1])
    t_start = time.perf_counter()
    torch.set_num_threads(int(a.get("threads", 2)))
    torch.manual_seed(0)
    with open(a["data"], encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    n_val = max(1, int(len(ids) * a["valFraction"]))
    train_ids, val_ids = ids[:-n_val], ids[-n_val:]
    B, T = a["batch"], a["seq"]
    model = CharLM(len(chars), a["embed"], a["hidden"], a["layers"])
    opt = torch.optim.Adam(model.parameters(), lr=a["lr"])
    sched = torch.optim.lr_scheduler.StepLR(opt, a["decayEvery"], a["decay"])
    lossf = nn.CrossEntropyLoss()
    os.makedirs(os.path.join(a["out"], "checkpoints"), exist_ok=True)

    vB = max(1, min(B, (len(val_ids) - 1) // T))
    v_chunks = max(1, min(((len(val_ids) - 1) // vB) // T, math.ceil(16384 / (vB * T))))

    def validate():
        model.eval()
        total, count, state = 0.0, 0, None
        with torch.no_grad():
            it = streams(val_ids, vB, T)
            for _ in range(v_chunks):
                x, y, _ = next(it)
                logits, state = model(x, state)
                total += lossf(logits.reshape(-1, len(chars)), y.reshape(-1)).item() * y.numel()
                count += y.numel()
        model.train()
        return total / count

    def checkpoint(step, val):
        snap = {"model": model.state_dict(), "optimizer": opt.state_dict(), "step": step}
        torch.save(snap, os.path.join(a["out"], "checkpoints", f"step-{step:07d}-val-{val:.4f}.pt"))
        torch.save(snap, os.path.join(a["out"], "model.pt"))

    it = streams(train_ids, B, T)
    state, history, val = None, [], float("nan")
    t_train = time.perf_counter()
    for step in range(1, a["steps"] + 1):
        x, y, wrapped = next(it)
        if wrapped:
            state = None
        opt.zero_grad()
        logits, state = model(x, state)
        state = tuple(s.detach() for s in state)
        loss = lossf(logits.reshape(-1, len(chars)), y.reshape(-1))
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), a["clip"])
        opt.step()
        sched.step()
        row = {"step": step, "loss": loss.item(), "gradNorm": float(norm)}
        last = step == a["steps"]
        if step % a["validateEvery"] == 0 or step % a["checkpointEvery"] == 0 or last:
            val = row["valLoss"] = validate()
        if step % a["checkpointEvery"] == 0 or last:
            checkpoint(step, val)
        history.append(row)
    train_seconds = time.perf_counter() - t_train
    with open(os.path.join(a["out"], "train-log.json"), "w") as f:
        json.dump({"config": a, "vocabSize": len(chars), "history": history}, f)
    print(json.dumps({
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "vocab": len(chars),
        "trainSeconds": train_seconds,
        "scriptSeconds": time.perf_counter() - t_start,
        "finalLoss": history[-1]["loss"],
        "valLoss": val,
    }))


if __name__ == "__main__":
    main()
