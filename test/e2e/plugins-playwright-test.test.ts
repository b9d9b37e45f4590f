/**
 * The `image-captcha-solver/test` fixtures in a real `@playwright/test` run: spawns
 * `npx playwright test -c examples/playwright-test --reporter=json` (Chromium from test/support/chromium.ts)
 * against a fixture site started here, then checks the report (status, attachments) against what the site
 * itself recorded. Needs `npm run build` first (the spec imports the package by name → dist/).
 * The attachment rules (`imageCaptchaAttach: false`, the image on a failed solve) run the project in
 * test/e2e/playwright-test-project, which imports the plugin from src/.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { wrongAnswer } from '../../fixtures/site/index.js';
import { CHROMIUM_PATH } from '../support/chromium.js';
import { useFixtureSite, useTempDir } from '../support/e2e.js';
import { runProcess, type ProcessRun } from '../support/process.js';

const root = resolve(__dirname, '../..');
const site = useFixtureSite();
const outDir = useTempDir('ics-pwtest-');

interface Attachment {
  name: string;
  contentType: string;
  path?: string;
  body?: string;
}
interface JsonTest {
  title: string;
  status: string;
  attachments: Attachment[];
  error?: string;
}

function runPlaywright(args: string[], env: Record<string, string>): Promise<ProcessRun> {
  return runProcess('npx', ['playwright', 'test', ...args], { env: { ...process.env, ...env, CI: '1', FORCE_COLOR: '0' }, timeoutMs: 170_000 });
}

function flatten(report: { suites?: unknown[] }): JsonTest[] {
  const out: JsonTest[] = [];
  const walk = (suite: { suites?: unknown[]; specs?: Array<{ title: string; tests: Array<{ results: Array<{ status: string; attachments: Attachment[]; error?: { message?: string } }> }> }> }) => {
    for (const spec of suite.specs ?? []) {
      for (const t of spec.tests) {
        const last = t.results.at(-1);
        out.push({ title: spec.title, status: last?.status ?? 'none', attachments: last?.attachments ?? [], error: last?.error?.message });
      }
    }
    for (const s of suite.suites ?? []) walk(s as never);
  };
  for (const s of report.suites ?? []) walk(s as never);
  return out;
}

function attachmentText(a: Attachment): string {
  if (a.body !== undefined) return Buffer.from(a.body, 'base64').toString('utf8');
  return readFileSync(a.path!, 'utf8');
}
function attachmentBytes(a: Attachment): Buffer {
  return a.body !== undefined ? Buffer.from(a.body, 'base64') : readFileSync(a.path!);
}

describe('@playwright/test fixture (real runner)', () => {
  it('runs the example spec: solves through the fixture, attaches image + answer + timings', { timeout: 180_000 }, async () => {
    const { code, stdout, stderr } = await runPlaywright(['-c', 'examples/playwright-test', '--reporter=json', '--workers=1'], {
      FIXTURE_URL: site.server.url,
      CHROMIUM_PATH,
      PW_OUTPUT_DIR: outDir.path,
    });
    let report: { suites?: unknown[]; stats?: { expected: number; unexpected: number } };
    try {
      report = JSON.parse(stdout) as typeof report;
    } catch {
      throw new Error(`no JSON report (exit ${code}):\n${stdout.slice(-2000)}\n${stderr.slice(-3000)}`);
    }
    const tests = flatten(report);
    expect(tests.map((t) => [t.title, t.status, t.error ?? ''])).toEqual([
      ['logs in through the Securimage-style captcha', 'passed', ''],
      ['a page that keeps rejecting the answer fails with WrongAnswerError (the report gets every answer tried)', 'passed', ''],
      ['solves the demo page', 'passed', ''],
    ]);
    expect(code).toBe(0);

    // The login test's report has the image the solver saw and the answer the site accepted.
    const login = tests[0]!;
    const json = login.attachments.find((a) => a.name === 'image-captcha.json');
    const image = login.attachments.find((a) => a.name.startsWith('image-captcha.') && a.contentType.startsWith('image/'));
    expect(json, `attachments: ${login.attachments.map((a) => a.name).join(', ')}`).toBeDefined();
    expect(image).toBeDefined();
    const summary = JSON.parse(attachmentText(json!)) as { text: string; solved: boolean; attempts: number; timings: Record<string, number>; provider: string };
    expect(summary).toMatchObject({ solved: true, attempts: 1, provider: 'fixture' });
    expect(summary.timings.total).toBeGreaterThan(0);
    expect(site.server.answerFor(attachmentBytes(image!))).toBe(summary.text); // the attached image is the one that was solved
    const accepted = site.server.stats().submissions.filter((s) => s.page === '/login' && s.ok).map((s) => s.given);
    expect(accepted).toEqual([summary.text]);
    // A failed solve attaches the error (code, answers tried); the site saw two wrong submissions, no success.
    const wrong = tests[1]!;
    const wrongJson = JSON.parse(attachmentText(wrong.attachments.find((a) => a.name === 'image-captcha.json')!)) as { error: { code: string; answers: string[] } };
    expect(wrongJson.error.code).toBe('ICS_ERR_WRONG_ANSWER');
    expect(wrongJson.error.answers).toHaveLength(2);
    const onLogin = site.server.stats().submissions.filter((s) => s.page === '/login');
    expect(onLogin.filter((s) => !s.ok).map((s) => s.given)).toEqual(wrongJson.error.answers);
    // The demo test used the offline model ('local' from the fixture options): the site accepted its answer.
    const demo = tests[2]!;
    const demoSummary = JSON.parse(attachmentText(demo.attachments.find((a) => a.name === 'image-captcha.json')!)) as { provider: string; text: string };
    expect(demoSummary.provider).toBe('local');
    expect(site.server.stats().submissions.filter((s) => s.page === '/demo' && s.ok).map((s) => s.given.toLowerCase())).toContain(demoSummary.text.toLowerCase());
  });

  it('attachments: nothing with imageCaptchaAttach: false; a failed solve attaches the last image read', { timeout: 180_000 }, async () => {
    site.server.reset();
    const { code, stdout, stderr } = await runPlaywright(['-c', 'test/e2e/playwright-test-project', '--reporter=json', '--workers=1'], {
      FIXTURE_URL: site.server.url,
      CHROMIUM_PATH,
      PW_OUTPUT_DIR: join(outDir.path, 'attach'),
    });
    let report: { suites?: unknown[] };
    try {
      report = JSON.parse(stdout) as typeof report;
    } catch {
      throw new Error(`no JSON report (exit ${code}):\n${stdout.slice(-2000)}\n${stderr.slice(-3000)}`);
    }
    const tests = flatten(report);
    const titles = {
      off: 'attach off: a solved and a failed call attach nothing',
      failed: 'a failed solve attaches the last image the solver read, next to the error JSON',
      notFound: 'a solve that fails before any image was read attaches only the error JSON',
    };
    expect(tests.map((t) => [t.title, t.status, t.error ?? '']).sort()).toEqual(Object.values(titles).map((t) => [t, 'passed', '']).sort());
    expect(code).toBe(0);
    const byTitle = (title: string) => tests.find((t) => t.title === title)!;
    const [off, failed, notFound] = [byTitle(titles.off), byTitle(titles.failed), byTitle(titles.notFound)];
    const names = (t: JsonTest) => t.attachments.map((a) => a.name).filter((n) => n.startsWith('image-captcha'));

    // attach off: both calls really ran (one accepted, one rejected answer on /login), and nothing was attached
    expect(names(off)).toEqual([]);
    const onLogin = site.server.stats().submissions.filter((s) => s.page === '/login').map((s) => s.ok);
    expect(onLogin).toEqual([true, false, false, false]); // attach-off: ok + wrong; the failed solve: wrong, wrong

    // a failed solve: the error JSON and the image of the LAST attempt (the one the second wrong answer was for)
    expect(names(failed)).toEqual([expect.stringMatching(/^image-captcha\.(png|jpg|gif|webp|bmp)$/), 'image-captcha.json']);
    const summary = JSON.parse(attachmentText(failed.attachments.find((a) => a.name === 'image-captcha.json')!)) as { error: { code: string; answers: string[] } };
    expect(summary.error.code).toBe('ICS_ERR_WRONG_ANSWER');
    expect(summary.error.answers).toHaveLength(2);
    const image = failed.attachments.find((a) => a.name !== 'image-captcha.json' && a.name.startsWith('image-captcha.'))!;
    expect(image.contentType).toMatch(/^image\//);
    const answer = site.server.answerFor(attachmentBytes(image));
    expect(answer, 'the attached image is one the site issued').toBeDefined();
    expect(wrongAnswer(answer!)).toBe(summary.error.answers[1]);
    expect(wrongAnswer(answer!)).not.toBe(summary.error.answers[0]);

    // failed before capture: the error JSON only
    expect(names(notFound)).toEqual(['image-captcha.json']);
    const nf = JSON.parse(attachmentText(notFound.attachments.find((a) => a.name === 'image-captcha.json')!)) as { error: { code: string } };
    expect(nf.error.code).toBe('ICS_ERR_CAPTCHA_NOT_FOUND');
  });
});
