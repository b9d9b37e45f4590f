import { afterEach, describe, expect, it, vi } from 'vitest';
import { AuthError, InvalidOptionError } from '../../src/core/errors.js';
import type { Solver } from '../../src/core/types.js';
import * as entry from '../../src/index.js';
import { CapSolver } from '../../src/solvers/capsolver.js';
import { LocalSolver } from '../../src/solvers/offline/index.js';
import { SOLVER_NAMES, createSolver } from '../../src/solvers/registry.js';
import { AntiCaptcha, CapMonsterCloud, TwoCaptcha } from '../../src/solvers/task-api.js';

const ENV_KEYS = ['CAPSOLVER_API_KEY', 'ANTICAPTCHA_API_KEY', 'CAPMONSTER_API_KEY', 'TWOCAPTCHA_API_KEY', 'CAPSOLVER_API_BASE'];
const clearEnv = () => {
  for (const k of ENV_KEYS) vi.stubEnv(k, '');
};

afterEach(() => vi.unstubAllEnvs());

describe('createSolver', () => {
  it("'auto' picks CapSolver when CAPSOLVER_API_KEY is set", () => {
    clearEnv();
    vi.stubEnv('CAPSOLVER_API_KEY', 'CAP-REGISTRY-0000000000000001');
    const solver = createSolver('auto');
    expect(solver).toBeInstanceOf(CapSolver);
    expect(solver.name).toBe('capsolver');
    expect((solver as CapSolver).hasApiKey).toBe(true);
    expect(createSolver()).toBeInstanceOf(CapSolver);
  });

  it("'auto' picks CapSolver when an apiKey option is given", () => {
    clearEnv();
    expect(createSolver('auto', { apiKey: 'CAP-REGISTRY-0000000000000002' })).toBeInstanceOf(CapSolver);
  });

  it("'auto' falls back to LocalSolver without a key (a blank variable counts as unset)", () => {
    clearEnv();
    vi.stubEnv('CAPSOLVER_API_KEY', '   ');
    const solver = createSolver('auto', { threads: 2 });
    expect(solver).toBeInstanceOf(LocalSolver);
    expect(solver.name).toBe('local');
    expect((solver as LocalSolver).threads).toBe(2);
    // Other clouds' keys do not make 'auto' pick them.
    vi.stubEnv('ANTICAPTCHA_API_KEY', 'anti-key-123456');
    expect(createSolver('auto')).toBeInstanceOf(LocalSolver);
  });

  it('builds each named cloud with its env key', async () => {
    clearEnv();
    vi.stubEnv('ANTICAPTCHA_API_KEY', 'anti-key-123456');
    vi.stubEnv('CAPMONSTER_API_KEY', 'capm-key-123456');
    vi.stubEnv('TWOCAPTCHA_API_KEY', 'two-key-1234567');
    const cases: Array<[Parameters<typeof createSolver>[0], unknown, string]> = [
      ['capsolver', CapSolver, 'capsolver'],
      ['anticaptcha', AntiCaptcha, 'anticaptcha'],
      ['capmonster', CapMonsterCloud, 'capmonster'],
      ['2captcha', TwoCaptcha, '2captcha'],
      ['local', LocalSolver, 'local'],
    ];
    for (const [spec, cls, name] of cases) {
      const s = createSolver(spec);
      expect(s).toBeInstanceOf(cls as never);
      expect(s.name).toBe(name);
    }
    // CapSolver without its key builds fine and fails at solve time.
    await expect(createSolver('capsolver').solve({ body: 'aGVsbG8=' })).rejects.toThrow(AuthError);
  });

  it('passes cloud options through and keeps them away from LocalSolver', () => {
    clearEnv();
    const cs = createSolver('capsolver', { apiKey: 'CAP-REGISTRY-0000000000000003', baseUrl: 'http://127.0.0.1:9', timeout: 1234 }) as CapSolver;
    expect(cs.baseUrl).toBe('http://127.0.0.1:9');
    expect(cs.timeout).toBe(1234);
    const ac = createSolver('anticaptcha', { apiKey: 'k-123456', pollInterval: 42 }) as AntiCaptcha;
    expect(ac.pollInterval).toBe(42);
    const local = createSolver('local', { apiKey: 'k-123456', timeout: 5, minConfidence: 0.5 }) as LocalSolver;
    expect(local.minConfidence).toBe(0.5);
  });

  it('accepts a name in any case, and returns a Solver object as is', () => {
    clearEnv();
    expect(createSolver('CapSolver' as never, { apiKey: 'k-123456' })).toBeInstanceOf(CapSolver);
    const mine: Solver = { name: 'mine', solve: async () => ({ text: 'a', provider: 'mine', elapsedMs: 0 }) };
    expect(createSolver(mine)).toBe(mine);
  });

  it('rejects an unknown name, listing the valid ones', () => {
    const err = (() => {
      try {
        createSolver('deathbycaptcha' as never);
      } catch (e) {
        return e as InvalidOptionError;
      }
    })();
    expect(err).toBeInstanceOf(InvalidOptionError);
    expect(err!.message).toMatch(/^createSolver: Unknown solver "deathbycaptcha"/);
    for (const n of SOLVER_NAMES) expect(err!.message).toContain(`'${n}'`);
    expect(() => createSolver({} as never)).toThrow(/no solve\(\) method/);
    expect(() => createSolver(42 as never)).toThrow(InvalidOptionError);
  });

  it('is exported from the package entry with the solver classes', () => {
    expect(entry.createSolver).toBe(createSolver);
    expect(entry.CapSolver).toBe(CapSolver);
    expect(entry.AntiCaptcha).toBe(AntiCaptcha);
    expect(entry.CapMonsterCloud).toBe(CapMonsterCloud);
    expect(entry.TwoCaptcha).toBe(TwoCaptcha);
    expect(entry.LocalSolver).toBe(LocalSolver);
  });
});
