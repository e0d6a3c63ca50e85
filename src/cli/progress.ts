/**
 * Progress display for long work: a cli-progress bar on an interactive terminal, and a
 * plain log line every few seconds otherwise (CI logs, pipes), or nothing with --quiet.
 */
import cliProgress from 'cli-progress';

export interface ProgressFields {
  [field: string]: string | number;
}

export interface Progress {
  update(value: number, fields: ProgressFields): void;
  /** A message that must not be garbled by the bar. */
  log(message: string): void;
  stop(): void;
}

export function createProgress(opts: {
  total: number;
  label: string;
  unit: string;
  quiet?: boolean;
  format?: string;
}): Progress {
  if (opts.quiet) return { update: () => {}, log: () => {}, stop: () => {} };
  const stream = process.stderr;
  if (!stream.isTTY) {
    let last = 0;
    return {
      update(value, fields) {
        const now = Date.now();
        if (now - last < 5000 && value < opts.total) return;
        last = now;
        const extra = Object.entries(fields)
          .map(([k, v]) => `${k} ${v}`)
          .join(' | ');
        stream.write(
          `${opts.label}: ${Math.min(value, opts.total).toFixed(0)}/${opts.total} ${opts.unit} | ${extra}\n`,
        );
      },
      log: (m) => stream.write(m + '\n'),
      stop: () => {},
    };
  }
  const bar = new cliProgress.SingleBar(
    {
      format:
        opts.format ??
        `${opts.label} |{bar}| {percentage}% | {value}/{total} ${opts.unit} | ETA {eta_formatted}`,
      stream,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  // Custom {tokens} show '-' until the first update instead of their literal name.
  const builtIn = new Set([
    'bar',
    'percentage',
    'value',
    'total',
    'eta',
    'eta_formatted',
    'duration',
    'duration_formatted',
  ]);
  const blank: ProgressFields = {};
  for (const m of (opts.format ?? '').matchAll(/\{(\w+)\}/g)) if (!builtIn.has(m[1])) blank[m[1]] = '-';
  bar.start(opts.total, 0, blank);
  return {
    update: (value, fields) => bar.update(Math.min(value, opts.total), fields),
    log: (m) => {
      bar.stop();
      stream.write(m + '\n');
      bar.start(opts.total, 0, blank);
    },
    stop: () => bar.stop(),
  };
}
