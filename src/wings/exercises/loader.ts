/**
 * Load a learner's TypeScript file at run time (Node only). The installed CLI runs compiled
 * JavaScript, so the .ts file goes through tsx's loader (`tsImport`, esbuild underneath),
 * scoped to this one import: nothing else in the process is transpiled. Each call loads the
 * file afresh (a new namespace), so `check` always sees what is on disk.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { KiokuError } from '../../util/errors.js';

export async function loadLearnerFile(file: string): Promise<Record<string, unknown>> {
  if (!existsSync(file)) throw new KiokuError(`${file}: no such file (run \`kioku exercise start\` first)`);
  let mod: unknown;
  try {
    mod = await tsImport(pathToFileURL(file).href, { parentURL: import.meta.url, tsconfig: false });
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new KiokuError(`${file}: could not be loaded: ${msg}`);
  }
  if (mod === null || typeof mod !== 'object') throw new KiokuError(`${file}: is not a module`);
  return { ...mod };
}
