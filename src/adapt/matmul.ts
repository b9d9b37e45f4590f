/**
 * Matrix products for training the head: `op(a) @ op(b)` with `op` = identity or transpose. Two engines: plain
 * JavaScript loops (small, exact, for tests) and onnxruntime's Gemm (the fast one adaptModel uses).
 */
import type * as Ort from 'onnxruntime-node';
import { gemmModel } from './onnx-proto.js';

/** A row-major matrix. */
export interface Mat {
  data: Float32Array;
  rows: number;
  cols: number;
}

export interface MatMul {
  /** `op(a) @ op(b)`, row-major, `op` transposing when asked. */
  mul(a: Mat, b: Mat, transA?: boolean, transB?: boolean): Promise<Float32Array>;
  close(): Promise<void>;
}

const at = (m: Mat, r: number, c: number, t: boolean) => (t ? m.data[c * m.cols + r]! : m.data[r * m.cols + c]!);

/** Plain loops: slow, for tests and tiny sizes. */
export const jsMatMul: MatMul = {
  async mul(a, b, transA = false, transB = false) {
    const n = transA ? a.cols : a.rows, k = transA ? a.rows : a.cols, m = transB ? b.rows : b.cols;
    const out = new Float32Array(n * m);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let q = 0; q < k; q++) s += at(a, i, q, transA) * at(b, q, j, transB);
        out[i * m + j] = s;
      }
    }
    return out;
  },
  async close() {},
};

type OrtModule = typeof Ort;

/** onnxruntime's Gemm, one session per (transA, transB), on `threads` threads. */
export async function ortMatMul(threads = 1): Promise<MatMul> {
  let ort = (await import('onnxruntime-node')) as OrtModule;
  if (!ort.InferenceSession && (ort as unknown as { default?: OrtModule }).default) ort = (ort as unknown as { default: OrtModule }).default;
  const sessions = new Map<string, Ort.InferenceSession>();
  for (const ta of [false, true]) {
    for (const tb of [false, true]) {
      sessions.set(`${ta}${tb}`, await ort.InferenceSession.create(gemmModel(ta, tb), { intraOpNumThreads: threads, interOpNumThreads: 1, logSeverityLevel: 3 }));
    }
  }
  return {
    async mul(a, b, transA = false, transB = false) {
      const s = sessions.get(`${transA}${transB}`)!;
      const out = await s.run({ a: new ort.Tensor('float32', a.data, [a.rows, a.cols]), b: new ort.Tensor('float32', b.data, [b.rows, b.cols]) });
      return out['y']!.data as Float32Array;
    },
    async close() {
      for (const s of sessions.values()) await s.release().catch(() => {});
    },
  };
}
