/* 我的今天 (my day) and the day's work: due visits → record a visit, tasks → complete one,
 * screening rounds → answer or nil return, the work log (民情日志). Offline-first: everything
 * is read from the synced records and saved through the outbox.
 */
(function (root) {
  'use strict';
  const GG = root.GG;
  const { h, field } = GG.ui;
  const HORIZON_DAYS = 7;

  function isoDay(d) { return d.getFullYear() + '-' + GG.pad2(d.getMonth() + 1) + '-' + GG.pad2(d.getDate()); }
  function today() { return isoDay(new Date()); }
  function plusDays(n) { const d = new Date(); d.setDate(d.getDate() + n); return isoDay(d); }
  function daysLate(due) { return Math.round((new Date(today()) - new Date(due)) / 86400000); }

  function person(s) {
    const r = GG.data.get('resident', s.resident_id);
    const home = r ? GG.data.get('household', r.household_id) : null;
    return { name: r ? r.name : '居民 #' + s.resident_id, address: home ? home.address : '' };
  }

  const TAG_NAMES = { alone: '独居', left_behind_elder: '空巢', disabled: '残疾', subsistence: '低保', extreme_poverty: '特困', elderly: '老人' };

  function dueVisits() {
    const horizon = plusDays(HORIZON_DAYS);
    return GG.data.all('visit_due').filter((s) => s.next_due <= horizon).sort((a, b) => a.next_due.localeCompare(b.next_due));
  }

  function visitRow(s) {
    const p = person(s);
    const late = daysLate(s.next_due);
    return h('li', {}, h('a', { class: 'row', href: '#/visit/' + s.id },
      h('strong', {}, p.name), ' ', late > 0 ? h('span', { class: 'badge risk-high' }, '逾期 ' + late + ' 天') : h('span', { class: 'badge' }, late === 0 ? '今天' : s.next_due.slice(5)),
      h('span', { class: 'sub' }, (s.tags || []).map((t) => TAG_NAMES[t] || t).join('、') + ' · 每' + s.interval_days + '天' + (p.address ? ' · ' + p.address : ''))));
  }

  function deadlineText(iso) {
    const hours = (new Date(iso) - new Date()) / 3600000;
    return hours < 0 ? '已超时' : hours < 24 ? '今天到期' : GG.formatTime(iso) + ' 前';
  }

  // --- 我的今天 cards ------------------------------------------------------------------------
  // Patrol due and buildings due: the patrols app's own card ('patrol-due', screens/patrol.js).

  GG.today.register('visits-due', {
    order: 12,
    render(box) {
      const due = dueVisits();
      const overdue = due.filter((s) => s.next_due < today()).length;
      box.append(h('h2', {}, '入户走访（逾期 ' + overdue + '，7 天内 ' + (due.length - overdue) + '）'));
      box.append(due.length ? h('ul', { class: 'list' }, due.slice(0, 5).map(visitRow)) : h('p', { class: 'muted' }, '近期没有到期的走访。'));
      if (due.length > 5) box.append(h('a', { class: 'button', href: '#/visits' }, '全部 ' + due.length + ' 人'));
    },
  });

  GG.today.register('tasks', {
    order: 14,
    render(box) {
      const tasks = GG.data.all('task').sort((a, b) => a.deadline.localeCompare(b.deadline));
      box.append(h('h2', {}, '任务（' + tasks.length + '）'));
      box.append(tasks.length ? h('ul', { class: 'list' }, tasks.map((t) => h('li', {}, h('a', { class: 'row', href: '#/task/' + t.id },
        h('strong', {}, t.title), ' ', h('span', { class: 'badge' }, deadlineText(t.deadline)), h('span', { class: 'sub' }, t.duty + ' · ' + t.source_name)))))
        : h('p', { class: 'muted' }, '没有待完成的任务。'));
    },
  });

  GG.today.register('screening', {
    order: 16,
    render(box) {
      const rounds = GG.data.all('screening');
      if (!rounds.length) return false;
      box.append(h('h2', {}, '矛盾纠纷排查待报送'), h('ul', { class: 'list' }, rounds.map((r) => h('li', {}, h('a', { class: 'row', href: '#/screening/' + r.id },
        h('strong', {}, r.title), ' ', h('span', { class: 'badge' }, r.deadline.slice(5) + ' 截止'))))));
    },
  });

  GG.today.register('worklog', {
    order: 90,
    render(box) { box.append(h('a', { class: 'button', href: '#/worklog' }, '今天的民情日志')); },
  });

  // --- 走访 ---------------------------------------------------------------------------------
  GG.screens.register('visits', {
    route: /^visits$/, tab: 'today', title: '入户走访',
    render(el) {
      const due = dueVisits();
      el.append(due.length ? h('ul', { class: 'list' }, due.map(visitRow)) : h('p', { class: 'muted' }, '近期没有到期的走访。'));
    },
  });

  const METHODS = [['in_person', '入户'], ['phone', '电话'], ['video', '视频']];

  // The category a need is reported under when the worker leaves the default (as the server
  // chooses it: the elderly's needs to 养老服务, others to 困难帮扶).
  const ELDERLY_TAGS = ['elderly', 'alone', 'left_behind_elder'];
  function defaultNeedCategory(resident) {
    return resident && (resident.care_tags || []).some((t) => ELDERLY_TAGS.includes(t)) ? 'civil.elderly' : 'civil.hardship';
  }

  GG.screens.register('visit', {
    route: /^visit\/(\d+)$/, tab: 'today', title: '记录走访',
    async render(el, m) {
      const s = GG.data.get('visit_due', m[1]);
      if (!s) { el.append(h('p', {}, '本机没有这条走访计划。')); return; }
      const p = person(s);
      // A need becomes an event: its category from the synced catalogue (a dispute is reported
      // on its own screen, with its parties).
      const categories = ((await GG.store.getMeta('categories')) || []).filter((c) => c.parent_code && !c.is_dispute);
      const preferred = defaultNeedCategory(GG.data.get('resident', s.resident_id));
      const method = h('select', {}, METHODS.map(([value, label]) => h('option', { value: value }, label)));
      const found = h('textarea', { rows: '3', maxlength: '2000', placeholder: '身体、生活、居住情况' });
      const needs = h('textarea', { rows: '2', maxlength: '2000', placeholder: '需要帮助的事项（填写后自动上报为事件）' });
      const category = h('select', { id: 'need-category' }, categories.length
        ? categories.map((c) => h('option', { value: c.code, selected: c.code === preferred || undefined }, c.name))
        : h('option', { value: '' }, '按关爱对象自动归类'));
      const categoryField = field('需求分类', category, '上报为这一类事件');
      categoryField.hidden = true;
      needs.addEventListener('input', () => { categoryField.hidden = !needs.value.trim(); });
      const error = h('p', { class: 'error', role: 'alert' });
      const form = h('form', { class: 'form' },
        field('走访方式', method),
        field('发现情况', found), field('需求', needs, '填写后将作为事件上报给社区'), categoryField, error,
        h('button', { type: 'submit', class: 'primary' }, '保存走访'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (!found.value.trim() && !needs.value.trim()) { error.textContent = '请填写走访发现的情况'; return; }
        const fields = { resident_id: s.resident_id, method: method.value, found: found.value.trim(), needs: needs.value.trim(), visited_at: new Date().toISOString() };
        if (fields.needs && category.value) fields.need_category = category.value;
        const chosen = categories.find((c) => c.code === category.value);
        await GG.outbox.add('visit.record', {
          name: p.name, schedule_id: s.id, need_category_name: fields.need_category && chosen ? chosen.name : '', fields: fields,
        });
        GG.ui.toast('走访已保存，' + (navigator.onLine ? '正在发送' : '联网后自动发送'));
        GG.ui.go('today');
      });
      el.append(h('h2', {}, p.name), h('p', { class: 'sub' }, p.address + (s.last_visit_at ? ' · 上次走访 ' + GG.formatTime(s.last_visit_at) : ' · 尚未走访')), form);
    },
  });

  // --- 任务 ---------------------------------------------------------------------------------
  GG.screens.register('task', {
    route: /^task\/(\d+)$/, tab: 'today', title: '完成任务',
    render(el, m) {
      const t = GG.data.get('task', m[1]);
      if (!t) { el.append(h('p', {}, '这项任务已完成或已撤回。')); return; }
      const result = h('textarea', { rows: '3', maxlength: '500', required: true, placeholder: '简要说明完成情况' });
      const { input: photos, previews, chosen } = GG.ui.photoPicker();
      const error = h('p', { class: 'error', role: 'alert' });
      const form = h('form', { class: 'form' }, field('完成情况', result), field('照片（可选）', photos), previews, error,
        h('button', { type: 'submit', class: 'primary' }, '提交完成'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (!result.value.trim()) { error.textContent = '请简要填写完成情况'; return; }
        await GG.outbox.add('task.complete', { id: t.id, title: t.title, result: result.value.trim() }, chosen);
        await GG.local.remove('task', t.id);
        GG.ui.toast('已保存，' + (navigator.onLine ? '正在提交' : '联网后自动提交'));
        GG.ui.go('today');
      });
      el.append(h('h2', {}, t.title), h('p', {}, h('span', { class: 'badge' }, deadlineText(t.deadline)), ' ', t.duty + ' · ' + t.source_name),
        t.description ? h('p', {}, t.description) : null, form);
    },
  });

  // --- 排查 ---------------------------------------------------------------------------------
  GG.screens.register('screening', {
    route: /^screening\/(\d+)$/, tab: 'today', title: '排查报送',
    render(el, m) {
      const r = GG.data.get('screening', m[1]);
      if (!r) { el.append(h('p', {}, '本网格已报送。')); return; }
      const nil = h('button', { type: 'button', class: 'primary' }, '零报告（本期无发现）');
      const kind = h('select', {}, h('option', { value: 'dispute' }, '矛盾纠纷'), h('option', { value: 'hazard' }, '安全隐患'));
      const text = h('textarea', { rows: '3', maxlength: '500', placeholder: '发现的情况' });
      const list = h('ul', { class: 'list' });
      const findings = [];
      const add = h('button', { type: 'button' }, '添加这一条');
      const send = h('button', { type: 'button', class: 'primary', disabled: true }, '报送发现');
      const error = h('p', { class: 'error', role: 'alert' });
      add.addEventListener('click', () => {
        if (!text.value.trim()) { error.textContent = '请填写情况'; return; }
        error.textContent = '';
        findings.push({ kind: kind.value, description: text.value.trim() });
        list.append(h('li', {}, (kind.value === 'dispute' ? '纠纷：' : '隐患：') + text.value.trim()));
        text.value = '';
        send.disabled = false;
      });
      async function save(isNil) {
        await GG.outbox.add('screening.answer', { id: r.id, title: r.title, nil: isNil, findings: isNil ? [] : findings });
        await GG.local.remove('screening', r.id);
        GG.ui.toast('已保存，' + (navigator.onLine ? '正在报送' : '联网后自动报送'));
        GG.ui.go('today');
      }
      nil.addEventListener('click', () => save(true));
      send.addEventListener('click', () => save(false));
      el.append(h('h2', {}, r.title), h('p', {}, r.deadline + ' 前报送' + (r.note ? ' · ' + r.note : '')), nil,
        h('section', { class: 'card' }, h('h3', {}, '有发现'), field('类型', kind), field('情况', text), add, list, error, send));
    },
  });

  // --- 民情日志 -------------------------------------------------------------------------------
  GG.screens.register('worklog', {
    route: /^worklog$/, tab: 'today', title: '民情日志',
    async render(el) {
      const day = today();
      let log = await GG.store.getMeta('worklog:' + day);
      try {
        const response = await GG.api.request('/worklog?day=' + day);
        if (response.ok) { log = await response.json(); await GG.store.setMeta('worklog:' + day, log); }
      } catch (e) { /* offline: the last copy */ }
      const entries = (log && log.entries) || [];
      el.append(h('h2', {}, day), entries.length ? h('ul', { class: 'list' }, entries.map((e) => h('li', {}, h('span', { class: 'row' },
        h('strong', {}, e.kind_name), ' ', e.text, h('span', { class: 'sub' }, GG.formatTime(e.at))))))
        : h('p', { class: 'muted' }, log ? '今天还没有记录。' : '联网后显示今天的巡查、走访、上报和任务。'));
      const note = h('textarea', { rows: '4', maxlength: '2000', placeholder: '今天的民情、想法、需要协调的事' });
      note.value = (log && log.note) || '';
      const form = h('form', { class: 'form' }, field('我的记录', note), h('button', { type: 'submit', class: 'primary' }, '保存'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        await GG.outbox.add('worklog.note', { day: day, text: note.value.trim() });
        GG.ui.toast('已保存');
      });
      el.append(form);
    },
  });
})(self);
