import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createGatewayLogger, prettyLine } from '../../src/serve/gateway-logger.js';

function sink(isTTY: boolean): { stream: Writable & { isTTY: boolean }; lines: string[] } {
  const lines: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    }),
    { isTTY },
  );
  return { stream, lines };
}

describe('the gateway’s logger (pino)', () => {
  it('writes JSON lines when not on a terminal, from the level asked for up', () => {
    const { stream, lines } = sink(false);
    const logger = createGatewayLogger({ destination: stream, level: 'info' });
    logger.debug({ code: 400 }, 'refused');
    logger.info({ url: 'http://127.0.0.1:8080' }, 'listening');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      level: 30,
      msg: 'listening',
      url: 'http://127.0.0.1:8080',
    });
  });

  it('writes readable lines on a terminal', () => {
    const { stream, lines } = sink(true);
    const logger = createGatewayLogger({ destination: stream, level: 'debug' });
    logger.warn({ host: '127.0.0.1', providers: { openai: 2 } }, 'no admin token');
    const esc = String.fromCharCode(27);
    const line = lines[0] ?? '';
    expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} /);
    expect(line.slice(13)).toBe(
      `${esc}[33mWARN ${esc}[0m no admin token host=127.0.0.1 providers={"openai":2}\n`,
    );
    expect(prettyLine('{"level":20,"time":0,"msg":"m","code":404}', false)).toBe(
      '00:00:00.000 DEBUG m code=404\n',
    );
  });
});
