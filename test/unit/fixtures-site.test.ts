import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { request } from 'undici';
import sharp from 'sharp';
import { createFixtureSolver, createHttpFixtureSolver, startFixtureServer, wrongAnswer, type FixtureServer } from '../../fixtures/site/index.js';

let server: FixtureServer;

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer; text: string }> {
  const res = await request(url, { headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString('utf8') };
}

async function post(url: string, form: Record<string, string>, json = false): Promise<{ status: number; text: string }> {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded' },
    body: json ? JSON.stringify(form) : new URLSearchParams(form).toString(),
  });
  return { status: res.statusCode, text: await res.body.text() };
}

function hidden(html: string, name: string): string {
  const m = new RegExp(`name="${name.replace(/[[\]]/g, '\\$&')}"[^>]*value="([^"]+)"`).exec(html);
  if (!m?.[1]) throw new Error(`no hidden ${name} in page`);
  return m[1];
}

/** Opens /login and fetches its captcha once: [id, bytes]. */
async function openLogin(base = server.url, path = '/login'): Promise<{ id: string; bytes: Buffer; html: string }> {
  const page = await get(base + path);
  const id = hidden(page.text, 'captcha_id');
  expect(page.text).toContain(`src="/captcha/securimage?id=${id}"`);
  const img = await get(`${base}/captcha/securimage?id=${id}`);
  expect(img.status).toBe(200);
  return { id, bytes: img.body, html: page.text };
}

