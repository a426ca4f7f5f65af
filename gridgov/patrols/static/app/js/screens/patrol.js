/* 巡查: start a patrol, walk with the buildings due in view, check in by standing near a building
 * or by scanning its QR code (BarcodeDetector where the browser has it, else the code typed),
 * end it. Everything is queued in the outbox (patrol-kinds.js) and works offline.
 *
 * Positions are taken only while a patrol the worker started is under way (PIPL): the watch
 * starts with the patrol and stops with it; the app never asks for the position otherwise. */
(function (root) {
  'use strict';
  const GG = root.GG;
  const { h, field } = GG.ui;
  const CURRENT = 'patrol-current';
  const DUE = 'patrol-due';
  const BATCH_EVERY_MS = 30000;
  const BATCH_MAX = 20;
  const DEFAULT_RULE = { period_days: 7, radius_m: 60 };

  let watch = null;
  let buffer = [];
  let flushTimer = null;
  let lastFix = null;
  let state = null;  // the patrol under way, as kept in CURRENT

  async function load() { state = (await GG.store.getMeta(CURRENT)) || null; return state; }
  async function save() { await GG.store.setMeta(CURRENT, state); }

  function metres(aLng, aLat, bLng, bLat) {
    const r = Math.PI / 180;
    const dp = (bLat - aLat) * r;
    const dl = (bLng - aLng) * r;
    const a = Math.sin(dp / 2) ** 2 + Math.cos(aLat * r) * Math.cos(bLat * r) * Math.sin(dl / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(a)));
  }

  /** The worker's grids: where the synced buildings are. */
  function grids() {
    const seen = new Map();
    for (const b of GG.data.all('building')) if (!seen.has(b.grid_id)) seen.set(b.grid_id, b.grid_id);
    return Array.from(seen.keys());
  }

  async function ruleOf(gridId) {
    const due = (await GG.store.getMeta(DUE)) || [];
    const found = due.find((g) => g.grid_id === gridId);
    return found ? { period_days: found.period_days, radius_m: found.radius_m } : DEFAULT_RULE;
  }

  /** Buildings of a grid with when each was last checked in (synced, or on this phone). */
  async function buildingsOf(gridId) {
    const rule = await ruleOf(gridId);
    const last = new Map();
    for (const c of GG.data.all('patrol_building')) last.set(c.building_id, c.last_checkin_at);
    const local = (await GG.store.getMeta('patrol-checked')) || {};
    for (const [id, at] of Object.entries(local)) {
      const prev = last.get(Number(id));
      if (!prev || prev < at) last.set(Number(id), at);
    }
    const since = new Date(Date.now() - rule.period_days * 86400000).toISOString();
    return GG.data.all('building').filter((b) => b.grid_id === gridId).map((b) => {
      const at = last.get(b.id) || null;
      return Object.assign({}, b, { last: at, due: !at || new Date(at).toISOString() < since });
    }).sort((a, b) => (a.due === b.due ? a.code.localeCompare(b.code) : a.due ? -1 : 1));
  }

  async function refreshDue() {
    if (navigator.onLine === false) return;
    try {
      const response = await GG.api.request('/patrols/due');
      if (response.ok) await GG.store.setMeta(DUE, await response.json());
    } catch (e) { /* offline: the last copy stays */ }
  }

  // --- positions ------------------------------------------------------------------------------

  async function flushPoints() {
    clearTimeout(flushTimer);
    flushTimer = null;
    if (!state || !buffer.length) return;
    const points = buffer;
    buffer = [];
    state.seq += 1;
    state.points += points.length;
    await save();
    await GG.outbox.add('patrol.points', { key: state.key, seq: state.seq, points: points });
  }

  function onFix(pos) {
    if (!state) return;
    const c = pos.coords;
    const fix = { at: new Date(pos.timestamp || Date.now()).toISOString(), lng: c.longitude, lat: c.latitude, accuracy: Math.round(c.accuracy || 0) };
    if (lastFix && fix.accuracy <= 50 && lastFix.accuracy <= 50) state.distance += metres(lastFix.lng, lastFix.lat, fix.lng, fix.lat);
    lastFix = fix;
    buffer.push(fix);
    GG.emit('patrol-fix', fix);
    if (buffer.length >= BATCH_MAX) flushPoints();
    else if (!flushTimer) flushTimer = setTimeout(flushPoints, BATCH_EVERY_MS);
  }

  function startWatch() {
    if (watch !== null || !navigator.geolocation) return;
    watch = navigator.geolocation.watchPosition(onFix, () => GG.emit('patrol-fix', null),
      { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }
  function stopWatch() {
    if (watch !== null && navigator.geolocation) navigator.geolocation.clearWatch(watch);
    watch = null;
    lastFix = null;
  }

  // --- actions --------------------------------------------------------------------------------

  async function start(gridId) {
    const key = GG.uuid();
    state = { key: key, grid_id: gridId, started_at: new Date().toISOString(), seq: 0, points: 0, distance: 0, checked: {} };
    await save();
    await GG.outbox.add('patrol.start', { key: key, grid_id: gridId, started_at: state.started_at });
    startWatch();
  }

  async function checkIn(body, label) {
    if (!state) return false;
    if (state.checked[body.building_id || body.code]) { GG.ui.toast('本次巡查已签到过：' + label); return false; }
    const at = new Date().toISOString();
    await flushPoints();
    await GG.outbox.add('patrol.checkin', Object.assign({ key: state.key, at: at, building_name: label }, body));
    state.checked[body.building_id || body.code] = at;
    await save();
    if (body.building_id) {
      const local = (await GG.store.getMeta('patrol-checked')) || {};
      local[body.building_id] = at;
      await GG.store.setMeta('patrol-checked', local);
    }
    GG.ui.toast('已签到：' + label + (navigator.onLine === false ? '（联网后发送）' : ''));
    return true;
  }

  async function end() {
    if (!state) return;
    await flushPoints();
    stopWatch();
    await GG.outbox.add('patrol.end', { key: state.key, ended_at: new Date().toISOString() });
    state = null;
    await GG.store.setMeta(CURRENT, null);
  }

  // What is reported while a patrol is under way is linked to it (reports, disputes, registry).
  const LINKS = {
    'event.report': (b, key) => ({ kind: 'event', report_key: key, label: b.category_name || '事件' }),
    'dispute.report': (b, key) => ({ kind: 'dispute', report_key: key, label: '纠纷' }),
    'resident.update': (b, key) => ({ kind: 'registry', resident_id: b.id, report_key: key, label: '居民信息：' + b.name }),
    'resident.move_out': (b, key) => ({ kind: 'registry', resident_id: b.id, report_key: key, label: '迁出：' + b.name }),
    'resident.create': (b, key) => ({ kind: 'registry', household_id: b.household_id, report_key: key, label: '新增居民' }),
  };
  GG.on('queued', (item) => {
    const link = LINKS[item.kind];
    if (!link || !state) return;
    GG.outbox.add('patrol.finding', Object.assign({ key: state.key }, link(item.body, item.key)));
  });

  GG.patrolRun = { load: load, start: start, checkIn: checkIn, end: end, buildingsOf: buildingsOf };

  // --- screens ------------------------------------------------------------------------------

  function ago(at) {
    if (!at) return '从未签到';
    const days = Math.floor((Date.now() - new Date(at).getTime()) / 86400000);
    return days <= 0 ? '今天已签到' : days + ' 天前签到';
  }

  GG.patrol.register('patrol-start', {
    order: 5,
    async render(box) {
      await load();
      if (state) {
        box.append(h('h2', {}, '巡查进行中'),
          h('p', {}, '开始于 ' + GG.formatTime(state.started_at) + ' · 已签到 ' + Object.keys(state.checked).length + ' 栋'),
          h('a', { class: 'button primary', href: '#/patrol/run' }, '继续巡查'));
        return;
      }
      refreshDue();
      const ids = grids();
      box.append(h('h2', {}, '巡网走格'));
      if (!ids.length) { box.append(h('p', { class: 'muted' }, '尚未同步网格楼栋：联网打开一次应用即可。')); return; }
      for (const gridId of ids) {
        const rows = await buildingsOf(gridId);
        const due = rows.filter((b) => b.due).length;
        const button = h('button', { type: 'button', class: 'primary', 'data-grid': gridId }, '开始巡查');
        button.addEventListener('click', async () => { button.disabled = true; await start(gridId); GG.ui.go('patrol/run'); });
        box.append(h('p', {}, '待巡楼栋 ' + due + ' / ' + rows.length), button);
      }
      box.append(h('p', { class: 'hint' }, '开始后才记录位置，结束巡查即停止。轨迹仅本人和上级可见。'));
    },
  });

  GG.today.register('patrol-due', {
    order: 12,
    async render(box) {
      await load();
      const ids = grids();
      if (!ids.length) return false;
      let due = 0;
      let total = 0;
      for (const gridId of ids) {
        const rows = await buildingsOf(gridId);
        due += rows.filter((b) => b.due).length;
        total += rows.length;
      }
      box.append(h('h2', {}, state ? '巡查进行中' : '今日巡查'),
        h('p', {}, '按巡查规则待巡楼栋 ' + due + ' / ' + total),
        h('a', { class: 'button primary', href: state ? '#/patrol/run' : '#/patrol' }, state ? '继续巡查' : '去巡查'));
    },
  });

  GG.screens.register('patrol-run', {
    route: /^patrol\/run$/, tab: 'patrol', title: '巡查中',
    async render(el) {
      await load();
      if (!state) { el.append(h('p', {}, '没有进行中的巡查。'), h('a', { class: 'button primary', href: '#/patrol' }, '返回巡查')); return; }
      startWatch();
      const rule = await ruleOf(state.grid_id);
      const status = h('p', { class: 'patrol-status', 'aria-live': 'polite' });
      const show = () => {
        const minutes = Math.round((Date.now() - new Date(state.started_at).getTime()) / 60000);
        status.textContent = '已巡查 ' + minutes + ' 分钟 · 约 ' + Math.round(state.distance) + ' 米 · 已签到 ' +
          Object.keys(state.checked).length + ' 栋 · ' + (lastFix ? '定位精度约 ' + lastFix.accuracy + ' 米' : '正在定位…');
      };
      show();
      const rows = await buildingsOf(state.grid_id);
      const list = h('ul', { class: 'list' });
      const draw = () => {
        list.replaceChildren(...rows.map((b) => {
          const done = !!state.checked[b.id];
          const near = lastFix && b.lng !== null && b.lat !== null ? metres(lastFix.lng, lastFix.lat, b.lng, b.lat) : null;
          const inRange = near !== null && near - Math.min(lastFix.accuracy || 0, rule.radius_m) <= rule.radius_m;
          const button = h('button', { type: 'button', class: inRange && !done ? 'primary' : '', disabled: done || !inRange,
            'data-building': b.id }, done ? '已签到' : '签到');
          button.addEventListener('click', async () => {
            button.disabled = true;
            await checkIn({ building_id: b.id, lng: lastFix.lng, lat: lastFix.lat, accuracy: lastFix.accuracy }, b.name);
            draw(); show();
          });
          return h('li', { class: 'patrol-building' }, h('div', { class: 'row' }, h('strong', {}, b.name), ' ',
            b.due && !done ? h('span', { class: 'badge risk-high' }, '待巡') : null,
            h('span', { class: 'sub' }, (done ? '本次已签到' : ago(b.last)) + (near !== null ? ' · 距离约 ' + Math.round(near) + ' 米' : ''))), button);
        }));
      };
      draw();
      const off = GG.on('patrol-fix', () => { if (!document.body.contains(list)) { off(); return; } show(); draw(); });
      const finish = h('button', { type: 'button', class: 'danger' }, '结束巡查');
      finish.addEventListener('click', async () => {
        if (!root.confirm('结束本次巡查？结束后不再记录位置。')) return;
        await end();
        GG.ui.toast('巡查已结束' + (navigator.onLine === false ? '，联网后发送' : ''));
        GG.ui.go('patrol');
      });
      el.append(h('section', { class: 'card' }, status, h('div', { class: 'actions' },
        h('a', { class: 'button primary', href: '#/patrol/scan' }, '扫码签到'), h('a', { class: 'button', href: '#/report' }, '上报发现'))),
      h('section', { class: 'card' }, h('h2', {}, '楼栋（每 ' + rule.period_days + ' 天至少走到一次，' + rule.radius_m + ' 米内可签到）'), list),
      h('section', { class: 'card' }, finish));
    },
  });

  GG.screens.register('patrol-scan', {
    route: /^patrol\/scan$/, tab: 'patrol', title: '扫码签到',
    async render(el) {
      await load();
      if (!state) { GG.ui.go('patrol'); return; }
      const code = h('input', { type: 'text', inputmode: 'text', autocapitalize: 'characters', autocomplete: 'off', spellcheck: 'false', maxlength: '60', placeholder: '如 K7M-3QX' });
      const error = h('p', { class: 'error', role: 'alert' });
      const submit = async (text) => {
        const value = (text || '').trim();
        if (!value) { error.textContent = '请扫描二维码或输入楼栋码'; return; }
        const building = value.startsWith('GGB1:') ? GG.data.all('building').find((b) => value.split(':')[1] === b.code) : null;
        if (await checkIn({ code: value }, building ? building.name : '楼栋码 ' + value.slice(-6))) GG.ui.go('patrol/run');
      };
      const form = h('form', { class: 'form' }, field('楼栋码', code, '楼栋二维码下方的六位字符'), error,
        h('button', { type: 'submit', class: 'primary' }, '签到'));
      form.addEventListener('submit', (e) => { e.preventDefault(); submit(code.value); });
      el.append(form);
      if ('BarcodeDetector' in root && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
        const video = h('video', { class: 'scanner', playsinline: true, muted: true, 'aria-label': '摄像头取景' });
        el.prepend(h('section', { class: 'card' }, video, h('p', { class: 'hint' }, '将楼栋二维码对准取景框')));
        try {
          const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
          video.srcObject = stream;
          await video.play();
          const detector = new root.BarcodeDetector({ formats: ['qr_code'] });
          const scan = async () => {
            if (!document.body.contains(video)) { stream.getTracks().forEach((t) => t.stop()); return; }
            try {
              const found = await detector.detect(video);
              if (found.length) { stream.getTracks().forEach((t) => t.stop()); await submit(found[0].rawValue); return; }
            } catch (e) { /* a frame not ready */ }
            setTimeout(scan, 300);
          };
          scan();
        } catch (e) { video.remove(); error.textContent = '无法打开摄像头：请输入楼栋码'; }
      }
    },
  });

  // A patrol under way when the app (re)opens: keep recording its positions.
  load().then((current) => { if (current) startWatch(); }).catch(() => {});
})(self);
