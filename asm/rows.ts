// Row broadcasts and column sums: the bias add of a whole sequence and the bias gradient.

/** y[r, :] += v for `rows` rows of width `cols`. */
export function addRowVector(y: usize, rows: i32, cols: i32, v: usize): void {
  const c4 = cols & ~3;
  for (let r = 0; r < rows; r++) {
    const row = y + <usize>(r * cols * 4);
    let j = 0;
    for (; j < c4; j += 4) {
      const o = <usize>(j * 4);
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(v + o)));
    }
    for (; j < cols; j++) {
      const o = <usize>(j * 4);
      store<f32>(row + o, load<f32>(row + o) + load<f32>(v + o));
    }
  }
}

/**
 * out[:] += Σ_r x[r, :]. Rows are added into `out` one after another, the order the
 * reference uses, so the float32 results are the same bit for bit.
 */
export function sumRowsAccumulate(x: usize, rows: i32, cols: i32, out: usize): void {
  const c4 = cols & ~3;
  let j = 0;
  // 16 columns at a time kept in registers across all rows.
  for (; j + 16 <= cols; j += 16) {
    const o = <usize>(j * 4);
    let s0 = v128.load(out + o), s1 = v128.load(out + o, 16), s2 = v128.load(out + o, 32), s3 = v128.load(out + o, 48);
    for (let r = 0; r < rows; r++) {
      const p = x + <usize>(r * cols * 4) + o;
      s0 = f32x4.add(s0, v128.load(p));
      s1 = f32x4.add(s1, v128.load(p, 16));
      s2 = f32x4.add(s2, v128.load(p, 32));
      s3 = f32x4.add(s3, v128.load(p, 48));
    }
    v128.store(out + o, s0); v128.store(out + o, s1, 16); v128.store(out + o, s2, 32); v128.store(out + o, s3, 48);
  }
  for (; j < c4; j += 4) {
    const o = <usize>(j * 4);
    let s = v128.load(out + o);
    for (let r = 0; r < rows; r++) s = f32x4.add(s, v128.load(x + <usize>(r * cols * 4) + o));
    v128.store(out + o, s);
  }
  for (; j < cols; j++) {
    const o = <usize>(j * 4);
    let s = load<f32>(out + o);
    for (let r = 0; r < rows; r++) s += load<f32>(x + <usize>(r * cols * 4) + o);
    store<f32>(out + o, s);
  }
}
