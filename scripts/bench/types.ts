// Shared shapes of the benchmark: the options every section receives and the section
// contract. A section is one exported `run` function; scripts/bench.ts lists them in order.

export interface BenchOptions {
  /** Sections to run, by name; empty = all, in the order bench.ts lists them. */
  only: string[];
  /** Overrides every cell's measured duration (seconds). */
  durationS: number | null;
  /** Short cells (2 s, 0.5 s warm-up) for a quick look. */
  quick: boolean;
  /** Where each section writes `<section>.json`. */
  outDir: string;
  /** Run the gateway from this compiled binary (bun run build) instead of `bun src/main.ts`. */
  gatewayBin: string | null;
}

export interface BenchContext {
  options: BenchOptions;
  /** Repository root: cwd of every child process. */
  root: string;
  /** Progress lines (stderr), kept apart from the report on stdout. */
  progress(line: string): void;
}

export interface BenchSection {
  name: string;
  description: string;
  /** Runs only when named in --only (e.g. a profiling run that is not a measurement). */
  onlyWhenNamed?: boolean;
  run(ctx: BenchContext): Promise<void>;
}
