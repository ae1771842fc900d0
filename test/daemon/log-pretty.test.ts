/**
 * The built-in pretty log format (log.format pretty, or auto on a terminal): one readable line per pino line,
 * with the same fields the JSON has (after redaction), colours only when asked, error stacks below the line.
 */
import { describe, expect, it } from 'vitest';
import { formatPretty, prettyDestination } from '../../src/bridge/log-pretty.js';
import { createLogger } from '../../src/bridge/logger.js';

describe('pretty log lines', () => {
  it('formats time, level, message and fields; keys stay redacted', () => {
    const out: string[] = [];
    const sink = { write: (text: string) => out.push(text) };
    const log = createLogger('info', prettyDestination(sink as unknown as NodeJS.WritableStream, false));
    log.warn({ pbx: 'main', auth: { keys: ['secret-key-0123456789'] }, n: 3 }, 'lease round failed');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^\d\d:\d\d:\d\d\.\d{3} WARN {2}lease round failed {2}pbx=main auth=\{"keys":"\[redacted\]"\} n=3\n$/,
    );
  });

  it('colours the level only when asked, and prints an error stack below its line', () => {
    const err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at here' };
    const line = JSON.stringify({ level: 50, time: 0, msg: 'unhandled error', err });
    expect(formatPretty(line, false)).toBe(
      '00:00:00.000 ERROR unhandled error\n    Error: boom\n        at here\n',
    );
    expect(formatPretty(line, true)).toContain('\u001b[31mERROR\u001b[0m');
  });

  it('passes through what is not JSON', () => {
    expect(formatPretty('plain text', false)).toBe('plain text\n');
  });
});
