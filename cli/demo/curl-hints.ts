// What the running demo suggests trying by hand: curl commands against the producer's and the
// consumer's sidecars — plain HTTP on localhost, as an application in the pod would call them —
// and one against the gateway itself, which speaks mTLS only, to see what the broker holds.
import { CSRF_HEADER, messagePath } from './app-client.ts';
import type { DemoEndpoints } from './demo-layout.ts';

/** Single-quoted for a POSIX shell. */
function sq(text: string): string {
  return `'${text.replaceAll('\'', '\'\\\'\'')}'`;
}

function put(sidecar: string, queue: string, text: string): string {
  return `curl -i -X POST -H ${sq(`${CSRF_HEADER}: x`)} -H ${sq('content-type: text/plain; charset=utf-8')} --data ${sq(text)} ${sq(sidecar + messagePath(queue))}`;
}

function get(sidecar: string, queue: string): string {
  return `curl -i -X DELETE -H ${sq(`${CSRF_HEADER}: x`)} ${sq(`${sidecar}${messagePath(queue)}?wait=5000`)}`;
}

/** A workload's SVID files and the trust bundle, for a client of the gateway. */
export interface ClientFiles {
  readonly cert: string;
  readonly key: string;
  readonly bundle: string;
}

/**
 * A browse at the gateway with a workload's SVID, its body (the stored envelope) shown by
 * openssl. The gateway's SVID names localhost, so curl can check it by host name.
 */
function browseAtGateway(gateway: string, queue: string, client: ClientFiles): string {
  const url = new URL(gateway);
  url.hostname = 'localhost';
  return `curl -sS --cert ${sq(client.cert)} --key ${sq(client.key)} --cacert ${sq(client.bundle)} ${sq(`${url.origin}${messagePath(queue)}`)} | openssl asn1parse -inform DER -i | head -n 12`;
}

/** Comment lines (`#`) and commands, in the order to try them. */
export function curlHints(e: DemoEndpoints, client: ClientFiles): string[] {
  const { producer, consumer } = e.sidecars;
  return [
    `# put a message through the producer's sidecar: signed, then encrypted for the consumer (${e.queues.privacy})`,
    put(producer, e.queues.privacy, 'hello from the producer'),
    '# what the broker holds: browse it at the gateway (mTLS, the producer\'s SVID) — a CMS AuthEnvelopedData',
    browseAtGateway(e.gateway, e.queues.privacy, client),
    '# get it through the consumer\'s sidecar: decrypted and its signer checked',
    get(consumer, e.queues.privacy),
    `# the consumer is no authorized signer of ${e.queues.integrity}: the gateway refuses its put (403, MQRC 2063)`,
    put(consumer, e.queues.integrity, 'signed by the wrong workload'),
    `# other queues: ${e.queues.plain} (no protection), ${e.queues.integrity} (signed), ${e.queues.confidentiality} (encrypted)`,
    put(producer, e.queues.confidentiality, 'for the consumer\'s eyes only'),
    get(consumer, e.queues.confidentiality),
  ];
}
