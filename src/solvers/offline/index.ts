/**
 * The offline solver: our ONNX model run by onnxruntime-node, no API key, no network.
 */
export { DEFAULT_BATCH, LocalSolver, MATH_MIN_CONFIDENCE, mathConfidenceNeeded, UNTOLD_MATH_TEXT_BELOW, type LocalSolverOptions, type RecognizeManyOptions, type RecognizeOptions, type RecognizeResult } from './local-solver.js';
export { parseArithmetic, type Arithmetic } from './math.js';
export { ModelError, isModelError } from './errors.js';
export { type CropView, type FilterView, type ModelSpec, type Reading, type SecondLook, type SecondLookCombine, combineReadings, defaultMathModelPath, defaultModelPath, findPackageRoot, loadModelSpec, parseModelSpec, sidecarPath } from './model.js';
export {
  DEFAULT_MAX_INPUT_PIXELS,
  cropRows,
  rank3x3,
  decodeToRgba,
  flattenToGray,
  resizeBilinearPil,
  targetWidth,
  roundHalfEven,
  toModelInput,
  preprocess,
  type GrayImage,
  type ModelInput,
  type RawRgba,
  type ViewFilter,
} from './preprocess.js';
export { ctcGreedyDecode, logitsViews, type CtcResult, type LogitsView } from './decode.js';
