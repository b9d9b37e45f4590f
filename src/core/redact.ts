/**
 * Keeps API keys out of messages, logs, `inspect` output and debug artifacts.
 * Solvers register their key with `registerSecret`; `redactText` masks every registered key and
 * anything that looks like a key in JSON or query strings (`clientKey`, `ClientKey`, `key=`).
 */
const secrets = new Set<string>();

export const REDACTED = '[redacted]';

/** Remember a secret so it is masked wherever our code formats text. Short strings are ignored. */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 6) secrets.add(secret);
}

const FIELD_PATTERNS: RegExp[] = [
  /("(?:clientKey|ClientKey|client_key|apiKey|api_key|key)"\s*:\s*")([^"]*)(")/g,
  /([?&](?:key|clientKey|apikey|api_key)=)([^&\s#)"'`,;>]*)()/gi,
];

export function redactText(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  for (const pattern of FIELD_PATTERNS) {
    out = out.replace(pattern, (_m, pre: string, value: string, post: string) => (value ? `${pre}${REDACTED}${post}` : `${pre}${post}`));
  }
  return out;
}

/** Deep-copies a JSON-ish value with key-like fields and registered secrets masked. */
export function redactValue<T>(value: T): T {
  if (value === null || value === undefined) return value;
  try {
    return JSON.parse(redactText(JSON.stringify(value))) as T;
  } catch {
    return value;
  }
}
