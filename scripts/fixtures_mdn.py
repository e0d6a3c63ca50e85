#!/usr/bin/python3
"""Golden values for kioku's mixture density output layer (Graves 2013 §4, eqs. 18-26).

An *independent* PyTorch computation of the handwriting loss: the bivariate Gaussians are
`torch.distributions.MultivariateNormal` with an explicit 2x2 covariance (not the closed form
kioku uses), the mixture is `logsumexp(log_softmax(pi_hat) + log_prob)`, the end-of-stroke
term is `binary_cross_entropy_with_logits(-e_hat, x3)` (Graves eq. 18: e = sigmoid(-e_hat)),
and the gradient comes from autograd, not from eqs. 27-37. Everything in float64.

    /usr/bin/python3 scripts/fixtures_mdn.py   # writes test/fixtures/mdn.json

Layout of y_hat per row (kioku's): [e_hat, pi_hat(M), mu1(M), mu2(M), log_sigma1(M),
log_sigma2(M), rho_hat(M)]. kioku clamps log_sigma to [-10, 10] and rho_hat to [-5, 5];
the same clamps are applied here with torch.clamp (zero gradient outside).
No `safetensors` package needed: the fixture is JSON.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
SIGMA_HAT_MIN, SIGMA_HAT_MAX, RHO_HAT_MAX = -10.0, 10.0, 5.0


def split(y, M):
    return (y[:, 0], y[:, 1:1 + M], y[:, 1 + M:1 + 2 * M], y[:, 1 + 2 * M:1 + 3 * M],
            y[:, 1 + 3 * M:1 + 4 * M], y[:, 1 + 4 * M:1 + 5 * M], y[:, 1 + 5 * M:1 + 6 * M])


def mdn_loss_rows(y, x, M):
    """Per-row NLL (Graves eq. 26) computed through torch.distributions."""
    e_hat, pi_hat, mu1, mu2, ls1, ls2, rho_hat = split(y, M)
    s1 = torch.exp(torch.clamp(ls1, SIGMA_HAT_MIN, SIGMA_HAT_MAX))
    s2 = torch.exp(torch.clamp(ls2, SIGMA_HAT_MIN, SIGMA_HAT_MAX))
    rho = torch.tanh(torch.clamp(rho_hat, -RHO_HAT_MAX, RHO_HAT_MAX))
    N = y.shape[0]
    cov = torch.empty(N, M, 2, 2)
    cov[..., 0, 0] = s1 * s1
    cov[..., 1, 1] = s2 * s2
    cov[..., 0, 1] = rho * s1 * s2
    cov[..., 1, 0] = rho * s1 * s2
    loc = torch.stack([mu1, mu2], dim=-1)  # [N, M, 2]
    dist = torch.distributions.MultivariateNormal(loc, covariance_matrix=cov)
    pts = x[:, None, :2].expand(N, M, 2)
    log_mix = torch.logsumexp(F.log_softmax(pi_hat, dim=-1) + dist.log_prob(pts), dim=-1)
    eos = F.binary_cross_entropy_with_logits(-e_hat, x[:, 2], reduction='none')
    return -log_mix + eos


def make_case(name, M, N, gen, mask=None, clamp_probe=False, scale_mu=1.0):
    K = 1 + 6 * M
    y = torch.randn(N, K, generator=gen)
    y[:, 1 + M:1 + 3 * M] *= scale_mu  # means
    y[:, 1 + 3 * M:1 + 5 * M] = y[:, 1 + 3 * M:1 + 5 * M] * 0.5 - 0.3  # log sigmas
    y[:, 1 + 5 * M:] *= 1.2  # rho_hat
    if clamp_probe:
        # Some outputs outside the clamps: their gradient must be exactly 0.
        y[0, 1 + 3 * M] = -11.0
        y[1, 1 + 4 * M + 1] = 10.5
        y[2, 1 + 5 * M + 2] = 6.0
        y[3, 1 + 5 * M] = -5.5
    x = torch.randn(N, 3, generator=gen)
    x[:, 2] = (torch.rand(N, generator=gen) < 0.3).double()
    y.requires_grad_(True)
    rows = mdn_loss_rows(y, x, M)
    w = torch.ones(N) if mask is None else torch.tensor(mask, dtype=torch.float64)
    loss = (rows * w).sum()
    loss.backward()
    # Mixture parameters with sampling bias b (eqs. 61-62) for row 0.
    b = 0.7
    _, pi_hat, _, _, ls1, ls2, _ = split(y.detach(), M)
    pi_b = torch.softmax(pi_hat[0] * (1 + b), dim=-1)
    s1_b = torch.exp(torch.clamp(ls1[0], SIGMA_HAT_MIN, SIGMA_HAT_MAX) - b)
    s2_b = torch.exp(torch.clamp(ls2[0], SIGMA_HAT_MIN, SIGMA_HAT_MAX) - b)
    return {
        'name': name, 'M': M, 'N': N,
        'yhat': y.detach().reshape(-1).tolist(),
        'target': x.reshape(-1).tolist(),
        'mask': None if mask is None else list(mask),
        'loss': loss.item(),
        'rowLoss': (rows * w).detach().tolist(),
        'grad': y.grad.reshape(-1).tolist(),
        'bias': b,
        'piBiased': pi_b.tolist(),
        'sigma1Biased': s1_b.tolist(),
        'sigma2Biased': s2_b.tolist(),
    }


def main():
    gen = torch.Generator().manual_seed(1308_0850)
    cases = [
        make_case('M=1 N=5', 1, 5, gen),
        make_case('M=3 N=7 masked', 3, 7, gen, mask=[1, 1, 0, 1, 0, 1, 1]),
        make_case('M=20 N=6 (121 outputs)', 20, 6, gen),
        make_case('M=4 N=5 clamps active', 4, 5, gen, clamp_probe=True),
        make_case('M=5 N=4 far targets', 5, 4, gen, scale_mu=3.0),
    ]
    out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'mdn.json')
    with open(out, 'w') as f:
        json.dump({'torch': torch.__version__, 'cases': cases}, f)
    print(f'wrote {len(cases)} cases to {os.path.normpath(out)}')


if __name__ == '__main__':
    main()
