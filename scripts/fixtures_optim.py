#!/usr/bin/python3
"""Golden values for kioku's optimizers, LR schedules and gradient clipping.

Runs PyTorch (float64) on a few parameters of odd shapes with a fixed, deterministic
sequence of gradients, and records every parameter value after every step, the norms
`clip_grad_norm_` returned, and learning-rate trajectories of the schedulers. The Graves
2013 RMSprop variant (not in PyTorch) is computed in numpy float64 straight from the
paper's equations 38-45.

    /usr/bin/python3 scripts/fixtures_optim.py   # writes test/fixtures/optim.json

Option names in the output are kioku's (camelCase), so the test can pass them directly.
"""
import json
import math
import os
import warnings

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
# SequentialLR calls scheduler.step(0) internally, which warns about a deprecation; harmless here.
warnings.filterwarnings('ignore', message='The epoch parameter')
STEPS = 5
SHAPES = [[3, 5], [7], [2, 1, 2]]
CLIP_MAX_NORM = 0.5
GRAD_SCALES = [1.0, 0.3, 2.0, 0.05, 1.5]  # some steps clip at 0.5, some do not

gen = torch.Generator().manual_seed(20240613)
INIT = [torch.randn(s, generator=gen) for s in SHAPES]
GRADS = [[torch.randn(s, generator=gen) * GRAD_SCALES[k] for s in SHAPES] for k in range(STEPS)]


def flat(ts):
    return [t.detach().reshape(-1).tolist() for t in ts]


# (name, kioku kind, kioku options, torch constructor, torch kwargs)
OPTIMIZERS = [
    ('sgd_momentum', 'sgd', {'lr': 0.1, 'momentum': 0.9}, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    ('sgd_nesterov_wd', 'sgd', {'lr': 0.1, 'momentum': 0.9, 'nesterov': True, 'weightDecay': 0.01},
     torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ('sgd_dampening', 'sgd', {'lr': 0.05, 'momentum': 0.8, 'dampening': 0.3},
     torch.optim.SGD, dict(lr=0.05, momentum=0.8, dampening=0.3)),
    ('rmsprop', 'rmsprop', {'lr': 0.01}, torch.optim.RMSprop, dict(lr=0.01)),
    ('rmsprop_centered_momentum', 'rmsprop', {'lr': 0.01, 'centered': True, 'momentum': 0.9, 'weightDecay': 0.01},
     torch.optim.RMSprop, dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.01)),
    ('adagrad', 'adagrad', {'lr': 0.1}, torch.optim.Adagrad, dict(lr=0.1)),
    ('adagrad_decay_wd_init', 'adagrad',
     {'lr': 0.1, 'lrDecay': 0.05, 'weightDecay': 0.01, 'initialAccumulatorValue': 0.1, 'eps': 1e-6},
     torch.optim.Adagrad, dict(lr=0.1, lr_decay=0.05, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-6)),
    ('adam', 'adam', {'lr': 0.01}, torch.optim.Adam, dict(lr=0.01)),
    ('adam_amsgrad_wd', 'adam', {'lr': 0.01, 'betas': [0.8, 0.99], 'weightDecay': 0.1, 'amsgrad': True},
     torch.optim.Adam, dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ('adamw', 'adamw', {'lr': 0.01}, torch.optim.AdamW, dict(lr=0.01)),
    ('adamw_amsgrad', 'adamw', {'lr': 0.01, 'weightDecay': 0.1, 'amsgrad': True, 'eps': 1e-6},
     torch.optim.AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True, eps=1e-6)),
]


def run_torch(ctor, kwargs, clip, schedule=None):
    params = [torch.nn.Parameter(t.clone()) for t in INIT]
    opt = ctor(params, **kwargs)
    sched = schedule(opt) if schedule else None
    traj, norms, lrs = [], [], []
    for k in range(STEPS):
        for p, g in zip(params, GRADS[k]):
            p.grad = g.clone()
        if clip:
            norms.append(float(torch.nn.utils.clip_grad_norm_(params, CLIP_MAX_NORM)))
        lrs.append(opt.param_groups[0]['lr'])
        opt.step()
        if sched:
            sched.step()
        traj.append(flat(params))
    return traj, norms, lrs


def graves_reference(lr, alpha, momentum, eps, clip):
    """Graves 2013 eqs. 38-45 in numpy float64, independent of the TypeScript code."""
    w = [t.numpy().copy() for t in INIT]
    n = [np.zeros_like(x) for x in w]
    g = [np.zeros_like(x) for x in w]
    delta = [np.zeros_like(x) for x in w]
    traj, norms = [], []
    for k in range(STEPS):
        e = [x.numpy().copy() for x in GRADS[k]]
        if clip:
            total = math.sqrt(sum(float((x * x).sum()) for x in e))
            norms.append(total)
            coef = CLIP_MAX_NORM / (total + 1e-6)
            if coef < 1:
                e = [x * coef for x in e]
        for i in range(len(w)):
            n[i] = alpha * n[i] + (1 - alpha) * e[i] ** 2
            g[i] = alpha * g[i] + (1 - alpha) * e[i]
            delta[i] = momentum * delta[i] - lr * e[i] / np.sqrt(n[i] - g[i] ** 2 + eps)
            w[i] = w[i] + delta[i]
        traj.append([x.reshape(-1).tolist() for x in w])
    return traj, norms


cases = []
for name, kind, options, ctor, kwargs in OPTIMIZERS:
    for clip in (False, True):
        traj, norms, lrs = run_torch(ctor, kwargs, clip)
        cases.append(dict(name=name + ('+clip' if clip else ''), kind=kind, options=options,
                          clipMaxNorm=CLIP_MAX_NORM if clip else None, norms=norms, lrs=lrs, trajectory=traj))

# An optimizer whose lr a scheduler changes between steps (tests Optimizer.lr + applySchedule).
traj, _, lrs = run_torch(torch.optim.Adam, dict(lr=0.01), False,
                         lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=2, gamma=0.5))
