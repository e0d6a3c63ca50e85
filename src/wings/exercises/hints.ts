/**
 * Which hint level a learner has seen, per exercise, kept in `<dir>/.kioku-hints.json` so
 * `kioku exercise hint NAME` goes one level further each time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../node/atomic.js';
import { KiokuError } from '../../util/errors.js';

export const HINT_STATE_FILE = '.kioku-hints.json';

export function readHintLevels(dir: string): Record<string, number> {
  const file = join(dir, HINT_STATE_FILE);
  if (!existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new KiokuError(
      `${file}: not valid JSON (${err instanceof Error ? err.message : String(err)}); delete it to start the hints again`,
    );
  }
  const out: Record<string, number> = {};
  if (parsed !== null && typeof parsed === 'object') {
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v === 'number' && Number.isInteger(v) && v >= 0) out[k] = v;
    }
  }
  return out;
}

/** Record that `level` hints of `name` have been shown; returns the new state. */
export function writeHintLevel(dir: string, name: string, level: number): Record<string, number> {
  const state = { ...readHintLevels(dir), [name]: level };
  writeFileAtomic(
    join(dir, HINT_STATE_FILE),
    new TextEncoder().encode(JSON.stringify(state, null, 2) + '\n'),
  );
  return state;
}
