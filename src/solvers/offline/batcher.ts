/**
 * Micro-batching of model inputs: the inputs submitted while the model is busy (or within one turn of the event
 * loop) go through one `session.run` together, up to `maxBatch` at a time, and each caller gets its own row of
 * the output back.
 *
 * Only inputs of the same shape share a run. The model is convolutional, so padding a narrow input with white up
 * to a wider one changes what the columns near its right edge see, and with them its reading: measured on the
 * first 100 images of each dev set, 64 of 3600 readings changed, even decoding only each input's own time steps.
 * Captchas of one site come at one size, so same-shape batches are what a server sees under load; the second
 * look's views batch where their widths agree.
 */
import type { ModelInput } from './preprocess.js';

/** One run of the model over `inputs.length` inputs of one shape, stacked as `[n, 1, height, width]`. */
export type BatchRun<R> = (data: Float32Array, n: number, height: number, width: number) => Promise<R>;

/** What a caller gets back: the run's result and its own row in it. */
export interface BatchSlot<R> {
  result: R;
  index: number;
  /** How many inputs shared the run. */
  size: number;
}

interface Waiting<R> {
  input: ModelInput;
  signal?: AbortSignal;
  resolve: (slot: BatchSlot<R>) => void;
  reject: (reason: unknown) => void;
}

/** Collects inputs and runs them in same-shape batches, one batch at a time, in arrival order. */
export class InferenceBatcher<R> {
  private readonly waiting: Waiting<R>[] = [];
  private draining = false;

  /** `maxBatch` 1 runs every input alone (no batching). */
  constructor(
    private readonly run: BatchRun<R>,
    readonly maxBatch: number,
  ) {}

  /** Queues `input` for the next run of its shape; an input whose `signal` aborted before its run is skipped. */
  submit(input: ModelInput, signal?: AbortSignal): Promise<BatchSlot<R>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ input, signal, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  /** Runs batches until nothing waits; between runs, the event loop turns once so new inputs can join. */
  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.takeBatch();
        if (batch.length > 0) await this.runBatch(batch);
        if (this.waiting.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = false;
    }
  }

  /** The oldest waiting input and up to `maxBatch - 1` more of its shape, in order; aborted ones are rejected. */
  private takeBatch(): Waiting<R>[] {
    const first = this.waiting[0]!;
    const batch: Waiting<R>[] = [];
    for (let i = 0; i < this.waiting.length && batch.length < this.maxBatch; ) {
      const w = this.waiting[i]!;
      if (w.signal?.aborted) {
        this.waiting.splice(i, 1);
        w.reject(w.signal.reason);
      } else if (w.input.width === first.input.width && w.input.height === first.input.height) {
        this.waiting.splice(i, 1);
        batch.push(w);
      } else i++;
    }
    return batch;
  }

  private async runBatch(batch: Waiting<R>[]): Promise<void> {
    const { width, height } = batch[0]!.input;
    const plane = width * height;
    const data = batch.length === 1 ? batch[0]!.input.data : new Float32Array(plane * batch.length);
    if (batch.length > 1) batch.forEach((w, i) => data.set(w.input.data, i * plane));
    try {
      const result = await this.run(data, batch.length, height, width);
      batch.forEach((w, index) => w.resolve({ result, index, size: batch.length }));
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
