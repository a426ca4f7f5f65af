/* 人口: find a person offline, see a household, edit a resident, move one out, add one. */
(function (root) {
  'use strict';
  const GG = root.GG;
  const { h, field } = GG.ui;

  const RELATIONS = [['head', '户主'], ['spouse', '配偶'], ['child', '子女'], ['parent', '父母'], ['grandchild', '孙子女'], ['sibling', '兄弟姐妹'], ['other', '其他']];
  const STATUS = { present: '在住', away: '外出' };
  const CARE = [['elderly', '60岁以上'], ['alone', '独居'], ['disabled', '残疾'], ['subsistence', '低保'], ['veteran', '退役军人'], ['left_behind_child', '留守儿童'], ['left_behind_elder', '留守老人'], ['serious_illness', '大病']];
  const careLabel = (t) => (CARE.find((c) => c[0] === t) || [t, t])[1];
  const relationLabel = (r) => (RELATIONS.find((x) => x[0] === r) || [r, r])[1];

  function age(birth) {
    if (!birth) return '';
    const b = new Date(birth), now = new Date();
    let years = now.getFullYear() - b.getFullYear();
    if (now.getMonth() < b.getMonth() || (now.getMonth() === b.getMonth() && now.getDate() < b.getDate())) years--;
    return years + '岁';
  }

  function householdOf(resident) { return GG.data.get('household', resident.household_id); }

  function residentRow(r) {
    const home = householdOf(r);
    return h('li', {}, h('a', { class: 'row', href: '#/resident/' + r.id },
      h('strong', {}, r.name), ' ', h('span', { class: 'muted' }, [relationLabel(r.relation), age(r.birth_date)].filter(Boolean).join(' · ')),
      h('span', { class: 'sub' }, (home ? home.address : '') + (r.phone ? ' · ' + r.phone : ''))));
  }
  function householdRow(hh) {
    const members = GG.data.all('resident').filter((r) => r.household_id === hh.id).length;
    return h('li', {}, h('a', { class: 'row', href: '#/household/' + hh.id },
      h('strong', {}, hh.address), h('span', { class: 'sub' }, members + ' 人 · 户号 ' + hh.number)));
  }

  /** Offline search: the server's keywords (name, pinyin, initials, surname + initials, typed
   *  mixes and typos, phone and ID tails, building-unit-room), read as the server reads them. */
  function search(text) {
    const parsed = GG.data.index.parse(text);
    const keys = GG.data.index.find(parsed, 50);
    const results = keys.map((k) => { const [kind, id] = k.split(':'); return { kind: kind, record: GG.data.get(kind, id) }; });
    if (parsed.number) {
      const byNumber = GG.data.all('household').find((hh) => hh.number.toUpperCase() === parsed.number);
      if (byNumber && !results.some((r) => r.kind === 'household' && r.record.id === byNumber.id)) results.unshift({ kind: 'household', record: byNumber });
    }
    return { parsed: parsed, results: results.filter((r) => r.record) };
  }
  GG.searchPeople = search;

  GG.screens.register('people', {
    route: /^people$/, tab: 'people', title: '人口',
    render(el) {
      const input = h('input', { type: 'search', inputmode: 'search', enterkeyhint: 'search', autocomplete: 'off', placeholder: '姓名、拼音、首字母、电话或身份证后四位、楼号' });
      const results = h('ul', { class: 'list', id: 'results', 'aria-live': 'polite' });
      const note = h('p', { class: 'hint', id: 'search-note' });
      function show() {
        const text = input.value;
        note.textContent = '';
        if (!text.trim()) {
          const buildings = GG.data.all('building').sort((a, b) => a.code.localeCompare(b.code));
          results.replaceChildren(...buildings.map((b) => h('li', {}, h('a', { class: 'row', href: '#/building/' + b.id },
            h('strong', {}, b.name), h('span', { class: 'sub' }, GG.data.all('household').filter((x) => x.building_id === b.id).length + ' 户')))));
          if (!buildings.length) note.textContent = '还没有同步到本网格的数据。联网后会自动同步。';
          return;
        }
        const started = performance.now();
        const { parsed, results: found } = search(text);
        GG.lastSearchMs = performance.now() - started;
        results.replaceChildren(...found.map((r) => (r.kind === 'resident' ? residentRow(r.record) : householdRow(r.record))));
        if (!found.length) {
          note.textContent = parsed.fullPhone || parsed.fullId
            ? '手机上只存有打码后的号码：完整号码请输入后四位，或联网后在电脑端查询。'
            : '没有找到。';
        }
      }
      input.addEventListener('input', show);
      el.append(field('查找居民或住户', input), note, results);
      show();
    },
  });

  GG.screens.register('building', {
    route: /^building\/(\d+)$/, tab: 'people', title: '楼栋',
    render(el, m) {
      const b = GG.data.get('building', m[1]);
      if (!b) { el.append(h('p', {}, '本机没有这栋楼的数据。')); return; }
      const households = GG.data.all('household').filter((x) => x.building_id === b.id)
        .sort((x, y) => (x.unit + x.room).localeCompare(y.unit + y.room, 'zh', { numeric: true }));
      el.append(h('h2', {}, b.name), h('p', { class: 'muted' }, b.address || ''), h('ul', { class: 'list' }, households.map(householdRow)));
    },
  });

  GG.screens.register('household', {
    route: /^household\/(\d+)$/, tab: 'people', title: '住户',
    render(el, m) {
      const hh = GG.data.get('household', m[1]);
      if (!hh) { el.append(h('p', {}, '本机没有这户的数据。')); return; }
      const members = GG.data.all('resident').filter((r) => r.household_id === hh.id);
      el.append(
        h('h2', {}, hh.address),
        h('dl', { class: 'facts' }, h('dt', {}, '户号'), h('dd', {}, hh.number), h('dt', {}, '电话'), h('dd', {}, hh.phone || '—')),
        h('h3', {}, '成员'), h('ul', { class: 'list' }, members.map(residentRow)),
        h('a', { class: 'button', href: '#/household/' + hh.id + '/add' }, '新增居民'));
    },
  });

  async function pendingFor(id) {
    return (await GG.store.listOutbox()).filter((i) => i.body && i.body.id === id && i.kind.startsWith('resident.'));
  }

  GG.screens.register('resident', {
    route: /^resident\/(\d+)$/, tab: 'people', title: '居民',
    async render(el, m) {
      const r = GG.data.get('resident', m[1]);
      if (!r) { el.append(h('p', {}, '本机没有这位居民的数据（可能已迁出）。')); return; }
      const home = householdOf(r);
      const pending = await pendingFor(r.id);
      el.append(
        h('h2', {}, r.name),
        pending.length ? h('p', { class: 'notice' }, '有 ' + pending.length + ' 项修改待发送') : null,
        h('dl', { class: 'facts' },
          h('dt', {}, '身份证号'), h('dd', {}, r.id_number || '—'),
          h('dt', {}, '电话'), h('dd', {}, r.phone || '—'),
          h('dt', {}, '年龄'), h('dd', {}, age(r.birth_date) || '—'),
          h('dt', {}, '与户主关系'), h('dd', {}, relationLabel(r.relation)),
          h('dt', {}, '居住状态'), h('dd', {}, STATUS[r.status] || r.status),
          h('dt', {}, '民族'), h('dd', {}, r.ethnicity || '—'),
          h('dt', {}, '关爱标签'), h('dd', {}, (r.care_tags || []).map(careLabel).join('、') || '—'),
          h('dt', {}, '住址'), h('dd', {}, home ? h('a', { href: '#/household/' + home.id }, home.address) : '—'),
          h('dt', {}, '备注'), h('dd', {}, r.note || '—')),
        h('div', { class: 'actions' },
          h('a', { class: 'button primary', href: '#/resident/' + r.id + '/edit' }, '修改信息'),
          h('a', { class: 'button', href: '#/resident/' + r.id + '/move-out' }, '登记迁出')));
    },
  });

  GG.screens.register('resident-edit', {
    route: /^resident\/(\d+)\/edit$/, tab: 'people', title: '修改居民信息',
    render(el, m) {
      const r = GG.data.get('resident', m[1]);
      if (!r) { el.append(h('p', {}, '本机没有这位居民的数据。')); return; }
      const phone = h('input', { type: 'tel', inputmode: 'tel', autocomplete: 'off', maxlength: '20', placeholder: '不改请留空（现为 ' + (r.phone || '空') + '）' });
      const status = h('select', {}, Object.entries(STATUS).map(([v, l]) => h('option', { value: v, selected: r.status === v }, l)));
      const ethnicity = h('input', { type: 'text', value: r.ethnicity || '', maxlength: '10' });
      const note = h('textarea', { rows: '3', maxlength: '500' }, r.note || '');
      const tags = h('fieldset', { class: 'checks' }, h('legend', {}, '关爱标签'),
        CARE.map(([v, l]) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: v, checked: (r.care_tags || []).includes(v) }), l)));
      const form = h('form', { class: 'form', novalidate: true },
        field('电话（新号码）', phone), field('居住状态', status), field('民族', ethnicity), tags, field('备注', note),
        h('button', { type: 'submit', class: 'primary' }, '保存'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const changes = {};
        if (phone.value.trim()) changes.phone = phone.value.trim();
        if (status.value !== r.status) changes.status = status.value;
        if (ethnicity.value.trim() !== (r.ethnicity || '')) changes.ethnicity = ethnicity.value.trim();
        if (note.value !== (r.note || '')) changes.note = note.value;
        const chosen = Array.from(tags.querySelectorAll('input:checked')).map((i) => i.value);
        if (chosen.sort().join() !== (r.care_tags || []).slice().sort().join()) changes.care_tags = chosen;
        if (!Object.keys(changes).length) { GG.ui.toast('没有修改'); return; }
        const before = { status: r.status, ethnicity: r.ethnicity, note: r.note, care_tags: r.care_tags, phone: r.phone };
        await GG.outbox.add('resident.update', { id: r.id, name: r.name, version: r.version, changes: changes, before: before });
        GG.ui.toast('已保存，' + (navigator.onLine ? '正在发送' : '联网后自动发送'));
        GG.ui.go('resident/' + r.id);
      });
      el.append(h('p', { class: 'muted' }, r.name), form);
    },
  });

  GG.screens.register('resident-move-out', {
    route: /^resident\/(\d+)\/move-out$/, tab: 'people', title: '登记迁出',
    render(el, m) {
      const r = GG.data.get('resident', m[1]);
      if (!r) { el.append(h('p', {}, '本机没有这位居民的数据。')); return; }
      const date = h('input', { type: 'date', value: new Date().toISOString().slice(0, 10) });
      const note = h('textarea', { rows: '3', maxlength: '500', placeholder: '迁往何处' });
      const form = h('form', { class: 'form' }, field('迁出日期', date), field('说明', note), h('button', { type: 'submit', class: 'primary' }, '确认迁出'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        await GG.outbox.add('resident.move_out', { id: r.id, name: r.name, date: date.value, note: note.value });
        GG.ui.toast('已保存迁出登记');
        GG.ui.go('resident/' + r.id);
      });
      el.append(h('p', { class: 'muted' }, r.name), form);
    },
  });

  GG.screens.register('resident-add', {
    route: /^household\/(\d+)\/add$/, tab: 'people', title: '新增居民',
    render(el, m) {
      const hh = GG.data.get('household', m[1]);
      if (!hh) { el.append(h('p', {}, '本机没有这户的数据。')); return; }
      const name = h('input', { type: 'text', required: true, maxlength: '50', autocomplete: 'off' });
      const idNumber = h('input', { type: 'text', inputmode: 'text', autocapitalize: 'characters', autocomplete: 'off', required: true, maxlength: '18', pattern: '[0-9]{17}[0-9Xx]' });
      const relation = h('select', {}, RELATIONS.map(([v, l]) => h('option', { value: v, selected: v === 'other' }, l)));
      const phone = h('input', { type: 'tel', inputmode: 'tel', autocomplete: 'off', maxlength: '20' });
      const form = h('form', { class: 'form' }, field('姓名', name), field('身份证号', idNumber, '18 位；发送后手机上只保留打码后的号码'),
        field('与户主关系', relation), field('电话', phone), h('button', { type: 'submit', class: 'primary' }, '保存'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (!form.reportValidity()) return;
        await GG.outbox.add('resident.create', { household_id: hh.id, fields: {
          household_id: hh.id, name: name.value.trim(), id_number: idNumber.value.trim().toUpperCase(),
          relation: relation.value, phone: phone.value.trim() } });
        GG.ui.toast('已保存，待发送');
        GG.ui.go('household/' + hh.id);
      });
      el.append(h('p', { class: 'muted' }, hh.address), form);
    },
  });
})(self);
