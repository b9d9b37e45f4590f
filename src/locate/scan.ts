/**
 * The in-page scanner. `scanFrame` is passed to `evaluate` as a whole, so it must stay self-contained:
 * no imports, no outer variables, no helpers defined outside its body but the `dom` helpers `evaluate` hands it,
 * with which it searches open shadow roots too and walks up across shadow boundaries.
 *
 * It ranks captcha candidates (img, canvas, inline svg, CSS background, input type=image) with the
 * signals and traps of shared/PATTERNS.md, pairs each with its answer input, submit control and refresh
 * control, and marks every element it reports with a `data-ics` token so later steps find it again.
 */
import type { InPageDom } from '../browser/in-page.js';
import type { ScanArgs, ScanResult } from './types.js';

export function scanFrame(args: ScanArgs, dom: InPageDom): ScanResult {
  const ATTR = 'data-ics';
  const STRONG =
    /captcha|captch|kaptcha|seccode|securimage|vcode|checkcode|verify_?code|verify-code|verifycode|vercode|verimg|yzm|randcode|authcode|botdetect|confirm_id|image_captcha|image-captcha|wpcf7_captcha|get=image|special:captcha|验证码|驗證碼|校验码/i;
  const WEAK = /verif|code|confirm|secur|secret|check|challenge|human|robot/i;
  const NEG = /logo|avatar|banner|brand|icon|qr[-_]?code|\bqr\b|badge|shields\.io|profile|photo|thumb|sprite|emoji|flag|spinner|loading|loader|product/i;
  const ICONISH = /reload|refresh|audio|sound|speak|listen|play|loading|help/i;
  const REFRESH =
    /refresh|reload|renew|new code|new image|another (image|code)|different image|can'?t read|get new|change the|换一张|换一个|看不清|刷新|обнов|другую картинку/i;
  const AUDIO = /audio|sound|speak|listen|\bplay\b/i;
  const INPUT_TOK =
    /captcha|captch|kaptcha|vcode|verif(y|ication)?[_ -]?code|seccode|securi(ty)?[_ -]?code|confirm[_ -]?code|secretcode|checkcode|authcode|yzm|randcode|wpcaptchaword|captcha_response|captcha_word|rucaptcha|solution|captchacode|osolcatchatxt|vercode|验证码|驗證碼|校验码|защитный код|код с картинки|(слово|код|текст|символы) (с|на) картинк|проверочный код|code (from|in|shown)|text (you see|in the image|from the image)|characters (you see|shown)|what code/i;
  const NOT_ANSWER = /user|login|e-?mail|\bname\b|phone|mobile|\btel\b|pass|search|query|address|\botp\b|sms|card|coupon|promo|zip|city/i;
  const SMS_BUTTON = /send (me )?(a |the |sms |e-?mail )?(code|sms|otp)|get (a |the )?code|获取|发送验证码|重新发送|resend|получить код/i;
  /** An answer input's `pattern` that allows digits alone (`[0-9]*`, `\d{4}`, `^[0-9]{4,6}$`). */
  const DIGITS_PATTERN = /^\^?(?:\\d|\[0-9\])(?:[*+]|\{\d+(?:,\d*)?\})?\$?$/;
  /** The answer input takes digits only: `type=number`, `inputmode=numeric`, or a `pattern` of digits alone. */
  const takesDigitsOnly = (el: HTMLInputElement): boolean =>
    el.type === 'number' || el.inputMode === 'numeric' || DIGITS_PATTERN.test(el.getAttribute('pattern') ?? '');
  const PRIMARY =
    /\b(log ?in|sign ?(in|up)|submit|send|continue|verify|confirm|check|ok|next|register|post|save|enter|proceed|go|join|login)\b|登录|登 录|登陆|注册|注 册|提交|确定|确认|確定|驗證|验证|ログイン|送信|登録|войти|отправить|продолжить|anmelden|absenden|envoyer|connexion|valider|enviar|entrar|invia|accedi|not a robot/i;
  /** Submit verbs in other languages, as whole words (`\b` does not work around non-ASCII letters). */
  const PRIMARY_INTL =
    /(?<!\p{L})(gönder|g[iİ]r[iİ]ş( yap)?|oturum aç|devam( et)?|onayla|doğrula|kaydet|tamam|войти|вход|отправить|продолжить|подтвердить|проверить|далее|enviar|entrar|iniciar sesión|acceder|continuar|confirmar|verificar|aceptar|senden|absenden|weiter|bestätigen|anmelden|einloggen|envoyer|valider|continuer|se connecter|connexion|confirmer|invia|accedi|conferma|zaloguj|wyślij|inloggen|verzenden|versturen|doorgaan|đăng nhập|gửi|xác nhận|masuk|kirim|إرسال|دخول|로그인|제출|확인|전송)(?!\p{L})|登录|登 录|登陆|登入|提交|确定|确认|確定|確認|驗證|验证|发送|發送|送出|ログイン|送信|次へ/iu;
  /** Never a submit: forgotten passwords, search, help, cancel, log out (in several languages). */
  const NOT_SUBMIT_ALWAYS =
    /forgot|reset (your )?password|lost (your )?password|\bsearch\b|\bhelp\b|\bcancel\b|\bback\b|privacy|\bterms\b|log ?out|sign ?out|unuttum|yardım|iptal|忘记|忘記|找回|搜索|搜尋|帮助|取消|退出|забыли|восстанов|поиск|помощь|отмена|выход|olvid|buscar|ayuda|cancelar|recuperar|vergessen|suche|hilfe|abbrechen|oublié|recherche|annuler|dimenticat|annulla|esqueceu|pesquisar/i;
  /** A link or styled control with these words leads to another form (registration), not the submit. */
  const NOT_SUBMIT = /regist|sign ?up|create (an )?account|kayıt|üye ol|注册|註冊|регистрац|inscri|konto erstellen|cadastr/i;
  const LANGUAGE_NAME =
    /^(english|türkçe|turkce|中文|简体中文|繁體中文|繁体中文|русский|español|deutsch|français|italiano|português|日本語|한국어|polski|nederlands|العربية|en|tr|zh|ru|es|de|fr|it|pt|ja|ko|eng|рус|en-us|zh-cn)$/i;
  /** Visible words (label, text before it, aria-label) of fields that are not the answer, in several languages. */
  const NOT_ANSWER_WORDS =
    /user ?name|\blog ?in\b|e-?mail|phone|mobile|password|\bsearch\b|account|nickname|用户名|用戶名|账号|帳號|账户|手机|邮箱|电子邮件|密码|密碼|搜索|логин|пароль|почта|телефон|имя пользователя|поиск|kullanıcı|şifre|parola|e-posta|telefon|usuario|contraseña|correo|teléfono|buscar|benutzer|passwort|suche|utilisateur|mot de passe|courriel|recherche|utente|senha|ユーザー名|パスワード|メール|사용자|비밀번호|이메일/i;
  const NOT_ANSWER_AUTOCOMPLETE = /(^|\s)(username|email|tel|tel-national|current-password|new-password|one-time-code|name|given-name|family-name|nickname|street-address|postal-code|cc-number)$/;
  const CACHE_BUSTER = /[?&](t|ts|v|n|r|rnd|rand|random|guid|id|sid|uuid|idhash|captcha_sid|confirm_id|time|_)=|\?[0-9a-z.]{6,}$/i;

  const rejected: string[] = [];
  let examined = 0;
  let serial = 0;
  const docW = Math.max(document.documentElement.scrollWidth, innerWidth);

  function mark(el: Element, role: string): string {
    const token = `${args.tag}${role}${serial++}`;
    const prev = (el.getAttribute(ATTR) ?? '').split(/\s+/).filter(Boolean).slice(-8);
    prev.push(token);
    el.setAttribute(ATTR, prev.join(' '));
    return `[${ATTR}~="${token}"]`;
  }

  function cls(el: Element): string {
    const c = (el as HTMLElement).className as unknown;
    if (typeof c === 'string') return c;
    if (c && typeof (c as SVGAnimatedString).baseVal === 'string') return (c as SVGAnimatedString).baseVal;
    return '';
  }

  function attrText(el: Element): string {
    const parts = [el.id, cls(el)];
    for (const a of ['name', 'alt', 'title', 'aria-label', 'placeholder', 'src', 'data-src', 'value', 'onclick', 'href']) {
      const v = el.getAttribute(a);
      if (v && !(a === 'src' && v.startsWith('data:')) && !(a === 'value' && el.tagName === 'INPUT' && !/button|submit|image/i.test((el as HTMLInputElement).type))) parts.push(v.slice(0, 300));
    }
    return parts.join(' ');
  }

  function visibleText(el: Element): string {
    return ((el as HTMLElement).innerText ?? el.textContent ?? '').trim().slice(0, 200);
  }

  function describe(el: Element): string {
    if (el.id && dom.findAll(`#${CSS.escape(el.id)}`).length === 1) return `#${CSS.escape(el.id)}`;
    const parts: string[] = [];
    let cur: Element | null = el;
    for (let depth = 0; cur && depth < 5; depth++) {
      if (cur.id && depth > 0) {
        parts.unshift(`#${CSS.escape(cur.id)}`);
        break;
      }
      let part = cur.tagName.toLowerCase();
      const name = cur.getAttribute('name');
      const c = cls(cur).trim().split(/\s+/).filter((x) => x && !/^ng-|^v-|^css-/.test(x)).slice(0, 2);
      if (name) part += `[name="${name.replace(/"/g, '\\"')}"]`;
      else if (c.length) part += c.map((x) => `.${CSS.escape(x)}`).join('');
      const parent: Element | null = cur.parentElement;
      if (parent) {
        const same = Array.from(parent.children).filter((s) => s.tagName === cur!.tagName);
        if (same.length > 1 && !name) part += `:nth-of-type(${same.indexOf(cur) + 1})`;
      }
      parts.unshift(part);
      try {
        if (dom.findAll(parts.join(' > ')).length === 1) break; // short and still unique
      } catch {
        // odd characters in a class name: keep climbing
      }
      cur = parent;
      if (cur === document.body || cur === document.documentElement) break;
    }
    return parts.join(' > ');
  }

  function isVisible(el: Element): boolean {
    const r = el.getBoundingClientRect();
    if (r.width < 2 || r.height < 2) return false;
    if (r.right + scrollX <= 0 || r.bottom + scrollY <= 0 || r.left + scrollX >= docW + 2000) return false;
    let cur: Element | null = el;
    for (let i = 0; cur && i < 12; i++, cur = dom.parent(cur)) {
      const st = getComputedStyle(cur);
      if (st.display === 'none' || st.visibility === 'hidden' || st.visibility === 'collapse') return false;
      if (parseFloat(st.opacity) < 0.05) return false;
    }
    return true;
  }

  // The scan reads layout and never changes it (the data-ics marks style nothing), so a box read once holds.
  const rects = new Map<Element, DOMRect>();
  function rectOf(el: Element): DOMRect {
    let r = rects.get(el);
    if (!r) rects.set(el, (r = el.getBoundingClientRect()));
    return r;
  }

  function pixelDistance(a: Element, b: Element): number {
    const ra = rectOf(a);
    const rb = rectOf(b);
    const dx = Math.max(0, rb.left - ra.right, ra.left - rb.right);
    const dy = Math.max(0, rb.top - ra.bottom, ra.top - rb.bottom);
    return Math.hypot(dx, dy);
  }

  function hops(a: Element, b: Element): number {
    const up: Element[] = [];
    for (let cur: Element | null = a; cur; cur = dom.parent(cur)) up.push(cur);
    let n = 0;
    for (let cur: Element | null = b; cur; cur = dom.parent(cur), n++) {
      const i = up.indexOf(cur);
      if (i >= 0) return i + n;
    }
    return 99;
  }

  function labelText(input: HTMLInputElement): string {
    const parts: string[] = [];
    const root = input.getRootNode() as Document | ShadowRoot; // labels and ids live in the input's own tree
    if (input.id) {
      const l = root.querySelector(`label[for="${CSS.escape(input.id)}"]`);
      if (l) parts.push(visibleText(l));
    }
    const wrap = input.closest('label');
    if (wrap) parts.push(visibleText(wrap));
    const by = input.getAttribute('aria-labelledby');
    if (by) for (const id of by.split(/\s+/)) parts.push(visibleText(root.querySelector(`#${CSS.escape(id)}`) ?? document.createElement('i')));
    return parts.join(' ');
  }

  // ---- answer inputs ----
  const textInputs: HTMLInputElement[] = [];
  for (const el of dom.findAll('input, textarea').slice(0, 400)) {
    const input = el as HTMLInputElement;
    const type = (input.getAttribute('type') ?? 'text').toLowerCase();
    if (el.tagName === 'INPUT' && !['text', 'tel', 'number', 'search', ''].includes(type)) continue;
    if (input.disabled || input.readOnly) continue;
    if (!isVisible(input)) continue;
    textInputs.push(input);
  }

  /** The visible text input closest to `el` on screen (a send-code button belongs to that one); once per element and scan. */
  const nearest = new Map<Element, HTMLInputElement | undefined>();
  function nearestInput(el: Element): HTMLInputElement | undefined {
    if (nearest.has(el)) return nearest.get(el);
    let best: { input: HTMLInputElement; d: number } | undefined;
    for (const input of textInputs) {
      const d = pixelDistance(el, input);
      if (!best || d < best.d) best = { input, d };
    }
    const found = best && best.d < 250 ? best.input : undefined;
    nearest.set(el, found);
    return found;
  }

  /** How well an input fits as the answer input, and why (`strong`: captcha words in its attributes, label or the words before it; `decoy`: an SMS-code field). */
  interface InputTraits {
    score: number;
    reasons: string[];
    strong: boolean;
    decoy: boolean;
    /** Holds a value the library did not type (set by the page or the user). */
    prefilled: boolean;
  }
  const traitsOf = new Map<HTMLInputElement, InputTraits>();

  /** UTF-8 text the browser decoded as windows-1252 (a page with no charset): its bytes decoded again; else the text as is. */
  function decoded(s: string): string {
    if (!/[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]/.test(s)) return s;
    const HIGH = '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';
    const bytes: number[] = [];
    for (const ch of s) {
      const code = ch.charCodeAt(0);
      const high = HIGH.indexOf(ch);
      if (high >= 0) bytes.push(0x80 + high);
      else if (code <= 0xff) bytes.push(code);
      else return s;
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array(bytes));
    } catch {
      return s;
    }
  }

  /** The words a person reads right before an input: text nodes and inline elements back to the previous field or line break, or the previous table cell. */
  function wordsBefore(input: Element): string {
    const parts: string[] = [];
    let node: Node | null = input.previousSibling;
    for (let n = 0; node && n < 6; n++, node = node.previousSibling) {
      if (node.nodeType === Node.TEXT_NODE) parts.unshift(node.textContent ?? '');
      else if (node instanceof Element) {
        if (/^(INPUT|SELECT|TEXTAREA|BUTTON|BR|IMG|CANVAS|SVG|HR)$/i.test(node.tagName) || node.querySelector('input, select, textarea, img')) break;
        parts.unshift(visibleText(node));
      }
    }
    const cell = dom.parent(input);
    if (!parts.join('').trim() && cell && /^T[DH]$/.test(cell.tagName) && !input.previousElementSibling) parts.push(visibleText(cell.previousElementSibling ?? document.createElement('i')));
    return parts.join(' ').replace(/\s+/g, ' ').trim().slice(-80);
  }

  /** What an input says about itself, whatever image it is paired with: computed once per input and scan. */
  function inputTraits(input: HTMLInputElement): InputTraits {
    const known = traitsOf.get(input);
    if (known) return known;
    const reasons: string[] = [];
    let s = 0;
    const autocomplete = (input.getAttribute('autocomplete') ?? '').toLowerCase();
    const words = decoded(`${labelText(input)} ${wordsBefore(input)}`);
    const own = decoded(`${attrText(input)} ${autocomplete}`);
    const strong = INPUT_TOK.test(`${own} ${words}`);
    if (strong) {
      s += 3;
      reasons.push(`captcha words in its name, label or the words before it (${(INPUT_TOK.exec(`${own} ${words}`)?.[0] ?? '').toLowerCase()})`);
    } else {
      const not = NOT_ANSWER.exec(`${input.name} ${input.id} ${autocomplete} ${decoded(input.getAttribute('placeholder') ?? '')}`) ?? NOT_ANSWER_WORDS.exec(`${words} ${decoded(`${input.getAttribute('aria-label') ?? ''} ${input.title}`)}`);
      if (not) {
        s -= 3;
        reasons.push(`names another field (${not[0].toLowerCase()})`);
      }
      if (NOT_ANSWER_AUTOCOMPLETE.test(autocomplete) || /^(search|email)$/.test(input.type)) {
        s -= 3;
        reasons.push(`autocomplete/type of another field (${autocomplete || input.type})`);
      }
    }
    if (autocomplete === 'off') s += 0.5;
    const ml = input.maxLength;
    if (ml >= 3 && ml <= 10) s += 0.5;
    if (input.getAttribute('spellcheck') === 'false') s += 0.3;
    // SMS/e-mail OTP decoy: a "send code" button right next to the input (same form or box, close by).
    let decoy = false;
    const up = dom.parent(input);
    const box = input.form ?? (up && dom.parent(up));
    if (box) {
      for (const b of dom.findAll('button, a, input[type=button], span[onclick]', box).slice(0, 60)) {
        if (SMS_BUTTON.test(`${visibleText(b)} ${(b as HTMLInputElement).value ?? ''}`) && !REFRESH.test(visibleText(b)) && nearestInput(b) === input) {
          decoy = true;
          s -= 4;
          reasons.push('looks like an SMS/e-mail code field (send-code button)');
          break;
        }
      }
    }
    const typed = (window as unknown as { __icsTyped?: WeakMap<Element, string> }).__icsTyped?.get(input);
    const value = input.value.toLowerCase();
    const prefilled = value !== '' && typed?.toLowerCase() !== value && !(args.typed ?? []).some((t) => t.toLowerCase() === value);
    const traits = { score: s, reasons, strong, decoy, prefilled };
    traitsOf.set(input, traits);
    return traits;
  }

  /** Where the input sits for a person reading the form: after the image, on its row, or before it on another line. */
  function placeScore(input: Element, img: Element, imgRow: Element | null): { s: number; why: string } {
    const ri = rectOf(input);
    const rm = rectOf(img);
    const sameRow = ri.top < rm.bottom && rm.top < ri.bottom;
    const follows = !!(img.compareDocumentPosition(input) & Node.DOCUMENT_POSITION_FOLLOWING);
    if (follows) return sameRow ? { s: 2.5, why: 'follows the image on its row' } : { s: 1.5, why: 'follows the image' };
    if (sameRow || (imgRow && imgRow.contains(input))) return { s: 2.5, why: 'on the image\'s row, before it' };
    return { s: -1.5, why: 'comes before the image, on another line' };
  }

  interface InputPick {
    el: HTMLInputElement;
    score: number;
    strong: boolean;
    decoy: boolean;
    place: string;
    hops: number;
  }

  /** How well `input` fits as the answer input of `img` (whose form and table row are given), as a number; see reasonsOf. */
  function inputScore(input: HTMLInputElement, img: Element, imgForm: Element | null, imgRow: Element | null): InputPick {
    const t = inputTraits(input);
    let s = t.score;
    const h = hops(input, img);
    if (h <= 8) s += 3 - h * 0.35;
    else s -= 2;
    const fi = input.form;
    if (fi && imgForm) s += fi === imgForm ? 1 : -3;
    s -= pixelDistance(input, img) / 400;
    const place = placeScore(input, img, imgRow);
    s += place.s;
    return { el: input, score: Math.round(s * 100) / 100, strong: t.strong && !t.decoy, decoy: t.decoy, place: place.why, hops: h };
  }

  /** Why a pick scored as it did (built only for what is reported). */
  function reasonsOf(p: InputPick): string[] {
    return [...inputTraits(p.el).reasons, p.place, `${p.hops} DOM hops from the image`];
  }

  /** Two inputs closer than this, neither alone carrying captcha words, are too close to call. */
  const AMBIGUOUS_MARGIN = 1.5;

  /**
   * The answer input of an image: the best-ranked input; `ambiguous` lists the contenders when no input is clearly
   * best. An input holding a value the library did not type is never taken unless it carries captcha words.
   */
  function findInput(img: Element): (InputPick & { reasons: string[]; ambiguous?: Array<InputPick & { reasons: string[] }> }) | undefined {
    const imgForm = dom.closest(img, 'form');
    const imgRow = dom.closest(img, 'tr');
    const picks: InputPick[] = [];
    let best: InputPick | undefined;
    for (const input of textInputs) {
      const t = inputTraits(input);
      if (t.prefilled && !t.strong) continue;
      const p = inputScore(input, img, imgForm, imgRow);
      picks.push(p);
      if (!best || p.score > best.score) best = p;
    }
    // An image whose best input is an SMS-code field is not paired with an answer input at all.
    if (!best || best.score <= 0.5 || best.decoy) return undefined;
    const top = best;
    const close = picks.filter((p) => p.score > 0.5 && !p.decoy && top.score - p.score < AMBIGUOUS_MARGIN && !(top.strong && !p.strong));
    const picked = { ...top, reasons: reasonsOf(top) };
    if (close.length < 2) return picked;
    return { ...picked, ambiguous: close.sort((x, y) => y.score - x.score).slice(0, 4).map((p) => ({ ...p, reasons: reasonsOf(p) })) };
  }

  // ---- refresh control ----
  const REFRESH_SCOPE_MAX = 400;
  const controlsIn = new Map<Element, Element[]>();
  function findRefresh(img: Element): { el?: Element; method: 'click' | 'click-image'; reasons: string[] } | undefined {
    let container: Element | null = img;
    let best: { el: Element; d: number } | undefined;
    for (let i = 0; i < 3 && container && dom.parent(container); i++) {
      container = dom.parent(container)!;
      let controls = controlsIn.get(container);
      if (!controls) {
        controls = dom.findAll('a, button, input[type=submit], input[type=button], input[type=image], img, span, small, i, [onclick], [role=button]', container);
        controlsIn.set(container, controls); // images in one list share their containers
      }
      // a container this busy is a page section, not the captcha's block: its controls are not "next to the image"
      if (controls.length > REFRESH_SCOPE_MAX) break;
      for (const el of controls) {
        if (el === img || el.contains(img)) continue;
        const text = `${attrText(el)} ${el.tagName === 'IMG' ? '' : visibleText(el)}`;
        if (!REFRESH.test(text) || AUDIO.test(text)) continue;
        if (!isVisible(el)) continue;
        const d = pixelDistance(el, img);
        if (!best || d < best.d) best = { el, d };
      }
      if (best) break;
    }
    if (best) return { el: best.el, method: 'click', reasons: ['refresh words on a control next to the image'] };
    const link = dom.closest(img, 'a');
    const href = link?.getAttribute('href') ?? '';
    if (img.hasAttribute('onclick') || getComputedStyle(img).cursor === 'pointer' || (link && (href === '#' || href.startsWith('javascript:'))) || dom.parent(img)?.hasAttribute('onclick')) {
      return { method: 'click-image', reasons: ['the image is clickable (onclick / cursor:pointer)'] };
    }
    return undefined;
  }

  // ---- submit control ----
  function isSubmitType(el: Element): boolean {
    const t = (el.getAttribute('type') ?? '').toLowerCase();
    if (el.tagName === 'BUTTON') return t === 'submit' || (t === '' && !!(el as HTMLButtonElement).form);
    if (el.tagName === 'INPUT') return t === 'submit' || t === 'image';
    return false;
  }

  function findSubmit(input: Element | undefined, img: Element): { el?: Element; method: 'click' | 'enter' | 'form-submit'; reasons: string[]; text?: string } {
    const anchor = input ?? img;
    const form = (input as HTMLInputElement | undefined)?.form ?? (dom.closest(img, 'form') as HTMLFormElement | null);
    const scope = form ?? submitScope(anchor);
    let best: { el: Element; s: number; text: string; why: string } | undefined;
    let eligible = 0;
    for (const el of submitControls(scope)) {
      if (el === img || el.contains(img) || el === input || el.contains(anchor)) continue;
      const text = controlText(el);
      const all = `${text} ${el.id} ${cls(el)} ${el.getAttribute('name') ?? ''} ${el.getAttribute('src') ?? ''}`;
      if (REFRESH.test(all) || AUDIO.test(all)) continue;
      if (SMS_BUTTON.test(text) && !isPrimary(text.replace(SMS_BUTTON, ''))) continue;
      if (isLanguageSwitch(el, text) || NOT_SUBMIT_ALWAYS.test(text)) continue;
      const styled = el.tagName === 'A' || !/^(BUTTON|INPUT)$/.test(el.tagName);
      if (styled && (!isPrimary(text) || text.length > 40 || !actsInPlace(el) || (el.tagName === 'A' && NOT_SUBMIT.test(text)))) continue;
      if (!isVisible(el)) continue;
      eligible++;
      let s = 0;
      if (isSubmitType(el)) s += 3;
      if (isPrimary(text)) s += 2;
      if (/primary|submit|login|btn-main/i.test(cls(el))) s += 0.5;
      if (el.getAttribute('type') === 'button' && !isPrimary(text)) s -= 1;
      if (!isSubmitType(el) && NOT_SUBMIT.test(text)) s -= 1.5; // a registration button next to a login form
      if (anchor.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING) s += 0.5;
      s -= pixelDistance(el, anchor) / 500;
      if (!best || s > best.s) best = { el, s, text, why: styled ? `a ${el.tagName === 'A' ? 'link' : `${el.tagName.toLowerCase()}`} styled as a button, with a submit verb ("${text.slice(0, 30)}")` : 'a primary-verb button near the input' };
    }
    // The only button of a form is its submit, whatever it says.
    if (best && eligible === 1 && form && /^(BUTTON|INPUT)$/.test(best.el.tagName)) best.s = Math.max(best.s, 1.5);
    if (best && best.s >= 1.5) {
      return { el: best.el, method: 'click', text: best.text.slice(0, 60), reasons: [isSubmitType(best.el) ? 'the form\'s submit control' : best.why] };
    }
    if (form) {
      const first = form.querySelector('button:not([type]), button[type=submit], input[type=submit], input[type=image]');
      if (first && REFRESH.test(`${attrText(first)} ${visibleText(first)}`)) {
        return { method: 'form-submit', reasons: ['the first submit button is a refresh control: submitting the form without it'] };
      }
    }
    return { method: 'enter', reasons: ['no submit control found: pressing Enter in the input'] };
  }

  /** With no form: the smallest box around the anchor that holds a button or a control with a submit verb. */
  function submitScope(anchor: Element): Element {
    let scope = anchor;
    for (let i = 0; i < 6 && dom.parent(scope); i++) {
      scope = dom.parent(scope)!;
      if (submitControls(scope).some((b) => isSubmitType(b) || (isPrimary(controlText(b)) && !NOT_SUBMIT.test(controlText(b))))) break;
    }
    return scope;
  }

  /** A box this big is a page section: only its real controls are looked at, not every div and span. */
  const STYLED_SCOPE_MAX = 300;
  const controlsOf = new Map<Element, Element[]>();

  /**
   * Buttons, links, and (in a form or a small box) div/span elements made clickable (onclick, role=button, tabindex,
   * a pointer cursor) holding a short text. Once per scope and scan.
   */
  function submitControls(scope: Element): Element[] {
    const known = controlsOf.get(scope);
    if (known) return known;
    const out: Element[] = [];
    const styled = scope.tagName === 'FORM' || scope.getElementsByTagName('*').length <= STYLED_SCOPE_MAX;
    const query = `button, input[type=submit], input[type=button], input[type=image], [role=button], a, [onclick]${styled ? ', div, span' : ''}`;
    controlsOf.set(scope, out);
    for (const el of dom.findAll(query, scope).slice(0, 400)) {
      if (el.tagName === 'INPUT' && !/^(submit|button|image)$/i.test((el as HTMLInputElement).type)) continue;
      if (/^(DIV|SPAN)$/.test(el.tagName) && el.getAttribute('role') !== 'button') {
        if (el.childElementCount > 2 || !/\S/.test(el.textContent ?? '') || (el.textContent ?? '').length > 40) continue;
        if (!el.hasAttribute('onclick') && !el.hasAttribute('tabindex') && getComputedStyle(el).cursor !== 'pointer') continue;
      }
      out.push(el);
      if (out.length >= 80) break;
    }
    return out;
  }

  function controlText(el: Element): string {
    return decoded(`${visibleText(el)} ${el.tagName === 'INPUT' ? (el as HTMLInputElement).value : ''} ${el.getAttribute('title') ?? ''} ${el.getAttribute('aria-label') ?? ''}`.trim());
  }

  function isPrimary(text: string): boolean {
    return PRIMARY.test(text) || PRIMARY_INTL.test(text);
  }

  /** A link or styled element that runs script in place (`#`, `javascript:`, onclick), not one that leads elsewhere. */
  function actsInPlace(el: Element): boolean {
    if (el.tagName !== 'A') return true;
    const href = el.getAttribute('href') ?? '';
    return !href || href.startsWith('#') || /^javascript:/i.test(href) || el.hasAttribute('onclick');
  }

  function isLanguageSwitch(el: Element, text: string): boolean {
    return el.hasAttribute('hreflang') || LANGUAGE_NAME.test(text.trim()) || /(^|[-_ ])(lang|language|locale)([-_ ]|$)/i.test(`${el.id} ${cls(el)}`) || /[?&](lang|locale|hl)=/i.test(el.getAttribute('href') ?? '');
  }

  // ---- candidates ----
  interface Cand {
    el: Element;
    kind: 'img' | 'canvas' | 'svg' | 'background' | 'input-image' | 'element';
    src: string;
    naturalWidth: number;
    naturalHeight: number;
    loaded: boolean;
    lazy: boolean;
    broken?: boolean;
  }
  const cands: Cand[] = [];
  let selectorMatched = false;

  function bgUrl(el: Element): string {
    const bg = getComputedStyle(el).backgroundImage;
    const m = /url\((['"]?)(.*?)\1\)/.exec(bg);
    return m ? (m[2] ?? '') : '';
  }

  function asCandidate(el: Element, explicit: boolean): Cand | undefined {
    const tag = el.tagName.toLowerCase();
    if (tag === 'img') {
      const img = el as HTMLImageElement;
      const src = img.currentSrc || img.src;
      const loaded = img.complete && img.naturalWidth > 0;
      return { el, kind: 'img', src, naturalWidth: img.naturalWidth, naturalHeight: img.naturalHeight, loaded, lazy: img.loading === 'lazy', broken: !loaded && img.complete && !!src };
    }
    if (tag === 'input' && (el as HTMLInputElement).type === 'image') {
      const img = el as HTMLInputElement;
      return { el, kind: 'input-image', src: img.src, naturalWidth: 0, naturalHeight: 0, loaded: true, lazy: false };
    }
    if (tag === 'canvas') {
      const c = el as HTMLCanvasElement;
      return { el, kind: 'canvas', src: '', naturalWidth: c.width, naturalHeight: c.height, loaded: c.width > 0 && c.height > 0, lazy: false };
    }
    if (tag === 'svg') {
      if (el.parentElement?.closest('svg')) return undefined;
      const r = el.getBoundingClientRect();
      return { el, kind: 'svg', src: '', naturalWidth: Math.round(r.width), naturalHeight: Math.round(r.height), loaded: true, lazy: false };
    }
    const url = bgUrl(el);
    if (url) return { el, kind: 'background', src: new URL(url, document.baseURI).href, naturalWidth: 0, naturalHeight: 0, loaded: true, lazy: false };
    if (explicit) {
      const r = el.getBoundingClientRect();
      return { el, kind: 'element', src: '', naturalWidth: Math.round(r.width), naturalHeight: Math.round(r.height), loaded: true, lazy: false };
    }
    return undefined;
  }

  if (args.selector) {
    let el: Element | null = null;
    try {
      el = dom.find(args.selector);
    } catch {
      el = null;
    }
    if (el) {
      selectorMatched = true;
      let c = asCandidate(el, false);
      if (!c) {
        const inner = dom.findAll('img, canvas, svg, input[type=image]', el)[0];
        c = inner ? asCandidate(inner, false) : undefined;
      }
      c ??= asCandidate(el, true);
      if (c) cands.push(c);
    }
  } else {
    // On a page with more elements than a scan examines, those with captcha words in their attributes go first.
    const capped = (els: Element[], max: number): Element[] =>
      els.length <= max ? els : [...new Set([...els.filter((el) => STRONG.test(attrText(el))), ...els])].slice(0, max);
    for (const el of capped(dom.findAll('img, canvas, svg, input[type=image]'), 1500)) {
      examined++;
      const c = asCandidate(el, false);
      if (c) cands.push(c);
    }
    for (const el of capped(dom.findAll('div, span, a, i, b, label, p, td, li, em, button'), 4000)) {
      const r = el.getBoundingClientRect();
      if (r.width < 50 || r.width > 400 || r.height < 18 || r.height > 130) continue;
      examined++;
      const url = bgUrl(el);
      if (!url || /gradient/.test(url)) continue;
      cands.push({ el, kind: 'background', src: new URL(url, document.baseURI).href, naturalWidth: 0, naturalHeight: 0, loaded: true, lazy: false });
    }
  }

  const queueit =
    /queue-?it/i.test(location.hostname) ||
    !!document.querySelector('#challenge-container, .botdetect-label, img.captcha-code, script[src*="queue-it" i], script[src*="queueit" i], [data-queueit]') ||
    typeof (window as unknown as { QueueIt?: unknown }).QueueIt !== 'undefined';

  const out: ScanResult['candidates'] = [];
  for (const c of cands) {
    const el = c.el;
    const r = el.getBoundingClientRect();
    const w = Math.round(r.width);
    const h = Math.round(r.height);
    const reasons: string[] = [];
    const own = `${attrText(el)} ${c.kind === 'background' ? c.src : ''}`;
    // describe() queries the document: only for what is reported (most candidates are dropped silently)
    const reject = (why: string) => {
      if (rejected.length < 12) rejected.push(`${describe(el)}: ${why}`);
    };
    if (!args.selector) {
      if ((w < 50 || h < 18) && !(c.lazy && !c.loaded) && !(w === 0 && h === 0 && STRONG.test(own))) {
        if (STRONG.test(own) && w > 0) reject(`too small (${w}×${h})`);
        continue; // cheap geometry first: most images on a page stop here
      }
      if (!isVisible(el) && !(c.kind === 'img' && c.lazy && !c.loaded)) {
        if (STRONG.test(own)) reject('not visible');
        continue;
      }
      if (c.kind === 'svg' && (el.querySelector('use') || w < 40 || h < 15 || dom.closest(el, 'button, [role=button]'))) {
        reject('svg icon (has <use>, is small, or sits in a button)');
        continue;
      }
      if (c.kind === 'svg' && el.querySelectorAll('path, text, line, polyline, circle').length < 3) {
        reject('svg with too few shapes');
        continue;
      }
      if ((w < 50 || h < 18) && !(c.lazy && !c.loaded)) {
        if (STRONG.test(own)) reject(`too small (${w}×${h})`);
        continue;
      }
      if (ICONISH.test(own) && !/captcha.*[?&]get=image/i.test(own) && (w <= 48 || Math.abs(w / Math.max(h, 1) - 1) < 0.3)) {
        reject('refresh/audio icon');
        continue;
      }
    }
    let s = 0;
    let hasToken = false;
    if (STRONG.test(own)) {
      s += 4;
      hasToken = true;
      reasons.push(`captcha token in attributes (${(STRONG.exec(own)?.[0] ?? '').toLowerCase()})`);
    } else if (WEAK.test(own)) {
      s += 1.5;
      reasons.push(`weak token in attributes (${(WEAK.exec(own)?.[0] ?? '').toLowerCase()})`);
    }
    let anc: Element | null = dom.parent(el);
    for (let i = 0; anc && i < 3; i++, anc = dom.parent(anc)) {
      if (STRONG.test(`${anc.id} ${cls(anc)}`)) {
        s += 1.5;
        hasToken = true;
        reasons.push('inside a captcha container');
        break;
      }
    }
    if (NEG.test(own) && !STRONG.test(own)) {
      s -= 4;
      reasons.push('logo/avatar/icon/QR words');
    }
    if (w >= 60 && w <= 360 && h >= 20 && h <= 100) {
      s += 1.5;
      reasons.push(`captcha-sized (${w}×${h})`);
    } else if (w > 500 || h > 200) s -= 3;
    const aspect = w / Math.max(1, h);
    if (aspect >= 1.8 && aspect <= 6) s += 1;
    else if (aspect < 1.3) {
      s -= 3;
      reasons.push('square-ish (icon/QR/avatar shape)');
    }
    if (dom.closest(el, 'header, nav, footer, [role=banner], [role=navigation]')) s -= 2;
    if (c.kind === 'input-image') s -= 1;
    if (c.kind === 'img' && CACHE_BUSTER.test(c.src)) {
      s += 0.5;
      reasons.push('cache-buster/key in URL');
    }
    const input = findInput(el);
    if (input) {
      s += 2.5 + (input.strong ? 1.5 : 0);
      reasons.push(input.strong ? 'next to a captcha answer input' : 'next to a short text input');
    }
    const refresh = findRefresh(el);
    if (refresh) {
      s += refresh.method === 'click' ? 1 : 0.5;
      reasons.push(refresh.method === 'click' ? 'has a refresh control' : 'clickable image (refreshes itself)');
    }
    const confidence = args.selector ? 1 : Math.max(0, Math.min(1, Math.round((s / 10) * 100) / 100));
    if (!args.selector && (confidence < args.minConfidence || !(hasToken || input))) {
      if (hasToken || input) reject(`low confidence ${confidence}`);
      continue;
    }
    if (args.selector) reasons.unshift(`matched selector ${args.selector}`);
    const submit = findSubmit(input?.el, el);
    out.push({
      kind: c.kind,
      handle: mark(el, 'c'),
      selector: args.selector && selectorMatched && cands.length === 1 && c.el.matches(args.selector) ? args.selector : describe(el),
      src: c.src,
      width: w,
      height: h,
      naturalWidth: c.naturalWidth,
      naturalHeight: c.naturalHeight,
      loaded: c.loaded,
      lazy: c.lazy,
      ...(c.broken ? { broken: true } : {}),
      confidence,
      score: Math.round(s * 100) / 100,
      reasons,
      input: input
        ? {
            handle: mark(input.el, 'i'),
            selector: describe(input.el),
            reasons: input.reasons,
            ...(input.el.maxLength >= 1 && input.el.maxLength <= 32 ? { maxLength: input.el.maxLength } : {}),
            ...(takesDigitsOnly(input.el) ? { digitsOnly: true as const } : {}),
            ...(input.ambiguous ? { ambiguous: input.ambiguous.map((a) => ({ selector: describe(a.el), score: a.score, reasons: a.reasons })) } : {}),
          }
        : undefined,
      submit: submit.el
        ? { method: 'click', handle: mark(submit.el, 's'), selector: describe(submit.el), reasons: submit.reasons, text: submit.text }
        : { method: submit.method, reasons: submit.reasons },
      refresh: refresh
        ? refresh.el
          ? { method: 'click', handle: mark(refresh.el, 'r'), selector: describe(refresh.el), reasons: refresh.reasons }
          : { method: 'click-image', reasons: refresh.reasons }
        : undefined,
      queueit,
    });
  }
  out.sort((a, b) => b.score - a.score);
  return { url: location.href, candidates: out, examined, rejected, selectorMatched };
}
