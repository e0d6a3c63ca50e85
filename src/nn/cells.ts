/**
 * The cell registry: the one list of recurrent cells. Every model, experiment and `--cell`
 * flag reads it, so a new cell is one file (its layer class and its `CellSpec`) plus one
 * `registerCell` call — here for the built-in cells, or in user code:
 *
 * ```ts
 * import { registerCell, createCell } from 'kioku';
 * registerCell({ name: 'mgu', title: 'MGU', gates: 2, stateSlots: ['h'], description: '…',
 *                extras: [], defaults: {}, create: (o) => new MGU(o) });
 * const layer = createCell('mgu', { inputSize: 8, hiddenSize: 16 });
 * ```
 */
import { KiokuError } from '../util/errors.js';
import type { CellExtras, CellOptions, CellSpec } from './cell-spec.js';
import { GRU_CELL } from './gru.js';
import { LSTM_CELL } from './lstm.js';
import { countRecurrentParameters, type RecurrentBase } from './recurrent.js';
import { RNN_CELL } from './rnn.js';

export type { CellExtras, CellOptions, CellSpec } from './cell-spec.js';

const registry = new Map<string, CellSpec>();

/** Add a cell (its name must be new, lower-case letters, digits and dashes). */
export function registerCell(spec: CellSpec): void {
  if (!/^[a-z][a-z0-9-]*$/.test(spec.name))
    throw new KiokuError(
      `registerCell: name must be lower-case letters, digits and dashes, got ${JSON.stringify(spec.name)}`,
    );
  if (registry.has(spec.name))
    throw new KiokuError(`registerCell: a cell named "${spec.name}" is already registered`);
  if (!Number.isInteger(spec.gates) || spec.gates < 1)
    throw new KiokuError(`registerCell ${spec.name}: gates must be a positive integer, got ${spec.gates}`);
  if (spec.gateNames.length !== spec.gates)
    throw new KiokuError(
      `registerCell ${spec.name}: ${spec.gates} gates but ${spec.gateNames.length} gate names`,
    );
  if (spec.stateSlots[0] !== 'h')
    throw new KiokuError(
      `registerCell ${spec.name}: the first state slot must be 'h', got ${JSON.stringify(spec.stateSlots)}`,
    );
  registry.set(spec.name, spec);
}

/** Remove a registered cell (for tests that register a toy cell). */
export function unregisterCell(name: string): boolean {
  return registry.delete(name);
}

/** The names of the registered cells, in registration order (built-ins: rnn, lstm, gru). */
export function cellNames(): string[] {
  return [...registry.keys()];
}

/** The spec of cell `name`; an unknown name is an error listing the known ones. */
export function cellSpec(name: string, where = 'cell'): CellSpec {
  const spec = typeof name === 'string' ? registry.get(name) : undefined;
  if (!spec)
    throw new KiokuError(`${where}: expected one of ${cellNames().join(', ')}, got ${JSON.stringify(name)}`);
  return spec;
}

/** Whether `name` is a registered cell. */
export function isCell(name: unknown): name is string {
  return typeof name === 'string' && registry.has(name);
}

/** Build a layer of cell `name`; setting an extra the cell does not take is an error. */
export function createCell(name: string, opts: CellOptions): RecurrentBase {
  const spec = cellSpec(name);
  const extras: (keyof CellExtras)[] = ['forgetBias', 'peephole', 'nonlinearity'];
  for (const key of extras) {
    const v = opts[key];
    if (v !== undefined && v !== false && !spec.extras.includes(key))
      throw new KiokuError(
        `${spec.title}: ${key} is not an option of this cell (it takes: ${spec.extras.join(', ') || 'none'})`,
      );
  }
  return spec.create(opts);
}

/** Whether cell `name` takes the option `extra` (e.g. `cellTakes('lstm', 'forgetBias')`). */
export function cellTakes(name: string, extra: keyof CellExtras): boolean {
  return cellSpec(name).extras.includes(extra);
}

/** The settings models start from for cell `name` (e.g. `{ forgetBias: 1 }` for the LSTM). */
export function cellDefaults(name: string): CellExtras {
  return { ...cellSpec(name).defaults };
}

/**
 * Trainable scalars of a recurrent layer of cell `name` without building it
 * (`countRecurrentParameters` with the cell's gate count; LSTM peepholes add 3H).
 */
export function recurrentParameterCount(name: string, opts: CellOptions): number {
  const spec = cellSpec(name);
  return countRecurrentParameters({
    gates: spec.gates,
    inputSize: opts.inputSize,
    hiddenSize: opts.hiddenSize,
    numLayers: opts.numLayers ?? 1,
    bidirectional: opts.bidirectional,
    peephole: spec.extras.includes('peephole') && opts.peephole === true,
  });
}

for (const spec of [RNN_CELL, LSTM_CELL, GRU_CELL]) registerCell(spec);
