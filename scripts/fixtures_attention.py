#!/usr/bin/python3
"""PyTorch golden values for kioku's Attention (src/nn/attention.ts), float64.

For each score function (dot, general = Luong 2015; additive = Bahdanau 2015) this runs
the same masked global attention in torch with autograd and writes inputs, parameters,
outputs and every gradient of L = sum(context * dContext) to test/fixtures/attention.json.

    /usr/bin/python3 scripts/fixtures_attention.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'attention.json')
Tq, Tk, B, D, A = 3, 5, 2, 4, 3
LENGTHS = [5, 3]


def case(kind, seed):
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: (torch.rand(*s, generator=g, dtype=torch.float64) * 2 - 1)
    q = r(Tq, B, D).requires_grad_()
    k = r(Tk, B, D).requires_grad_()
    params = {}
    if kind == 'general':
        params['weight'] = r(D, D).requires_grad_()
    if kind == 'additive':
        params['query_weight'] = r(A, D).requires_grad_()
        params['key_weight'] = r(A, D).requires_grad_()
        params['bias'] = r(A).requires_grad_()
        params['v'] = r(A).requires_grad_()
    qb = q.permute(1, 0, 2)  # [B, Tq, D]
    kb = k.permute(1, 0, 2)  # [B, Tk, D]
    if kind == 'dot':
        scores = qb @ kb.transpose(1, 2)
    elif kind == 'general':
        scores = qb @ (kb @ params['weight'].T).transpose(1, 2)
    else:
        qp = qb @ params['query_weight'].T  # [B, Tq, A]
        kp = kb @ params['key_weight'].T + params['bias']  # [B, Tk, A]
        e = torch.tanh(qp[:, :, None, :] + kp[:, None, :, :])  # [B, Tq, Tk, A]
        scores = e @ params['v']
    mask = torch.arange(Tk)[None, None, :] < torch.tensor(LENGTHS)[:, None, None]
    scores = scores.masked_fill(~mask, float('-inf'))
    alpha = torch.softmax(scores, dim=-1)  # [B, Tq, Tk]
    ctx = alpha @ kb  # [B, Tq, D]
    context = ctx.permute(1, 0, 2)
    weights = alpha.permute(1, 0, 2)
    dctx = r(Tq, B, D)
    (context * dctx).sum().backward()
    flat = lambda t: t.detach().reshape(-1).tolist()
    return dict(kind=kind, Tq=Tq, Tk=Tk, B=B, Dq=D, Dk=D, A=A, lengths=LENGTHS,
                query=flat(q), keys=flat(k), dContext=flat(dctx),
                params={n: flat(p) for n, p in params.items()},
                context=flat(context), weights=flat(weights),
                dQuery=flat(q.grad), dKeys=flat(k.grad),
                grads={n: flat(p.grad) for n, p in params.items()},
                torch_version=torch.__version__)


if __name__ == '__main__':
    cases = [case(kind, 100 + i) for i, kind in enumerate(['dot', 'general', 'additive'])]
    with open(OUT, 'w') as f:
        json.dump(cases, f)
    print(f'wrote {OUT}')
