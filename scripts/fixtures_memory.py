#!/usr/bin/python3
"""PyTorch golden values for kioku's memory wing (src/wings/memory), float64.

An independent implementation of the same equations in torch with autograd:
  NTM (Graves, Wayne & Danihelka 2014): content addressing (eqs. 5-6), interpolation (7),
  circular shift (8), sharpening (9), erase/add write (3-4), read (2); LSTM controller;
  Collier & Beel (2018) initial state: M_0 = 1e-6, r_0 = tanh(b_r), w_0 = softmax(b_w).
  DNC (Graves et al. 2016, Methods): retention, usage, allocation over usage sorted
  ascending (the permutation is constant for autograd, as in the paper), write weighting,
  temporal link matrix and precedence, forward/backward/content read modes.
For each model it writes the parameters (kioku/PyTorch state_dict names), inputs, the
logits, per-step weightings, memories, and the gradient of L = sum(logits * proj) with
respect to every parameter, to test/fixtures/memory.json.

    apt-get install -y python3-torch libopenblas0-openmp
    /usr/bin/python3 scripts/fixtures_memory.py
"""
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'memory.json')
torch.set_default_dtype(torch.float64)
COS_EPS = 1e-6
SHARP_EPS = 1e-12
MEM_INIT = 1e-6


