/**
 * `image-captcha-solver/server`: a local server that speaks CapSolver's API (and the Anti-Captcha / 2Captcha /
 * CapMonster task API under path prefixes), backed by the offline solver.
 */
export { createCapSolverServer, parseTask, type CapSolverServer, type CapSolverServerStats } from './server.js';
export { SERVER_DEFAULTS, SERVER_KEY_ENV, resolveServerOptions, type CapSolverServerOptions } from './options.js';
export { serveCommand, SERVE_HELP, type ServeCommandIO } from './cli.js';
export { WorkerPoolSolver, type WorkerPoolOptions } from './pool.js';
export { WIRE_CODES, WireError, TASKAPI_ONLY_TASK_FIELDS, dialectOf, type Dialect, type WireCode } from './protocol.js';
