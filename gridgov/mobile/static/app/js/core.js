/* gridgov app — the shared namespace and its registries (page and service worker alike).
 *
 * Everything the app does hangs off `GG`, filled by classic scripts (no build step): the page
 * loads them with <script defer>, the service worker with importScripts. Three registries are
 * the app's extension points (docs/architecture-app.md):
 *   GG.kinds    — record kinds the sync keeps on the phone (how to index and label each);
 *   GG.outboxKinds — kinds of queued writes (how to send each, what to do with the answer);
 *   GG.screens  — screens, by route, and which tab they belong to (page only).
 */
(function (root) {
  'use strict';
  const GG = root.GG || (root.GG = {});

  function registry(label) {
    const items = new Map();
    return {
      register(name, spec) {
        if (items.has(name)) throw new Error(label + ' registered twice: ' + name);
        items.set(name, Object.assign({ name: name }, spec));
      },
      get(name) { return items.get(name); },
      all() { return Array.from(items.values()); },
    };
  }

  GG.kinds = registry('record kind');
  GG.outboxKinds = registry('outbox kind');

  GG.uuid = function () {
    if (root.crypto && root.crypto.randomUUID) return root.crypto.randomUUID();
    const b = root.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  };

  // Tiny event bus: the page redraws when the store, the outbox or the network state changes.
  const listeners = new Map();
  GG.on = function (name, fn) {
    if (!listeners.has(name)) listeners.set(name, new Set());
    listeners.get(name).add(fn);
    return () => listeners.get(name).delete(fn);
  };
  GG.emit = function (name, detail) {
    (listeners.get(name) || []).forEach((fn) => { try { fn(detail); } catch (e) { console.warn(e); } });
  };

  GG.pad2 = (n) => String(n).padStart(2, '0');
  GG.formatTime = function (value) {
    if (!value) return '';
    const d = value instanceof Date ? value : new Date(value);
    if (isNaN(d)) return '';
    return (d.getMonth() + 1) + '月' + d.getDate() + '日 ' + GG.pad2(d.getHours()) + ':' + GG.pad2(d.getMinutes());
  };
})(typeof self !== 'undefined' ? self : globalThis);
