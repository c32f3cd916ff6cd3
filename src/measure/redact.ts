/** Build-arg values are secrets as far as reporting goes: they are cut out of any text we pass on. */
const MIN_SECRET_LENGTH = 3;

export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  const candidates = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  for (const secret of candidates) out = out.split(secret).join('***');
  return out;
}
