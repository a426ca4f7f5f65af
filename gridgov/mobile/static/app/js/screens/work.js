/* 登录, 我的今天, 上报, 巡查 and 我的 (with what waits in the outbox). */
(function (root) {
  'use strict';
  const GG = root.GG;
  const { h, field } = GG.ui;

  /** Sections of 我的今天 and 巡查 are registries too: issue 11 adds "patrol due", "visits due",
   *  "tasks" with GG.today.register(name, {order, render(el)}). */
  function sections() {
    const items = [];
    return {
      register(name, spec) { items.push(Object.assign({ name: name, order: 100 }, spec)); items.sort((a, b) => a.order - b.order); },
      async renderAll(el) { for (const s of items) { const box = h('section', { class: 'card', 'data-section': s.name }); if ((await s.render(box)) !== false) el.append(box); } },
    };
  }
  GG.today = sections();
  GG.patrol = sections();

  function deviceName() {
    const ua = navigator.userAgent;
    const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '手机';
    const browser = /EdgA?\//.test(ua) ? 'Edge' : /Chrome\//.test(ua) ? 'Chrome' : /Firefox\//.test(ua) ? 'Firefox' : /Safari\//.test(ua) ? 'Safari' : '浏览器';
    return os + ' · ' + browser;
  }

  GG.screens.register('login', {
    route: /^login$/, tab: '', title: '登录网格助手',
    render(el) {
      const username = h('input', { type: 'text', autocomplete: 'username', autocapitalize: 'none', spellcheck: 'false', required: true });
      const password = h('input', { type: 'password', autocomplete: 'current-password', required: true });
      const device = h('input', { type: 'text', value: deviceName(), maxlength: '100' });
      const error = h('p', { class: 'error', role: 'alert' });
      const button = h('button', { type: 'submit', class: 'primary' }, '登录');
      const form = h('form', { class: 'form' }, field('账号', username), field('密码', password),
        field('本机名称', device, '管理员在您的账号页按此名称识别和撤销设备'), error, button);
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        error.textContent = '';
        button.disabled = true;
        button.textContent = '正在登录…';
        try {
          await GG.api.signIn(username.value.trim(), password.value, device.value.trim());
          button.textContent = '正在同步网格数据…';
          try { await GG.sync.run(); await loadCategories(); } catch (err) { GG.ui.toast('同步未完成：' + GG.ui.reason(err)); }
          GG.outbox.schedule(0);
          GG.ui.go('today');
        } catch (err) {
          error.textContent = err instanceof GG.api.Offline ? '无法连接服务器：首次登录需要联网' : GG.ui.reason(err);
          button.disabled = false;
          button.textContent = '登录';
        }
      });
      el.append(h('p', {}, '网格员和楼栋长的手机应用：离线也能查询、登记和上报，联网后自动发送。'), form);
    },
  });

  async function loadCategories() {
    const response = await GG.api.request('/event-categories');
    if (response.ok) await GG.store.setMeta('categories', await response.json());
  }
  GG.loadCategories = loadCategories;

  function eventRow(e) {
    return h('li', {}, h('a', { class: 'row', href: '#/event/' + e.id },
      h('strong', {}, e.category_name), ' ', h('span', { class: 'badge' }, e.state_name),
      h('span', { class: 'sub' }, e.address + ' · ' + GG.formatTime(e.created_at))));
  }

  GG.today.register('awaiting', {
    order: 10,
    render(box) {
      const mine = GG.data.all('event').filter((e) => e.awaiting_me);
      box.append(h('h2', {}, '待我确认的事件'));
      box.append(mine.length ? h('ul', { class: 'list' }, mine.map(eventRow)) : h('p', { class: 'muted' }, '没有待确认的事件。'));
    },
  });
  GG.today.register('notices', {
    order: 20,
    async render(box) {
      const notices = (await GG.store.getMeta('notices')) || null;
      box.append(h('h2', {}, '通知'));
      if (!notices) { box.append(h('p', { class: 'muted' }, '联网后显示最新通知。')); return; }
      const unread = notices.items.filter((n) => !n.read_at);
      box.append(unread.length ? h('ul', { class: 'list' }, unread.slice(0, 10).map((n) =>
        h('li', {}, h('span', { class: 'row' }, n.message, h('span', { class: 'sub' }, GG.formatTime(n.created_at))))))
        : h('p', { class: 'muted' }, '没有未读通知。'));
    },
  });
  GG.today.register('my-reports', {
    order: 25,
    render(box) {
      // What the worker reported and is still being handled (or waits for them), newest first.
      const mine = GG.data.all('event').filter((e) => e.mine).sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
      box.append(h('h2', {}, '我上报的（' + mine.length + '）'));
      box.append(mine.length ? h('ul', { class: 'list' }, mine.slice(0, 20).map(eventRow)) : h('p', { class: 'muted' }, '没有进行中的上报。'));
    },
  });
  GG.today.register('open-events', {
    order: 30,
    render(box) {
      const open = GG.data.all('event').filter((e) => !e.awaiting_me).sort((a, b) => (b.created_at || '').localeCompare(a.created_at || ''));
      box.append(h('h2', {}, '网格内未办结事件（' + open.length + '）'));
      box.append(open.length ? h('ul', { class: 'list' }, open.slice(0, 20).map(eventRow)) : h('p', { class: 'muted' }, '没有未办结的事件。'));
    },
  });
  GG.today.register('disputes', {
    order: 40,
    render(box) {
      const disputes = GG.data.all('dispute');
      box.append(h('h2', {}, '我参与的矛盾纠纷（' + disputes.length + '）'));
      box.append(disputes.length ? h('ul', { class: 'list' }, disputes.map((d) => h('li', {}, h('span', { class: 'row' },
        h('strong', {}, d.type_name), ' ', h('span', { class: 'badge risk-' + d.risk_level }, d.risk_name + '风险'),
        h('span', { class: 'sub' }, (d.parties || []).map((p) => p.name).join('、') + ' · ' + d.address)))))
        : h('p', { class: 'muted' }, '没有进行中的纠纷。'));
    },
  });

  async function refreshNotices() {
    try {
      const response = await GG.api.request('/inbox?limit=20');
      if (response.ok) await GG.store.setMeta('notices', await response.json());
    } catch (e) { /* offline: the last copy stays */ }
  }
  GG.refreshNotices = refreshNotices;

  GG.screens.register('today', {
    route: /^today$/, tab: 'today', title: '我的今天',
    async render(el) {
      const me = (await GG.store.getMeta('me')) || {};
      el.append(h('p', { class: 'greeting' }, (me.fullName || me.username || '') + '，您好'));
      await GG.today.renderAll(el);
    },
  });

  GG.screens.register('event', {
    route: /^event\/(\d+)$/, tab: 'today', title: '事件',
    render(el, m) {
      const e = GG.data.get('event', m[1]);
      if (!e) { el.append(h('p', {}, '本机没有这件事件（可能已办结）。')); return; }
      el.append(h('h2', {}, e.category_name), h('p', {}, h('span', { class: 'badge' }, e.state_name), ' ', e.number),
        h('p', {}, e.description),
        h('dl', { class: 'facts' }, h('dt', {}, '地点'), h('dd', {}, e.address), h('dt', {}, '上报时间'), h('dd', {}, GG.formatTime(e.created_at)),
          h('dt', {}, '处置时限'), h('dd', {}, e.due_at ? GG.formatTime(e.due_at) : '—')),
        e.awaiting_me ? h('p', { class: 'notice' }, '此事件等待您确认办理结果：请在电脑端“事件”页面确认。') : null);
    },
  });

  // --- 上报 ---------------------------------------------------------------------------------
  const DISPUTE_TYPES = [['neighbour', '邻里纠纷'], ['family', '婚姻家庭'], ['property_management', '物业纠纷'], ['wage_arrears', '欠薪'], ['land', '土地'], ['consumer', '消费'], ['other', '其他']];

  GG.screens.register('report', {
    route: /^report$/, tab: 'report', title: '上报',
    async render(el) {
      const categories = ((await GG.store.getMeta('categories')) || []).filter((c) => c.parent_code);
      const category = h('select', { required: true }, h('option', { value: '' }, '请选择'),
        categories.map((c) => h('option', { value: c.code }, c.name)));
      const description = h('textarea', { rows: '4', required: true, maxlength: '2000', placeholder: '发生了什么、在哪里' });
      const { input: photos, previews, chosen } = GG.ui.photoPicker('待上传照片 ');
      const address = h('input', { type: 'text', maxlength: '200', placeholder: '如 3号楼2单元门口' });
      const geo = h('p', { class: 'hint', id: 'geo-status', 'aria-live': 'polite' }, '正在定位…');
      const disputeType = h('select', {}, DISPUTE_TYPES.map(([v, l]) => h('option', { value: v }, l)));
      const parties = h('input', { type: 'text', maxlength: '200', placeholder: '用顿号或逗号分隔，如 张三、李四' });
      const disputeFields = h('div', { hidden: true }, field('纠纷类型', disputeType), field('当事人', parties));
      const error = h('p', { class: 'error', role: 'alert' });
      let point = null;
      if (!categories.length) error.textContent = '事件分类尚未同步：联网打开一次应用即可。';
      category.addEventListener('change', () => {
        const c = categories.find((x) => x.code === category.value);
        disputeFields.hidden = !(c && c.is_dispute);
      });
      if (navigator.geolocation) {
        navigator.geolocation.getCurrentPosition(
          (pos) => { point = { lng: pos.coords.longitude, lat: pos.coords.latitude }; geo.textContent = '已定位（精度约 ' + Math.round(pos.coords.accuracy) + ' 米）'; },
          () => { geo.textContent = '无法定位：请填写地点，事件将记在您的网格'; },
          { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      } else geo.textContent = '此设备不能定位：请填写地点';
      const form = h('form', { class: 'form' }, field('分类', category), field('描述', description), field('照片', photos), previews,
        field('地点', address), geo, disputeFields, error, h('button', { type: 'submit', class: 'primary' }, '保存并上报'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        error.textContent = '';
        if (!category.value || !description.value.trim()) { error.textContent = '请选择分类并填写描述'; return; }
        const c = categories.find((x) => x.code === category.value);
        const grid = GG.data.all('building')[0];
        const body = {
          category: c.code, category_name: c.name, description: description.value.trim(), address: address.value.trim(),
          lng: point ? point.lng : null, lat: point ? point.lat : null, grid_id: point ? null : (grid ? grid.grid_id : null),
        };
        if (c.is_dispute) {
          body.dispute_type = disputeType.value;
          body.parties = parties.value.split(/[、，,\s]+/).filter(Boolean).map((name) => ({ name: name }));
          await GG.outbox.add('dispute.report', body);
        } else {
          await GG.outbox.add('event.report', body, chosen);
        }
        GG.ui.toast('已保存，' + (navigator.onLine ? '正在上报' : '联网后自动上报'));
        GG.ui.go('today');
      });
      el.append(form);
    },
  });

  // --- 巡查: what exists today — the grid's buildings and where events are open -------------
  GG.patrol.register('buildings', {
    order: 50,
    render(box) {
      const buildings = GG.data.all('building').sort((a, b) => a.code.localeCompare(b.code));
      box.append(h('h2', {}, '网格楼栋（' + buildings.length + '）'));
      box.append(h('ul', { class: 'list' }, buildings.map((b) => h('li', {}, h('a', { class: 'row', href: '#/building/' + b.id },
        h('strong', {}, b.name), h('span', { class: 'sub' }, GG.data.all('household').filter((x) => x.building_id === b.id).length + ' 户' + (b.address ? ' · ' + b.address : '')))))));
    },
  });
  GG.screens.register('patrol', {
    route: /^patrol$/, tab: 'patrol', title: '巡查',
    async render(el) { await GG.patrol.renderAll(el); },
  });

  // --- 我的 ---------------------------------------------------------------------------------
  const STATE_NAMES = { pending: '待发送', failed: '被退回', conflict: '有冲突' };

  function outboxItem(item) {
    const kind = GG.outboxKinds.get(item.kind);
    return h('li', { class: 'outbox-item state-' + item.state }, h('a', { class: 'row', href: '#/outbox/' + item.seq },
      h('strong', {}, kind ? kind.label(item.body) : item.kind), ' ', h('span', { class: 'badge' }, STATE_NAMES[item.state] || item.state),
      h('span', { class: 'sub' }, GG.formatTime(item.created) + (item.photos ? ' · ' + item.photos + ' 张照片' : '') + (item.error ? ' · ' + item.error : ''))));
  }

  GG.screens.register('me', {
    route: /^me$/, tab: 'me', title: '我的',
    async render(el) {
      const me = (await GG.store.getMeta('me')) || {};
      const syncedAt = await GG.store.getMeta('syncedAt');
      const items = await GG.store.listOutbox();
      const syncButton = h('button', { type: 'button' }, '立即同步');
      syncButton.addEventListener('click', async () => {
        syncButton.disabled = true;
        try { await GG.outbox.flush(); await GG.sync.run(); await refreshNotices(); GG.ui.toast('已同步'); }
        catch (e) { GG.ui.toast(e instanceof GG.api.Offline ? '离线：联网后再同步' : '同步失败：' + GG.ui.reason(e)); }
        GG.ui.render();
      });
      const logout = h('button', { type: 'button', class: 'danger' }, '退出登录');
      logout.addEventListener('click', async () => {
        const waiting = await GG.store.countOutbox();
        const warning = waiting ? '还有 ' + waiting + ' 项未发送，退出将清除手机上的全部数据（包括未发送的内容）。确定退出？' : '退出将清除手机上的网格数据。确定退出？';
        if (root.confirm(warning)) await GG.api.signOut();
      });
      el.append(
        h('section', { class: 'card' }, h('h2', {}, me.fullName || me.username || ''),
          h('dl', { class: 'facts' }, h('dt', {}, '账号'), h('dd', {}, me.username || ''), h('dt', {}, '本机'), h('dd', {}, me.device ? me.device.name : ''),
            h('dt', {}, '上次同步'), h('dd', {}, syncedAt ? GG.formatTime(syncedAt) : '尚未同步'),
            h('dt', {}, '本机数据'), h('dd', {}, GG.data.count('household') + ' 户 · ' + GG.data.count('resident') + ' 人 · ' + GG.data.count('event') + ' 件事件')),
          syncButton),
        h('section', { class: 'card actions' }, h('a', { class: 'button', href: '#/me/file' }, '我的档案与考核'),
          h('a', { class: 'button', href: '#/learn' }, '网格学院（课程 · 交流会 · 学时）')),
        h('section', { class: 'card', id: 'outbox' }, h('h2', {}, '待发送（' + items.length + '）'),
          items.length ? h('ul', { class: 'list' }, items.map(outboxItem)) : h('p', { class: 'muted' }, '全部已发送。')),
        h('section', { class: 'card' }, logout));
    },
  });

  function versions(item) {
    const mine = item.body.changes || {};
    const server = item.body.server || {};
    const before = item.body.before || {};
    return h('table', { class: 'versions' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, '项目'), h('th', { scope: 'col' }, '我的修改'), h('th', { scope: 'col' }, '服务器上现在'))),
      h('tbody', {}, Object.keys(mine).map((k) => h('tr', {}, h('th', { scope: 'row' }, FIELD_LABELS[k] || k), h('td', {}, String(mine[k])),
        h('td', {}, server[k] === undefined ? String(before[k] === undefined ? '' : before[k]) : String(server[k]))))));
  }

  const FIELD_LABELS = { name: '姓名', id_number: '身份证号', phone: '电话', relation: '与户主关系', status: '居住状态', ethnicity: '民族', note: '备注', care_tags: '关爱标签', description: '描述', address: '地点' };
  // How a refused item's fields are corrected (the kinds a worker types into).
  const EDITABLE = {
    'resident.update': { get: (b) => b.changes, set: (b, p) => Object.assign({}, b, { changes: p }) },
    'resident.create': {
      get: (b) => ({ name: b.fields.name, id_number: b.fields.id_number, phone: b.fields.phone }),
      set: (b, p) => Object.assign({}, b, { fields: Object.assign({}, b.fields, p) }),
    },
    'event.report': { get: (b) => ({ description: b.description, address: b.address }), set: (b, p) => Object.assign({}, b, p) },
    'dispute.report': { get: (b) => ({ description: b.description, address: b.address }), set: (b, p) => Object.assign({}, b, p) },
  };

  GG.screens.register('outbox-item', {
    route: /^outbox\/(\d+)$/, tab: 'me', title: '待发送项',
    async render(el, m) {
      const item = (await GG.store.listOutbox()).find((i) => i.seq === Number(m[1]));
      if (!item) { el.append(h('p', {}, '这一项已发送。')); return; }
      const kind = GG.outboxKinds.get(item.kind);
      el.append(h('h2', {}, kind ? kind.label(item.body) : item.kind), h('p', {}, h('span', { class: 'badge' }, STATE_NAMES[item.state]), ' 保存于 ' + GG.formatTime(item.created)));
      if (item.error) el.append(h('p', { class: item.state === 'pending' ? 'hint' : 'error' }, item.error));
      const actions = h('div', { class: 'actions' });
      const button = (text, cls, fn) => { const b = h('button', { type: 'button', class: cls }, text); b.addEventListener('click', async () => { await fn(); GG.ui.go('me'); }); return b; };
      if (item.state === 'conflict') {
        el.append(versions(item));
        actions.append(button('用我的修改覆盖', 'primary', () => GG.outbox.resolve(item.seq, 'mine')), button('保留服务器的版本', '', () => GG.outbox.resolve(item.seq, 'theirs')));
      } else if (item.state === 'failed') {
        const editable = EDITABLE[item.kind];
        if (editable) {
          const values = editable.get(item.body);
          const inputs = {};
          for (const [key, value] of Object.entries(values)) {
            inputs[key] = h('input', { type: key === 'phone' ? 'tel' : 'text', value: Array.isArray(value) ? value.join('、') : (value === null ? '' : String(value)) });
            el.append(field(FIELD_LABELS[key] || key, inputs[key]));
          }
          actions.append(button('修改后重发', 'primary', async () => {
            const patch = {};
            for (const [key, input] of Object.entries(inputs)) {
              patch[key] = Array.isArray(values[key]) ? input.value.split(/[、，,\s]+/).filter(Boolean) : input.value.trim();
            }
            await GG.outbox.edit(item.seq, editable.set(item.body, patch));
          }));
        }
        actions.append(button('原样重发', '', () => GG.outbox.retry(item.seq)));
      }
      actions.append(button('删除此项', 'danger', () => GG.outbox.discard(item.seq)));
      el.append(actions);
    },
  });
})(self);
