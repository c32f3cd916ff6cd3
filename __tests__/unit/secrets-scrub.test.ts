import { describe, expect, it } from 'vitest';
import { redact } from '../../src/secrets/redact.js';
import { createScrubber, maskableValues, scrubbedLogger, secretForms, secretsOf, type Secret } from '../../src/secrets/scrub.js';
import { memoryLogger } from '../support/workspace.js';

const TOKEN = `tok en|"dq" 'sq' \`bt\` $HOME \\ end`;
const MULTI = 'first line of it\nsecond|line "q"\r\n  indented third  ';
const SECRETS: Secret[] = [
  { name: 'TOKEN', value: TOKEN },
  { name: 'MULTI', value: MULTI },
  { name: 'SHORT', value: 'ab' },
];

/** Every way a value can be written in what we emit, as a reader could find it. */
function leaks(text: string, value: string): string[] {
  const lines = value
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .filter((l) => l.length >= 3);
  const forms = [value, ...lines, JSON.stringify(value).slice(1, -1), encodeURIComponent(value), value.replace(/'/g, `'\\''`)];
  return forms.filter((form) => text.includes(form));
}

describe('createScrubber', () => {
  const scrub = createScrubber(SECRETS);

  it('replaces a value with spaces, quotes, pipes and backslashes, and each line of a multi-line value', () => {
    expect(scrub.text(`[2/3] RUN echo "got ${TOKEN}" > /x`)).toBe('[2/3] RUN echo "got ***" > /x');
    expect(scrub.text(`before ${MULTI} after`)).toBe('before *** after');
    expect(scrub.text('first line of it')).toBe('***');
    expect(scrub.text('> second|line "q"')).toBe('> ***');
    expect(scrub.text('log:   indented third  ')).toBe('log: ***');
  });

  it('replaces the JSON-escaped, shell-quoted, URL-encoded and workflow-command forms', () => {
    const json = JSON.stringify({ buildargs: { TOKEN, MULTI } });
    expect(leaks(json, TOKEN)).not.toEqual([]);
    expect(leaks(scrub.text(json), TOKEN)).toEqual([]);
    expect(leaks(scrub.text(json), MULTI)).toEqual([]);
    expect(scrub.text(`sh -c 'echo '${TOKEN.replace(/'/g, `'\\''`)}''`)).toBe(`sh -c 'echo '***''`);
    expect(scrub.text(`/build?buildargs=${encodeURIComponent(JSON.stringify({ TOKEN }))}`)).not.toContain(
      encodeURIComponent(TOKEN).slice(0, 10),
    );
    expect(scrub.text('::error::x first line of it%0Asecond|line "q"%0D%0A  indented third  ')).toBe('::error::x ***');
  });

  it('replaces the longer of two overlapping values whole', () => {
    const s = createScrubber([{ value: 'abc' }, { value: 'abcdef' }]);
    expect(s.text('x abcdef y abc z')).toBe('x *** y *** z');
  });

  it('leaves values under 3 characters in free text, but cuts them after their NAME= (image history)', () => {
    expect(scrub.text('about a cab')).toBe('about a cab');
    expect(scrub.text(`RUN |3 MULTI=x SHORT=ab TOKEN=${TOKEN} /bin/sh -c make`)).toBe('RUN |3 MULTI=x SHORT=*** TOKEN=*** /bin/sh -c make');
    expect(scrub.text('SHORT=abc NOTSHORT=ab')).toBe('SHORT=abc NOTSHORT=ab');
  });

  it('scrubs every string of a report, keys too, without touching numbers, digests or the original', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const report = {
      variants: [
        {
          name: 'app',
          head: { status: 'failed', error: `boom ${TOKEN}`, log: ['first line of it', 'ok'], sizeBytes: 12 },
          imageId: digest,
        },
      ],
      layers: { [`/run/${TOKEN}`]: 3 },
    };
    const copy = structuredClone(report);
    const clean = createScrubber([...SECRETS, { value: 'abab' }]).deep(report);
    expect(clean).toEqual({
      variants: [{ name: 'app', head: { status: 'failed', error: 'boom ***', log: ['***', 'ok'], sizeBytes: 12 }, imageId: digest }],
      layers: { '/run/***': 3 },
    });
    expect(report).toEqual(copy);
  });

  it('is a no-op without secrets', () => {
    const none = createScrubber([]);
    expect(none.text('anything *** at all')).toBe('anything *** at all');
    expect(none.deep({ a: ['b'] })).toEqual({ a: ['b'] });
  });
});

describe('secret values', () => {
  it("come from every variant's build args and the extra values, empty ones skipped", () => {
    const secrets = secretsOf([{ buildArgs: { A: 'one', B: '' } }, { buildArgs: { A: 'one', C: 'three' } }], ['ghs_token', '']);
    expect(secrets).toEqual([
      { name: 'A', value: 'one' },
      { name: 'A', value: 'one' },
      { name: 'C', value: 'three' },
      { value: 'ghs_token' },
    ]);
  });

  it('are registered with the masker whole and line by line, when long enough to mask', () => {
    expect(maskableValues(SECRETS)).toEqual([TOKEN, MULTI, 'first line of it', 'second|line "q"', '  indented third  ', 'indented third']);
  });

  it('forms include the raw value and its escaped spellings', () => {
    expect(secretForms('a"b\nc')).toEqual(expect.arrayContaining(['a"b\nc', 'a\\"b\\nc', 'a%22b%0Ac', 'a\\"b\nc', 'a"b%0Ac']));
  });
});

describe('scrubbedLogger and redact', () => {
  it('scrub every message, title and build line before the logger writes it', async () => {
    const memory = memoryLogger();
    const log = scrubbedLogger(memory, createScrubber(SECRETS));
    log.info(`info ${TOKEN}`);
    log.warning(`warn ${TOKEN}`);
    log.buildLine('first line of it');
    await log.group(`group ${TOKEN}`, async () => undefined);
    expect(memory.lines).toEqual(['info ***', '***', '[group] group ***']);
    expect(memory.warnings).toEqual(['warn ***']);
  });

  it('redact cuts build-arg values from build output in the same forms', () => {
    const values = [TOKEN, MULTI];
    expect(redact(`echo "${TOKEN}"`, values)).toBe('echo "***"');
    expect(redact('  indented third  ', values)).toBe('***');
    expect(redact('keeps ab', ['ab'])).toBe('keeps ab');
  });
});
