/* Patrols on the phone: the synced kinds and the queued writes (page and service worker).
 *
 * A patrol is named by the key the phone makes when the worker starts it, so everything of a
 * patrol can be queued offline before the server has seen it. Its writes are one record
 * ('patrol:' + key): the outbox sends them in the order saved — the start, the batches of
 * positions, the check-ins, the findings, the end — and the server id the start answered is
 * kept with the key for the later items. Each is idempotent on the server (the key, the batch's
 * seq, one check-in per building), so a resend after a lost answer changes nothing.
 */
(function (root) {
  'use strict';
  const GG = root.GG;

  GG.kinds.register('patrol_rule', { label: (r) => r.grid_kind });
  GG.kinds.register('patrol_building', { label: (c) => String(c.building_id) });

  const IDS = 'patrol-ids';
  async function serverId(key) {
    const ids = (await GG.store.getMeta(IDS)) || {};
    if (!ids[key]) throw new Error('patrol not started on the server yet');
    return ids[key];
  }

  function post(path, body, item) {
    return GG.api.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': item.key },
      body: JSON.stringify(body),
    });
  }
  const aboutPatrol = (b) => 'patrol:' + b.key;

  GG.outboxKinds.register('patrol.start', {
    label: () => '开始巡查',
    record: aboutPatrol,
    send: (item) => post('/patrols', { key: item.body.key, grid_id: item.body.grid_id, started_at: item.body.started_at }, item),
    async done(item, answer) {
      const ids = (await GG.store.getMeta(IDS)) || {};
      ids[item.body.key] = answer.id;
      await GG.store.setMeta(IDS, ids);
    },
  });

  GG.outboxKinds.register('patrol.points', {
    label: (b) => '巡查轨迹：' + b.points.length + ' 个位置',
    record: aboutPatrol,
    send: async (item) => post('/patrols/' + (await serverId(item.body.key)) + '/points', { seq: item.body.seq, points: item.body.points }, item),
  });

  GG.outboxKinds.register('patrol.checkin', {
    label: (b) => '楼栋签到：' + (b.building_name || b.code || ''),
    record: aboutPatrol,
    send: async (item) => {
      const b = item.body;
      return post('/patrols/' + (await serverId(b.key)) + '/checkins', {
        building_id: b.building_id || null, code: b.code || '', lng: b.lng, lat: b.lat, accuracy: b.accuracy, at: b.at,
      }, item);
    },
  });

  GG.outboxKinds.register('patrol.finding', {
    label: (b) => '巡查发现：' + (b.label || b.kind),
    record: aboutPatrol,
    send: async (item) => post('/patrols/' + (await serverId(item.body.key)) + '/findings', {
      kind: item.body.kind, report_key: item.body.report_key || '', resident_id: item.body.resident_id || null,
      household_id: item.body.household_id || null,
    }, item),
  });

  GG.outboxKinds.register('patrol.end', {
    label: () => '结束巡查',
    record: aboutPatrol,
    send: async (item) => post('/patrols/' + (await serverId(item.body.key)) + '/end', { ended_at: item.body.ended_at }, item),
    async done(item) {
      const ids = (await GG.store.getMeta(IDS)) || {};
      delete ids[item.body.key];
      await GG.store.setMeta(IDS, ids);
    },
  });
})(typeof self !== 'undefined' ? self : globalThis);
