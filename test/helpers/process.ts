// A child process for tests: collects its output, waits for a line, stops it.

import type { Subprocess } from 'bun';

export interface RunningProcess {
  proc: Subprocess<'ignore', 'pipe', 'pipe'>;
  output(): string;
  /** The exit code, once the process has exited and all of its output has been read. */
  finished(): Promise<number>;
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export function startProcess(cmd: string[], options: { cwd: string; env: Record<string, string> }): RunningProcess {
  const proc = Bun.spawn(cmd, { cwd: options.cwd, env: options.env, stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' });
  let output = '';
  const waiters: Array<() => void> = [];
  const drain = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      output += decoder.decode(chunk, { stream: true });
      for (const w of waiters.splice(0)) w();
    }
  };
  const drained = Promise.all([drain(proc.stdout), drain(proc.stderr)]);
  return {
    proc,
    output: () => output,
    finished: async () => {
      const code = await proc.exited;
      await drained;
      return code;
    },
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; output:\n${output}`)), timeoutMs);
        const check = () => {
          const line = output.split('\n').find((l) => pattern.test(l));
          if (line !== undefined) {
            clearTimeout(timer);
            resolve(line);
          } else if (proc.exitCode !== null) {
            clearTimeout(timer);
            reject(new Error(`process exited (${proc.exitCode}) before printing ${pattern}; output:\n${output}`));
          } else waiters.push(check);
        };
        check();
        void proc.exited.then(() => waiters.length && check());
      });
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      return proc.exited;
    },
  };
}
