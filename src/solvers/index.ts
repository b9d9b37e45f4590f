/**
 * Solving backends: CapSolver, the createTask/getTaskResult clouds (Anti-Captcha, CapMonster Cloud,
 * 2Captcha), the offline model, and `createSolver()` to pick one.
 */
export { CapSolver, CAPSOLVER_ERRORS, CAPSOLVER_DEFAULTS, type CapSolverOptions } from './capsolver.js';
export {
  AntiCaptcha,
  CapMonsterCloud,
  TwoCaptcha,
  TaskApiSolver,
  TASK_API_ERRORS,
  TASK_API_PROVIDERS,
  TASK_API_DEFAULTS,
  type TaskApiOptions,
  type TaskApiTask,
  type ImageTaskOptions,
  type CapMonsterTaskOptions,
} from './task-api.js';
export { HTTP_DEFAULTS, type CloudSolverOptions, type RetryOptions, type ErrorSpec, type ErrorTable, type ErrorKind } from './http.js';
export { IMAGE_LIMITS, fitImage, type ImageLimits, type FitResult } from './image-limits.js';
export { createSolver, SOLVER_NAMES, type SolverName, type CreateSolverOptions, type HybridCreateOptions } from './registry.js';
export { HybridSolver, HYBRID_DEFAULTS, type HybridSolverOptions, type HybridStats } from './hybrid.js';
export * from './offline/index.js';
