/* 网格学院 on the phone: my hours against the county's minimum, courses (material, quiz, or
 * "学完"), learning-and-exchange sessions with sign-up and cancel, check-in by scanning the code
 * shown at the session, and the case library. Lists are read online and the last copy is kept
 * for offline reading; every write goes through the outbox (academy-kinds.js).
 */
(function (root) {
  'use strict';
  const GG = root.GG;
  const { h, field } = GG.ui;
  const SOURCES = { course: '课程', session: '交流会', manual: '线下培训' };
  const STATES = { signed_up: '已报名', cancelled: '已取消', attended: '已签到' };

  /** GET online, keep the answer; offline, the last answer kept (or null). */
  async function fetchKept(path) {
    const key = 'academy:get:' + path;
    try {
      const response = await GG.api.request(path, { headers: { Accept: 'application/json' } });
      if (response.status === 404) return null;
      if (!response.ok) throw new Error('HTTP ' + response.status);
      const body = await response.json();
      await GG.store.setMeta(key, body);
      return body;
    } catch (e) {
      if (!(e instanceof GG.api.Offline)) throw e;
      return GG.store.getMeta(key);
    }
  }

  function offlineNote(value) {
    return value ? null : h('p', { class: 'muted' }, '离线：联网后显示');
  }

  async function queue(kind, body, message) {
    await GG.outbox.add(kind, body);
    GG.ui.toast(message + (navigator.onLine ? '，正在提交' : '，联网后自动提交'));
  }

  /** 我的今天: the sessions signed up for today (check in there) and the hours still short,
   *  from the copies kept by the academy's screens (refreshed in the background when online). */
  GG.today.register('academy', {
    order: 60,
    async render(box) {
      const sessions = (await GG.store.getMeta('academy:get:/academy/sessions?limit=100')) || [];
      const mine = await GG.store.getMeta('academy:get:/academy/me/hours');
      const day = new Date().toDateString();
      const today = sessions.filter((s) => s.my_state === 'signed_up' && !s.cancelled && new Date(s.starts_at).toDateString() === day);
      box.append(h('h2', {}, '网格学院'));
      if (today.length) {
        box.append(h('ul', { class: 'list' }, today.map((s) => h('li', {}, h('strong', {}, s.title),
          h('span', { class: 'sub' }, GG.formatTime(s.starts_at) + ' · ' + s.place)))),
          h('a', { class: 'button primary', href: '#/learn/scan' }, '到场扫码签到'));
      }
      if (mine) box.append(h('p', {}, Number(mine.short) > 0 ? mine.year + ' 年学时 ' + mine.hours + '/' + mine.required + '，还差 ' + mine.short : mine.year + ' 年学时已达标（' + mine.hours + '）'));
      box.append(h('a', { class: 'button', href: '#/learn' }, '去学习'));
      if (navigator.onLine) { fetchKept('/academy/sessions?limit=100').catch(() => {}); fetchKept('/academy/me/hours').catch(() => {}); }
    },
  });

  GG.screens.register('learn', {
    route: /^learn$/, tab: 'me', title: '网格学院',
    async render(el) {
      const mine = await fetchKept('/academy/me/hours');
      const hours = mine ? h('section', { class: 'card' }, h('h2', {}, mine.year + ' 年学时'),
        h('p', {}, h('strong', {}, mine.hours), ' / ' + mine.required + ' 学时', Number(mine.short) > 0 ? h('span', { class: 'badge risk-high' }, '还差 ' + mine.short) : h('span', { class: 'badge' }, '已达标')),
        h('progress', { max: mine.required, value: Math.min(Number(mine.hours), Number(mine.required)) }),
        h('ul', { class: 'list' }, mine.credits.slice(0, 10).map((c) => h('li', {}, c.title, h('span', { class: 'sub' }, (SOURCES[c.source] || c.source) + ' · ' + c.hours + ' 学时 · ' + GG.formatTime(c.at))))))
        : offlineNote(mine);
      el.append(hours,
        h('section', { class: 'card actions' },
          h('a', { class: 'button primary', href: '#/learn/scan' }, '扫码签到'),
          h('a', { class: 'button', href: '#/learn/courses' }, '我的课程'),
          h('a', { class: 'button', href: '#/learn/sessions' }, '学习交流会'),
          h('a', { class: 'button', href: '#/learn/cases' }, '案例库')));
    },
  });

  GG.screens.register('learn-courses', {
    route: /^learn\/courses$/, tab: 'me', title: '我的课程',
    async render(el) {
      const courses = await fetchKept('/academy/courses?limit=200');
      if (!courses) { el.append(offlineNote(courses)); return; }
      el.append(courses.length ? h('ul', { class: 'list' }, courses.map((c) => h('li', {}, h('a', { class: 'row', href: '#/learn/course/' + c.id },
        h('strong', {}, c.title), ' ', c.done ? h('span', { class: 'badge' }, '已完成') : h('span', { class: 'badge risk-medium' }, c.hours + ' 学时'),
        h('span', { class: 'sub' }, (c.lecturer ? c.lecturer + (c.fengqiao_team ? '（枫桥经验宣讲团）' : '') + ' · ' : '') + (c.questions ? '测验 ' + c.questions + ' 题' : '学完即记学时'))))))
        : h('p', { class: 'muted' }, '暂无课程。'));
    },
  });

  /** The material in the browser's own viewer or player (a video streams and seeks): a link
   *  signed for this person and course, valid 30 minutes, fetched fresh each time. */
  async function openMaterial(course) {
    const response = await GG.api.request('/academy/courses/' + course.id, { headers: { Accept: 'application/json' } });
    if (!response.ok) throw new Error('HTTP ' + response.status);
    const fresh = await response.json();
    if (!fresh.material_link) throw new Error('没有课件');
    root.open(fresh.material_link, '_blank', 'noopener');
  }

  GG.screens.register('learn-course', {
    route: /^learn\/course\/(\d+)$/, tab: 'me', title: '课程',
    async render(el, m) {
      const c = await fetchKept('/academy/courses/' + m[1]);
      if (!c) { el.append(h('p', { class: 'muted' }, '离线或课程不存在。')); return; }
      const error = h('p', { class: 'error', role: 'alert' });
      const material = c.kind === 'link'
        ? h('a', { class: 'button', href: c.url, target: '_blank', rel: 'noopener noreferrer' }, '打开学习链接')
        : h('button', { type: 'button', class: 'button' }, c.kind === 'video' ? '播放视频' : '查看课件');
      if (c.kind !== 'link') material.addEventListener('click', () => openMaterial(c).catch((e) => { error.textContent = e instanceof GG.api.Offline ? '离线：联网后查看' : '打开失败：' + GG.ui.reason(e); }));
      el.append(h('section', { class: 'card' }, h('h2', {}, c.title), h('p', {}, c.summary),
        h('p', { class: 'sub' }, c.hours + ' 学时' + (c.lecturer ? ' · ' + c.lecturer : '')), material, error));
      const last = await GG.store.getMeta('academy:quiz:' + c.id);
      if (c.done) { el.append(h('section', { class: 'card' }, h('p', {}, '已完成，学时已记入。'))); return; }
      if (!c.quiz.length) {
        const done = h('button', { type: 'button', class: 'primary' }, '已学完，记入学时');
        done.addEventListener('click', async () => { await queue('academy.complete', { id: c.id, title: c.title }, '已记录'); GG.ui.go('learn/courses'); });
        el.append(h('section', { class: 'card' }, done));
        return;
      }
      const form = h('form', { class: 'form' });
      c.quiz.forEach((q, n) => {
        form.append(h('fieldset', {}, h('legend', {}, (n + 1) + '. ' + q.text),
          q.choices.map((choice, i) => h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'q' + n, value: String(i), required: true }), ' ' + choice))));
      });
      form.append(h('p', { class: 'hint' }, '及格分 ' + c.pass_mark + '，通过后记入 ' + c.hours + ' 学时' + (last ? ' · 上次得分 ' + last.score : '') + (c.best_score !== null ? ' · 最高 ' + c.best_score : '')),
        h('button', { type: 'submit', class: 'primary' }, '提交测验'));
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const answers = c.quiz.map((q, n) => { const picked = form.querySelector('input[name="q' + n + '"]:checked'); return picked ? Number(picked.value) : null; });
        if (answers.some((a) => a === null)) { error.textContent = '请回答全部题目'; return; }
        await queue('academy.quiz', { id: c.id, title: c.title, answers: answers }, '已提交');
        GG.ui.go('learn/courses');
      });
      el.append(h('section', { class: 'card' }, h('h2', {}, '课程测验'), form));
    },
  });

  GG.screens.register('learn-sessions', {
    route: /^learn\/sessions$/, tab: 'me', title: '学习交流会',
    async render(el) {
      const sessions = await fetchKept('/academy/sessions?limit=100');
      if (!sessions) { el.append(offlineNote(sessions)); return; }
      if (!sessions.length) { el.append(h('p', { class: 'muted' }, '近期没有交流会。')); return; }
      el.append(h('ul', { class: 'list' }, sessions.map((s) => {
        const mine = s.my_state === 'signed_up' || s.my_state === 'attended';
        const full = s.taken >= s.capacity;
        const button = s.cancelled || s.my_state === 'attended' ? null
          : h('button', { type: 'button', class: mine ? '' : 'primary', disabled: !mine && full }, mine ? '取消报名' : (full ? '名额已满' : '报名'));
        if (button) button.addEventListener('click', async () => {
          await queue(mine ? 'academy.cancel' : 'academy.signup', { id: s.id, title: s.title }, mine ? '已取消报名' : '已报名');
          button.disabled = true;
        });
        return h('li', {}, h('strong', {}, s.title), ' ', s.cancelled ? h('span', { class: 'badge risk-high' }, '已取消') : (s.my_state ? h('span', { class: 'badge' }, STATES[s.my_state]) : null),
          h('span', { class: 'sub' }, GG.formatTime(s.starts_at) + ' · ' + s.place + ' · ' + s.taken + '/' + s.capacity + ' 人 · ' + s.hours + ' 学时' + (s.lecturer ? ' · 主讲 ' + s.lecturer : '')), button);
      })));
    },
  });

  GG.screens.register('learn-scan', {
    route: /^learn\/scan$/, tab: 'me', title: '交流会签到',
    async render(el) {
      const code = h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false', maxlength: '500', placeholder: '扫描现场二维码' });
      const error = h('p', { class: 'error', role: 'alert' });
      const submit = async (text) => {
        const value = (text || '').trim();
        if (!value.startsWith('GGS1:')) { error.textContent = '这不是交流会签到码'; return; }
        await queue('academy.checkin', { token: value, scanned_at: new Date().toISOString() }, '已签到');
        GG.ui.go('learn');
      };
      const form = h('form', { class: 'form' }, field('签到码', code, '请在现场扫码；没有信号时先保存，联网后自动提交'), error,
        h('button', { type: 'submit', class: 'primary' }, '签到'));
      form.addEventListener('submit', (e) => { e.preventDefault(); submit(code.value); });
      el.append(form);
      if ('BarcodeDetector' in root && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
        const video = h('video', { class: 'scanner', playsinline: true, muted: true, 'aria-label': '摄像头取景' });
        el.prepend(h('section', { class: 'card' }, video, h('p', { class: 'hint' }, '将现场大屏上的签到码对准取景框')));
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
        } catch (e) { video.remove(); error.textContent = '无法打开摄像头'; }
      }
    },
  });

  GG.screens.register('learn-cases', {
    route: /^learn\/cases$/, tab: 'me', title: '案例库',
    async render(el) {
      const cases = await fetchKept('/academy/cases?limit=100');
      if (!cases) { el.append(offlineNote(cases)); return; }
      el.append(cases.length ? h('ul', { class: 'list' }, cases.map((c) => h('li', {}, h('a', { class: 'row', href: '#/learn/case/' + c.id }, h('strong', {}, c.title)))))
        : h('p', { class: 'muted' }, '暂无案例。'));
    },
  });

  GG.screens.register('learn-case', {
    route: /^learn\/case\/(\d+)$/, tab: 'me', title: '教学案例',
    async render(el, m) {
      const c = await fetchKept('/academy/cases/' + m[1]);
      if (!c) { el.append(h('p', { class: 'muted' }, '离线或案例不存在。')); return; }
      el.append(h('section', { class: 'card' }, h('h2', {}, c.title),
        c.body.split('\n').map((line) => (line.startsWith('【') ? h('h3', {}, line) : line ? h('p', {}, line) : null)),
        c.lessons ? [h('h3', {}, '经验启示'), c.lessons.split('\n').map((line) => h('p', {}, line))] : null));
    },
  });
})(window);
