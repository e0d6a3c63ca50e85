#!/bin/sh
# Train the three pretrained handwriting models (Graves 2013 §4) shipped in models/handwriting/:
# RNN, LSTM and GRU prediction networks of equal parameter budget (~148k: 2 × 100 LSTM units;
# the RNN and GRU hidden sizes are chosen by --budget), on the built-in Hershey data.
#
#   sh scripts/train_handwriting.sh            # all three, one after the other
#   sh scripts/train_handwriting.sh lstm       # one of them
#
# Each run takes ~10-20 minutes on one shared core with the WASM backend. Trains into the run directory
# runs/handwriting/<cell>/ (handwriting.safetensors) and copies its model to models/handwriting/<cell>.safetensors (stored as float16) and its
# validation curve to docs/figures/handwriting/curve-<cell>.{svg,png}.
set -e
cd "$(dirname "$0")/.."
# The WASM SIMD backend where it runs (~7x faster than the reference kernels); KIOKU_BACKEND=js to compare.
KIOKU="node --import tsx --input-type=module --eval import{main}from'./src/cli/main.ts';import{useBackend}from'./src/tensor/select.ts';useBackend(process.env.KIOKU_BACKEND??'auto');main(process.argv.slice(1)).then(c=>process.exit(c))"
BUDGET=148321
COMMON="--layers 2 --mixtures 20 --batch 16 --seq-len 150 --steps 3000 --optimizer adam --lr 0.002 --lr-final 0.1 --clip-output 100 --clip-layer 10 --clip-norm 10 --eval-every 250 --seed 1 --data builtin --data-seed 1"
for cell in ${@:-rnn lstm gru}; do
  $KIOKU handwriting train --cell "$cell" --budget $BUDGET $COMMON --out "runs/handwriting/$cell" --overwrite
  cp "runs/handwriting/$cell/handwriting.safetensors" "models/handwriting/$cell.safetensors"
  # shipped as float16 (half the size), its validation numbers re-measured on those weights
  node --import tsx scripts/float16-models.ts "models/handwriting/$cell.safetensors"
  cp "runs/handwriting/$cell/curve.svg" "docs/figures/handwriting/curve-$cell.svg"
  cp "runs/handwriting/$cell/curve.png" "docs/figures/handwriting/curve-$cell.png"
done
