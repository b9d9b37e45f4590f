import { describe, expect, it } from 'vitest';
import { REDACTED, redactText, redactValue, registerSecret } from '../../src/core/redact.js';

describe('redactText / redactValue', () => {
  it('masks every registered secret, wherever it appears', () => {
    const key = 'REDACT-TEST-KEY-abcdef123456';
    registerSecret(key);
    expect(redactText(`a ${key} b ${key}`)).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it('ignores short or empty secrets (they would mask ordinary text)', () => {
    registerSecret('ab');
    registerSecret('');
    registerSecret(undefined);
    expect(redactText('ab cab about')).toBe('ab cab about');
  });

  it('masks key-like JSON fields and query parameters even when not registered', () => {
    expect(redactText('{"clientKey":"zzz-unregistered","task":{}}')).toBe(`{"clientKey":"${REDACTED}","task":{}}`);
    expect(redactText('{"ClientKey" : "v1"}')).toBe(`{"ClientKey" : "${REDACTED}"}`);
    expect(redactText('{"api_key":"v2","apiKey":"v3","key":"v4"}')).toBe(`{"api_key":"${REDACTED}","apiKey":"${REDACTED}","key":"${REDACTED}"}`);
    expect(redactText('GET /res.php?key=abc&action=get')).toBe(`GET /res.php?key=${REDACTED}&action=get`);
    expect(redactText('https://x/?a=1&apikey=SECRET#frag')).toBe(`https://x/?a=1&apikey=${REDACTED}#frag`);
  });

  // Core bug (reported to the lead, minor): the query pattern's value class `[^&\s#]*` also eats the `)` and
  // `.` that close our "(where). hint" messages, so the text after a redacted key loses its punctuation.
  // Fix: stop the value at `)`, quotes, `,`, `;` and `>` as well, and leave a trailing `.` alone.
  it('keeps the punctuation that follows a redacted query key', () => {
    expect(redactText('(GET https://x/res.php?key=abc123). Check it')).toBe(`(GET https://x/res.php?key=${REDACTED}). Check it`);
    expect(redactText('"https://x/?apikey=abc",')).toBe(`"https://x/?apikey=${REDACTED}",`);
  });

  it('leaves empty key fields and unrelated text alone', () => {
    expect(redactText('{"clientKey":""}')).toBe('{"clientKey":""}');
    expect(redactText('{"monkey":"banana"}')).toBe('{"monkey":"banana"}');
    expect(redactText('no secrets here')).toBe('no secrets here');
  });

  it('deep-copies values with keys masked', () => {
    const key = 'REDACT-VALUE-KEY-999999';
    registerSecret(key);
    const input = { clientKey: 'k-unregistered', nested: { note: `uses ${key}` }, list: [1, 'two'] };
    const out = redactValue(input);
    expect(out).toEqual({ clientKey: REDACTED, nested: { note: `uses ${REDACTED}` }, list: [1, 'two'] });
    expect(input.clientKey).toBe('k-unregistered');
    expect(redactValue(null)).toBeNull();
    expect(redactValue(undefined)).toBeUndefined();
  });

  it('returns values it cannot serialise unchanged', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(redactValue(cyclic)).toBe(cyclic);
  });
});
