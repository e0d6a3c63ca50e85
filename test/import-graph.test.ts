// The floor plan holds: no module imports a floor above its own (the core never imports
// src/node, src/wings or src/cli; tensor never imports optim), and src/ has no import cycle.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  backwardEdges,
  coreEscapes,
  findCycles,
  importGraph,
  missingTargets,
} from '../scripts/import-graph.js';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

describe('import graph of src/', () => {
  const graph = importGraph(SRC);

  it('sees the whole tree (every import resolves to a file it read)', () => {
    assert.ok(graph.size > 100, `expected > 100 modules, got ${graph.size}`);
    assert.ok(graph.get('nn/lstm.ts')?.includes('nn/recurrent.ts'), 'nn/lstm.ts -> nn/recurrent.ts');
    assert.deepEqual(missingTargets(graph), []);
  });

  it('has no backward edge (core -> node/wings/cli, or any floor -> a floor above it)', () => {
    assert.deepEqual(coreEscapes(graph), []);
    assert.deepEqual(backwardEdges(graph), []);
  });

  it('has no cycle', () => {
    assert.deepEqual(findCycles(graph), []);
  });

  it('flags a backward edge and a cycle when there is one', () => {
    const bad = new Map([
      ['tensor/a.ts', ['optim/b.ts']],
      ['optim/b.ts', ['tensor/a.ts', 'node/c.ts']],
      ['node/c.ts', []],
    ]);
    assert.deepEqual(backwardEdges(bad), ['tensor/a.ts -> optim/b.ts', 'optim/b.ts -> node/c.ts']);
    assert.deepEqual(coreEscapes(bad), ['optim/b.ts -> node/c.ts']);
    assert.deepEqual(findCycles(bad), ['tensor/a.ts -> optim/b.ts -> tensor/a.ts']);
  });
});
