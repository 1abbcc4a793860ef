// CLI entry: start the emulator from flags, print where it listens, stop cleanly on a signal.

import { parseCliArgs, USAGE, type CliCommand } from './cli-args.ts';
import { startEmulator } from './emulator.ts';
import type { Emulator } from './types.ts';

let command: CliCommand;
try {
  command = parseCliArgs(Bun.argv.slice(2));
} catch (error) {
  console.error(`kimi emulator: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
  process.exit(2);
}

if (command.kind === 'help') {
  console.log(USAGE);
  process.exit(0);
}

let emulator: Emulator;
try {
  emulator = startEmulator(command.options);
} catch (error) {
  // Typically the port is taken.
  console.error(`kimi emulator: cannot start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await emulator.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
// Printed last: whoever waits for this line may signal the process at once.
console.log(`kimi emulator listening on ${emulator.url}`);
