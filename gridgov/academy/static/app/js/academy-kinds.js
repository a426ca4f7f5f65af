/* The grid academy's queued writes (page and service worker): a quiz submitted, a course marked
 * as studied, a session signed up for or cancelled, a check-in by the session's QR code. Each is
 * sent with its Idempotency-Key, so a resend after a lost answer changes nothing on the server;
 * what the server answered is kept (GG.store meta 'academy:*') for the screens to show.
 */
(function (root) {
  'use strict';
  const GG = root.GG;

  function post(path, body, item) {
    return GG.api.request(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': item.key },
      body: JSON.stringify(body || {}),
    });
  }

  async function remember(key, value) { await GG.store.setMeta('academy:' + key, value); }

  GG.outboxKinds.register('academy.quiz', {
    label: (b) => '课程测验：' + b.title,
    record: (b) => 'course:' + b.id,
    send: (item) => post('/academy/courses/' + item.body.id + '/quiz', { answers: item.body.answers }, item),
    async done(item, answer) { await remember('quiz:' + item.body.id, answer); },
  });

  GG.outboxKinds.register('academy.complete', {
    label: (b) => '学完课程：' + b.title,
    record: (b) => 'course:' + b.id,
    send: (item) => post('/academy/courses/' + item.body.id + '/complete', {}, item),
  });

  GG.outboxKinds.register('academy.signup', {
    label: (b) => '报名交流会：' + b.title,
    record: (b) => 'session:' + b.id,
    send: (item) => post('/academy/sessions/' + item.body.id + '/signup', {}, item),
  });

  GG.outboxKinds.register('academy.cancel', {
    label: (b) => '取消报名：' + b.title,
    record: (b) => 'session:' + b.id,
    send: (item) => post('/academy/sessions/' + item.body.id + '/cancel', {}, item),
  });

  GG.outboxKinds.register('academy.checkin', {
    label: () => '交流会扫码签到',
    record: () => 'checkin',
    send: (item) => post('/academy/checkin', { token: item.body.token, scanned_at: item.body.scanned_at }, item),
    async done(item, answer) { await remember('checkin', answer); },
  });
})(typeof self !== 'undefined' ? self : globalThis);
