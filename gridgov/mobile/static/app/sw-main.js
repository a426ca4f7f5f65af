/* The app's service worker (loaded by /app/sw.js, which sets GG_SHELL first).
 *
 * - The shell (HTML, CSS, scripts, icons) is precached by Workbox with a revision per file, so
 *   the app opens with no network and a changed file is fetched again on the next update.
 * - Every navigation inside /app/ gets the precached shell.
 * - Background Sync: when the browser says the network is back ("gg-outbox"), the outbox is sent
 *   from here, even with no page open (the same scripts as the page's: outbox.js).
 */
/* global workbox, GG, GG_SHELL */
'use strict';
importScripts(GG_SHELL.workbox);
workbox.setConfig({ debug: false, modulePathCb: (name) => GG_SHELL.modules[name] });
workbox.core.setCacheNameDetails({ prefix: 'gridgov-app' });
workbox.precaching.precacheAndRoute(GG_SHELL.precache);
workbox.precaching.cleanupOutdatedCaches();
workbox.routing.registerRoute(new workbox.routing.NavigationRoute(
  workbox.precaching.createHandlerBoundToURL(GG_SHELL.shell), { allowlist: [/^\/app\/?$/] }));
importScripts(...GG_SHELL.scripts);

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

async function tellPages(message) {
  for (const client of await self.clients.matchAll()) client.postMessage(message);
}
GG.on('outbox', () => tellPages({ type: 'outbox' }));

// An open page sends its own outbox (it knows whether it is online and shows what happens);
// with none open, the worker sends it. Rejecting asks the browser to fire the event again later.
async function syncOutbox() {
  const pages = await self.clients.matchAll({ type: 'window' });
  if (pages.length) {
    pages.forEach((client) => client.postMessage({ type: 'flush' }));
    return;
  }
  const result = await GG.outbox.flush();
  if (result.stopped) throw new Error('outbox: network or server failed; retry later');
}

self.addEventListener('sync', (event) => {
  if (event.tag === 'gg-outbox') event.waitUntil(syncOutbox());
});
