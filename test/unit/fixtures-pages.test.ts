/** HTTP-level checks of the page-specific behaviours (no browser). */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FormData, request } from 'undici';
import sharp from 'sharp';
import { startFixtureServer, wrongAnswer, type FixtureServer } from '../../fixtures/site/index.js';

let server: FixtureServer;

async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body, text: body.toString('utf8') };
}

async function post(url: string, form: Record<string, string>, type: 'form' | 'json' | 'multipart' = 'form') {
  let body: string | FormData;
  const headers: Record<string, string> = {};
  if (type === 'json') {
    body = JSON.stringify(form);
    headers['content-type'] = 'application/json';
  } else if (type === 'multipart') {
    body = new FormData();
    for (const [k, v] of Object.entries(form)) body.append(k, v);
  } else {
    body = new URLSearchParams(form).toString();
    headers['content-type'] = 'application/x-www-form-urlencoded';
  }
  const res = await request(url, { method: 'POST', headers, body });
  return { status: res.statusCode, text: await res.body.text() };
}

const attr = (html: string, re: RegExp): string => {
  const m = re.exec(html);
  if (!m?.[1]) throw new Error(`no match for ${re}`);
  return m[1];
};

beforeAll(async () => {
  server = await startFixtureServer({ seed: 11 });
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => server.reset());

describe('fixture pages over HTTP', () => {
  it('every page answers 200 and lists complete metadata', async () => {
    for (const p of server.pages) {
      const res = await get(server.url + p.path);
      expect(res.status, p.path).toBe(200);
      expect(p.selectors.image && p.selectors.input && p.selectors.submit, p.path).toBeTruthy();
      expect(p.success && p.successText && p.failure && p.failureText, p.path).toBeTruthy();
    }
    expect(new Set(server.pages.map((p) => p.path)).size).toBe(server.pages.length);
    expect(() => server.page('/nope')).toThrow(/no page \/nope/);
  });

  it('/two-captchas: each form has its own captcha, and an answer only works in its own form', async () => {
    const page = await get(`${server.url}/two-captchas`);
    const loginId = attr(page.text, /id="login_captcha_id" value="(\w+)"/);
    const registerId = attr(page.text, /id="register_captcha_id" value="(\w+)"/);
    expect(loginId).not.toBe(registerId);
    const loginImg = await get(`${server.url}/captcha/securimage?id=${loginId}`);
    await get(`${server.url}/captcha/securimage?id=${registerId}`);
    expect(server.latestAnswer('/two-captchas#login')).toBe(server.answerFor(loginImg.body));
    // the login answer posted as the register form fails
    const cross = await post(`${server.url}/two-captchas`, { form: 'register', captcha_id: loginId, captcha_code: server.answerFor(loginImg.body)! });
    expect(cross.text).toContain('register_captcha-error');
    expect(cross.text).not.toContain('register-success');
    const ok = await post(`${server.url}/two-captchas`, { form: 'register', captcha_id: registerId, captcha_code: server.latestAnswer('/two-captchas#register')!, email: 'a@b.c' });
    expect(ok.text).toContain('id="register-success"');
    expect(ok.text).toContain('id="login_captcha_image"');
  });

  it('/phpbb: the image is stable per confirm_id; refresh_vc reposts with a new id and checks nothing', async () => {
    const page = await get(`${server.url}/phpbb`);
    const id = attr(page.text, /name="confirm_id" id="confirm_id" value="(\w+)"/);
    expect(page.text.indexOf('id="refresh_vc"')).toBeLessThan(page.text.indexOf('id="submit"'));
    const a = await get(`${server.url}/ucp.php?mode=confirm&confirm_id=${id}&type=1`);
    const b = await get(`${server.url}/ucp.php?mode=confirm&confirm_id=${id}&type=1`);
    expect(a.body.equals(b.body)).toBe(true);
    expect(await sharp(a.body).metadata()).toMatchObject({ width: 360, height: 96 });
    expect(server.stats().captchas.find((c) => c.id === id)).toMatchObject({ issued: 1, imageRequests: 2 });
    const refreshed = await post(`${server.url}/phpbb`, { confirm_id: id, confirm_code: '', refresh_vc: 'Refresh confirmation code' });
    expect(attr(refreshed.text, /name="confirm_id" id="confirm_id" value="(\w+)"/)).not.toBe(id);
    expect(refreshed.text).not.toContain('phpbb-error');
    expect(server.stats().totals.submissions).toBe(0);
    const ok = await post(`${server.url}/phpbb`, { confirm_id: id, confirm_code: server.answerFor(a.body)!, submit: 'Submit', username: 'bob' });
    expect(ok.text).toContain('phpbb-success');
  });

  it('/cf7: cacheable static file, deleted after the check; failure refills a new file', async () => {
    const page = await get(`${server.url}/cf7`);
    const id = attr(page.text, /name="_wpcf7_captcha_challenge_captcha-170" value="(\d+)"/);
    const file = `${server.url}/wp-content/uploads/wpcf7_captcha/${id}.png`;
    expect(page.text).toContain(`src="/wp-content/uploads/wpcf7_captcha/${id}.png"`);
    const a = await get(file);
    const b = await get(file);
    expect(a.body.equals(b.body)).toBe(true);
    expect(String(a.headers['cache-control'])).toContain('max-age');
    expect(await sharp(a.body).metadata()).toMatchObject({ width: 72, height: 24 });
    const endpoint = `${server.url}/wp-json/contact-form-7/v1/contact-forms/42/feedback`;
    const bad = JSON.parse((await post(endpoint, { '_wpcf7_captcha_challenge_captcha-170': id, 'captcha-170': wrongAnswer(server.answerFor(a.body)!) }, 'multipart')).text);
    expect(bad).toMatchObject({ status: 'validation_failed', invalid_fields: [{ field: 'captcha-170', message: 'Your entered code is incorrect.' }] });
    expect((await get(file)).status).toBe(404);
    const next = String(bad.captcha['captcha-170']);
    const nextId = attr(next, /(\d+)\.png$/);
    const img = await get(server.url + next);
    const ok = JSON.parse((await post(endpoint, { '_wpcf7_captcha_challenge_captcha-170': nextId, 'captcha-170': server.answerFor(img.body)! }, 'multipart')).text);
    expect(ok).toMatchObject({ status: 'mail_sent', message: 'Thank you for your message. It has been sent.' });
  });

  it('/lazy: the seccode is written by a script; the image needs a same-host Referer and is one-time', async () => {
    const page = await get(`${server.url}/lazy`);
    expect(page.text).not.toContain('seccodeverify');
    const hash = attr(page.text, /updateseccode\("(\w+)"\)/);
    const js = await get(`${server.url}/misc.php?mod=seccode&action=update&idhash=${hash}&0.5`);
    expect(js.headers['content-type']).toContain('javascript');
    expect(js.text).toContain('loading=\\"lazy\\"');
    const src = attr(js.text, /src=\\"(misc\.php\?mod=seccode&update=\d+&idhash=\w+)\\"/);
    const denied = await get(`${server.url}/${src}`);
    expect(denied).toMatchObject({ status: 403, text: 'Access Denied' });
    const img = await get(`${server.url}/${src}`, { referer: `${server.url}/lazy` });
    expect(img.headers['content-type']).toBe('image/gif');
    const answer = server.answerFor(img.body)!;
    expect(answer).toMatch(/^[a-z]{5}$/);
    expect(server.stats().captchas.find((c) => c.id === hash)).toMatchObject({ imageRequests: 1, delivery: 'injected' });
    const ok = await post(`${server.url}/lazy`, { seccodehash: hash, seccodeverify: answer.toUpperCase(), username: 'li' });
    expect(ok.text).toContain('lazy-success');
  });

  it('/queue: XHR challenge, verify, token-gated target, limited tries', async () => {
    const challenge = async () => JSON.parse((await post(`${server.url}/challengeapi/queueitcaptcha/challenge/en-us`, {}, 'json')).text) as { imageBase64: string; sessionId: string };
    const page = await get(`${server.url}/queue?c=acme&e=sale`);
    for (const needle of ['queue-it', 'img class="captcha-code"', 'id="solution"', 'botdetect-button', 'buttonJoinQueue', 'buttonConfirmRedirect']) expect(page.text).toContain(needle);
    const verify = (c: { sessionId: string }, solution: string) => post(`${server.url}/challengeapi/verify`, { challengeType: 'botdetect', sessionId: c.sessionId, solution, customerId: 'acme', eventId: 'sale' }, 'json').then((r) => JSON.parse(r.text));
    const c1 = await challenge();
    expect(await verify(c1, wrongAnswer(server.answerFor(c1.imageBase64)!))).toMatchObject({ isVerified: false, allTriesUsed: false });
    const c2 = await challenge();
    const ok = await verify(c2, server.answerFor(c2.imageBase64)!);
    expect(ok.isVerified).toBe(true);
    expect((await get(`${server.url}/queue/target?queueittoken=${encodeURIComponent(ok.sessionInfo.token)}`)).text).toContain('queue-target');
    expect((await get(`${server.url}/queue/target?queueittoken=forged`)).status).toBe(403);
    let last: { allTriesUsed?: boolean } = {};
    for (let i = 0; i < 5; i++) {
      const c = await challenge();
      last = await verify(c, wrongAnswer(server.answerFor(c.imageBase64)!));
    }
    expect(last.allTriesUsed).toBe(true);
    const c3 = await challenge();
    expect(await verify(c3, server.answerFor(c3.imageBase64)!)).toMatchObject({ isVerified: false, allTriesUsed: true });
  });

  it('/xhr: /reload-captcha returns a new <img> key; wrong answers get 422 JSON', async () => {
    const page = await get(`${server.url}/xhr`);
    const key = attr(page.text, /name="captcha_key" id="captcha_key" value="(\w+)"/);
    expect(page.text).toContain(`<img src="/captcha/default?${key}"`);
    const img = await get(`${server.url}/captcha/default?${key}`);
    const bad = await post(`${server.url}/api/xhr/submit`, { captcha_key: key, captcha: wrongAnswer(server.answerFor(img.body)!) });
    expect(bad.status).toBe(422);
    expect(JSON.parse(bad.text).errors.captcha[0]).toBe('The captcha is incorrect.');
    const reload = JSON.parse((await get(`${server.url}/reload-captcha`)).text) as { captcha: string; key: string };
    expect(reload.key).not.toBe(key);
    const img2 = await get(`${server.url}/captcha/default?${reload.key}`);
    const ok = await post(`${server.url}/api/xhr/submit`, { captcha_key: reload.key, captcha: server.answerFor(img2.body)! });
    expect(ok.status).toBe(200);
  });

  it('/react: the verify API is single-use', async () => {
    const { id } = JSON.parse((await post(`${server.url}/api/react/captcha`, {}, 'json')).text) as { id: string };
    const img = await get(`${server.url}/captcha/react?id=${id}`);
    const answer = server.answerFor(img.body)!;
    const verify = () => post(`${server.url}/api/react/verify`, { id, code: answer }, 'json').then((r) => JSON.parse(r.text));
    expect(await verify()).toMatchObject({ ok: true });
    expect(await verify()).toMatchObject({ ok: false });
  });

  it('/botdetect: icons come from the captcha handler; the image is stable per instance; reload gives a new instance', async () => {
    const page = await get(`${server.url}/botdetect`);
    const id = attr(page.text, /name="BDC_VCID_ExampleCaptcha" id="BDC_VCID_ExampleCaptcha" value="(\w+)"/);
    expect(page.text).toContain('href="//captcha.org/captcha.html?asp.net"');
    const icon = await get(`${server.url}/BotDetectCaptcha.ashx?get=reload-icon`);
    expect(await sharp(icon.body).metadata()).toMatchObject({ width: 32, height: 32 });
    expect(server.answerFor(icon.body)).toBeUndefined();
    const a = await get(`${server.url}/BotDetectCaptcha.ashx?get=image&c=ExampleCaptcha&t=${id}`);
    const b = await get(`${server.url}/BotDetectCaptcha.ashx?get=image&c=ExampleCaptcha&t=${id}`);
    expect(a.body.equals(b.body)).toBe(true);
    const newId = (await get(`${server.url}/BotDetectCaptcha.ashx?get=reload&c=ExampleCaptcha`)).text;
    expect(newId).not.toBe(id);
    const bad = await post(`${server.url}/botdetect`, { BDC_VCID_ExampleCaptcha: id, CaptchaCode: wrongAnswer(server.answerFor(a.body)!) });
    expect(bad.text).toContain('CaptchaErrorLabel');
    const img = await get(`${server.url}/BotDetectCaptcha.ashx?get=image&c=ExampleCaptcha&t=${newId}`);
    expect((await post(`${server.url}/botdetect`, { BDC_VCID_ExampleCaptcha: newId, CaptchaCode: server.answerFor(img.body)! })).text).toContain('botdetect-success');
  });

  it('/django: stable per key, 410 Gone once used, refresh JSON', async () => {
    const page = await get(`${server.url}/django`);
    const key = attr(page.text, /name="captcha_0" value="(\w+)"/);
    const url = `${server.url}/captcha/image/${key}/`;
    const a = await get(url);
    expect(a.body.equals((await get(url)).body)).toBe(true);
    expect((await post(`${server.url}/django`, { captcha_0: key, captcha_1: server.answerFor(a.body)! })).text).toContain('django-success');
    expect((await get(url)).status).toBe(410);
    const refresh = JSON.parse((await get(`${server.url}/captcha/refresh/`, { 'x-requested-with': 'XMLHttpRequest' })).text) as { key: string; image_url: string };
    expect(refresh.image_url).toBe(`/captcha/image/${refresh.key}/`);
    expect((await get(server.url + refresh.image_url)).status).toBe(200);
  });

  it('/conditional: captcha hidden until needCaptcha says true; the image is bound to the JSESSIONID cookie', async () => {
    const res = await request(`${server.url}/conditional`);
    const html = await res.body.text();
    expect(html).toContain('id="captchaDiv" style="display:none"');
    const setCookie = String(res.headers['set-cookie']);
    const sid = attr(setCookie, /JSESSIONID=(\w+)/);
    expect(html).toContain(`value="LT-${sid}-cas"`);
    expect((await get(`${server.url}/authserver/needCaptcha.html?username=alice`)).text).toBe('true');
    expect((await get(`${server.url}/authserver/captcha.html?ts=1`)).status).toBe(404);
    const img = await get(`${server.url}/authserver/captcha.html?ts=2`, { cookie: `JSESSIONID=${sid}` });
    expect(img.headers['content-type']).toBe('image/jpeg');
    const answer = server.answerFor(img.body)!;
    const bad = await post(`${server.url}/conditional`, { lt: `LT-${sid}-cas`, captchaResponse: wrongAnswer(answer), username: 'alice' });
    expect(bad.text).toContain('无效的验证码');
    expect(bad.text).toContain('value="alice"');
    expect(bad.text).toContain('checkNeedCaptcha();');
  });

  it('/blob: the script fetches a one-time image by key and shows it through an object URL; JSON login', async () => {
    const page = await get(`${server.url}/blob`);
    expect(page.text).toContain('URL.createObjectURL(blob)');
    expect(page.text).toContain('<img id="blob-captcha-img"');
    expect(page.text).not.toMatch(/src="[^"]*\/api\/blob/); // the image URL is in no attribute
    expect(page.text).not.toContain('revokeOnLoad = true');
    expect((await get(`${server.url}/blob?revokeOnLoad=1`)).text).toContain('revokeOnLoad = true');
    const keyOf = async () => (JSON.parse((await post(`${server.url}/api/blob/captcha-key`, {}, 'json')).text) as { key: string }).key;
    const key = await keyOf();
    expect(server.stats().captchas.find((c) => c.id === key)).toMatchObject({ delivery: 'blob', issued: 0, imageRequests: 0, page: '/blob' });
    const a = await get(`${server.url}/api/blob/captcha?key=${key}`);
    expect(a.headers['content-type']).toBe('image/jpeg');
    expect(String(a.headers['cache-control'])).toContain('no-store');
    expect(await sharp(a.body).metadata()).toMatchObject({ width: 200, height: 50, format: 'jpeg' });
    const first = server.answerFor(a.body)!;
    // one-time: a second GET of the same URL shows a different captcha and the first answer stops working
    const b = await get(`${server.url}/api/blob/captcha?key=${key}`);
    expect(b.body.equals(a.body)).toBe(false);
    expect(server.stats().captchas.find((c) => c.id === key)).toMatchObject({ issued: 2, imageRequests: 2 });
    const login = (k: string, code: string) => post(`${server.url}/api/blob/login`, { username: 'admin', password: 'admin123', key: k, code }, 'json').then((r) => JSON.parse(r.text) as { code: number; msg: string });
    expect(await login(key, first)).toMatchObject({ code: 500, msg: 'Incorrect verification code' });
    expect(await login(key, server.answerFor(b.body)!)).toMatchObject({ code: 500, msg: 'Verification code expired' }); // used up by the wrong try
    const key2 = await keyOf();
    expect(key2).not.toBe(key);
    const c = await get(`${server.url}/api/blob/captcha?key=${key2}`);
    expect(await login(key2, server.answerFor(c.body)!.toUpperCase())).toMatchObject({ code: 200, msg: 'Signed in. Welcome back, admin!' });
    expect(await login(key2, server.answerFor(c.body)!)).toMatchObject({ code: 500 });
    expect((await get(`${server.url}/api/blob/captcha?key=nope`)).status).toBe(404);
  });

  it('/decoys: the Bitrix captcha is stable per sid and the decoys are not captchas', async () => {
    const page = await get(`${server.url}/decoys`);
    const sid = attr(page.text, /name="captcha_sid" value="(\w+)"/);
    for (const decoy of ['/static/banner.png', '/static/avatar.png', '/static/qr.png', '/static/logo.png']) {
      const img = await get(server.url + decoy);
      expect(img.status).toBe(200);
      expect(server.answerFor(img.body)).toBeUndefined();
    }
    expect(await sharp((await get(`${server.url}/static/banner.png`)).body).metadata()).toMatchObject({ width: 180, height: 40 });
    const img = await get(`${server.url}/bitrix/tools/captcha.php?captcha_sid=${sid}`);
    expect(await sharp(img.body).metadata()).toMatchObject({ width: 180, height: 40, format: 'jpeg' });
    expect((await post(`${server.url}/decoys`, { captcha_sid: sid, captcha_word: server.answerFor(img.body)! })).text).toContain('bitrix-success');
  });
});
