// A malformed request pipelined behind whole ones (HTTP/1.1) is answered after them. Node's HTTP
// server reports a request it cannot parse as 'clientError' at once, while answers to the
// requests before it may still be on their way; writing the 400 then would overtake them (a put
// already stored would read as refused) and, as the 400 closes the connection, cut them off.
// So the reply waits until every whole request of the connection is answered. A request whose
// own body is what is malformed is not whole (its handler waits for a body that will not come):
// it does not hold the reply back, and gets it at once.
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';

/**
 * Tracks the unanswered requests of each connection of `server` and hands back a function that
 * calls `reply` for a client error at once, or once the connection's whole requests are answered.
 * Must be called before the server's first request.
 */
export function orderedClientErrorReplies(
  server: HttpServer | HttpsServer,
  reply: (err: NodeJS.ErrnoException, socket: Socket) => void,
): (err: NodeJS.ErrnoException, socket: Socket) => void {
  const unanswered = new WeakMap<Socket, Set<IncomingMessage>>();
  const owed = new WeakMap<Socket, () => void>();
  const wholeUnanswered = (socket: Socket): boolean => {
    for (const req of unanswered.get(socket) ?? []) if (req.complete) return true;
    return false;
  };
  server.prependListener('request', (req: IncomingMessage, res) => {
    const socket = req.socket;
    let open = unanswered.get(socket);
    if (open === undefined) unanswered.set(socket, (open = new Set()));
    open.add(req);
    res.once('close', () => {
      open.delete(req);
      const pending = owed.get(socket);
      if (pending !== undefined && !wholeUnanswered(socket)) pending();
    });
  });
  return (err, socket) => {
    if (!wholeUnanswered(socket)) {
      reply(err, socket);
      return;
    }
    owed.set(socket, () => {
      owed.delete(socket);
      if (socket.writable) reply(err, socket);
    });
  };
}