cases.append(dict(name='adam_steplr', kind='adam', options={'lr': 0.01}, clipMaxNorm=None, norms=[], lrs=lrs,
                  trajectory=traj, schedule={'kind': 'step', 'stepSize': 2, 'gamma': 0.5}))

for name, options in [('graves_rmsprop_paper_defaults', {'lr': 1e-4, 'alpha': 0.95, 'momentum': 0.9, 'eps': 1e-4}),
                      ('graves_rmsprop_lr1e-2', {'lr': 1e-2, 'alpha': 0.9, 'momentum': 0.5, 'eps': 1e-3})]:
    for clip in (False, True):
        traj, norms = graves_reference(options['lr'], options['alpha'], options['momentum'], options['eps'], clip)
        cases.append(dict(name=name + ('+clip' if clip else ''), kind='graves-rmsprop', options=options,
                          clipMaxNorm=CLIP_MAX_NORM if clip else None, norms=norms,
                          lrs=[options['lr']] * STEPS, trajectory=traj, reference='numpy, Graves 2013 eqs. 38-45'))


# Learning-rate trajectories: lr used by update k (k = 0..N-1), read before optimizer.step().
def lr_trajectory(make, base_lr=0.1, n=25):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]['lr'])
        p.grad = torch.zeros(1)
        opt.step()
        sched.step()
    return out


L = torch.optim.lr_scheduler
schedules = [
    dict(name='step', json={'kind': 'step', 'stepSize': 3, 'gamma': 0.5},
         lrs=lr_trajectory(lambda o: L.StepLR(o, step_size=3, gamma=0.5))),
    dict(name='exponential', json={'kind': 'exponential', 'gamma': 0.9},
         lrs=lr_trajectory(lambda o: L.ExponentialLR(o, gamma=0.9))),
    dict(name='cosine', json={'kind': 'cosine', 'tMax': 10, 'etaMin': 0.001},
         lrs=lr_trajectory(lambda o: L.CosineAnnealingLR(o, T_max=10, eta_min=0.001))),
    # Linear warm-up over 4 steps, then cosine: PyTorch's LinearLR + SequentialLR.
    dict(name='warmup4_cosine', json={'kind': 'warmup', 'warmupSteps': 4,
                                      'then': {'kind': 'cosine', 'tMax': 10, 'etaMin': 0.001}},
         lrs=lr_trajectory(lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=1 / 4, end_factor=1.0, total_iters=3),
                                                         L.CosineAnnealingLR(o, T_max=10, eta_min=0.001)],
                                                    milestones=[4]))),
    dict(name='warmup3_step', json={'kind': 'warmup', 'warmupSteps': 3,
                                    'then': {'kind': 'step', 'stepSize': 4, 'gamma': 0.3}},
         lrs=lr_trajectory(lambda o: L.SequentialLR(o, [L.LinearLR(o, start_factor=1 / 3, end_factor=1.0, total_iters=2),
                                                         L.StepLR(o, step_size=4, gamma=0.3)],
                                                    milestones=[3]))),
]

# Clipping on one set of gradients (3x the first step's): returned norm and clipped grads.
CLIP_GRADS = [g * 3 for g in GRADS[0]]


def clip_case(name, fn):
    grads = [g.clone() for g in CLIP_GRADS]
    params = []
    for g in grads:
        p = torch.nn.Parameter(torch.zeros_like(g))
        p.grad = g
        params.append(p)
    ret = fn(params)
    return dict(name=name, returned=None if ret is None else float(ret), grads=flat([p.grad for p in params]))


clips = dict(
    grads=flat(CLIP_GRADS),
    cases=[
        dict(fn='norm', maxNorm=0.5, normType=2,
             **clip_case('l2', lambda ps: torch.nn.utils.clip_grad_norm_(ps, 0.5, 2))),
        dict(fn='norm', maxNorm=0.3, normType='inf',
             **clip_case('inf', lambda ps: torch.nn.utils.clip_grad_norm_(ps, 0.3, float('inf')))),
        dict(fn='norm', maxNorm=1.5, normType=3,
             **clip_case('l3', lambda ps: torch.nn.utils.clip_grad_norm_(ps, 1.5, 3))),
        dict(fn='norm', maxNorm=1.0, normType=1,
             **clip_case('l1', lambda ps: torch.nn.utils.clip_grad_norm_(ps, 1.0, 1))),
        dict(fn='norm', maxNorm=100.0, normType=2,
             **clip_case('l2_no_clip', lambda ps: torch.nn.utils.clip_grad_norm_(ps, 100.0, 2))),
        dict(fn='value', clipValue=0.2,
             **clip_case('value', lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.2))),
    ],
)
param_norm = float(torch.norm(torch.stack([torch.norm(t) for t in INIT])))

out = dict(
    generator='scripts/fixtures_optim.py',
    torch=torch.__version__,
    steps=STEPS,
    shapes=SHAPES,
    init=flat(INIT),
    grads=[flat(gs) for gs in GRADS],
    initParamNorm=param_norm,
    cases=cases,
    schedules=schedules,
    clips=clips,
)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'optim.json')
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, 'w') as f:
    json.dump(out, f, separators=(',', ':'))
    f.write('\n')
print(f'wrote {os.path.normpath(path)}: {len(cases)} optimizer cases, {len(schedules)} schedules, '
      f'{len(clips["cases"])} clip cases, {os.path.getsize(path)} bytes')
