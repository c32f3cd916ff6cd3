/**
 * Which Dockerfile instruction made which layer, read from the image config's history. Pure.
 *
 * The config (inside `docker save`) lists history oldest first with an `empty_layer` flag; walking it and
 * giving every non-empty entry the next diff ID maps each layer to its instruction exactly. (The Engine
 * API's `/history` has no such flag, and its sizes depend on the image store.)
 */
import { createHash } from 'node:crypto';

export interface ImageConfig {
  rootfs?: { diff_ids?: string[] };
  history?: { created_by?: string; empty_layer?: boolean; comment?: string }[];
}

export interface LayerOrigin {
  diffId: string;
  /** The history entry's instruction, as recorded (see `describeInstruction` for display). */
  createdBy: string;
  /** Index of the history entry. */
  historyIndex: number;
}

/**
 * One origin per layer, in layer order. When history and layers disagree (history edited or missing), the
 * layers without an entry get an empty `createdBy` and `historyIndex` -1.
 */
export function layerOrigins(config: ImageConfig): LayerOrigin[] {
  const diffIds = config.rootfs?.diff_ids ?? [];
  const history = config.history ?? [];
  const origins: LayerOrigin[] = [];
  let layer = 0;
  history.forEach((entry, index) => {
    if (entry.empty_layer || layer >= diffIds.length) return;
    origins.push({ diffId: diffIds[layer], createdBy: entry.created_by ?? '', historyIndex: index });
    layer += 1;
  });
  for (; layer < diffIds.length; layer += 1) origins.push({ diffId: diffIds[layer], createdBy: '', historyIndex: -1 });
  return origins;
}

/**
 * The instruction as a reader would write it: `RUN apt-get ...`, `COPY ...`, `WORKDIR /app`. Legacy
 * builder entries (`/bin/sh -c #(nop)  COPY ...`, `/bin/sh -c apt-get ...`) and BuildKit's (`RUN /bin/sh -c
 * ... # buildkit`) are brought to that form; the build-arg prefix of a RUN (`|2 A=1 B=2`) is dropped — the
 * values in it are cut out earlier, by whoever knows them (see secrets/redact.ts).
 */
export function describeInstruction(createdBy: string): string {
  let text = createdBy.trim().replace(/\s+# buildkit$/, '');
  const nop = /^\/bin\/sh -c #\(nop\)\s+/.exec(text);
  if (nop) return text.slice(nop[0].length).trim();
  let run = false;
  if (text.startsWith('RUN ')) {
    run = true;
    text = text.slice(4);
  }
  const args = /^\|(\d+)\s/.exec(text);
  if (args) {
    run = true;
    text = text.slice(args[0].length);
    const shell = text.indexOf('/bin/sh -c ');
    if (shell !== -1) text = text.slice(shell);
    else for (let i = 0; i < Number(args[1]); i += 1) text = text.replace(/^\S+=\S*\s*/, '');
  }
  const shell = /^\/bin\/sh -c\s+/.exec(text);
  if (shell) return `RUN ${text.slice(shell[0].length)}`;
  return run ? `RUN ${text}` : text;
}

/** One history entry as the Engine API's `/history` lists it, oldest first. */
export interface ListedHistoryEntry {
  createdBy: string;
  comment: string;
  sizeBytes: number;
}

/**
 * A key for an image's config that two builds of the same content share even when their image IDs differ.
 * Each build carries the run's label, so its image ID is new every run; the parts of the config this tool
 * keeps (diff IDs, and each history entry's instruction and whether it made a layer) are the same. The key
 * hashes the diff IDs and the listed history (instruction, comment, size) with `volatile` text (the run's
 * label, which the legacy builder records as a `LABEL` step) taken out, and without timestamps.
 *
 * `/history` has no `empty_layer` flag, so an entry of size 0 may be an empty layer or a zero-byte one; two
 * images with the same layers and the same instructions, in the same order, make the same choice, because
 * the builder decides from the instruction. Whoever uses the key still checks the config lists the layers.
 */
export function historyFingerprint(
  diffIds: readonly string[],
  history: readonly ListedHistoryEntry[],
  volatile: readonly string[] = [],
): string {
  const steady = (text: string) => volatile.reduce((t, v) => (v ? t.split(v).join('\u0000') : t), text);
  const material = JSON.stringify({
    v: 1,
    diffIds,
    history: history.map((h) => [steady(h.createdBy), steady(h.comment), h.sizeBytes]),
  });
  return `sha256:${createHash('sha256').update(material).digest('hex')}`;
}
