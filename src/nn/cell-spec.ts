/**
 * What the cell registry (`cells.ts`) knows about a recurrent cell. A cell is one file that
 * exports its layer class and its `CellSpec`; registering the spec (`registerCell`) makes it
 * a choice of every model, experiment and `--cell` flag.
 */
import type { RecurrentBase, RecurrentOptions, StateSlot } from './recurrent.js';

/** Options only some cells take (a cell lists the ones it accepts in `CellSpec.extras`). */
export interface CellExtras {
  /** LSTM: initial forget-gate bias b_if + b_hf (Gers et al. 2000; Jozefowicz et al. 2015). */
  forgetBias?: number;
  /** LSTM: peephole connections from the cell to the gates (Graves 2013 eqs. 7-11). */
  peephole?: boolean;
  /** Simple RNN: the activation, 'tanh' (default) or 'relu'. */
  nonlinearity?: 'tanh' | 'relu';
}

/** Everything a cell factory takes: the options every recurrent layer has, plus the extras. */
export type CellOptions = RecurrentOptions & CellExtras;

/** One registered cell. */
export interface CellSpec {
  /** Lower-case name used in configs, checkpoints and `--cell` (e.g. 'lstm'). */
  readonly name: string;
  /** Display name (e.g. 'LSTM'). */
  readonly title: string;
  /** Gate blocks G stacked in W_ih [G·H, I] and W_hh [G·H, H]: LSTM 4 (i, f, g, o), GRU 3, RNN 1. */
  readonly gates: number;
  /** The gate blocks' names in weight order (`gates` of them), e.g. ['i', 'f', 'g', 'o']. */
  readonly gateNames: readonly string[];
  /** The state slots the cell carries between calls: ['h'] or ['h', 'c']. */
  readonly stateSlots: readonly StateSlot[];
  /** One line for help texts and docs. */
  readonly description: string;
  /** The `CellExtras` keys this cell accepts; setting another one is an error. */
  readonly extras: readonly (keyof CellExtras)[];
  /**
   * The settings models start from unless they say otherwise (e.g. the LSTM's forget-gate
   * bias 1, as in char-rnn). The bare layer constructors keep PyTorch's initialisation.
   */
  readonly defaults: Readonly<CellExtras>;
  /** Build the layer. */
  create(opts: CellOptions): RecurrentBase;
}
