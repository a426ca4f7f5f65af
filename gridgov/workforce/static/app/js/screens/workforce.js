/* 我的档案: the worker's own file (grade and its history, rewards and sanctions) and their annual
 * assessments, read online from the server each time (nothing of it is kept on the phone). */
(function (root) {
  'use strict';
  const GG = root.GG;
  const { h } = GG.ui;
  const RESULTS = { excellent: '优秀', qualified: '合格', basic: '基本合格', unqualified: '不合格' };
  const STATUSES = { draft: '待社区评定', proposed: '待街道审核', reviewed: '待区县审定', approved: '已审定', appealed: '申诉中' };
  const KINDS = { hire: '入职定档', promotion: '考核晋档', adjustment: '调整' };

  async function fetchJson(path) {
    const response = await GG.api.request(path, { headers: { Accept: 'application/json' } });
    if (response.status === 404) return null;
    if (!response.ok) throw new Error('HTTP ' + response.status);
    return response.json();
  }

  GG.screens.register('my-file', {
    route: /^me\/file$/, tab: 'me', title: '我的档案',
    async render(el) {
      let file;
      try { file = await fetchJson('/workforce/me'); } catch (e) {
        el.append(h('section', { class: 'card' }, h('p', { class: 'muted' }, e instanceof GG.api.Offline ? '离线：联网后查看档案' : '读取失败：' + GG.ui.reason(e))));
        return;
      }
      if (!file) { el.append(h('section', { class: 'card' }, h('p', { class: 'muted' }, '您没有专职网格员档案。'))); return; }
      el.append(
        h('section', { class: 'card' }, h('h2', {}, file.name),
          h('dl', { class: 'facts' },
            h('dt', {}, '网格'), h('dd', {}, file.grid_name),
            h('dt', {}, '现档次'), h('dd', {}, file.grade + ' / 12 档'),
            h('dt', {}, '入职日期'), h('dd', {}, file.hire_date + '（' + file.tenure_years + ' 年）'),
            h('dt', {}, '身份证号'), h('dd', {}, file.id_number || '—'),
            h('dt', {}, '电话'), h('dd', {}, file.phone || '—'),
            h('dt', {}, file.training_year + ' 年学时'), h('dd', {}, h('a', { href: '#/learn' }, file.training_hours + ' / ' + file.training_required)))),
        h('section', { class: 'card' }, h('h2', {}, '年度考核'),
          file.assessments.length ? h('ul', { class: 'list' }, file.assessments.map((a) => h('li', {},
            a.year + ' 年度 · ' + (RESULTS[a.result] || '—'), h('span', { class: 'sub' }, STATUSES[a.status] || a.status)))) : h('p', { class: 'muted' }, '暂无考核')),
        h('section', { class: 'card' }, h('h2', {}, '档次变动'),
          h('ul', { class: 'list' }, file.grades.map((g) => h('li', {}, g.year + ' 年 · ' + (KINDS[g.kind] || g.kind) + ' · ' + (g.from_grade ? g.from_grade + '→' : '') + g.to_grade + ' 档',
            h('span', { class: 'sub' }, g.reason))))));
    },
  });
})(window);
