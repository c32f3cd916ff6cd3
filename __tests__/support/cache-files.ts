// The files a LayerCache keeps in its directory, read as text: facts and configs are gzipped JSON, listings
// plain records.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Every file below the cache directory, with its content as text. */
export function cacheFiles(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      const content = readFileSync(file);
      return { file, text: (file.endsWith('.gz') ? gunzipSync(content) : content).toString() };
    });
}
