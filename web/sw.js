// cmcoord's service worker (issue 18): keeps this build's hashed assets,
// and the new-request form pages and the drafts page the user opened
// online, so that offline the form opens and a request can be kept as a
// local draft (web/static/js/offline.js). Own code, no library; served by
// the server at /sw.js with the version and asset list filled in.
'use strict';
const VERSION = '__VERSION__';
const ASSETS = "__ASSETS__";
const STATIC = 'cmcoord-static-' + VERSION;
const PAGES = 'cmcoord-pages'; // emptied by the page script on sign-out and when the user changes
const DRAFTS = '/offline-drafts';
// Pages kept for offline use: the new-request form and the drafts list.
const KEEP = [/^\/operations\/[^/]+\/requests\/new(\/steps)?$/, /^\/offline-drafts$/];

self.addEventListener('install', (e) => {
  e.waitUntil(caches.open(STATIC).then((c) => c.addAll(ASSETS)).then(() => self.skipWaiting()));
});

// A new build: the kept pages are fetched again (they name the old
// assets), then the old assets go.
self.addEventListener('activate', (e) => {
  e.waitUntil(caches.open(PAGES)
    .then((c) => c.keys().then((reqs) => Promise.all(reqs.map((r) => keep(c, r.url).catch(() => {})))))
    .then(() => caches.keys())
    .then((names) => Promise.all(names
      .filter((n) => n.startsWith('cmcoord-static-') && n !== STATIC)
      .map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

// keep stores the page at url if it comes back as itself (not the sign-in
// page after a redirect).
async function keep(c, url) {
  const res = await fetch(url, { credentials: 'same-origin' });
  if (res.status === 200 && !res.redirected) await c.put(new URL(url).pathname, res);
}

self.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/static/')) {
    e.respondWith(caches.match(req).then((hit) => hit || fetch(req)));
    return;
  }
  if (req.mode !== 'navigate') return;
  e.respondWith(page(req, url));
});

// page answers a navigation from the network, keeping the pages of KEEP;
// offline, from what was kept, or else the drafts page.
async function page(req, url) {
  try {
    const res = await fetch(req);
    if (res.status === 200 && !res.redirected && KEEP.some((re) => re.test(url.pathname))) {
      const copy = res.clone();
      caches.open(PAGES).then((c) => c.put(url.pathname, copy));
    }
    return res;
  } catch (err) {
    const c = await caches.open(PAGES);
    const hit = (await c.match(url.pathname)) || (await c.match(DRAFTS));
    if (hit) return hit;
    throw err;
  }
}