def lstm_step(p, x, h, c):
    gates = x @ p['controller.lstm.weight_ih_l0'].T + p['controller.lstm.bias_ih_l0'] \
        + h @ p['controller.lstm.weight_hh_l0'].T + p['controller.lstm.bias_hh_l0']
    i, f, g, o = gates.chunk(4, dim=1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c = f * c + i * g
    return o * torch.tanh(c), c


def content(mem, k, beta):
    """eqs. 5-6: mem [B, N, M], k [B, M], beta [B] -> [B, N]"""
    dots = (mem @ k.unsqueeze(2)).squeeze(2)
    denom = k.norm(dim=1, keepdim=True) * mem.norm(dim=2) + COS_EPS
    return torch.softmax(beta.unsqueeze(1) * dots / denom, dim=1)


def ntm_address(raw, mem, w_prev, M, S):
    k = torch.tanh(raw[:, :M])
    beta = torch.nn.functional.softplus(raw[:, M])
    g = torch.sigmoid(raw[:, M + 1]).unsqueeze(1)
    s = torch.softmax(raw[:, M + 2:M + 2 + S], dim=1)
    gamma = 1 + torch.nn.functional.softplus(raw[:, M + 2 + S]).unsqueeze(1)
    wc = content(mem, k, beta)
    wg = g * wc + (1 - g) * w_prev  # eq. 7
    h = (S - 1) // 2
    wt = sum(torch.roll(wg, shifts=kk - h, dims=1) * s[:, kk:kk + 1] for kk in range(S))  # eq. 8
    pw = (wt + SHARP_EPS) ** gamma
    return pw / pw.sum(dim=1, keepdim=True)  # eq. 9


def ntm(p, x, cfg):
    T, B, X = x.shape
    H, N, M, R, Wh, S = cfg['H'], cfg['N'], cfg['M'], cfg['R'], cfg['Wh'], 3
    ws = M + 3 + S + 2 * M
    rs = M + 3 + S
    mem = torch.full((B, N, M), MEM_INIT)
    r = torch.tanh(p['init_read']).reshape(1, R * M).expand(B, R * M)
    w_prev = [torch.softmax(p['init_weighting'][i], dim=0).unsqueeze(0).expand(B, N) for i in range(Wh + R)]
    h = torch.zeros(B, H)
    c = torch.zeros(B, H)
    logits, weightings, memories = [], [], []
    for t in range(T):
        h, c = lstm_step(p, torch.cat([x[t], r], dim=1), h, c)
        xi = h @ p['head_weight'].T + p['head_bias']
        off = 0
        ws_t = []
        for i in range(Wh):
            raw = xi[:, off:off + ws]
            off += ws
            w = ntm_address(raw, mem, w_prev[i], M, S)
            e = torch.sigmoid(raw[:, M + 3 + S:M + 3 + S + M])
            a = torch.tanh(raw[:, M + 3 + S + M:])
            mem = mem * (1 - w.unsqueeze(2) * e.unsqueeze(1)) + w.unsqueeze(2) * a.unsqueeze(1)  # eqs. 3-4
            ws_t.append(w)
        reads = []
        for i in range(R):
            raw = xi[:, off:off + rs]
            off += rs
            w = ntm_address(raw, mem, w_prev[Wh + i], M, S)
            reads.append((w.unsqueeze(1) @ mem).squeeze(1))  # eq. 2
            ws_t.append(w)
        r = torch.cat(reads, dim=1)
        w_prev = ws_t
        logits.append(torch.cat([h, r], dim=1) @ p['output.weight'].T + p['output.bias'])
        weightings.append(torch.stack(ws_t, dim=1))  # [B, heads, N]
        memories.append(mem)
    return torch.stack(logits), {'weightings': torch.stack(weightings), 'memory': torch.stack(memories)}


def oneplus(v):
    return 1 + torch.nn.functional.softplus(v)


def allocation(u):
    """a[phi_j] = (1 - u[phi_j]) prod_{i<j} u[phi_i]; the sort permutation is a constant."""
    su, idx = torch.sort(u, dim=1, stable=True)
    prefix = torch.cumprod(torch.cat([torch.ones_like(su[:, :1]), su[:, :-1]], dim=1), dim=1)
    a_sorted = (1 - su) * prefix
    return torch.zeros_like(u).scatter(1, idx, a_sorted)


def dnc(p, x, cfg):
    T, B, X = x.shape
    H, N, W, R = cfg['H'], cfg['N'], cfg['W'], cfg['R']
    mem = torch.full((B, N, W), MEM_INIT)
    usage = torch.zeros(B, N)
    prec = torch.zeros(B, N)
    link = torch.zeros(B, N, N)
    ww = torch.zeros(B, N)
    wr = torch.zeros(B, R, N)
    r = torch.zeros(B, R * W)
    h = torch.zeros(B, H)
    c = torch.zeros(B, H)
    eye = torch.eye(N)
    out = {'write': [], 'read': [], 'usage': [], 'memory': [], 'link': []}
    logits = []
    for t in range(T):
        h, c = lstm_step(p, torch.cat([x[t], r], dim=1), h, c)
        xi = h @ p['interface_weight'].T + p['interface_bias']
        o = 0

        def take(n):
            nonlocal o
            v = xi[:, o:o + n]
            o += n
            return v
        read_keys = take(R * W).reshape(B, R, W)
        read_str = oneplus(take(R))
        write_key = take(W)
        write_str = oneplus(take(1)).squeeze(1)
        erase = torch.sigmoid(take(W))
        write_vec = take(W)
        free = torch.sigmoid(take(R))
        g_alloc = torch.sigmoid(take(1))
        g_write = torch.sigmoid(take(1))
        modes = torch.softmax(take(3 * R).reshape(B, R, 3), dim=2)
        psi = torch.prod(1 - free.unsqueeze(2) * wr, dim=1)
        usage = (usage + ww - usage * ww) * psi
        a = allocation(usage)
        cw = content(mem, write_key, write_str)
        ww = g_write * (g_alloc * a + (1 - g_alloc) * cw)
        mem = mem * (1 - ww.unsqueeze(2) * erase.unsqueeze(1)) + ww.unsqueeze(2) * write_vec.unsqueeze(1)
        link = ((1 - ww.unsqueeze(2) - ww.unsqueeze(1)) * link + ww.unsqueeze(2) * prec.unsqueeze(1)) * (1 - eye)
        prec = (1 - ww.sum(dim=1, keepdim=True)) * prec + ww
        fwd = (link @ wr.transpose(1, 2)).transpose(1, 2)  # f^i = L w^{r,i}
        bwd = (wr @ link)  # b^i = L^T w^{r,i}
        cr = torch.stack([content(mem, read_keys[:, i], read_str[:, i]) for i in range(R)], dim=1)
        wr = modes[:, :, 0:1] * bwd + modes[:, :, 1:2] * cr + modes[:, :, 2:3] * fwd
        r = (wr @ mem).reshape(B, R * W)
        logits.append(torch.cat([h, r], dim=1) @ p['output.weight'].T + p['output.bias'])
        out['write'].append(ww)
        out['read'].append(wr)
        out['usage'].append(usage)
        out['memory'].append(mem)
        out['link'].append(link)
    return torch.stack(logits), {k: torch.stack(v) for k, v in out.items()}


def params_for(kind, cfg, g):
    r = lambda *s: (torch.rand(*s, generator=g) - 0.5)
    H, X, Y = cfg['H'], cfg['X'], cfg['Y']
    if kind == 'ntm':
        M, R, Wh, S = cfg['M'], cfg['R'], cfg['Wh'], 3
        P = Wh * (M + 3 + S + 2 * M) + R * (M + 3 + S)
        ctrl_in = X + R * M
        p = {'head_weight': r(P, H), 'head_bias': r(P), 'init_read': r(R, M), 'init_weighting': r(Wh + R, cfg['N'])}
        out_in = H + R * M
    else:
        W, R = cfg['W'], cfg['R']
        P = R * W + 3 * W + 5 * R + 3
        ctrl_in = X + R * W
        p = {'interface_weight': r(P, H), 'interface_bias': r(P)}
        out_in = H + R * W
    p['controller.lstm.weight_ih_l0'] = r(4 * H, ctrl_in)
    p['controller.lstm.weight_hh_l0'] = r(4 * H, H)
    p['controller.lstm.bias_ih_l0'] = r(4 * H)
    p['controller.lstm.bias_hh_l0'] = r(4 * H)
    p['output.weight'] = r(Y, out_in)
    p['output.bias'] = r(Y)
    return {k: v.requires_grad_() for k, v in p.items()}


def case(kind, cfg, seed):
    g = torch.Generator().manual_seed(seed)
    p = params_for(kind, cfg, g)
    x = torch.rand(cfg['T'], cfg['B'], cfg['X'], generator=g)
    logits, views = (ntm if kind == 'ntm' else dnc)(p, x, cfg)
    proj = torch.rand(*logits.shape, generator=g) * 2 - 1
    (logits * proj).sum().backward()
    flat = lambda t: [float(v) for v in t.detach().reshape(-1)]
    return {
        'model': kind,
        'config': cfg,
        'params': {k: {'shape': list(v.shape), 'data': flat(v)} for k, v in p.items()},
        'x': flat(x),
        'proj': flat(proj),
        'logits': flat(logits),
        'views': {k: {'shape': list(v.shape), 'data': flat(v)} for k, v in views.items()},
        'grads': {k: flat(v.grad) for k, v in p.items()},
    }


def main():
    cases = [
        case('ntm', {'X': 4, 'Y': 3, 'H': 6, 'N': 7, 'M': 5, 'R': 2, 'Wh': 2, 'T': 6, 'B': 2}, 1),
        case('dnc', {'X': 4, 'Y': 3, 'H': 7, 'N': 6, 'W': 5, 'R': 3, 'T': 6, 'B': 2}, 2),
    ]
    with open(OUT, 'w') as f:
        json.dump({'torch': torch.__version__, 'cases': cases}, f, separators=(',', ':'))
        f.write('\n')
    print(f'wrote {OUT} ({os.path.getsize(OUT)} bytes)')


if __name__ == '__main__':
    main()
