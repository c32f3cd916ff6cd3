// Which instruction made which layer: the image config's history walked oldest first, empty layers skipped.
import { describe, expect, it } from 'vitest';
import { describeInstruction, historyFingerprint, layerOrigins, type ListedHistoryEntry } from '../../src/measure/image/history.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => `sha256:${String(i).repeat(64).slice(0, 64)}`);

describe('layerOrigins', () => {
  it('gives each layer the next history entry that is not an empty layer (ENV, ARG, LABEL, CMD)', () => {
    const [base, workdir, run, copy] = ids(4);
    const origins = layerOrigins({
      rootfs: { diff_ids: [base, workdir, run, copy] },
      history: [
        { created_by: '/bin/sh -c #(nop) ADD file:123 in / ' },
        { created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
        { created_by: 'ARG TOKEN', empty_layer: true },
        { created_by: 'ENV A=1', empty_layer: true },
        { created_by: 'LABEL team=size', empty_layer: true },
        // WORKDIR makes a layer (of 0 bytes, or nearly): it is not flagged empty
        { created_by: 'WORKDIR /app' },
        { created_by: 'RUN |1 TOKEN=*** /bin/sh -c make # buildkit' },
        { created_by: 'ENV B=2', empty_layer: true },
        { created_by: 'COPY . /app # buildkit' },
        { created_by: 'CMD ["/app/run"]', empty_layer: true },
      ],
    });
    expect(origins).toEqual([
      { diffId: base, createdBy: '/bin/sh -c #(nop) ADD file:123 in / ', historyIndex: 0 },
      { diffId: workdir, createdBy: 'WORKDIR /app', historyIndex: 5 },
      { diffId: run, createdBy: 'RUN |1 TOKEN=*** /bin/sh -c make # buildkit', historyIndex: 6 },
      { diffId: copy, createdBy: 'COPY . /app # buildkit', historyIndex: 8 },
    ]);
  });

  it('keeps a layer that appears twice at both places', () => {
    const [a, b] = ids(2);
    const origins = layerOrigins({
      rootfs: { diff_ids: [a, b, a] },
      history: [{ created_by: 'one' }, { created_by: 'two' }, { created_by: 'ENV X=1', empty_layer: true }, { created_by: 'three' }],
    });
    expect(origins.map((o) => [o.diffId, o.createdBy, o.historyIndex])).toEqual([
      [a, 'one', 0],
      [b, 'two', 1],
      [a, 'three', 3],
    ]);
  });

  it('leaves layers without a history entry unexplained when the history is shorter than the layers', () => {
    const [a, b, c] = ids(3);
    const origins = layerOrigins({
      rootfs: { diff_ids: [a, b, c] },
      history: [{ created_by: 'one' }, { created_by: 'ENV X=1', empty_layer: true }],
    });
    expect(origins).toEqual([
      { diffId: a, createdBy: 'one', historyIndex: 0 },
      { diffId: b, createdBy: '', historyIndex: -1 },
      { diffId: c, createdBy: '', historyIndex: -1 },
    ]);
    expect(layerOrigins({ rootfs: { diff_ids: [a] } })).toEqual([{ diffId: a, createdBy: '', historyIndex: -1 }]);
  });

  it('ignores history entries beyond the last layer when the history is longer', () => {
    const [a] = ids(1);
    const origins = layerOrigins({
      rootfs: { diff_ids: [a] },
      history: [{ created_by: 'one' }, { created_by: 'two' }, { created_by: 'three' }],
    });
    expect(origins).toEqual([{ diffId: a, createdBy: 'one', historyIndex: 0 }]);
  });

  it('gives no layers for a config without rootfs, and an entry without created_by an empty instruction', () => {
    expect(layerOrigins({})).toEqual([]);
    const [a] = ids(1);
    expect(layerOrigins({ rootfs: { diff_ids: [a] }, history: [{ comment: 'Imported from -' }] })).toEqual([
      { diffId: a, createdBy: '', historyIndex: 0 },
    ]);
  });
});

describe('describeInstruction', () => {
  it.each([
    // the legacy builder
    ['/bin/sh -c #(nop)  COPY file:abc in /app ', 'COPY file:abc in /app'],
    ['/bin/sh -c #(nop) WORKDIR /app', 'WORKDIR /app'],
    ['/bin/sh -c #(nop)  ENV A=1', 'ENV A=1'],
    ['/bin/sh -c #(nop)  ARG TOKEN', 'ARG TOKEN'],
    ['/bin/sh -c #(nop)  CMD ["bash"]', 'CMD ["bash"]'],
    ['/bin/sh -c apt-get update && apt-get install -y curl', 'RUN apt-get update && apt-get install -y curl'],
    ['|1 TOKEN=*** /bin/sh -c echo "$TOKEN" > /t', 'RUN echo "$TOKEN" > /t'],
    ['|2 A=1 B=x /bin/sh -c make', 'RUN make'],
    // BuildKit
    ['RUN /bin/sh -c apt-get update # buildkit', 'RUN apt-get update'],
    ['RUN |2 A=1 B=2 /bin/sh -c make all # buildkit', 'RUN make all'],
    ['RUN |1 A=x cmd arg # buildkit', 'RUN cmd arg'],
    ['RUN |2 A=x B= cmd arg # buildkit', 'RUN cmd arg'],
    ['RUN cmd arg # buildkit', 'RUN cmd arg'],
    ['COPY . /app # buildkit', 'COPY . /app'],
    ['COPY --from=builder /out /usr/local/bin # buildkit', 'COPY --from=builder /out /usr/local/bin'],
    ['WORKDIR /app', 'WORKDIR /app'],
    ['ENV A=1', 'ENV A=1'],
    ['LABEL team=size', 'LABEL team=size'],
    // an imported base image has no instruction
    ['', ''],
  ])('%j reads %j', (createdBy, expected) => {
    expect(describeInstruction(createdBy)).toBe(expected);
  });

  it('keeps `# buildkit` inside a command, cutting only the marker at the end', () => {
    expect(describeInstruction('RUN /bin/sh -c echo "# buildkit" > /f # buildkit')).toBe('RUN echo "# buildkit" > /f');
  });
});

describe('historyFingerprint', () => {
  const layers = ids(3);
  const listed = (label: string): ListedHistoryEntry[] => [
    { createdBy: '/bin/sh -c #(nop) ADD file:0123 in / ', comment: '', sizeBytes: 5000 },
    { createdBy: '/bin/sh -c #(nop)  ENV A=1', comment: '', sizeBytes: 0 },
    { createdBy: '/bin/sh -c #(nop) WORKDIR /app', comment: '', sizeBytes: 0 },
    { createdBy: '/bin/sh -c make', comment: '', sizeBytes: 2500 },
    { createdBy: `/bin/sh -c #(nop)  LABEL ${label}`, comment: '', sizeBytes: 0 },
  ];

  it('is the same for two runs whose only difference is the run label it is told about', () => {
    const first = historyFingerprint(layers, listed('io.github.image-size-report.run=111-1'), ['io.github.image-size-report.run=111-1']);
    const second = historyFingerprint(layers, listed('io.github.image-size-report.run=222-1'), ['io.github.image-size-report.run=222-1']);
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(second).toBe(first);
    // without being told, the label is content
    expect(historyFingerprint(layers, listed('io.github.image-size-report.run=222-1'))).not.toBe(first);
  });

  it('changes with the layers, an instruction, a comment, a size or the order of entries', () => {
    const history = listed('x=1');
    const key = historyFingerprint(layers, history);
    const variations: [string[], ListedHistoryEntry[]][] = [
      [[...layers].reverse(), history],
      [layers.slice(0, 2), history],
      [layers, history.map((h, i) => (i === 3 ? { ...h, createdBy: '/bin/sh -c make all' } : h))],
      [layers, history.map((h, i) => (i === 0 ? { ...h, comment: 'Imported from -' } : h))],
      [layers, history.map((h, i) => (i === 2 ? { ...h, sizeBytes: 1 } : h))],
      [layers, [history[1], history[0], ...history.slice(2)]],
    ];
    const keys = variations.map(([l, h]) => historyFingerprint(l, h));
    expect(new Set([key, ...keys]).size).toBe(variations.length + 1);
  });
});
