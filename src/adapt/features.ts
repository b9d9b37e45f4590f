/**
 * The frozen part of the model, run by onnxruntime: the base graph with one more output, the tensor the trainable
 * layers read, computed once per image and view (the image as it is, and a few small stretches and crops, so the
 * head learns the style rather than the exact pixels).
 */
import type * as Ort from 'onnxruntime-node';
import { ModelError } from '../solvers/offline/errors.js';
import type { ModelSpec } from '../solvers/offline/model.js';
import { cropRows, toModelInput, type GrayImage } from '../solvers/offline/preprocess.js';
import { addGraphOutputs } from './onnx-proto.js';

/** One view of an image: stretched `widthScale` times in width, `crop` of its height cut off top and bottom. */
export interface View {
  widthScale: number;
  crop: number;
}

/** The image as it is first, then the augmentations. */
export const VIEWS: readonly View[] = [
  { widthScale: 1, crop: 0 },
  { widthScale: 0.88, crop: 0 },
  { widthScale: 1.12, crop: 0 },
  { widthScale: 1, crop: 0.06 },
  { widthScale: 0.94, crop: 0.1 },
  { widthScale: 1.06, crop: 0.03 },
];

/** Features `[channels, steps]` of one view of one image. */
export interface Features {
  data: Float32Array;
  steps: number;
}

type OrtModule = typeof Ort;

async function loadOrt(): Promise<OrtModule> {
  let ort = (await import('onnxruntime-node')) as OrtModule;
  if (!ort.InferenceSession && (ort as unknown as { default?: OrtModule }).default) ort = (ort as unknown as { default: OrtModule }).default;
  return ort;
}

/** Runs the base model up to `tensor` (a float32 `[1, channels, T]` tensor of its graph). */
export class FeatureExtractor {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    private readonly spec: ModelSpec,
    private readonly tensor: string,
    readonly channels: number,
  ) {}

  static async create(model: Uint8Array, spec: ModelSpec, tensor: string, channels: number, threads = 1): Promise<FeatureExtractor> {
    const ort = await loadOrt();
    try {
      const session = await ort.InferenceSession.create(addGraphOutputs(model, [tensor]), { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', logSeverityLevel: 3 });
      return new FeatureExtractor(ort, session, spec, tensor, channels);
    } catch (cause) {
      throw new ModelError(`adaptModel: cannot run the base model up to "${tensor}" (${cause instanceof Error ? cause.message.split('\n')[0] : String(cause)})`, { hint: 'Adapt a model exported by training/export.py', cause });
    }
  }

  /** The features of `gray` seen through `view`. */
  async run(gray: GrayImage, view: View): Promise<Features> {
    const input = toModelInput(view.crop ? cropRows(gray, view.crop) : gray, this.spec, undefined, view.widthScale);
    const feeds = { [this.spec.input]: new this.ort.Tensor('float32', input.data, [1, 1, input.height, input.width]) };
    const out = (await this.session.run(feeds, [this.tensor]))[this.tensor] as Ort.Tensor;
    const [, channels, steps] = out.dims as number[];
    if (channels !== this.channels || out.dims.length !== 3) {
      throw new ModelError(`adaptModel: "${this.tensor}" has shape [${out.dims.join(',')}], expected [1,${this.channels},T]`, { hint: 'Adapt a model exported by training/export.py' });
    }
    return { data: (out.data as Float32Array).slice(), steps: steps! };
  }

  async close(): Promise<void> {
    await this.session.release().catch(() => {});
  }
}
