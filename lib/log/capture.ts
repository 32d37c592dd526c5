// A destination that keeps log lines in memory as parsed JSON, for tests and for the CLI's
// quiet mode. Lines are parsed, so a test reads exactly what a log shipper would.
import type { DestinationStream } from 'pino';

export interface CapturedLogs extends DestinationStream {
  readonly lines: Record<string, unknown>[];
  readonly raw: string[];
}

export function captureLogs(): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  return {
    lines,
    raw,
    write(chunk: string) {
      for (const line of chunk.split('\n')) {
        if (line.length === 0) continue;
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
    },
  };
}
