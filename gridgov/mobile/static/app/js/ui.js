/* The page's frame: a tiny DOM builder, the screen router, the top bar (network state, what
 * waits in the outbox) and the bottom tab bar. Screens register themselves (GG.screens) with a
 * route pattern and the tab they belong to; issue 11's screens do the same in their own scripts.
 */
(function (root) {
  'use strict';
  const GG = root.GG;
  const doc = root.document;

  /** h('button', {class: 'primary', onclick: fn}, '保存') — text is always set as text. */
  function h(tag, attrs, ...children) {
    const el = doc.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name.startsWith('on') && typeof value === 'function') el.addEventListener(name.slice(2), value);
      else if (name === 'class') el.className = value;
      else if (name === 'text') el.textContent = value;
      else if (name === 'value') el.value = value;
      else el.setAttribute(name, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      el.append(child instanceof Node ? child : doc.createTextNode(String(child)));
    }
    return el;
  }

  let fieldSeq = 0;
  /** A labelled form field; `input` is the control (its id is set here). */
  function field(label, input, hint) {
    const id = input.id || ('f' + (++fieldSeq));
    input.id = id;
    return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'hint' }, hint) : null);
  }

  /** A camera/photo input and its previews: `chosen` keeps the picked files (kept as blobs by the
   *  outbox), the input is emptied after each pick so the same photo can be taken again. */
  function photoPicker(altPrefix) {
    const input = h('input', { type: 'file', accept: 'image/*', capture: 'environment', multiple: true });
    const previews = h('div', { class: 'previews' });
    const chosen = [];
    input.addEventListener('change', () => {
      for (const file of input.files) {
        chosen.push(file);
        previews.append(h('img', { src: URL.createObjectURL(file), alt: (altPrefix || '照片 ') + chosen.length }));
      }
      input.value = '';
    });
    return { input: input, previews: previews, chosen: chosen };
  }

  const screens = [];
  GG.screens = {
    /** {route: RegExp on the hash path ("people", "resident/12"), tab, title, render(el, match)} */
    register(name, spec) { screens.push(Object.assign({ name: name }, spec)); },
  };

  function current() {
    const path = (root.location.hash || '').replace(/^#\/?/, '') || 'today';
    for (const screen of screens) {
      const match = screen.route.exec(path);
      if (match) return { screen: screen, match: match };
    }
    return { screen: screens.find((s) => s.name === 'today'), match: [] };
  }

  let renderToken = 0;
  async function render() {
    const main = doc.getElementById('screen');
    const token = ++renderToken;
    const signedIn = !!(await GG.store.getMeta('tokens'));
    let found = current();
    if (!signedIn) found = { screen: screens.find((s) => s.name === 'login'), match: [] };
    const { screen, match } = found;
    doc.body.classList.toggle('signed-out', !signedIn);
    for (const tab of doc.querySelectorAll('.tabs a')) {
      if (tab.dataset.tab === screen.tab) tab.setAttribute('aria-current', 'page');
      else tab.removeAttribute('aria-current');
    }
    const title = typeof screen.title === 'function' ? screen.title(match) : screen.title;
    doc.getElementById('title').textContent = title;
    doc.title = title + ' · 网格助手';
    const body = h('div', { class: 'screen screen-' + screen.name });
    try {
      await screen.render(body, match);
    } catch (e) {
      if (e instanceof GG.api.Wiped || e instanceof GG.api.SignInNeeded) return;
      console.error(e);
      body.replaceChildren(h('p', { class: 'error' }, '出错了：' + reason(e)));
    }
    if (token !== renderToken) return;  // a later navigation won
    main.replaceChildren(body);
    main.focus({ preventScroll: true });
    root.scrollTo(0, 0);
  }

  function go(path) {
    if (root.location.hash === '#/' + path) render();
    else root.location.hash = '#/' + path;
  }

  let toastTimer = null;
  /** An error as a person reads it: the server's Chinese message, never a browser's English one
   * ("Failed to fetch", "TypeError: …"). */
  function reason(e) {
    const text = String((e && e.message) || e || '');
    return /[\u4e00-\u9fff]/.test(text) ? text : '请稍后重试';
  }

  function toast(message) {
    const el = doc.getElementById('toast');
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 4000);
  }

  async function updateBar() {
    const net = doc.getElementById('net');
    const offline = root.navigator.onLine === false;
    net.textContent = offline ? '离线' : '在线';
    net.classList.toggle('offline', offline);
    const badge = doc.getElementById('outbox-badge');
    let items = [];
    try { items = await GG.store.outboxStates(); } catch (e) { /* wiped */ }
    const stuck = items.filter((i) => i.state !== 'pending').length;
    badge.hidden = items.length === 0;
    badge.textContent = stuck ? '待处理 ' + items.length : '待发送 ' + items.length;
    badge.classList.toggle('stuck', stuck > 0);
  }

  GG.ui = { h: h, field: field, photoPicker: photoPicker, render: render, go: go, toast: toast, updateBar: updateBar, reason: reason };
})(self);
