/* The grid worker's day, the records and queued writes (page and service worker): due visits
 * (visit_due), tasks (task), screening rounds to answer (screening); a visit recorded, a task
 * completed, a round answered, a note in the work log. The screens are in screens/day.js.
 */
(function (root) {
  'use strict';
  const GG = root.GG;

  GG.kinds.register('visit_due', { label: (s) => '走访 ' + s.next_due });
  GG.kinds.register('task', { label: (t) => t.title });
  GG.kinds.register('screening', { label: (r) => r.title });

  function json(method, body, item) {
    return {
      method: method,
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': item.key },
      body: JSON.stringify(body),
    };
  }

  /** The interval after a visit, as the server computes it (local date + interval days). */
  function nextDue(visitedAt, days) {
    const d = new Date(visitedAt);
    d.setDate(d.getDate() + days);
    return d.getFullYear() + '-' + GG.pad2(d.getMonth() + 1) + '-' + GG.pad2(d.getDate());
  }
  GG.nextDue = nextDue;

  GG.outboxKinds.register('visit.record', {
    label: (b) => '入户走访：' + b.name,
    record: (b) => 'resident:' + b.fields.resident_id,
    send: (item) => GG.api.request('/care/visits', json('POST', item.body.fields, item)),
    async done(item) {
      // The phone's schedule moves on at once (the sync brings the server's copy later).
      const s = item.body.schedule_id ? await GG.store.getRecord('visit_due', item.body.schedule_id) : null;
      if (s && (!s.last_visit_at || s.last_visit_at < item.body.fields.visited_at)) {
        await GG.local.put('visit_due', Object.assign({}, s, {
          last_visit_at: item.body.fields.visited_at, next_due: nextDue(item.body.fields.visited_at, s.interval_days),
        }));
      }
    },
  });

  GG.outboxKinds.register('task.complete', {
    label: (b) => '完成任务：' + b.title,
    record: (b) => 'task:' + b.id,
    send(item, photos) {
      const form = new FormData();
      form.append('result', item.body.result);
      photos.forEach((blob, i) => form.append('photos', blob, 'photo-' + (i + 1) + '.jpg'));
      return GG.api.request('/task-assignments/' + item.body.id + '/complete', {
        method: 'POST', headers: { 'Idempotency-Key': item.key }, body: form,
      });
    },
    async done(item) { await GG.local.remove('task', item.body.id); },
  });

  GG.outboxKinds.register('screening.answer', {
    label: (b) => (b.nil ? '零报告：' : '排查报送：') + b.title,
    record: (b) => 'screening:' + b.id,
    send: (item) => GG.api.request('/screening/returns/' + item.body.id,
      json('POST', { nil: item.body.nil, findings: item.body.findings || [] }, item)),
    async done(item) { await GG.local.remove('screening', item.body.id); },
  });

  GG.outboxKinds.register('worklog.note', {
    label: (b) => '民情日志：' + b.day,
    record: (b) => 'worklog:' + b.day,
    send: (item) => GG.api.request('/worklog/notes', json('POST', { day: item.body.day, text: item.body.text }, item)),
  });
})(typeof self !== 'undefined' ? self : globalThis);
