/**
 * Build-arg values are secrets as far as reporting goes: they are cut out of any build output, step name or
 * error we pass on, in every form src/secrets/scrub.ts knows (values under MIN_SECRET_LENGTH characters are
 * left in free text; see there why). The action and the CLI scrub everything again before writing it.
 */
import { createScrubber, type Scrubber } from './scrub.js';

const scrubbers = new WeakMap<readonly string[], Scrubber>();

export function redact(text: string, secrets: readonly string[]): string {
  let scrubber = scrubbers.get(secrets);
  if (!scrubber) {
    scrubber = createScrubber(secrets.map((value) => ({ value })));
    scrubbers.set(secrets, scrubber);
  }
  return scrubber.text(text);
}
