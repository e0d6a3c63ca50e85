/**
 * Load a learner's TypeScript file at run time (Node only). The installed CLI runs compiled
 * JavaScript, so the .ts file goes through tsx's loader (`tsImport`, esbuild underneath),
 * scoped to this one import: nothing else in the process is transpiled. Each call loads the
 * file afresh (a new namespace), so `check` always sees what is on disk.
 *
 * tsx is an optional peer dependency (a devDependency of a clone): it is imported only here,
 * when a learner's file is checked, and its absence is reported with the command to fix it.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { KiokuError } from '../../util/errors.js';

async function loadTsx(): Promise<typeof import('tsx/esm/api')> {
  try {
    return await import('tsx/esm/api');
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new KiokuError(
      `kioku exercise check loads your TypeScript with tsx (an optional peer dependency), which could not be loaded: npm install tsx (${msg})`,
    );
  }
}

export async function loadLearnerFile(file: string): Promise<Record<string, unknown>> {
  if (!existsSync(file)) throw new KiokuError(`${file}: no such file (run \`kioku exercise start\` first)`);
  const { tsImport } = await loadTsx();
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
