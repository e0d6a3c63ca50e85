/**
 * The benchmark configurations of issue #4. Each trains embedding (or raw input) → stacked
 * recurrent layers → Linear → softmax cross-entropy with Adam and global-norm clipping 5,
 * on synthetic token streams (throughput does not depend on the text).
 */
export interface BenchConfig {
  name: string;
  /** One line for the table. */
  label: string;
  cell: 'lstm' | 'gru';
  layers: number;
  hidden: number;
  batch: number;
  steps: number; // T, the BPTT length of one training step
  /** Token vocabulary (embedding in, softmax out); 0 for real-valued input. */
  vocab: number;
  /** Real-valued input width (W: pen offsets) when vocab = 0. */
  inputSize: number;
  /** Output classes (W: a 121-wide head standing in for the MDN's 121 outputs). */
  outputs: number;
  /** Gradient checkpointing every this many steps (`RecurrentOptions.gradCheckpoint`); absent or 0: off. */
  gradCheckpoint?: number;
}

export const CONFIGS: BenchConfig[] = [
  {
    name: 'S',
    label: 'LSTM 1x128, vocab 80, B=32, T=64',
    cell: 'lstm',
    layers: 1,
    hidden: 128,
    batch: 32,
    steps: 64,
    vocab: 80,
    inputSize: 0,
    outputs: 80,
  },
  {
    name: 'M',
    label: 'LSTM 2x128, vocab 80, B=50, T=50',
    cell: 'lstm',
    layers: 2,
    hidden: 128,
    batch: 50,
    steps: 50,
    vocab: 80,
    inputSize: 0,
    outputs: 80,
  },
  {
    name: 'L',
    label: 'LSTM 2x512, vocab 80, B=64, T=100',
    cell: 'lstm',
    layers: 2,
    hidden: 512,
    batch: 64,
    steps: 100,
    vocab: 80,
    inputSize: 0,
    outputs: 80,
  },
  {
    name: 'G',
    label: 'GRU 1x128, vocab 80, B=32, T=64',
    cell: 'gru',
    layers: 1,
    hidden: 128,
    batch: 32,
    steps: 64,
    vocab: 80,
    inputSize: 0,
    outputs: 80,
  },
  {
    name: 'W',
    label: 'LSTM 3x400, input 3, B=32, T=300, 121 out',
    cell: 'lstm',
    layers: 3,
    hidden: 400,
    batch: 32,
    steps: 300,
    vocab: 0,
    inputSize: 3,
    outputs: 121,
  },
  {
    // A Japanese character vocabulary (the course's own): the output layer and the embedding
    // dominate — [B·T, V] logits of 2048 × 3000 per step, 1.5 M of the 2.1 M parameters.
    name: 'J',
    label: 'LSTM 1x256, vocab 3000 (Japanese characters), B=32, T=64',
    cell: 'lstm',
    layers: 1,
    hidden: 256,
    batch: 32,
    steps: 64,
    vocab: 3000,
    inputSize: 0,
    outputs: 3000,
  },
];

/** A deliberately small configuration for the end-to-end test of the bench itself. */
export const TINY: BenchConfig = {
  name: 'tiny',
  label: 'LSTM 1x16, vocab 11, B=3, T=5',
  cell: 'lstm',
  layers: 1,
  hidden: 16,
  batch: 3,
  steps: 5,
  vocab: 11,
  inputSize: 0,
  outputs: 11,
};

/**
 * A configuration by name: one of `CONFIGS`, `tiny`, or `<name>/k<n>` — the configuration
 * with gradient checkpointing every n steps (e.g. `W/k20`; PyTorch runs its
 * `torch.utils.checkpoint` equivalent). Unknown names are an error listing the known ones.
 */
export function configByName(name: string): BenchConfig {
  const m = /^([A-Za-z]+)\/k(\d+)$/.exec(name);
  const base = m ? m[1] : name;
  const c = base === 'tiny' ? TINY : CONFIGS.find((x) => x.name === base);
  if (!c)
    throw new Error(
      `unknown configuration '${name}' (known: ${CONFIGS.map((x) => x.name).join(', ')}, tiny; add /k<n> for gradient checkpointing every n steps)`,
    );
  if (!m) return c;
  const k = Number(m[2]);
  if (k < 1) throw new Error(`configuration '${name}': the checkpoint segment must be at least 1 step`);
  return { ...c, name, label: `${c.label}, gradient checkpointing every ${k} steps`, gradCheckpoint: k };
}
