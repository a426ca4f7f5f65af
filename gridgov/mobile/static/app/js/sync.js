/* The records on the phone, in memory, and keeping them current (page only).
 *
 * At start the sealed records are opened once into `GG.data` (kind → Map id → record) and the
 * search index; `GG.sync.run()` then asks the server for what changed since the cursor
 * (GET /api/v1/sync), page by page, and applies each page to IndexedDB (records and cursor in
 * one transaction: a page applied twice changes nothing) and to memory.
 */
(function (root) {
  'use strict';
  const GG = root.GG;
  const data = new Map();
  const index = new GG.search.Index();
  let running = null;

  function bucket(kind) {
    if (!data.has(kind)) data.set(kind, new Map());
    return data.get(kind);
  }

  function put(kind, record) {
    bucket(kind).set(record.id, record);
    const spec = GG.kinds.get(kind);
    if (spec && spec.searchable) index.put(kind + ':' + record.id, record.tokens, record);
  }
  function drop(kind, id) {
    bucket(kind).delete(id);
    index.remove(kind + ':' + id);
  }

  GG.data = {
    all(kind) { return Array.from(bucket(kind).values()); },
    get(kind, id) { return bucket(kind).get(Number(id)) || null; },
    count(kind) { return bucket(kind).size; },
    index: index,
    async load() {
      data.clear();
      index.clear();
      for (const r of await GG.store.loadRecords()) put(r.kind, r.data);
      GG.emit('data');
    },
    clear() { data.clear(); index.clear(); },
  };

  GG.on('records', (change) => {
    change.records.forEach((r) => put(r.kind, r.data));
    change.removed.forEach((r) => drop(r.kind, r.id));
    GG.emit('data');
  });

  async function run() {
    let cursor = (await GG.store.getMeta('cursor')) || null;
    let pages = 0;
    for (;;) {
      const query = cursor ? '?since=' + encodeURIComponent(cursor) : '';
      const response = await GG.api.request('/sync' + query);
      const body = await GG.api.readJson(response);
      if (response.status === 400 && cursor) {  // a cursor the server no longer accepts
        cursor = null;
        await GG.store.deleteMeta('cursor');
        continue;
      }
      if (!response.ok) throw new Error(body.detail || ('同步失败：HTTP ' + response.status));
      if (body.reset) {
        await GG.store.clearRecords();
        data.clear();
        index.clear();
      }
      await GG.store.applyRecords(body.records, body.removed, { cursor: body.cursor, syncedAt: Date.now() });
      body.records.forEach((r) => put(r.kind, r.data));
      body.removed.forEach((r) => drop(r.kind, r.id));
      cursor = body.cursor;
      pages++;
      if (!body.more) break;
    }
    GG.emit('data');
    GG.emit('synced', Date.now());
    return pages;
  }

  GG.sync = {
    /** Bring the phone up to date (one run at a time); resolves to the number of pages read. */
    run() {
      if (!running) running = run().finally(() => { running = null; });
      return running;
    },
  };
})(typeof self !== 'undefined' ? self : globalThis);
