/** The views worker (pad, generation explorer), started when one of those views first opens. */
import { Engine } from './engine.js';
import type { EngineInfo } from './protocol.js';
import type { ViewsRequest } from './views-protocol.js';

interface Started {
  engine: Engine<ViewsRequest>;
  info: Promise<EngineInfo>;
}
let started: Started | null = null;

function start(): Started {
  if (!started) {
    const engine = new Engine<ViewsRequest>(
      new Worker(new URL('./views-worker.ts', import.meta.url), { type: 'module' }),
    );
    started = { engine, info: engine.call<EngineInfo>({ type: 'init' }) };
  }
  return started;
}

/** The shared views engine (its backend starts with the first call). */
export function viewsEngine(): Engine<ViewsRequest> {
  return start().engine;
}

/** What backend the views worker runs (after its init). */
export function viewsEngineInfo(): Promise<EngineInfo> {
  return start().info;
}
