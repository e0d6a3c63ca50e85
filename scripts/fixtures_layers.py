#!/usr/bin/python3
"""Generate PyTorch golden values for kioku's recurrent layers (tier 2 of the test plan).

For RNN (tanh, relu), LSTM and GRU x {1, 2 layers} x {uni, bi} x {with, without lengths}
this runs torch.nn.{RNN,LSTM,GRU} in float32 on small random inputs and saves, per case,
one safetensors file in test/fixtures/torch/ with the inputs, weights (PyTorch
state_dict names), outputs, final states and every gradient of the scalar loss

    L = sum(output * dOutput) + sum(hN * dhN) [+ sum(cN * dcN)]

so the TypeScript suite can replay the case without Python. Also a Linear +
cross-entropy case (with ignore_index). Run with Debian's python3-torch:

    /usr/bin/python3 scripts/fixtures_layers.py
"""
import json
import os
import sys

import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(__file__))
from safetensors_py import save_file  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'torch')
T, B, I, H = 5, 3, 3, 4
LENGTHS = [5, 2, 4]


def run_case(cell, nonlinearity, layers, bidirectional, with_lengths, seed):
    torch.manual_seed(seed)
    D = 2 if bidirectional else 1
    kwargs = dict(input_size=I, hidden_size=H, num_layers=layers, bidirectional=bidirectional)
    if cell == 'rnn':
        mod = torch.nn.RNN(nonlinearity=nonlinearity, **kwargs)
    elif cell == 'lstm':
        mod = torch.nn.LSTM(**kwargs)
    else:
        mod = torch.nn.GRU(**kwargs)
    x = torch.randn(T, B, I, requires_grad=True)
    h0 = (0.5 * torch.randn(layers * D, B, H)).requires_grad_(True)
    c0 = (0.5 * torch.randn(layers * D, B, H)).requires_grad_(True)
    d_out = torch.randn(T, B, D * H)
    dh_n = torch.randn(layers * D, B, H)
    dc_n = torch.randn(layers * D, B, H)
    state = (h0, c0) if cell == 'lstm' else h0
    if with_lengths:
        packed = pack_padded_sequence(x, torch.tensor(LENGTHS), enforce_sorted=False)
        out_p, fin = mod(packed, state)
        out, _ = pad_packed_sequence(out_p, total_length=T)
    else:
        out, fin = mod(x, state)
    h_n, c_n = fin if cell == 'lstm' else (fin, None)
    loss = (out * d_out).sum() + (h_n * dh_n).sum()
    if c_n is not None:
        loss = loss + (c_n * dc_n).sum()
    loss.backward()

    t = {'x': x, 'h0': h0, 'dOutput': d_out, 'dhN': dh_n, 'output': out, 'hN': h_n, 'dx': x.grad, 'dh0': h0.grad}
    if cell == 'lstm':
        t.update({'c0': c0, 'dcN': dc_n, 'cN': c_n, 'dc0': c0.grad})
    for name, p in mod.named_parameters():
        t['param.' + name] = p
        t['grad.' + name] = p.grad
    tensors = {k: v.detach().contiguous().float() for k, v in t.items()}
    name = f"{cell}{'_' + nonlinearity if cell == 'rnn' else ''}_l{layers}_{'bi' if bidirectional else 'uni'}{'_len' if with_lengths else ''}"
    meta = {
        'case': name, 'cell': cell, 'nonlinearity': nonlinearity, 'inputSize': I, 'hiddenSize': H,
        'numLayers': layers, 'bidirectional': bidirectional, 'T': T, 'B': B,
        'lengths': LENGTHS if with_lengths else None, 'torch': torch.__version__,
    }
    save_file(tensors, os.path.join(OUT, name + '.safetensors'), {'case': json.dumps(meta)})
    return name


def linear_xent(seed):
    torch.manual_seed(seed)
    fc = torch.nn.Linear(6, 5)
    x = torch.randn(7, 6, requires_grad=True)
    targets = torch.tensor([0, 4, -100, 2, 1, 3, -100])
    loss = torch.nn.functional.cross_entropy(fc(x), targets, ignore_index=-100)
    loss.backward()
    tensors = {
        'x': x, 'targets': targets.float(), 'param.weight': fc.weight, 'param.bias': fc.bias,
        'loss': loss.reshape(1), 'dx': x.grad, 'grad.weight': fc.weight.grad, 'grad.bias': fc.bias.grad,
    }
    tensors = {k: v.detach().contiguous().float() for k, v in tensors.items()}
    meta = {'case': 'linear_xent', 'ignoreIndex': -100, 'torch': torch.__version__}
    save_file(tensors, os.path.join(OUT, 'linear_xent.safetensors'), {'case': json.dumps(meta)})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    seed = 100
    names = []
    for cell, nl in [('rnn', 'tanh'), ('rnn', 'relu'), ('lstm', 'tanh'), ('gru', 'tanh')]:
        for layers in (1, 2):
            for bi in (False, True):
                for with_len in (False, True):
                    seed += 1
                    names.append(run_case(cell, nl, layers, bi, with_len, seed))
    linear_xent(7)
    with open(os.path.join(OUT, 'index.json'), 'w') as f:
        json.dump({'cases': names, 'linear': ['linear_xent'], 'torch': torch.__version__}, f, indent=1)
    print(f'wrote {len(names) + 1} fixtures to {os.path.normpath(OUT)}')


if __name__ == '__main__':
    main()
