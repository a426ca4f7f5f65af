/* 督导检查整改 on the phone: the open rectifications of the worker's grids on 我的今天 (overdue
 * first, a rejected one with the inspector's reason) and one screen to report one back — what
 * was done and optional photos. Offline-first: read from the synced records, saved through the
 * outbox.
 */
(function (root) {
  'use strict';
  const GG = root.GG;
  const { h, field } = GG.ui;

  function late(r) { return new Date(r.deadline) < new Date(); }

  function deadlineText(r) {
    const hours = (new Date(r.deadline) - new Date()) / 3600000;
    return hours < 0 ? '已逾期' : hours < 24 ? '今天到期' : GG.formatTime(r.deadline) + ' 前';
  }

  function open() {
    return GG.data.all('rectification').sort((a, b) => a.deadline.localeCompare(b.deadline));
  }

  function row(r) {
    return h('li', {}, h('a', { class: 'row', href: '#/rectification/' + r.id },
      h('strong', {}, r.requirement), ' ',
      h('span', { class: late(r) ? 'badge risk-high' : 'badge' }, deadlineText(r)),
      r.rejections ? h('span', { class: 'badge risk-high' }, '退回 ' + r.rejections + ' 次') : null,
      h('span', { class: 'sub' }, r.grid_name + ' · ' + r.plan)));
  }

  GG.today.register('rectifications', {
    order: 15,
    render(box) {
      const items = open();
      if (!items.length) return false;
      box.append(h('h2', {}, '督导检查整改（' + items.length + '）'), h('ul', { class: 'list' }, items.map(row)));
    },
  });

  GG.screens.register('rectifications', {
    route: /^rectifications$/, tab: 'today', title: '督导检查整改',
    render(el) {
      const items = open();
      el.append(items.length ? h('ul', { class: 'list' }, items.map(row)) : h('p', { class: 'muted' }, '没有待整改的问题。'));
    },
  });

  GG.screens.register('rectification', {
    route: /^rectification\/(\d+)$/, tab: 'today', title: '报告整改',
    render(el, m) {
      const r = GG.data.get('rectification', m[1]);
      if (!r) { el.append(h('p', {}, '这项整改已报告或已销号。')); return; }
      const text = h('textarea', { rows: '3', maxlength: '1000', required: true, placeholder: '整改了什么、怎么整改的' });
      const { input: photos, previews, chosen } = GG.ui.photoPicker();
      const error = h('p', { class: 'error', role: 'alert' });
      const form = h('form', { class: 'form' }, field('整改情况', text), field('照片（可选）', photos), previews, error,
        h('button', { type: 'submit', class: 'primary' }, '报告整改'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        if (!text.value.trim()) { error.textContent = '请填写整改情况'; return; }
        await GG.outbox.add('rectification.report', { id: r.id, requirement: r.requirement, text: text.value.trim() }, chosen);
        await GG.local.remove('rectification', r.id);
        GG.ui.toast('已保存，' + (navigator.onLine ? '正在报告' : '联网后自动报告'));
        GG.ui.go('today');
      });
      el.append(h('h2', {}, r.requirement),
        h('p', {}, h('span', { class: late(r) ? 'badge risk-high' : 'badge' }, deadlineText(r)), ' ', r.grid_name),
        h('p', { class: 'sub' }, '问题：' + r.finding + (r.item ? '（' + r.item + '）' : '')),
        r.last_reason ? h('p', { class: 'error' }, '复查退回：' + r.last_reason) : null,
        form);
    },
  });
})(window);
