// cmcoord offline (issue 18): nothing here is needed, everything works
// without it. It keeps an encrypted copy of every <form data-autosave=key>
// while typing; keeps a new request submitted offline as a local draft and
// sends it when back online; lists the drafts; wipes them on sign-out.
// Records live in IndexedDB, AES-GCM under the signed-in user's key (meta
// cmcoord-local-key), tagged with the user: no other account can read them.
(() => {
  'use strict';
  const d = document, strings = d.currentScript && d.currentScript.dataset.strings;
  const meta = (n) => (d.querySelector('meta[name="' + n + '"]') || {}).content || '';
  const user = meta('cmcoord-user'), raw = meta('cmcoord-local-key');
  if (!user || !raw || !window.indexedDB || !window.crypto || !crypto.subtle) return;
  const box = d.querySelector('[data-local-drafts]');
  const S = Object.assign(JSON.parse(strings || '{}'), JSON.parse((box && box.dataset.strings) || '{}'));
  const t = (k, a) => (S[k] || k).replace(/\{(\w+)\}/g, (_, n) => (a || {})[n]);
  const PAGES = 'cmcoord-pages', DRAFTS = '/offline-drafts';
  // Another account signed in on this device since the last page: what
  // the last one left in plain session storage (the titles of its sent
  // drafts) and its kept pages go before anything is shown.
  if (localStorage.getItem('cmcoord-user') !== user) {
    sessionStorage.removeItem('cmcoord-sent');
    sessionStorage.removeItem('cmcoord-draft-sent');
    if (window.caches) caches.delete(PAGES);
    localStorage.setItem('cmcoord-user', user);
  }
  const enc = (s) => new TextEncoder().encode(s);
  const hhmm = (ms) => new Date(ms).toLocaleTimeString(d.documentElement.lang, { hour: '2-digit', minute: '2-digit' });
  const el = (tag, attrs, ...kids) => {
    const e = d.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    e.append(...kids);
    return e;
  };

  // ---- Storage: one object store, records {id, user, kind, at, sending, iv, ct}.
  let dbp;
  const db = () => dbp || (dbp = new Promise((ok, ko) => {
    const r = indexedDB.open('cmcoord', 1);
    r.onupgradeneeded = () => r.result.createObjectStore('records', { keyPath: 'id' }).createIndex('user', 'user');
    r.onsuccess = () => ok(r.result);
    r.onerror = () => ko(r.error);
  }));
  const done = (r) => new Promise((ok, ko) => { r.onsuccess = () => ok(r.result); r.onerror = () => ko(r.error); });
  const os = async (mode) => (await db()).transaction('records', mode).objectStore('records');
  const get = async (id) => done((await os('readonly')).get(id));
  const put = async (rec) => done((await os('readwrite')).put(rec));
  const del = async (id) => done((await os('readwrite')).delete(id));
  const mine = async () => done((await os('readonly')).index('user').getAll(user));
  // claim marks a draft as being sent, in one transaction: never twice at once.
  const claim = async (id) => {
    const s = await os('readwrite');
    return new Promise((ok) => {
      const g = s.get(id);
      g.onerror = () => ok(null);
      g.onsuccess = () => {
        const r = g.result;
        if (!r || (r.sending && Date.now() - r.sending < 60000)) return ok(null);
        r.sending = Date.now();
        s.put(r).onsuccess = () => ok(r);
      };
    });
  };

  // ---- Encryption: the additional data binds a record to its user.
  const key = crypto.subtle.importKey('raw', Uint8Array.from(atob(raw.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0)),
    'AES-GCM', false, ['encrypt', 'decrypt']);
  const seal = async (obj) => {
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: enc(user) }, await key, enc(JSON.stringify(obj)));
    return { iv, ct };
  };
  const unseal = async (rec) => JSON.parse(new TextDecoder().decode(
    await crypto.subtle.decrypt({ name: 'AES-GCM', iv: rec.iv, additionalData: enc(user) }, await key, rec.ct)));
  const hex = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

  // ---- Forms.
  const SKIP = ['intent', 'autosave_key'];
  const fields = (f) => {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(f)) if (typeof v === 'string' && !SKIP.includes(k)) p.append(k, v);
    return p.toString();
  };
  const comparable = (s) => { const p = new URLSearchParams(s); p.delete('idempotency_key'); return p.toString(); };
  // fill puts data into f; hidden fields too (the version a copy was typed
  // against, so a save shows what changed meanwhile), but keepKey keeps
  // the page's idempotency key.
  const fill = (f, data, keepKey) => {
    const p = new URLSearchParams(data), seen = {};
    for (const e of f.elements) {
      const n = e.name;
      if (!n || SKIP.includes(n) || e.type === 'file' || e.type === 'submit' || (keepKey && n === 'idempotency_key')) continue;
      const all = p.getAll(n);
      if (e.type === 'checkbox' || e.type === 'radio') e.checked = all.includes(e.value);
      else if (e.multiple) for (const o of e.options) o.selected = all.includes(o.value);
      else { const i = seen[n] = (seen[n] || 0) + 1; e.value = all[i - 1] || ''; }
    }
  };
  const banner = (f, text, errors, actions) => {
    const b = el('div', { class: 'notice autosave-banner', role: 'status', 'data-testid': 'autosave-banner' }, el('p', {}, text));
    if (errors && errors.length) b.append(el('ul', { 'data-testid': 'draft-errors' }, ...errors.map((m) => el('li', {}, m))));
    const row = el('div', { class: 'actions' });
    for (const [label, fn, cls] of actions) {
      const btn = el('button', { type: 'button', class: cls || '' }, label);
      btn.addEventListener('click', () => { fn(); b.remove(); });
      row.append(btn);
    }
    if (actions.length) b.append(row);
    f.before(b);
  };

  const saved = d.body.dataset.saved || '';
  const forms = d.querySelectorAll('form[data-autosave]');
  forms.forEach(async (f) => {
    const fkey = f.dataset.autosave, copyId = 'c:' + user + ':' + fkey;
    const draftId = location.hash.startsWith('#draft=') ? decodeURIComponent(location.hash.slice(7)) : '';
    let timer;
    const save = async () => {
      clearTimeout(timer);
      timer = 0;
      await put({ id: copyId, user, kind: 'copy', at: Date.now(), ...(await seal({ data: fields(f) })) });
    };
    const later = () => { clearTimeout(timer); timer = setTimeout(save, 800); };
    f.addEventListener('input', later);
    f.addEventListener('change', later);
    addEventListener('pagehide', () => timer && save());
    f.addEventListener('submit', (e) => {
      clearTimeout(timer);
      timer = 0;
      if (!f.elements.autosave_key) f.append(el('input', { type: 'hidden', name: 'autosave_key', value: fkey }));
      if (fkey.startsWith('new:') && !navigator.onLine) {
        e.preventDefault();
        keepDraft(f, draftId, copyId);
        return;
      }
      if (draftId) sessionStorage.setItem('cmcoord-draft-sent', fkey + ' ' + draftId);
      save();
    });
    if (draftId) {
      const rec = await get(draftId);
      if (rec && rec.user === user) {
        const dr = await unseal(rec);
        fill(f, dr.data, false);
        banner(f, t('opened'), dr.errors, []);
      }
      return;
    }
    // The page after this form's own save: the server has what the copy
    // held (it is dropped below), so nothing is restored over it.
    if (saved === fkey) return;
    // A form shown again by the server after a POST holds what was sent:
    // that is the copy now.
    if (d.body.hasAttribute('data-posted')) return save();
    const rec = await get(copyId);
    if (!rec) return;
    const c = await unseal(rec).catch(() => null);
    const shown = fields(f);
    if (!c || comparable(c.data) === comparable(shown)) return;
    fill(f, c.data, true);
    banner(f, t('restored', { time: hhmm(rec.at) }), null, [
      [t('keep'), () => {}],
      [t('discard'), () => { fill(f, shown, true); del(copyId); }, 'button-secondary'],
    ]);
  });
  // The saved form is not on the page after its redirect: drop its copy.
  if (saved) {
    del('c:' + user + ':' + saved);
    const [k, id] = (sessionStorage.getItem('cmcoord-draft-sent') || '').split(' ');
    if (k === saved && id) del(id);
    sessionStorage.removeItem('cmcoord-draft-sent');
  }

  // keepDraft stores a new request submitted offline, with a key of its
  // own (a cached form page repeats the same one), and shows the drafts.
  const keepDraft = async (f, draftId, copyId) => {
    const old = draftId ? await get(draftId) : null;
    const prev = old && old.user === user ? await unseal(old) : null;
    const p = new URLSearchParams(fields(f));
    const idem = prev ? prev.idem : hex();
    p.set('idempotency_key', idem);
    await put({ id: draftId || 'd:' + user + ':' + idem, user, kind: 'draft', at: prev ? old.at : Date.now(),
      ...(await seal({ data: p.toString(), action: f.getAttribute('action'), form: location.pathname, idem, title: p.get('title') || '' })) });
    await del(copyId);
    location.assign(DRAFTS);
  };

  // ---- Sending: each draft once (claim), under its own Idempotency-Key.
  const sent = JSON.parse(sessionStorage.getItem('cmcoord-sent') || '[]');
  const send = async (id, all) => {
    const rec = await claim(id);
    if (!rec) return;
    const dr = await unseal(rec);
    // A refused draft waits for its correction (or Send now): resending it
    // on every page would spend the link on the same refusal.
    if (dr.state === 'refused' && !all) return put({ ...rec, sending: 0 });
    const body = new URLSearchParams(dr.data);
    body.set('intent', 'save');
    let res;
    try {
      res = await fetch(dr.action, { method: 'POST', body, credentials: 'same-origin', headers: { 'Idempotency-Key': dr.idem } });
    } catch (e) {
      dr.state = 'offline';
    }
    if (res) {
      const path = new URL(res.url).pathname;
      if (res.redirected && /^\/requests\/\d+/.test(path)) {
        await del(id);
        sent.push({ title: dr.title, url: path.match(/^\/requests\/\d+/)[0] });
        sessionStorage.setItem('cmcoord-sent', JSON.stringify(sent));
        return;
      }
      dr.errors = [];
      if (path.startsWith('/login') || res.status === 401) dr.state = 'sign_in';
      else if (res.status === 422) {
        dr.state = 'refused';
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        dr.errors = [...doc.querySelectorAll('[data-testid="error-summary"] li')].map((li) => li.textContent.trim().replace(/\s+/g, ' '));
      } else dr.state = 'offline';
    }
    await put({ id, user, kind: 'draft', at: rec.at, sending: 0, ...(await seal(dr)) });
  };
  let syncing;
  const sync = async (e) => {
    if (!syncing && navigator.onLine) {
      syncing = true;
      try {
        for (const r of await mine()) if (r.kind === 'draft') await send(r.id, e && e.type === 'click');
      } finally {
        syncing = false;
      }
    }
    await show();
  };

  // ---- The drafts page and the header's count.
  const show = async () => {
    const drafts = [];
    for (const r of await mine()) {
      if (r.kind !== 'draft') continue;
      const dr = await unseal(r).catch(() => null);
      if (dr) drafts.push([r, dr]);
    }
    const w = d.querySelector('[data-drafts-waiting]');
    if (w) {
      w.hidden = !drafts.length;
      w.querySelector('a').textContent = t('waiting', { n: drafts.length });
    }
    if (!box) return;
    box.hidden = false;
    for (const e of d.querySelectorAll('[data-nojs]')) e.hidden = true;
    box.replaceChildren();
    if (sent.length) {
      box.append(el('ul', { 'data-testid': 'sent-drafts' }, ...sent.map((s) => el('li', {}, t('sent') + ' ', el('a', { href: s.url }, s.title || t('untitled'))))));
    }
    if (!drafts.length) box.append(el('p', { 'data-testid': 'no-local-drafts' }, t('none')));
    const list = el('ul', { class: 'local-drafts' });
    for (const [r, dr] of drafts) {
      const li = el('li', { class: 'panel', 'data-testid': 'local-draft' },
        el('h2', {}, dr.title || t('untitled')), el('p', { class: 'hint' }, t('kept_at', { time: hhmm(r.at) })));
      if (dr.state) li.append(el('p', { 'data-testid': 'draft-state' }, t(dr.state)));
      if (dr.errors && dr.errors.length) li.append(el('ul', { 'data-testid': 'draft-errors' }, ...dr.errors.map((m) => el('li', {}, m))));
      const del1 = el('button', { type: 'button', class: 'button-secondary' }, t('delete'));
      del1.addEventListener('click', async () => { await del(r.id); show(); });
      li.append(el('div', { class: 'actions' }, el('a', { class: 'button', href: dr.form + '#draft=' + encodeURIComponent(r.id) }, t('open')), del1));
      list.append(li);
    }
    if (drafts.length) {
      box.append(list);
      if (navigator.onLine) {
        const go = el('button', { type: 'button', 'data-testid': 'send-drafts' }, t('send'));
        go.addEventListener('click', sync);
        box.append(go);
      }
    }
  };

  // ---- Sign-out wipes this user's records and the kept pages first; it
  // never waits more than 3 s for that (what is left stays encrypted).
  for (const f of d.querySelectorAll('form[action="/logout"]')) {
    f.addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.clear();
      const wipe = mine().then((rs) => Promise.all(rs.map((r) => del(r.id))))
        .then(() => window.caches && caches.delete(PAGES));
      Promise.race([wipe, new Promise((ok) => setTimeout(ok, 3000))]).catch(() => {}).then(() => f.submit());
    });
  }

  // ---- The service worker and its pages; another user's kept pages go.
  if ('serviceWorker' in navigator && window.caches) {
    navigator.serviceWorker.register('/sw.js').then(() => navigator.serviceWorker.ready).then(() => {
      if (!navigator.onLine || !d.querySelector('form[data-autosave^="new:"]')) return;
      return caches.open(PAGES).then((c) => Promise.all([DRAFTS, location.pathname].map((p) => c.match(p).then((hit) => hit || c.add(p)))));
    }).catch(() => {});
  }
  window.addEventListener('online', sync);
  window.addEventListener('offline', show);
  sync();
})();
