export * from './types.js';
export * from './errors.js';
export { Deadline, sleep, withDeadline, type DeadlineOptions } from './deadline.js';
export { redactText, redactValue, registerSecret, REDACTED } from './redact.js';
export { sniffImageFormat, toBase64Body, toImageBytes, MIME_BY_FORMAT, type ImageFormat } from './image.js';
export { animationStill, type AnimationInfo, type AnimationStill, type AnimationOptions, type RgbaImage } from './animation.js';
