// HTTP/1.1 pipelining over TLS with Node's HTTP server: requests that arrive while the server
// holds back reading (a response is still being written under backpressure) must wait, not fail.
//
// Node's HTTP server hands a TLS socket's stream to its C++ parser ("consumes" it). When a request
// arrives while the socket cannot take more output, the server stops reading and pauses that
// parser. TLS does not honour the stop within one read: it decrypts every record that read brought
// in and passes each to the parser in turn, so a pipelined request in a later record of the same
// read meets the paused parser and fails with HPE_PAUSED (a 400 and a closed connection, in the
// middle of the pipeline). Node resumes the parser whenever a small answer is queued, so it fails
// when the request before is answered with a large message, or not at once (a broker round trip).
//
// The fix: the first time the server stops reading a connection, make it parse that connection
// from the socket's 'data' events instead (Node's HTTP server does that as soon as a 'data'
// listener is added). 'data' events honour the pause: records decrypted after it wait in the
// socket's buffer until the server resumes. Connections that never meet backpressure, nearly all
// of them, keep the consumed parser: parsing every connection from 'data' events cost a bare
// HTTPS server up to a third more CPU per request in one ad-hoc measurement (and was within the
// noise in another, on a loaded machine).
//
// The switch has to mend one thing. The server's own 'pause' listener, which ran before this one,
// stopped the TLS stream's reads, and the switch removes the 'resume' listener that would restart
// them; the socket's readable side meanwhile still counts the read it started at the handshake as
// in flight (a consumed socket never pushes, so that read never completed), so it would never
// read again and the connection would stall. An empty push ends that read (the documented effect
// of `readable.push('')`): the socket reads again, into its own bounded buffer, and hands the data
// to the parser once the server resumes it.
import type { TLSSocket } from 'node:tls';

/**
 * Makes Node's HTTP server parse `socket` from 'data' events from the first time it stops
 * reading. Call it from a 'secureConnection' listener added after the server was created, so that
 * it runs after the HTTP server has taken the socket over.
 */
export function parseFromDataEventsOncePaused(socket: TLSSocket): void {
  socket.once('pause', () => {
    const unconsume = (): void => undefined;
    socket.on('data', unconsume);
    socket.removeListener('data', unconsume);
    if (!socket.destroyed) socket.push(Buffer.alloc(0));
  });
}
