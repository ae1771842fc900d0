/**
 * Readable log lines for a terminal, without a dependency: pino writes its JSON line here and this prints
 * `12:03:04.567 INFO  presence-bridge started  address=http://… redis=redis://…` instead. The fields are the
 * same ones the JSON carries (already redacted by pino), so nothing is shown on a terminal that would not be in
 * the JSON log. Errors print their stack below the line. Used when `log.format` is `pretty`, or `auto` on a TTY.
 */
const LEVELS: Record<number, { name: string; color: string }> = {
  10: { name: 'TRACE', color: '90' },
  20: { name: 'DEBUG', color: '36' },
  30: { name: 'INFO ', color: '32' },
  40: { name: 'WARN ', color: '33' },
  50: { name: 'ERROR', color: '31' },
  60: { name: 'FATAL', color: '35' },
};

/** Fields every line has, or that say nothing on a terminal. */
const HIDDEN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service', 'err']);

interface Line {
  level?: number;
  time?: number;
  msg?: string;
  err?: { message?: string; stack?: string };
  [field: string]: unknown;
}

export function formatPretty(json: string, color: boolean): string {
  let line: Line;
  try {
    line = JSON.parse(json) as Line;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const level = LEVELS[line.level ?? 30] ?? { name: String(line.level), color: '0' };
  const time = new Date(line.time ?? Date.now()).toISOString().slice(11, 23);
  const fields = Object.entries(line)
    .filter(([key, value]) => !HIDDEN.has(key) && value !== undefined)
    .map(
      ([key, value]) =>
        `${paint('90', `${key}=`)}${typeof value === 'string' ? value : JSON.stringify(value)}`,
    );
  let text = `${paint('90', time)} ${paint(level.color, level.name)} ${line.msg ?? ''}`;
  if (fields.length > 0) text += `  ${fields.join(' ')}`;
  if (line.err)
    text += `\n    ${(line.err.stack ?? line.err.message ?? JSON.stringify(line.err)).replaceAll('\n', '\n    ')}`;
  return `${text}\n`;
}

/** A pino destination that writes formatted lines to `out` (with ANSI colours when `color`). */
export function prettyDestination(
  out: NodeJS.WritableStream,
  color: boolean,
): { write(chunk: string): boolean } {
  return { write: (chunk: string) => out.write(formatPretty(chunk.trimEnd(), color)) };
}
