// `qshield demo`: the local demo. It needs the gateway and the workload sidecar, which are
// not built yet; until then it says so and exits non-zero rather than pretending.
import type { Command } from '../io.ts';
import { EXIT } from '../io.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the local demo (CA, gateway, two workload sidecars) — not available yet',
  usage: 'qshield demo [--dir DIR] [--broker amqp://…] [--once]',
  async run(_args, io) {
    io.stderr.write('qshield demo: the local demo is not available yet: it arrives with the gateway and the workload sidecar.\n'
      + 'What works today: qshield ca init, svid issue, svid verify, bundle (see README.md).\n');
    return EXIT.failed;
  },
};
