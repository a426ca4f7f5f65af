/* The record kinds the phone keeps and the kinds of writes it queues (page and service worker).
 *
 * Record kinds match the server's (gridgov.mobile.kinds): `label` says how a record is named
 * in lists. Outbox kinds say how a queued write is sent and what its answer changes on the phone
 * (see outbox.js). Issue 11's patrols, visits and tasks add theirs the same way, in their own
 * script (docs/architecture-app.md).
 */
(function (root) {
  'use strict';
  const GG = root.GG;

  GG.kinds.register('building', { label: (b) => b.name });
  GG.kinds.register('household', { label: (h) => h.address, searchable: true });
  GG.kinds.register('resident', { label: (r) => r.name, searchable: true });
  GG.kinds.register('event', { label: (e) => e.category_name + ' ' + e.number });
  GG.kinds.register('dispute', { label: (d) => d.type_name + ' ' + d.number });

  /** Change the phone's copy of records (after a write was accepted) and tell the page. */
  GG.local = {
    async put(kind, data) {
      await GG.store.applyRecords([{ kind: kind, id: data.id, data: data }], []);
      GG.emit('records', { records: [{ kind: kind, id: data.id, data: data }], removed: [] });
      notifyPages();
    },
    async remove(kind, id) {
      await GG.store.applyRecords([], [{ kind: kind, id: id }]);
      GG.emit('records', { records: [], removed: [{ kind: kind, id: id }] });
      notifyPages();
    },
  };

  function notifyPages() {
    if (root.clients && root.clients.matchAll && !root.document) {
      root.clients.matchAll().then((all) => all.forEach((c) => c.postMessage({ type: 'records' })));
    }
  }

  function json(method, body, item, extra) {
    return {
      method: method,
      headers: Object.assign({ 'Content-Type': 'application/json', 'Idempotency-Key': item.key }, extra || {}),
      body: JSON.stringify(body),
    };
  }

  /** The server's resident answer in the phone's record form (masked values as answered). */
  function residentRecord(answer, previous) {
    const keep = previous || {};
    return Object.assign({}, keep, {
      id: answer.id, household_id: answer.household_id, name: answer.name,
      id_number: answer.id_number, phone: answer.phone, birth_date: answer.birth_date,
      sex: answer.sex, ethnicity: answer.ethnicity, relation: answer.relation, status: answer.status,
      care_tags: answer.care_tags || [], note: answer.note, version: answer.version,
      tokens: keep.tokens || '',
    });
  }

  const localResident = (id) => GG.store.getRecord('resident', id);

  const aboutResident = (b) => 'resident:' + b.id;

  GG.outboxKinds.register('resident.update', {
    label: (b) => '修改居民：' + b.name,
    record: aboutResident,
    send: (item) => GG.api.request('/residents/' + item.body.id,
      json('PATCH', item.body.changes, item, { 'If-Match': '"' + item.body.version + '"' })),
    async done(item, answer) { await GG.local.put('resident', residentRecord(answer, await localResident(answer.id))); },
    async current(item) {
      const response = await GG.api.request('/residents/' + item.body.id);
      return response.ok ? response.json() : null;
    },
    async resolve(item, choice) {
      if (choice === 'theirs' && item.body.server) {
        await GG.local.put('resident', residentRecord(item.body.server, await localResident(item.body.id)));
      }
    },
  });

  GG.outboxKinds.register('resident.create', {
    label: (b) => '新增居民：' + b.fields.name,
    record: (b) => 'household:' + b.household_id,
    send: (item) => GG.api.request('/residents', json('POST', item.body.fields, item)),
    async done(item, answer) { await GG.local.put('resident', residentRecord(answer, null)); },
  });

  GG.outboxKinds.register('resident.move_out', {
    label: (b) => '迁出：' + b.name,
    record: aboutResident,
    send: (item) => GG.api.request('/residents/' + item.body.id + '/move-out',
      json('POST', { date: item.body.date || null, note: item.body.note || '' }, item)),
    async done(item) { await GG.local.remove('resident', item.body.id); },
  });

  GG.outboxKinds.register('event.report', {
    label: (b) => '上报事件：' + (b.category_name || b.category),
    send(item, photos) {
      const form = new FormData();
      const b = item.body;
      for (const field of ['category', 'description', 'lng', 'lat', 'address', 'grid_id']) {
        if (b[field] !== undefined && b[field] !== null && b[field] !== '') form.append(field, b[field]);
      }
      (b.resident_ids || []).forEach((id) => form.append('resident_ids', id));
      photos.forEach((blob, i) => form.append('photos', blob, 'photo-' + (i + 1) + '.jpg'));
      // Queued by the server (202 and a receipt): after a reconnect the phone sends many at
      // once, and the server writes them in batches; the event comes back with the next sync.
      return GG.api.request('/events', {
        method: 'POST', headers: { 'Idempotency-Key': item.key, Prefer: 'respond-async' }, body: form,
      });
    },
    async done(item, answer) {
      if (answer && answer.id && answer.number) {  // written at once (a retry of a written one)
        await GG.local.put('event', {
          id: answer.id, number: answer.number, category: answer.category, category_name: answer.category_name,
          description: answer.description, state: answer.state, state_name: answer.state_name,
          due_at: answer.due_at, grid_id: answer.grid_id, address: answer.address, lng: answer.lng, lat: answer.lat,
          created_at: answer.created_at, mine: true, awaiting_me: false, version: answer.version,
        });
      }
    },
  });

  GG.outboxKinds.register('dispute.report', {
    label: (b) => '登记纠纷：' + b.description.slice(0, 12),
    send: (item) => GG.api.request('/disputes', json('POST', {
      category: item.body.category, description: item.body.description, dispute_type: item.body.dispute_type,
      parties: item.body.parties || [], lng: item.body.lng, lat: item.body.lat, address: item.body.address || '',
      grid_id: item.body.grid_id || null,
    }, item)),
  });
})(typeof self !== 'undefined' ? self : globalThis);