beforeAll(async () => {
  server = await startFixtureServer({ seed: 42 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe('fixture site: /login (Securimage, one-time URL)', () => {
  it('serves the classic markup with decoys and no-store image headers', async () => {
    const page = await get(`${server.url}/login`);
    expect(page.status).toBe(200);
    for (const needle of ['id="captcha_image"', 'alt="CAPTCHA Image"', '[ Different Image ]', 'name="captcha_code"', 'autocomplete="off"', 'maxlength="6"',
      'class="logo"', 'captcha_play_image', 'captcha_refresh_image']) expect(page.text).toContain(needle);
    const id = hidden(page.text, 'captcha_id');
    const img = await get(`${server.url}/captcha/securimage?id=${id}`);
    expect(img.headers['content-type']).toBe('image/png');
    expect(String(img.headers['cache-control'])).toContain('no-store');
    const meta = await sharp(img.body).metadata();
    expect([meta.width, meta.height]).toEqual([215, 80]);
  });

  it('answerFor matches the served bytes and the answer logs in once', async () => {
    const { id, bytes } = await openLogin();
    const answer = server.answerFor(bytes);
    expect(answer).toMatch(/^[A-Za-z0-9]{6}$/);
    expect(server.answerFor(bytes.toString('base64'))).toBe(answer);
    expect(server.answerFor(`data:image/png;base64,${bytes.toString('base64')}`)).toBe(answer);
    expect(server.latestAnswer('/login')).toBe(answer);
    const ok = await post(`${server.url}/login`, { captcha_id: id, captcha_code: answer!.toLowerCase(), username: 'ann' });
    expect(ok.text).toContain('id="login-success"');
    expect(ok.text).toContain('ann');
    // single use: the same answer again fails
    const again = await post(`${server.url}/login`, { captcha_id: id, captcha_code: answer! });
    expect(again.text).not.toContain('login-success');
    expect(again.text).toContain('Incorrect security code entered');
    const s = server.stats();
    const c = s.captchas.find((x) => x.id === id)!;
    expect(c).toMatchObject({ page: '/login', issued: 1, imageRequests: 1, validated: 2, used: true, outcome: 'solved' });
    expect(s.totals).toMatchObject({ submissions: 2, ok: 1, failed: 1 });
  });

  it('a second GET of the image URL issues a new answer and invalidates the first', async () => {
    const { id, bytes } = await openLogin();
    const first = server.answerFor(bytes)!;
    const second = await get(`${server.url}/captcha/securimage?id=${id}`);
    const secondAnswer = server.answerFor(second.body)!;
    expect(second.body.equals(bytes)).toBe(false);
    expect(server.stats().captchas.find((x) => x.id === id)).toMatchObject({ issued: 2, imageRequests: 2 });
    if (secondAnswer.toLowerCase() !== first.toLowerCase()) {
      const stale = await post(`${server.url}/login`, { captcha_id: id, captcha_code: first });
      expect(stale.text).toContain('Incorrect security code entered');
    }
  });

  it('refresh (the cache-busted URL of the same id) gives a new answer', async () => {
    const { id, bytes } = await openLogin();
    const refreshed = await get(`${server.url}/captcha/securimage?id=${id}&0.123`);
    const a = server.answerFor(bytes)!;
    const b = server.answerFor(refreshed.body)!;
    expect(b).not.toBe(a);
    expect(server.latestAnswer('/login')).toBe(b);
    const ok = await post(`${server.url}/login`, { captcha_id: id, captcha_code: b });
    expect(ok.text).toContain('login-success');
  });

  it('a wrong answer re-renders the form with the error and a NEW captcha id', async () => {
    const { id, bytes } = await openLogin();
    const res = await post(`${server.url}/login`, { captcha_id: id, captcha_code: wrongAnswer(server.answerFor(bytes)!) });
    expect(res.status).toBe(200);
    expect(res.text).toContain('Incorrect security code entered');
    const newId = hidden(res.text, 'captcha_id');
    expect(newId).not.toBe(id);
    expect(server.stats().captchas.find((x) => x.id === id)).toMatchObject({ outcome: 'wrong', used: true });
    expect(server.latestAnswer('/login')).toBeUndefined();
  });

  it('unknown ids get 404 and an empty answer fails', async () => {
    expect((await get(`${server.url}/captcha/securimage?id=nope`)).status).toBe(404);
    const { id } = await openLogin();
    expect((await post(`${server.url}/login`, { captcha_id: id, captcha_code: '' })).text).toContain('Incorrect security code entered');
  });
});

describe('fixture site: other deliveries', () => {
  it('/data-url inlines JPEG bytes whose answer answerFor knows', async () => {
    const page = await get(`${server.url}/data-url`);
    const m = /src="data:image\/jpeg;base64,([^"]+)"/.exec(page.text)!;
    const answer = server.answerFor(m[1]!)!;
    expect(answer).toMatch(/^\w{5}$/);
    const key = hidden(page.text, 'form[captcha_key]');
    const bad = await post(`${server.url}/data-url`, { 'form[captcha_key]': key, 'form[captcha]': wrongAnswer(answer) });
    expect(bad.text).toContain('Bad code value');
    const page2 = await get(`${server.url}/data-url`);
    const answer2 = server.answerFor(/src="data:image\/jpeg;base64,([^"]+)"/.exec(page2.text)![1]!)!;
    const ok = await post(`${server.url}/data-url`, { 'form[captcha_key]': hidden(page2.text, 'form[captcha_key]'), 'form[captcha]': answer2 });
    expect(ok.text).toContain('contact-success');
  });

  it('/ruoyi: /captchaImage gives JPEG bytes labelled for a gif data URL, math answer, JSON login', async () => {
    const page = await get(`${server.url}/ruoyi`);
    expect(page.text).toContain('img class="login-code-img"');
    expect(page.text).toContain("'data:image/gif;base64,'");
    const cap = JSON.parse((await get(`${server.url}/captchaImage`)).text) as { img: string; uuid: string };
    const bytes = Buffer.from(cap.img, 'base64');
    expect(bytes.subarray(0, 3).toString('hex')).toBe('ffd8ff');
    const answer = server.answerFor(cap.img)!;
    expect(answer).toMatch(/^-?\d+$/);
    const bad = JSON.parse((await post(`${server.url}/ruoyi/login`, { username: 'admin', password: 'admin123', code: String(Number(answer) + 1), uuid: cap.uuid }, true)).text);
    expect(bad).toEqual({ msg: '验证码错误', code: 500 });
    const cap2 = JSON.parse((await get(`${server.url}/captchaImage`)).text) as { img: string; uuid: string };
    const ok = JSON.parse((await post(`${server.url}/ruoyi/login`, { username: 'admin', password: 'admin123', code: server.answerFor(cap2.img)!, uuid: cap2.uuid }, true)).text);
    expect(ok.code).toBe(200);
    const dash = await get(`${server.url}/ruoyi/index?token=${ok.token}`);
    expect(dash.text).toContain('ruoyi-dashboard');
    expect((await get(`${server.url}/ruoyi/index?token=forged`)).status).toBe(401);
  });

  it('/svg: inline svg-captcha of paths only; answer by markup', async () => {
    const res = JSON.parse((await get(`${server.url}/api/svg-captcha`)).text) as { id: string; data: string };
    expect(res.data.startsWith('<svg')).toBe(true);
    expect(res.data).toContain('<path');
    expect(res.data).not.toContain('<text');
    const answer = server.answerFor(Buffer.from(res.data))!;
    expect(answer).toMatch(/^\w{4}$/);
    // a browser's re-serialisation (explicit close tags, other attribute quoting) still matches by path data
    const reserialised = res.data.replace(/"\/>/g, '"></path>').replace(/fill="([^"]*)"/g, "fill='$1'");
    expect(reserialised).not.toBe(res.data);
    expect(server.answerFor(reserialised)).toBe(answer);
    expect(server.answerFor(Buffer.from(reserialised).toString('base64'))).toBe(answer);
    expect(server.answerFor(res.data.replace(/d="M/, 'd="M1'))).toBeUndefined();
    const ok = await post(`${server.url}/svg`, { captcha_id: res.id, captcha: answer });
    expect(ok.text).toContain('svg-success');
  });

  it('/canvas: drawing instructions spell the answer that the server checks', async () => {
    const res = JSON.parse((await get(`${server.url}/api/canvas/challenge`)).text) as { id: string; drawing: { chars: Array<{ ch: string }> } };
    const drawn = res.drawing.chars.map((c) => c.ch).join('');
    expect(server.latestAnswer('/canvas')).toBe(drawn);
    expect((await post(`${server.url}/canvas`, { canvas_id: res.id, code_input: wrongAnswer(drawn) })).text).toContain('验证码错误');
    const res2 = JSON.parse((await get(`${server.url}/api/canvas/challenge`)).text) as { id: string; drawing: { chars: Array<{ ch: string }> } };
    const ok = await post(`${server.url}/canvas`, { canvas_id: res2.id, code_input: res2.drawing.chars.map((c) => c.ch).join('') });
    expect(ok.text).toContain('canvas-success');
  });

  it('/css-background and /demo use one-time URLs', async () => {
    for (const [path, route, idField] of [['/css-background', '/captcha/bg', 'verify_id'], ['/demo', '/captcha/demo.png', 'captcha_id']] as const) {
      const page = await get(server.url + path);
      const id = hidden(page.text, idField);
      expect(page.text).toContain(`${route}?id=${id}`);
      const a = await get(`${server.url}${route}?id=${id}`);
      const b = await get(`${server.url}${route}?id=${id}`);
      expect(a.body.equals(b.body)).toBe(false);
      expect(server.stats().captchas.find((c) => c.id === id)).toMatchObject({ imageRequests: 2, issued: 2 });
    }
  });
});

describe('fixture site: cross origin, HTTP lookup, solver', () => {
  it('the cross-origin server answers on its own port and checks answers there', async () => {
    expect(new URL(server.crossOriginUrl).hostname).toBe('localhost');
    expect(new URL(server.crossOriginUrl).port).not.toBe(new URL(server.url).port);
    const top = await get(`${server.url}/iframe-cross`);
    expect(top.text).toContain(`src="${server.crossOriginUrl}/iframe-cross/frame"`);
    const cross = server.crossOriginUrl.replace('localhost', '127.0.0.1');
    const { id, bytes } = await openLogin(cross, '/iframe-cross/frame');
    // the main origin does not know the cross-origin captcha
    expect((await get(`${server.url}/captcha/securimage?id=${id}`)).status).toBe(404);
    expect(server.stats().captchas.find((c) => c.id === id)).toMatchObject({ origin: 'cross', page: '/iframe-cross', imageRequests: 1 });
    const ok = await post(`${cross}/iframe-cross/frame`, { captcha_id: id, captcha_code: server.answerFor(bytes)! });
    expect(ok.text).toContain('login-success');
  });

  it('POST /__fixture/answer and GET /__fixture/stats work over HTTP', async () => {
    const { bytes } = await openLogin();
    const hit = JSON.parse((await post(`${server.url}/__fixture/answer`, { body: bytes.toString('base64') }, true)).text);
    expect(hit).toMatchObject({ answer: server.answerFor(bytes), matchedBytes: true, via: 'bytes' });
    const miss = JSON.parse((await post(`${server.url}/__fixture/answer`, { body: Buffer.from('not the image').toString('base64'), websiteURL: `${server.url}/login` }, true)).text);
    expect(miss).toMatchObject({ answer: server.answerFor(bytes), matchedBytes: false, via: 'latest-page' });
    const stats = JSON.parse((await get(`${server.url}/__fixture/stats`)).text);
    expect(stats.totals.imageRequests).toBe(1);
    const pages = JSON.parse((await get(`${server.url}/__fixture/pages`)).text) as Array<{ path: string }>;
    expect(pages.map((p) => p.path)).toEqual(server.pages.map((p) => p.path));
  });

  it('createFixtureSolver: bytes first, latest as fallback, wrongFirst, records calls', async () => {
    const solver = createFixtureSolver(server, { wrongFirst: 1 });
    expect(solver.name).toBe('fixture');
    const { bytes } = await openLogin();
    const answer = server.answerFor(bytes)!;
    const first = await solver.solve({ body: bytes.toString('base64'), websiteURL: `${server.url}/login` });
    expect(first.text).not.toBe(answer);
    expect(first.text.toLowerCase()).not.toBe(answer.toLowerCase());
    expect(first.text).toHaveLength(answer.length);
    expect(first.raw).toMatchObject({ matchedBytes: true, wrong: true });
    const second = await solver.solve({ body: bytes.toString('base64'), websiteURL: `${server.url}/login` });
    expect(second).toMatchObject({ text: answer, provider: 'fixture', raw: { matchedBytes: true, wrong: false } });
    const shot = await sharp({ create: { width: 215, height: 80, channels: 3, background: '#fff' } }).png().toBuffer();
    const third = await solver.solve({ body: shot.toString('base64'), websiteURL: `${server.url}/login` });
    expect(third).toMatchObject({ text: answer, raw: { matchedBytes: false, via: 'latest-page' } });
    expect(solver.calls.map((c) => c.websiteURL)).toEqual([`${server.url}/login`, `${server.url}/login`, `${server.url}/login`]);
    server.reset();
    await expect(solver.solve({ body: shot.toString('base64') })).rejects.toMatchObject({ code: 'ICS_ERR_UNSOLVABLE' });
  });

  it('createFixtureSolver: unsolvableFirst, delayMs with abort, reportIncorrect', async () => {
    const { bytes } = await openLogin();
    const body = bytes.toString('base64');
    const solver = createFixtureSolver(server, { unsolvableFirst: 1, wrongFirst: 1, delayMs: 50 });
    await expect(solver.solve({ body })).rejects.toMatchObject({ code: 'ICS_ERR_UNSOLVABLE' });
    const wrong = await solver.solve({ body });
    expect(wrong.raw).toMatchObject({ wrong: true });
    await solver.reportIncorrect!(wrong);
    expect(solver.reported).toEqual([wrong]);
    const right = await solver.solve({ body });
    expect(right.text).toBe(server.answerFor(bytes));
    expect(right.elapsedMs).toBeGreaterThanOrEqual(45);
    const ac = new AbortController();
    const reason = new Error('stop');
    const pending = solver.solve({ body }, { signal: ac.signal });
    ac.abort(reason);
    await expect(pending).rejects.toBe(reason);
    expect(solver.calls).toHaveLength(4);
  });

  it('createHttpFixtureSolver answers through /__fixture/answer', async () => {
    const { bytes } = await openLogin();
    const solver = createHttpFixtureSolver(server.url);
    const sol = await solver.solve({ body: bytes.toString('base64') });
    expect(sol).toMatchObject({ text: server.answerFor(bytes), raw: { matchedBytes: true } });
  });

  it('options.styles swaps a page\'s generator and rejects impossible swaps', async () => {
    const custom = await startFixtureServer({ styles: { '/login': 'demo' } });
    try {
      expect(custom.page('/login').style).toBe('demo');
      const { bytes } = await openLogin(custom.url);
      expect(await sharp(bytes).metadata()).toMatchObject({ width: 150, height: 50 });
      expect(custom.answerFor(bytes)).toMatch(/^\w{5}$/);
    } finally {
      await custom.close();
    }
    await expect(startFixtureServer({ styles: { '/svg': 'demo' } })).rejects.toThrow(/cannot be swapped/);
    await expect(startFixtureServer({ styles: { '/nope': 'demo' } })).rejects.toThrow(/unknown page/);
    await expect(startFixtureServer({ styles: { '/login': 'gverify' as never } })).rejects.toThrow(/not one of/);
  });

  it('answers differ per captcha and follow the seed', async () => {
    const answers = new Set<string>();
    for (let i = 0; i < 5; i++) answers.add(server.answerFor((await openLogin()).bytes)!);
    expect(answers.size).toBe(5);
    const a = await startFixtureServer({ seed: 7 });
    const b = await startFixtureServer({ seed: 7 });
    try {
      const [x, y] = [await openLogin(a.url), await openLogin(b.url)];
      expect(a.answerFor(x.bytes)).toBe(b.answerFor(y.bytes));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe('fixture site: stats sizes and test knobs', () => {
  it('stats report each captcha\'s natural size and MIME', async () => {
    const { id } = await openLogin();
    await get(`${server.url}/api/svg-captcha`);
    await get(`${server.url}/api/canvas/challenge`);
    const byPage = (p: string) => server.stats().captchas.find((c) => c.page === p);
    expect(server.stats().captchas.find((c) => c.id === id)).toMatchObject({ width: 215, height: 80, mime: 'image/png' });
    expect(byPage('/svg')).toMatchObject({ width: 150, height: 50, mime: 'image/svg+xml' });
    expect(byPage('/canvas')).toMatchObject({ width: 120, height: 40 });
  });

  it('?imageDelayMs slows the image, ?navigateAfterMs and ?detachAfterMs add their scripts', async () => {
    const page = await get(`${server.url}/login?imageDelayMs=300`);
    const id = hidden(page.text, 'captcha_id');
    expect(page.text).toContain(`/captcha/securimage?id=${id}&amp;delay=300`);
    const t0 = Date.now();
    const img = await get(`${server.url}/captcha/securimage?id=${id}&delay=300`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(server.answerFor(img.body)).toBeDefined();
    expect((await get(`${server.url}/login?navigateAfterMs=500`)).text).toContain("location.href = '/logout'");
    expect((await get(`${server.url}/iframe?detachAfterMs=500`)).text).toContain('f.remove()');
    expect((await get(`${server.url}/login`)).text).not.toContain('location.href');
  });
});

describe('fixture site CLI', () => {
  it('serves under tsx, prints its URLs as JSON, and exits 0 on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'fixtures/site/cli.ts', '--json', '--seed', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no JSON line from the CLI: ${out}`)), 20_000);
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('\n')) {
            clearTimeout(timer);
            resolve(out.split('\n')[0]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`CLI exited early with ${code}`)));
      });
      const info = JSON.parse(line) as { url: string; crossOriginUrl: string; seed: number; pages: string[] };
      expect(info.seed).toBe(5);
      expect(info.pages).toContain('/login');
      const page = await get(`${info.url}/login`);
      expect(page.text).toContain('captcha_image');
      const { bytes } = await openLogin(info.url);
      const hit = JSON.parse((await post(`${info.url}/__fixture/answer`, { body: bytes.toString('base64') }, true)).text);
      expect(hit).toMatchObject({ matchedBytes: true });
      expect(hit.answer).toMatch(/^\w{6}$/);
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
