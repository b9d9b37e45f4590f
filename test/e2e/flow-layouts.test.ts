/**
 * Issue 30: which answer input and which submit control the scan picks on small hand-written layouts (inline,
 * table, div, placeholder-only, label-less, decoy forms, SPA boxes without a form; several languages), over BOTH
 * adapters. Nothing is solved here: flow-forms.test.ts solves the fixture pages with the server checking every field.
 */
import { describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { findImageCaptchas } from '../../src/flow/index.js';
import { ADAPTERS } from '../support/browsers.js';
import { useFixtureBrowser } from '../support/e2e.js';

interface Layout {
  name: string;
  /** `IMG` stands for the captcha <img>. */
  html: string;
  input: string | 'ambiguous' | 'none';
  submit?: string;
}

const LAYOUTS: Layout[] = [
  {
    name: 'the report: prefilled user name and password inline before the image',
    html: '<form method=post>Username <input name=u value=alice> Password <input type=password name=p value=b><br>IMG <input name=code><button id=go>Log in</button></form>',
    input: 'input[name="code"]', submit: '#go',
  },
  {
    name: 'placeholders only, a prefilled user name',
    html: '<form><input name=a1 placeholder="Username" value="bob"> <input type=password name=a2 placeholder="Password"><br>IMG <input name=a3 placeholder="Enter the characters"> <button id=go>Sign in</button></form>',
    input: 'input[name="a3"]', submit: '#go',
  },
  {
    name: 'label-less and empty, a link submit',
    html: '<form><input name=x1> <input type=password name=x2><br>IMG <input name=x3> <a href="#" id=go onclick="return false">Continue</a> <a href="#" onclick="return false">Forgot password?</a></form>',
    input: 'input[name="x3"]', submit: '#go',
  },
  {
    name: 'the answer input before the image on its row (OpenCart)',
    html: '<form>Name <input name=n><br>Code <input name=k> IMG<br><input type=submit id=go value="Send"></form>',
    input: 'input[name="k"]', submit: '#go',
  },
  {
    name: 'a table: prefilled e-mail, image row, answer row below, a role=button div',
    html: '<form><table><tr><td>E-mail</td><td><input name=em value="a@b.c"></td></tr><tr><td>Image</td><td>IMG</td></tr><tr><td></td><td><input name=sec></td></tr></table><div role=button id=go onclick="">Submit</div> <div role=button onclick="">Register</div></form>',
    input: 'input[name="sec"]', submit: '#go',
  },
  {
    name: 'a search form before, a span submit (Russian)',
    html: '<form action="/s"><input name=q placeholder="Поиск"><button>Найти</button></form><form>Логин <input name=user value="ivan"> IMG <input name=c> <span id=go style="cursor:pointer" onclick="">Войти</span> <span style="cursor:pointer" onclick="">English</span></form>',
    input: 'input[name="c"]', submit: '#go',
  },
  {
    name: 'RuoYi-like div box, no form, no names (Chinese)',
    html: '<div class=login><div><input class=el-input__inner placeholder="账号" value="admin"></div><div><input class=el-input__inner type=password placeholder="密码" value="admin123"></div><div class=code><input class=el-input__inner placeholder="验证码" id=cc> IMG</div><button type=button id=go class="el-button el-button--primary"><span>登 录</span></button> <span style="cursor:pointer" onclick="">忘记密码</span></div>',
    input: '#cc', submit: '#go',
  },
  {
    name: 'SPA box with a prefilled phone and a div submit (Chinese)',
    html: '<style>.btn{cursor:pointer;display:inline-block}</style><div id=app><input placeholder="手机号" id=ph value="13800000000"><br>IMG <input placeholder="请输入图片中的字符" id=cc><div class=btn id=go>立即登录</div> <div class=btn>注册</div></div>',
    input: '#cc', submit: '#go',
  },
  {
    name: 'Spanish: links for forgotten password and sign-up before "Entrar"',
    html: '<form>Usuario <input name=us value="maría"><br>IMG <input name=r> <a href="#" onclick="return false">¿Olvidaste tu contraseña?</a> <a href="#" onclick="return false">Registrarse</a> <a href="javascript:void(0)" id=go onclick="">Entrar</a></form>',
    input: 'input[name="r"]', submit: '#go',
  },
  {
    name: 'Turkish: upper-case GİRİŞ on a div, a language link',
    html: '<form>Kullanıcı adı <input name=k value="ayse"><br>IMG <input name=kod> <div id=go style="cursor:pointer;text-transform:uppercase" onclick="">Giriş</div> <a href="?lang=en">English</a></form>',
    input: 'input[name="kod"]', submit: '#go',
  },
  {
    name: 'a prefilled field right after the image, the answer input after it',
    html: '<form>IMG <input name=login value="bob"> <input name=cap> <button id=go>OK</button></form>',
    input: 'input[name="cap"]', submit: '#go',
  },
  {
    name: 'two empty unlabeled inputs after the image: too close to call',
    html: '<form>IMG <input name=a> <input name=b> <button id=go>OK</button></form>',
    input: 'ambiguous',
  },
  {
    name: 'the only input near the image holds a page-set value: no answer input',
    html: '<form><span class="captcha">IMG</span> <input name=code value="xyz"> <button id=go>OK</button></form>',
    input: 'none',
  },
];

for (const adapter of ADAPTERS) {
  describe(`answer input and submit on hand-written layouts over ${adapter} (issue 30)`, () => {
    const env = useFixtureBrowser(adapter);
    let img = '';

    for (const layout of LAYOUTS) {
      it(layout.name, async () => {
        if (!img) {
          const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="150" height="50"><rect width="150" height="50" fill="#eee"/><text x="20" y="35" font-size="28">x7k2p</text></svg>';
          img = `<img src="data:image/png;base64,${(await sharp(Buffer.from(svg)).png().toBuffer()).toString('base64')}" width="150" height="50">`;
        }
        const hp = await env.browser.newPage();
        try {
          await hp.setContent(`<!doctype html><meta charset="utf-8"><body>${layout.html.replace('IMG', img)}</body>`);
          const [found] = await findImageCaptchas(hp.page, { locateTimeout: 2000 });
          expect(found, 'the captcha is found').toBeDefined();
          const why = JSON.stringify(found!.input);
          if (layout.input === 'none') expect(found!.input, why).toBeUndefined();
          else if (layout.input === 'ambiguous') expect(found!.input?.ambiguous?.length, why).toBeGreaterThanOrEqual(2);
          else {
            expect(found!.input?.selector, why).toBe(layout.input);
            expect(found!.input?.ambiguous, why).toBeUndefined();
          }
          if (layout.submit) expect(found!.submit?.selector, JSON.stringify(found!.submit)).toBe(layout.submit);
        } finally {
          await hp.close();
        }
      }, 30_000);
    }
  });
}
