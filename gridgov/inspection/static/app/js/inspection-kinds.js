/* Rectifications (督导检查整改) on the phone (page and service worker): the open rectifications
 * of the worker's grids (kind `rectification`, synced) and the report back (outbox kind
 * `rectification.report`: text and optional photos, sent with the idempotency key made when it
 * was saved, so a retry after a lost answer is harmless). The screens are in
 * screens/inspection.js.
 */
(function (root) {
  'use strict';
  const GG = root.GG;

  GG.kinds.register('rectification', { label: (r) => r.requirement });

  GG.outboxKinds.register('rectification.report', {
    label: (b) => '整改报告：' + b.requirement.slice(0, 16),
    record: (b) => 'rectification:' + b.id,
    send(item, photos) {
      const form = new FormData();
      form.append('text', item.body.text);
      photos.forEach((blob, i) => form.append('photos', blob, 'photo-' + (i + 1) + '.jpg'));
      return GG.api.request('/inspection/rectifications/' + item.body.id + '/report', {
        method: 'POST', headers: { 'Idempotency-Key': item.key }, body: form,
      });
    },
    // Reported: it waits for the re-inspection and leaves the phone; a rejection brings it back
    // with the reason at the next sync.
    async done(item) { await GG.local.remove('rectification', item.body.id); },
  });
})(typeof self !== 'undefined' ? self : globalThis);
