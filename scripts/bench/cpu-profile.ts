#!/usr/bin/env bun
// Summarises a .cpuprofile (Chrome DevTools format, as `bun --cpu-prof` writes it): top
// functions by self time and by total (inclusive) time, and self time by file. A native
// function (no source location: SQLite's `run`, `fetch`, JSON.stringify…) is named with its
// nearest caller that has one, so `run ← insert (src/sessions/session-repo.ts:40)` tells
// which statement the time went to.
//
//   bun scripts/bench/cpu-profile.ts FILE.cpuprofile [--top N] [--root DIR]

export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based */
  lineNumber: number;
  columnNumber: number;
}

export interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs since the previous sample. */
  timeDeltas: number[];
}

export interface FunctionTime {
  name: string;
  /** file:line, relative to the root when inside it; '' for a native function without a located caller. */
  location: string;
  selfSamples: number;
  totalSamples: number;
}

export interface ProfileSummary {
  /** Samples counted (inside the window, if one was given). */
  samples: number;
  /** The profile's span, or the window's (ms). */
  spanMs: number;
  /** The median gap between samples (ms): what one sample stands for. */
  sampleMs: number;
  functions: FunctionTime[];
  files: { file: string; selfSamples: number }[];
}

const NATIVE_FILE = '(native, no JS caller)';

function relativeLocation(frame: CallFrame, root: string): string {
  let url = frame.url.replace(/^file:\/\//, '');
  if (root !== '' && url.startsWith(root)) url = url.slice(root.length).replace(/^\/+/, '');
  return `${url}:${frame.lineNumber + 1}`;
}

const hasSource = (frame: CallFrame): boolean => frame.url !== '' && frame.lineNumber >= 0;

/** Only samples taken within [fromUs, toUs] (the profile's clock: epoch µs in Bun's profiles) count. */
export interface SampleWindow {
  fromUs: number;
  toUs: number;
}

export function summarizeCpuProfile(profile: CpuProfile, root = '', window?: SampleWindow): ProfileSummary {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }

  // Each node's key (what its self time is booked to) and its file, worked out once.
  const keyCache = new Map<number, { key: string; name: string; location: string; file: string }>();
  const keyOf = (id: number) => {
    const cached = keyCache.get(id);
    if (cached !== undefined) return cached;
    const frame = byId.get(id)!.callFrame;
    const fn = frame.functionName === '' ? '(anonymous)' : frame.functionName;
    let entry: { key: string; name: string; location: string; file: string };
    if (hasSource(frame)) {
      const location = relativeLocation(frame, root);
      entry = { key: `${fn} ${location}`, name: fn, location, file: location.slice(0, location.lastIndexOf(':')) };
    } else {
      let up = parent.get(id);
      while (up !== undefined && !hasSource(byId.get(up)!.callFrame)) up = parent.get(up);
      if (up === undefined) entry = { key: `${fn} [native]`, name: `${fn} [native]`, location: '', file: NATIVE_FILE };
      else {
        const caller = keyOf(up);
        entry = { key: `${fn} ← ${caller.key}`, name: `${fn} [native] ← ${caller.name}`, location: caller.location, file: caller.file };
      }
    }
    keyCache.set(id, entry);
    return entry;
  };

  const functions = new Map<string, FunctionTime>();
  const files = new Map<string, number>();
  const get = (id: number): FunctionTime => {
    const { key, name, location } = keyOf(id);
    let f = functions.get(key);
    if (f === undefined) functions.set(key, (f = { name, location, selfSamples: 0, totalSamples: 0 }));
    return f;
  };

  const counts = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (window !== undefined && (at < window.fromUs || at > window.toUs)) return;
    counts.set(id, (counts.get(id) ?? 0) + 1);
  });
  for (const [id, n] of counts) {
    if (!byId.has(id)) continue;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(root)' || frame.functionName === '(idle)' || frame.functionName === '(program)') continue;
    get(id).selfSamples += n;
    const file = keyOf(id).file;
    files.set(file, (files.get(file) ?? 0) + n);
    // Total time: once per distinct function on the stack.
    const seen = new Set<string>();
    for (let up: number | undefined = id; up !== undefined; up = parent.get(up)) {
      const f = byId.get(up)!.callFrame;
      if (f.functionName === '(root)') break;
      const key = keyOf(up).key;
      if (seen.has(key)) continue;
      seen.add(key);
      get(up).totalSamples += n;
    }
  }

  const deltas = Float64Array.from(profile.timeDeltas).sort();
  const sampleMs = deltas.length === 0 ? 1 : deltas[Math.floor(deltas.length / 2)]! / 1000;
  return {
    samples: [...functions.values()].reduce((n, f) => n + f.selfSamples, 0),
    spanMs: window === undefined ? (profile.endTime - profile.startTime) / 1000 : (window.toUs - window.fromUs) / 1000,
    sampleMs,
    functions: [...functions.values()].sort((a, b) => b.selfSamples - a.selfSamples),
    files: [...files.entries()].map(([file, selfSamples]) => ({ file, selfSamples })).sort((a, b) => b.selfSamples - a.selfSamples),
  };
}

const pct = (n: number, of: number): string => `${((100 * n) / Math.max(1, of)).toFixed(1)} %`.padStart(7);

export function renderProfileSummary(summary: ProfileSummary, top = 30): string {
  const { samples } = summary;
  const line = (f: FunctionTime, first: number, second: number) =>
    `${pct(first, samples)}  ${pct(second, samples)}  ${f.name}${f.location === '' ? '' : `  (${f.location})`}`;
  const byTotal = [...summary.functions].sort((a, b) => b.totalSamples - a.totalSamples);
  return [
    `${samples} samples over ${(summary.spanMs / 1000).toFixed(1)} s, one every ~${summary.sampleMs.toFixed(2)} ms (the sampler sees JavaScript`,
    'and the native functions it calls; time outside them (the HTTP server, the fetch thread, GC threads) is not in the samples)',
    '',
    `top ${top} by self time (share of samples):`,
    '   self    total  function',
    ...summary.functions.slice(0, top).map((f) => line(f, f.selfSamples, f.totalSamples)),
    '',
    `top ${top} by total time (the function and what it calls):`,
    '  total     self  function',
    ...byTotal.slice(0, top).map((f) => line(f, f.totalSamples, f.selfSamples)),
    '',
    "self time by file (native functions booked to their caller's file):",
    ...summary.files.slice(0, top).map((f) => `${pct(f.selfSamples, samples)}  ${f.file}`),
  ].join('\n');
}

if (import.meta.main) {
  let file: string | undefined;
  let top = 30;
  let root = process.cwd();
  const args = Bun.argv.slice(2);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--top') top = Number(args[++i]);
    else if (arg === '--root') root = args[++i] ?? root;
    else if (arg === '--help' || arg === '-h') file = undefined;
    else file = arg;
  }
  if (file === undefined || !Number.isInteger(top) || top <= 0) {
    console.error('Usage: bun scripts/bench/cpu-profile.ts FILE.cpuprofile [--top N] [--root DIR]');
    process.exit(2);
  }
  const profile = (await Bun.file(file).json()) as CpuProfile;
  console.log(renderProfileSummary(summarizeCpuProfile(profile, root), top));
}
