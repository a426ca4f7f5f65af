/* What the phone keeps, in IndexedDB (Dexie), encrypted (page and service worker alike).
 *
 * Every record, setting and queued write is sealed with AES-GCM under one key made on first use
 * with WebCrypto as non-extractable: it can encrypt and decrypt in this origin but can never be
 * read out, not even by the app's own code. It is kept in IndexedDB as a CryptoKey object, beside
 * the data. `wipe()` deletes the whole database, key included.
 *
 * Tables: keyring (the key), plain (the device id: not secret), meta (sealed settings: tokens,
 * sync cursor, the person), records (sealed synced records, by "kind:id"), outbox (sealed queued
 * writes, in order), blobs (sealed photos of queued writes).
 */
(function (root) {
  'use strict';
  const GG = root.GG;
  const DB_NAME = 'gridgov-app';
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  let db = null;
  let keyPromise = null;

  function database() {
    if (db) return db;
    db = new root.Dexie(DB_NAME);
    db.version(1).stores({
      keyring: 'id',
      plain: 'k',
      meta: 'k',
      records: 'k, kind',
      outbox: '++seq, state',
      blobs: '++id, seq',
    });
    return db;
  }

  function cryptoKey() {
    if (!keyPromise) {
      keyPromise = (async () => {
        const d = database();
        const row = await d.keyring.get('main');
        if (row) return row.key;
        const key = await root.crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
        // Two tabs starting at once: the first key written wins, the other tab uses it.
        await d.transaction('rw', d.keyring, async () => {
          if (!(await d.keyring.get('main'))) await d.keyring.add({ id: 'main', key: key });
        });
        return (await d.keyring.get('main')).key;
      })();
      keyPromise.catch(() => { keyPromise = null; });
    }
    return keyPromise;
  }

  async function sealBytes(bytes) {
    const iv = root.crypto.getRandomValues(new Uint8Array(12));
    const data = await root.crypto.subtle.encrypt({ name: 'AES-GCM', iv: iv }, await cryptoKey(), bytes);
    return { iv: iv, data: data };
  }
  async function openBytes(row) {
    return root.crypto.subtle.decrypt({ name: 'AES-GCM', iv: row.iv }, await cryptoKey(), row.data);
  }
  const seal = (value) => sealBytes(enc.encode(JSON.stringify(value)));
  const open = async (row) => JSON.parse(dec.decode(await openBytes(row)));

  const store = {
    database: database,

    async getPlain(k) { const row = await database().plain.get(k); return row ? row.value : undefined; },
    async setPlain(k, value) { await database().plain.put({ k: k, value: value }); },

    async getMeta(k) { const row = await database().meta.get(k); return row ? open(row) : undefined; },
    async setMeta(k, value) { await database().meta.put(Object.assign({ k: k }, await seal(value))); },
    async deleteMeta(k) { await database().meta.delete(k); },

    /** Upsert records [{kind, id, data}] (and optionally meta values) in one transaction. */
    async applyRecords(records, removed, metaValues) {
      const sealed = await Promise.all(records.map(async (r) =>
        Object.assign({ k: r.kind + ':' + r.id, kind: r.kind }, await seal(r.data))));
      const metas = await Promise.all(Object.entries(metaValues || {}).map(async ([k, v]) =>
        Object.assign({ k: k }, await seal(v))));
      const d = database();
      await d.transaction('rw', d.records, d.meta, async () => {
        if (sealed.length) await d.records.bulkPut(sealed);
        if (removed && removed.length) await d.records.bulkDelete(removed.map((r) => r.kind + ':' + r.id));
        if (metas.length) await d.meta.bulkPut(metas);
      });
    },
    async getRecord(kind, id) {
      const row = await database().records.get(kind + ':' + id);
      return row ? open(row) : null;
    },
    async clearRecords() { await database().records.clear(); },
    async countRecords() { return database().records.count(); },
    /** Every record, opened: [{kind, id, data}]. */
    async loadRecords() {
      const rows = await database().records.toArray();
      return Promise.all(rows.map(async (row) => {
        const data = await open(row);
        return { kind: row.kind, id: data.id, data: data };
      }));
    },

    // --- the outbox ---------------------------------------------------------------------------
    /** Queue a write; its photos (Blobs) are sealed and stored with it, in one transaction. */
    async addOutbox(item, photos) {
      const sealedItem = await seal(item.body);
      const sealedPhotos = await Promise.all((photos || []).map(async (blob) =>
        Object.assign({ type: blob.type || 'image/jpeg', name: blob.name || 'photo.jpg' },
          await sealBytes(await blob.arrayBuffer()))));
      const d = database();
      let seq;
      await d.transaction('rw', d.outbox, d.blobs, async () => {
        seq = await d.outbox.add({
          kind: item.kind, key: item.key, state: 'pending', created: Date.now(), tries: 0, error: '',
          photos: sealedPhotos.length, iv: sealedItem.iv, data: sealedItem.data,
        });
        for (const photo of sealedPhotos) await d.blobs.add(Object.assign({ seq: seq }, photo));
      });
      return seq;
    },
    async listOutbox() {
      const rows = await database().outbox.orderBy('seq').toArray();
      return Promise.all(rows.map(async (row) => {
        const item = Object.assign({}, row, { body: await open(row) });
        delete item.iv; delete item.data;
        return item;
      }));
    },
    async countOutbox() { return database().outbox.count(); },
    /** The items' states only, nothing opened (the top bar redraws after every item sent). */
    async outboxStates() {
      return (await database().outbox.toArray()).map((row) => ({ seq: row.seq, state: row.state }));
    },
    /** Change an item's state, error, tries, key or body. */
    async updateOutbox(seq, patch) {
      const change = Object.assign({}, patch);
      if ('body' in change) { Object.assign(change, await seal(change.body)); delete change.body; }
      await database().outbox.update(seq, change);
    },
    async removeOutbox(seq) {
      const d = database();
      await d.transaction('rw', d.outbox, d.blobs, async () => {
        await d.outbox.delete(seq);
        await d.blobs.where('seq').equals(seq).delete();
      });
    },
    /** The item's photos as Blobs, opened. */
    async outboxPhotos(seq) {
      const rows = await database().blobs.where('seq').equals(seq).sortBy('id');
      return Promise.all(rows.map(async (row) => new Blob([await openBytes(row)], { type: row.type })));
    },

    /** Erase everything: records, settings, tokens, the outbox and the key. */
    async wipe() {
      const d = database();
      d.close();
      db = null;
      keyPromise = null;
      await root.Dexie.delete(DB_NAME);
    },
  };
  GG.store = store;
})(typeof self !== 'undefined' ? self : globalThis);
