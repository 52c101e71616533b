// upload.js: resumable uploads of a request's documents, over bad links.
//
// The request page's form to add a document is a plain multipart form
// that works without this script. With it, a form carrying data-upload
// (the tus endpoint, /uploads/) sends the file with the tus 1.0 protocol
// instead: it creates the upload (POST with Upload-Length and
// Upload-Metadata), sends the file in pieces (PATCH with Upload-Offset),
// shows how far it is, and when the connection drops asks the server
// where it stopped (HEAD) and goes on from there, waiting 1 s, 2 s, 4 s…
// (at most 30 s) between tries, or for the browser to be back online.
// The server's last answer says where to go (the request page), or why
// the document was refused, shown by the field as the form would.
//
// Hand-written rather than tus-js-client: that library is ~22 KB
// compressed, most of a page's budget on a satellite link (30 KB), for
// the few requests this needs. No inline script, no eval (strict CSP).
(() => {
  'use strict';
  const script = document.currentScript;
  let S = {};
  try { S = JSON.parse((script && script.dataset.strings) || '{}'); } catch (_) { S = {}; }
  const msg = (k, v) => (S[k] || '').replace(/\{(\w+)\}/g, (m, n) => (v && n in v ? String(v[n]) : m));

  const CHUNK = 512 * 1024; // bytes per PATCH: progress moves, a cut loses little
  const MAX_DELAY = 30000;
  const TUS = '1.0.0';
  const lang = document.documentElement.lang || undefined;
  const mb = (n) => new Intl.NumberFormat(lang, { maximumFractionDigits: 1, minimumFractionDigits: 1 }).format(n / 1048576);

  // b64 encodes a string's UTF-8 bytes (Upload-Metadata values).
  const b64 = (s) => {
    let bin = '';
    for (const c of new TextEncoder().encode(s)) bin += String.fromCharCode(c);
    return btoa(bin);
  };

  // send makes one request; it resolves with the XHR whatever the status
  // (0: the network failed) and reports upload progress.
  const send = (method, url, headers, body, onProgress) => new Promise((resolve) => {
    const x = new XMLHttpRequest();
    x.open(method, url);
    x.setRequestHeader('Tus-Resumable', TUS);
    for (const [k, v] of Object.entries(headers)) x.setRequestHeader(k, v);
    if (onProgress) x.upload.onprogress = (e) => onProgress(e.loaded);
    x.onload = () => resolve(x);
    x.onerror = x.ontimeout = x.onabort = () => resolve({ status: 0, getResponseHeader: () => null, responseText: '' });
    x.send(body === undefined ? null : body);
  });

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const online = () => new Promise((r) => {
    if (navigator.onLine !== false) { r(); return; }
    window.addEventListener('online', () => r(), { once: true });
  });

  const answer = (x) => {
    try { return JSON.parse(x.responseText || '{}'); } catch (_) { return {}; }
  };

  // Statuses worth trying again: the network, a stale offset, the lock
  // of the request the network dropped, the server busy or restarting.
  const transient = (s) => s === 0 || s === 409 || s === 423 || s === 429 || s >= 500;

  class Upload {
    constructor(form, file) {
      this.form = form;
      this.file = file;
      this.button = form.querySelector('button[type="submit"], input[type="submit"]');
      this.box = form.querySelector('.upload-progress');
      if (!this.box) {
        this.box = document.createElement('div');
        this.box.className = 'upload-progress';
        this.box.setAttribute('aria-live', 'polite');
        form.insertBefore(this.box, this.button);
      }
      this.box.textContent = '';
      this.bar = document.createElement('progress');
      this.bar.max = Math.max(file.size, 1);
      this.bar.value = 0;
      this.bar.setAttribute('data-testid', 'upload-bar');
      this.text = document.createElement('p');
      this.text.setAttribute('data-testid', 'upload-status');
      this.box.append(this.bar, this.text);
      this.box.hidden = false;
      this.said = -1;
      this.failures = 0;
      this.id = (form.getAttribute('action') || '').match(/\/requests\/(\d+)\//);
      this.page = this.id ? '/requests/' + this.id[1] : location.pathname;
    }

    say(text) {
      this.text.textContent = text;
    }

    // progress shows sent bytes; the words (read out by screen readers,
    // aria-live) change only every tenth, the bar always.
    progress(sent) {
      this.bar.value = sent;
      if (sent >= this.file.size && this.file.size > 0) { // the server checks it now
        this.said = 100;
        this.say(msg('checking'));
        return;
      }
      const pct = this.file.size ? Math.floor((sent * 100) / this.file.size) : 100;
      if (Math.floor(pct / 10) !== Math.floor(this.said / 10) || this.said < 0) {
        this.said = pct;
        this.say(msg('sending', { name: this.file.name, percent: pct, sent: mb(sent), total: mb(this.file.size) }));
      }
    }

    metadata() {
      const data = new FormData(this.form);
      const meta = {
        request_id: this.id ? this.id[1] : '',
        kind: data.get('kind') || '',
        title: data.get('title') || '',
        filename: this.file.name,
        visibility: data.get('visibility') || '',
      };
      return Object.entries(meta).map(([k, v]) => (v === '' ? k : k + ' ' + b64(String(v)))).join(',');
    }

    // wait sleeps before the next try (1 s, 2 s, 4 s… at most 30 s), or
    // until the browser is back online.
    async wait() {
      if (navigator.onLine === false) {
        this.say(msg('offline'));
        await online();
        return;
      }
      const delay = Math.min(1000 * 2 ** this.failures, MAX_DELAY);
      this.failures++;
      this.say(msg('waiting', { seconds: Math.round(delay / 1000) }));
      await Promise.race([sleep(delay), new Promise((r) => window.addEventListener('online', () => r(), { once: true }))]);
    }

    async run() {
      this.button && (this.button.disabled = true);
      this.clearErrors();
      this.progress(0);
      let x;
      for (;;) { // create
        x = await send('POST', this.form.dataset.upload, { 'Upload-Length': String(this.file.size), 'Upload-Metadata': this.metadata() });
        if (!transient(x.status) || x.status === 409) break;
        await this.wait();
      }
      if (x.status === 200) return this.done(x); // an empty file finishes at creation
      if (x.status !== 201) return this.refused(x);
      this.url = new URL(x.getResponseHeader('Location'), location.href).href;
      this.failures = 0;
      let offset = 0;
      for (;;) {
        const end = Math.min(offset + CHUNK, this.file.size);
        const from = offset;
        x = await send('PATCH', this.url, { 'Upload-Offset': String(offset), 'Content-Type': 'application/offset+octet-stream' },
          this.file.slice(offset, end), (n) => this.progress(from + n));
        if (x.status === 200) return this.done(x);
        if (x.status === 204) {
          offset = Number(x.getResponseHeader('Upload-Offset'));
          this.failures = 0;
          this.progress(offset);
          if (offset >= this.file.size) return this.lost(); // all sent, never finished
          continue;
        }
        // A refusal, or the last piece's checks failing on the server (the
        // virus scanner unreachable): said, not tried again.
        if (!transient(x.status) || (x.status >= 500 && end === this.file.size && answer(x).message)) return this.refused(x);
        // Where did it stop? Ask until the server answers.
        for (;;) {
          await this.wait();
          const h = await send('HEAD', this.url, {});
          if (h.status === 200) {
            offset = Number(h.getResponseHeader('Upload-Offset'));
            this.progress(offset);
            break;
          }
          if (h.status === 404) return this.lost(); // finished by the request that was cut, or gone
          if (!transient(h.status)) return this.refused(h);
        }
      }
    }

    done(x) {
      this.bar.value = this.bar.max;
      this.say(msg('done'));
      this.go(answer(x).location || this.page);
    }

    // go opens the request page afresh (the new document, the flash),
    // even when only its fragment differs from this page's address.
    go(to) {
      const u = new URL(to, location.href);
      if (u.pathname + u.search === location.pathname + location.search) {
        history.replaceState(null, '', u.href);
        location.reload();
      } else {
        location.assign(u.href);
      }
    }

    // lost: the server no longer knows the upload (the last request was
    // cut after it finished, or it was refused): the request page says
    // which.
    lost() {
      this.go(this.page);
    }

    refused(x) {
      this.button && (this.button.disabled = false);
      this.box.hidden = true;
      if (x.status === 401) {
        this.showError('file', msg('sign_in'));
        return;
      }
      const a = answer(x);
      const fields = a.fields || {};
      let shown = false;
      for (const [name, text] of Object.entries(fields)) shown = this.showError(name, text) || shown;
      if (!shown) this.showError('file', a.message || msg('failed'));
    }

    clearErrors() {
      for (const p of this.form.querySelectorAll('[data-upload-error]')) p.remove();
      for (const el of this.form.querySelectorAll('[aria-invalid][data-upload-invalid]')) {
        el.removeAttribute('aria-invalid');
        el.removeAttribute('data-upload-invalid');
      }
    }

    // showError puts text by form field name, as the form's own errors
    // are shown; false when the form has no such field.
    showError(name, text) {
      let el = this.form.elements[name];
      if (!el) return false;
      if (!(el instanceof Element)) el = el[0]; // radio buttons
      if (!el) return false;
      const field = el.closest('.field, fieldset') || el.parentElement;
      let p = name === 'file' ? this.form.querySelector('#file-error') : null;
      if (!p) {
        p = document.createElement('p');
        p.className = 'error-message';
        p.id = name + '-upload-error';
        p.setAttribute('data-upload-error', '');
        if (name === 'file') p.setAttribute('data-testid', 'error-file');
        field.insertBefore(p, el.type === 'radio' ? field.querySelector('.field-check') : el);
      }
      p.textContent = text;
      field.classList.add('field-error');
      if (el.type !== 'radio') {
        el.setAttribute('aria-invalid', 'true');
        el.setAttribute('data-upload-invalid', '');
        const ids = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
        if (!ids.includes(p.id)) el.setAttribute('aria-describedby', ids.concat(p.id).join(' '));
      }
      el.focus();
      return true;
    }
  }

  document.addEventListener('submit', (e) => {
    const form = e.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.upload || !window.XMLHttpRequest || !window.TextEncoder) return;
    const input = form.elements.file;
    const file = input && input.files && input.files[0];
    if (!file) return; // the server's form says what is missing
    e.preventDefault();
    if (form.dataset.uploading) return;
    form.dataset.uploading = '1';
    new Upload(form, file).run().finally(() => { delete form.dataset.uploading; });
  });
})();
