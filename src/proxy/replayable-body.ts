import { Readable } from 'node:stream';

type Body = Readable | Buffer | string | null;

/**
 * A request body that can be offered to a second upstream as long as the first never read any of it. A stream
 * body is handed to each attempt through a lazy wrapper that starts reading the client's stream only when the
 * upstream connection asks for data; so after a refused connection the client's stream is untouched and the
 * next attempt gets it whole. Once read, the body is spent: the request is not retried elsewhere.
 */
export class ReplayableBody {
  private started = false;

  constructor(private readonly source: Body) {}

  /** True while no byte of the body has been taken by an upstream (always true for buffered or no body). */
  get unsent(): boolean {
    return !this.started;
  }

  /** The body for the next attempt. */
  take(): Body {
    const source = this.source;
    if (!(source instanceof Readable)) return source;
    let piping = false;
    const started = () => (this.started = true);
    return new Readable({
      read() {
        if (piping) {
          source.resume();
          return;
        }
        piping = true;
        started();
        source.on('data', (chunk: Buffer) => {
          if (!this.push(chunk)) source.pause();
        });
        source.once('end', () => this.push(null));
        source.once('error', (err) => this.destroy(err));
      },
      destroy(err, callback) {
        // An attempt that never read leaves the client's stream for the next one; one that did owns it.
        if (piping && err) source.destroy(err);
        callback(err);
      },
    });
  }
}
