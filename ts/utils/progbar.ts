// Keras 3's progress bar: `469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - accuracy: 0.8030 - loss: 0.6453`.
// On a terminal it redraws in place; elsewhere it writes the finished line only.

/** The options of `Progbar`. */
export interface ProgbarOptions {
  /** 1: a bar (redrawn on a TTY, final line elsewhere); 2: the final line without the bar. */
  verbose?: 1 | 2;
  /** Default 20, as Keras. */
  width?: number;
  /** The unit in the speed ('3ms/step'); default 'step'. */
  unitName?: string;
  /** Where it writes (default process.stdout); it redraws in place when the stream is a TTY. */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
}

/** Formats a metric value as Keras does: 4 decimals, or scientific for tiny values. */
export function formatValue(value: number): string {
  return Math.abs(value) < 1e-3 && value !== 0 ? value.toExponential(4) : value.toFixed(4);
}

function formatDuration(seconds: number): string {
  if (seconds >= 3600) {
    const h = Math.floor(seconds / 3600);
    const m = Math.floor((seconds % 3600) / 60);
    return `${h}:${String(m).padStart(2, '0')}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  }
  if (seconds >= 60) return `${Math.floor(seconds / 60)}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
  return `${Math.round(seconds)}s`;
}

function formatPerUnit(seconds: number, unit: string): string {
  if (seconds >= 1) return `${Math.round(seconds)}s/${unit}`;
  if (seconds >= 1e-3) return `${Math.round(seconds * 1e3)}ms/${unit}`;
  return `${Math.round(seconds * 1e6)}us/${unit}`;
}

/**
 * Keras 3's progress bar (`469/469 ━━━━━━━━━━━━━━━━━━━━ 3s 6ms/step - loss: 0.6453`): `update(current, values)`
 * redraws it in place on a terminal; elsewhere only the finished line is written.
 */
export class Progbar {
  private readonly start = performance.now();
  private readonly verbose: 1 | 2;
  private readonly width: number;
  private readonly unitName: string;
  private readonly stream: NonNullable<ProgbarOptions['stream']>;
  private readonly dynamic: boolean;
  private lastLength = 0;

  /** @param target The total number of steps (0 or less: unknown). */
  constructor(
    readonly target: number,
    options: ProgbarOptions = {},
  ) {
    this.verbose = options.verbose ?? 1;
    this.width = options.width ?? 20;
    this.unitName = options.unitName ?? 'step';
    this.stream = options.stream ?? process.stdout;
    this.dynamic = Boolean(this.stream.isTTY);
  }

  /** Shows progress at `current` units with the given running values. */
  update(current: number, values: Record<string, number> = {}, finalize = current >= this.target): void {
    const elapsed = (performance.now() - this.start) / 1000;
    const perUnit = current > 0 ? elapsed / current : 0;
    const metrics = Object.keys(values)
      .sort()
      .map((k) => ` - ${k}: ${formatValue(values[k])}`)
      .join('');
    if (this.verbose === 2) {
      if (finalize) this.stream.write(`${current}/${this.target > 0 ? this.target : 'Unknown'} - ${formatDuration(elapsed)} - ${formatPerUnit(perUnit, this.unitName)}${metrics}\n`);
      return;
    }
    if (!this.dynamic && !finalize) return;
    if (this.target <= 0) {
      // An unknown total (a generator's first epoch): Keras prints "12/Unknown" and no bar.
      this.write(`${current}/Unknown ${formatDuration(elapsed)} ${formatPerUnit(perUnit, this.unitName)}${metrics}`, finalize);
      return;
    }
    const digits = String(this.target).length;
    const filled = Math.floor((this.width * Math.min(current, this.target)) / Math.max(1, this.target));
    const bar = this.dynamic ? `\x1b[32m${'━'.repeat(filled)}\x1b[0m\x1b[37m${'━'.repeat(this.width - filled)}\x1b[0m` : '━'.repeat(this.width);
    const time = finalize ? `${formatDuration(elapsed)} ${formatPerUnit(perUnit, this.unitName)}` : `${formatDuration(perUnit * (this.target - current))} ${formatPerUnit(perUnit, this.unitName)}`;
    this.write(`${String(current).padStart(digits)}/${this.target} ${bar} ${time}${metrics}`, finalize);
  }

  /** Redraws the line in place on a TTY, else writes it as a line of its own. */
  private write(line: string, finalize: boolean): void {
    if (this.dynamic) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: removes the ANSI colour codes (ESC [ ... m) before measuring
      const visible = line.replace(/\x1b\[[0-9;]*m/g, '').length;
      this.stream.write(`\r${line}${' '.repeat(Math.max(0, this.lastLength - visible))}${finalize ? '\n' : ''}`);
      this.lastLength = visible;
    } else {
      this.stream.write(`${line}\n`);
    }
  }
}
