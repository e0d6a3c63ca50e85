#!/bin/sh
# Regenerate the figures of docs/handwriting.md from the pretrained models in models/handwriting/
# (run scripts/train_handwriting.sh first). Only PNGs are kept in docs/ (the commands also write SVG).
# Each command writes into a run directory (runs/handwriting-figures/<name>/<verb>.png); the PNG is
# copied to docs/figures/handwriting/<name>.png.
#
#   sh scripts/train_handwriting_figures.sh
set -e
cd "$(dirname "$0")/.."
KIOKU="node --import tsx --input-type=module --eval import{main}from'./src/cli/main.ts';import{useBackend}from'./src/tensor/select.ts';useBackend(process.env.KIOKU_BACKEND??'auto');main(process.argv.slice(1)).then(c=>process.exit(c))"
OUT=docs/figures/handwriting
RUNS=runs/handwriting-figures
LINE=valid:3
mkdir -p "$OUT"
# fig NAME VERB ARGS...: run `kioku handwriting VERB ARGS --out $RUNS/NAME`, keep its PNG as $OUT/NAME.png
fig() {
  name=$1
  verb=$2
  shift 2
  $KIOKU handwriting "$verb" "$@" --out "$RUNS/$name"
  cp "$RUNS/$name/$verb.png" "$OUT/$name.png"
}
fig data data --count 5 --png-scale 1.5
for cell in rnn lstm gru; do
  fig "sample-$cell" sample --model "$cell" --steps 500 --count 3 --bias 0.5 --seed 1 --png-scale 1.25
  fig "density-$cell" density --model "$cell" --line "$LINE" --png-scale 1.25
done
fig primed-lstm sample --model lstm --steps 400 --count 2 --bias 1 --seed 2 --prime valid:7 --prime-points 120 --png-scale 1.25
fig sample-lstm-b0 sample --model lstm --steps 500 --count 3 --bias 0 --seed 1 --png-scale 1.25
$KIOKU handwriting compare --models rnn,lstm,gru --out "$RUNS/curves"
cp "$RUNS/curves/compare.png" "$OUT/curves.png"
fig hairs-lstm hairs --model lstm --line "$LINE" --count 40 --length 15 --png-scale 1.5
ls -la "$OUT"
