// A real HTTPS server on 127.0.0.1:0 that records every request and answers from a script:
// the stand-in SIEM of the event-sink integration tests.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** What to do with request number n (0-based): a status, a status with headers, or never answer. */
export type Responder = (n: number, req: RecordedRequest) => number | { status: number; headers?: Record<string, string> } | 'hang';

export interface RecordingServer {
  readonly url: string;
  readonly port: number;
  readonly requests: RecordedRequest[];
  /** TLS handshakes that failed (client refused our certificate, …). */
  readonly tlsErrors: number;
  close(): Promise<void>;
}

export async function startRecordingServer(tls: { keyPem: string; certPem: string }, respond: Responder = () => 200): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  let tlsErrors = 0;
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const n = requests.length;
      requests.push(recorded);
      const answer = respond(n, recorded);
      if (answer === 'hang') return;
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(status < 300 ? '{"ok":true}' : '{"error":"scripted"}');
    });
  });
  server.on('tlsClientError', () => {
    tlsErrors++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `https://127.0.0.1:${port}/ingest`,
    port,
    requests,
    get tlsErrors() {
      return tlsErrors;
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
