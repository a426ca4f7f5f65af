/* Start-up: open the records on the phone, show the screen, then (when online) send the outbox
 * and sync. Registers the service worker that makes the app open without a network. */
(function (root) {
  'use strict';
  const GG = root.GG;
  const ui = GG.ui;

  async function refreshAll() {
    if (navigator.onLine === false || !(await GG.store.getMeta('tokens'))) return;
    try {
      await GG.outbox.flush();
      await GG.sync.run();
      await GG.refreshNotices();
      if (!(await GG.store.getMeta('categories'))) await GG.loadCategories();
    } catch (e) {
      if (!(e instanceof GG.api.Wiped || e instanceof GG.api.SignInNeeded || e instanceof GG.api.Offline)) console.warn(e);
    }
  }

  async function start() {
    root.addEventListener('hashchange', ui.render);
    root.addEventListener('online', () => { ui.updateBar(); refreshAll(); });
    root.addEventListener('offline', ui.updateBar);
    GG.on('outbox', ui.updateBar);
    GG.on('sent', () => GG.sync.run().catch(() => {}));
    GG.on('wiped', (reason) => { GG.data.clear(); ui.render(); if (reason) ui.toast(reason); });
    GG.on('signin', (reason) => { ui.render(); ui.toast(reason || '请重新登录'); });
    let redraw = null;
    GG.on('data', () => { clearTimeout(redraw); redraw = setTimeout(() => {
      // Never under the worker's fingers: not while a form is open or a field has the focus.
      const active = document.activeElement;
      if (!document.querySelector('.screen form') && !(active && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) ui.render();
    }, 50); });
    if (navigator.serviceWorker) {
      navigator.serviceWorker.addEventListener('message', (event) => {
        const message = event.data || {};
        if (message.type === 'wiped') GG.emit('wiped', message.reason);
        if (message.type === 'records') GG.data.load();
        if (message.type === 'outbox') ui.updateBar();
        if (message.type === 'flush') GG.outbox.schedule(0);
      });
      navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' }).catch((e) => console.warn('service worker', e));
    }
    await GG.data.load();
    await ui.render();
    ui.updateBar();
    document.documentElement.dataset.ready = '1';
    GG.outbox.schedule(0);
    refreshAll();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})(self);
