// CPU placement for the scale section's "redis-server on a CPU of its own" cells: redis-server
// gets the last CPU this process may use, every other process of the cell the rest. That is
// how Redis runs next to a gateway in production (its own host, or at least a core the
// gateway does not need), whereas on a small machine with everything on shared cores
// redis-server's CPU is taken out of the gateway's. Linux only, through taskset (util-linux);
// a process started by a pinned one (the load runner) inherits its placement.

export interface CpuPlacement {
  /** The CPUs this process could use before any pinning, as a taskset list ("0-3"). */
  all: string;
  /** redis-server's CPU. */
  redis: string;
  /** Everything else: the gateways, the emulator, the bench and its load runner. */
  rest: string;
}

/** Where the cells run, or why they cannot (one CPU, no taskset): the report says which. */
export function ownCpuPlacement(): { placement: CpuPlacement } | { skipped: string } {
  if (process.platform !== 'linux') return { skipped: 'CPU pinning is implemented for Linux only' };
  if (Bun.which('taskset') === null) return { skipped: 'taskset (util-linux) was not found' };
  const shown = Bun.spawnSync(['taskset', '-p', '-c', String(process.pid)], { stdout: 'pipe', stderr: 'pipe' });
  const list = /list:\s*(\S+)/.exec(shown.stdout.toString())?.[1];
  const cpus = list === undefined ? [] : expandCpuList(list);
  if (cpus.length < 2) return { skipped: `this process may use ${cpus.length} CPU${cpus.length === 1 ? '' : 's'}; it takes 2` };
  return { placement: { all: list!, redis: String(cpus.at(-1)), rest: cpus.slice(0, -1).join(',') } };
}

/** "0-2,5" → [0, 1, 2, 5]. */
export function expandCpuList(list: string): number[] {
  const cpus: number[] = [];
  for (const part of list.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || !Number.isInteger(from)) return [];
    const last = to === undefined ? from : to;
    if (!Number.isInteger(last) || last < from) return [];
    for (let cpu = from; cpu <= last; cpu++) cpus.push(cpu);
  }
  return cpus;
}

/** Every thread of each process onto `cpus` (a taskset list); throws naming the process that could not be moved. */
export function pinProcesses(pids: readonly number[], cpus: string): void {
  for (const pid of pids) {
    const result = Bun.spawnSync(['taskset', '-a', '-p', '-c', cpus, String(pid)], { stdout: 'ignore', stderr: 'pipe' });
    if (result.exitCode !== 0) throw new Error(`taskset could not move pid ${pid} to CPUs ${cpus}: ${result.stderr.toString().trim()}`);
  }
}
