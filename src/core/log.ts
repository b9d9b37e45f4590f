/**
 * Debug output without a logger dependency: `NODE_DEBUG=image-captcha` prints a trace to stderr.
 * Everything goes through the redactor.
 */
import { debuglog } from 'node:util';
import { redactText } from './redact.js';

const base = debuglog('image-captcha');

export function debug(scope: string, message: string): void {
  if (base.enabled) base('%s: %s', scope, redactText(message));
}

export function debugEnabled(): boolean {
  return base.enabled;
}
