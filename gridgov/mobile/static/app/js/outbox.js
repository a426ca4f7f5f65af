/* The outbox: every write made on the phone is queued here first, sealed in IndexedDB with an
 * idempotency key made when it was saved, and sent in order when the network allows (page and
 * service worker alike).
 *
 * Sending: on start, on reconnecting, every 30 s while items wait, right after saving, and from
 * the service worker's Background Sync event where the browser has it. One sender at a time (a
 * Web Lock). Each answer decides the item's fate:
 *   2xx            sent: the kind applies the answer to the phone's records; the item is removed
 *                  (with whatever it held: typed ID numbers and phones leave the phone with it);
 *   412            conflict: both versions are kept for the worker to choose (never overwritten);
 *   other 4xx      failed: kept with the server's reason, for editing or deleting;
 *   5xx, no answer the item stays pending and the round stops, to be tried again later. The key
 *                  makes a resend of a write that did reach the server harmless.
 *
 * Kinds (GG.outboxKinds) say how to send an item and what to do with the answer:
 *   { label(body), send(item, photos) → Response, done(item, answer), current(item) → server
 *     version on a conflict, resolve(item, choice), record(body) → the record it is about
 *     (items about one record are sent one after the other; without it, each item stands alone) }
 */
(function (root) {
  'use strict';
  const GG = root.GG;
  const RETRY_EVERY = 30000;
  let timer = null;

  function withLock(name, fn) {
    const locks = root.navigator && root.navigator.locks;
    return locks ? locks.request(name, fn) : fn();
  }

  function reasonOf(answer, status) {
    if (answer && answer.errors) {
      const parts = Object.entries(answer.errors).map(([field, msgs]) => (field === '__all__' ? '' : field + '：') + [].concat(msgs).join('；'));
      if (parts.length) return parts.join('\n');
    }
    return (answer && answer.detail) || ('服务器拒绝（HTTP ' + status + '）');
  }

  async function add(kind, body, photos) {
    if (!GG.outboxKinds.get(kind)) throw new Error('unknown outbox kind ' + kind);
    const key = GG.uuid();
    const seq = await GG.store.addOutbox({ kind: kind, key: key, body: body }, photos || []);
    GG.emit('queued', { kind: kind, key: key, body: body });  // e.g. a report made on a patrol is linked to it
    GG.emit('outbox');
    schedule(0);
    return seq;
  }

  const SENDERS = 6;

  /** Send what waits. Items about one record (a resident edited, then moved out) go one after
   *  the other, in the order saved; items about different records go up to six at a time (the browser's connections to one host), in
   *  the order saved, so a reconnect after a morning offline takes seconds, not minutes.
   *  Returns {sent, stopped} (stopped: the network or the server failed; the rest waits). */
  async function flush() {
    return withLock('gg-outbox', async () => {
      const result = { sent: 0, stopped: false };
      const chains = new Map();
      for (const item of await GG.store.listOutbox()) {
        if (item.state !== 'pending') continue;
        const kind = GG.outboxKinds.get(item.kind);
        const key = (kind && kind.record) ? kind.record(item.body) : 'item:' + item.seq;
        if (!chains.has(key)) chains.set(key, []);
        chains.get(key).push(item);
      }
      const queue = Array.from(chains.values());
      let wiped = null;
      async function sender() {
        while (queue.length && !result.stopped && !wiped) {
          const chain = queue.shift();
          for (const item of chain) {
            let outcome;
            try { outcome = await sendOne(item); } catch (e) { wiped = e; return; }
            if (outcome === 'sent') result.sent++;
            if (outcome === 'stop') { result.stopped = true; return; }
            if (outcome !== 'sent') break;  // a refused or conflicting item holds back the rest of its record
          }
        }
      }
      await Promise.all(Array.from({ length: SENDERS }, sender));
      if (wiped) throw wiped;
      GG.emit('outbox');
      if (result.sent) GG.emit('sent', result.sent);
      return result;
    });
  }

  /** One item: 'sent', 'kept' (refused or in conflict: kept for the worker) or 'stop'. */
  async function sendOne(item) {
    const kind = GG.outboxKinds.get(item.kind);
    let response;
    try {
      response = await kind.send(item, await GG.store.outboxPhotos(item.seq));
    } catch (e) {
      if (e instanceof GG.api.Wiped) throw e;
      await GG.store.updateOutbox(item.seq, { tries: item.tries + 1, lastTry: Date.now() });
      return 'stop';
    }
    const answer = await GG.api.readJson(response);
    if (response.ok) {
      try { if (kind.done) await kind.done(item, answer); } catch (e) { console.warn('outbox done', e); }
      await GG.store.removeOutbox(item.seq);
      GG.emit('outbox');
      return 'sent';
    }
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      await GG.store.updateOutbox(item.seq, { tries: item.tries + 1, lastTry: Date.now(), error: '服务器暂时无法处理，稍后自动重试' });
      return 'stop';
    }
    if (response.status === 412) {
      let current = null;
      try { if (kind.current) current = await kind.current(item, answer); } catch (e) { /* shown without it */ }
      await GG.store.updateOutbox(item.seq, {
        state: 'conflict', error: '别人已先修改了这条记录，请选择保留哪个版本',
        body: Object.assign({}, item.body, { server: current, serverVersion: answer.current_version }),
      });
    } else {
      await GG.store.updateOutbox(item.seq, { state: 'failed', error: reasonOf(answer, response.status), status: response.status });
    }
    GG.emit('outbox');
    return 'kept';
  }

  function online() { return !root.navigator || root.navigator.onLine !== false; }

  /** Try sending after `delay` ms (and again every 30 s while something waits). */
  function schedule(delay) {
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      timer = null;
      let waiting = 0;
      try {
        if (online()) await flush();
        waiting = (await GG.store.outboxStates()).filter((i) => i.state === 'pending').length;
      } catch (e) {
        if (e instanceof GG.api.Wiped || e instanceof GG.api.SignInNeeded) return;
        waiting = 1;
      }
      if (waiting) schedule(RETRY_EVERY);
    }, delay);
    registerBackgroundSync();
  }

  async function registerBackgroundSync() {
    try {
      if (root.navigator && root.navigator.serviceWorker) {
        const registration = await root.navigator.serviceWorker.ready;
        if (registration.sync) await registration.sync.register('gg-outbox');
      }
    } catch (e) { /* not offered: the page's own retries do it */ }
  }

  /** The worker edits a failed item: new body, new key (it is another request), pending again. */
  async function edit(seq, body) {
    await GG.store.updateOutbox(seq, { body: body, key: GG.uuid(), state: 'pending', error: '' });
    GG.emit('outbox');
    schedule(0);
  }
  async function retry(seq) {
    await GG.store.updateOutbox(seq, { state: 'pending', error: '' });
    GG.emit('outbox');
    schedule(0);
  }
  async function discard(seq) {
    await GG.store.removeOutbox(seq);
    GG.emit('outbox');
  }
  /** A conflict settled: 'mine' sends the worker's version over the current one, 'theirs' keeps
   *  the server's and drops the worker's. */
  async function resolve(seq, choice) {
    const item = (await GG.store.listOutbox()).find((i) => i.seq === seq);
    if (!item) return;
    const kind = GG.outboxKinds.get(item.kind);
    if (choice === 'theirs') {
      if (kind.resolve) await kind.resolve(item, 'theirs');
      await discard(seq);
      return;
    }
    const body = Object.assign({}, item.body, { version: item.body.serverVersion || (item.body.server && item.body.server.version) });
    delete body.server;
    delete body.serverVersion;
    await edit(seq, body);
  }

  GG.outbox = { add: add, flush: flush, schedule: schedule, edit: edit, retry: retry, discard: discard, resolve: resolve, reasonOf: reasonOf };
  if (root.addEventListener && root.document) {
    root.addEventListener('online', () => schedule(0));
  }
})(typeof self !== 'undefined' ? self : globalThis);
