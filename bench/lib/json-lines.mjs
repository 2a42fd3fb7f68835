/** Calls `fn` with each line of a child's output that is a JSON object (the probes report that way). */
export function onJsonLines(stream, fn) {
  let buf = '';
  stream.on('data', (d) => {
    const lines = (buf + d).split('\n');
    buf = lines.pop();
    for (const l of lines) if (l.startsWith('{')) fn(JSON.parse(l));
  });
}
