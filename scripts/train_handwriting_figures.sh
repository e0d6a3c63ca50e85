#!/bin/sh
# Regenerate the figures of docs/handwriting.md from the pretrained models in models/handwriting/
# (run scripts/train_handwriting.sh first). Only PNGs are kept in docs/ (the commands also write SVG).
#
#   sh scripts/train_handwriting_figures.sh
set -e
cd "$(dirname "$0")/.."
KIOKU="node --import tsx --input-type=module --eval import{main}from'./src/cli/main.ts';import{useBackend}from'./src/tensor/select.ts';useBackend(process.env.KIOKU_BACKEND??'auto');main(process.argv.slice(1)).then(c=>process.exit(c))"
OUT=docs/figures/handwriting
LINE=valid:3
mkdir -p "$OUT"
$KIOKU handwriting data --count 5 --png-scale 1.5 --out "$OUT/data"
for cell in rnn lstm gru; do
  $KIOKU handwriting sample --model "$cell" --steps 500 --count 3 --bias 0.5 --seed 1 --png-scale 1.25 --out "$OUT/sample-$cell"
  $KIOKU handwriting density --model "$cell" --line "$LINE" --png-scale 1.25 --out "$OUT/density-$cell"
done
$KIOKU handwriting sample --model lstm --steps 400 --count 2 --bias 1 --seed 2 --prime valid:7 --prime-points 120 --png-scale 1.25 --out "$OUT/primed-lstm"
$KIOKU handwriting sample --model lstm --steps 500 --count 3 --bias 0 --seed 1 --png-scale 1.25 --out "$OUT/sample-lstm-b0"
$KIOKU handwriting compare --models rnn,lstm,gru --out "$OUT/curves"
$KIOKU handwriting hairs --model lstm --line "$LINE" --count 40 --length 15 --png-scale 1.5 --out "$OUT/hairs-lstm"
rm -f "$OUT"/curves.svg "$OUT"/data.svg "$OUT"/sample-*.svg "$OUT"/density-*.svg "$OUT"/primed-*.svg "$OUT"/hairs-*.svg
ls -la "$OUT"
