/* Talking to the server with the device's tokens (page and service worker alike).
 *
 * `GG.api.request(path, options)` sends the access token; on a 401 it spends the refresh token
 * once for a new pair (one refresh at a time across the page and the service worker: a Web Lock)
 * and tries again. The server's "wipe" answer (device revoked, account disabled, refresh token
 * reused, no grid role any more) erases everything on the phone (`GG.wipe`); "signin" asks the
 * person to sign in again and keeps the data and the outbox.
 */
(function (root) {
  'use strict';
  const GG = root.GG;
  const BASE = '/api/v1';

  class SignInNeeded extends Error {}
  class Wiped extends Error {}
  class Offline extends Error {}

  function withLock(name, fn) {
    const locks = root.navigator && root.navigator.locks;
    return locks ? locks.request(name, fn) : fn();
  }

  async function deviceId() {
    let id = await GG.store.getPlain('device');
    if (!id) { id = GG.uuid(); await GG.store.setPlain('device', id); }
    return id;
  }

  GG.wipe = async function (reason) {
    await GG.store.wipe();
    GG.emit('wiped', reason || '');
    if (root.clients && root.clients.matchAll) {  // the service worker tells the open pages
      for (const client of await root.clients.matchAll()) client.postMessage({ type: 'wiped', reason: reason || '' });
    }
  };

  async function send(path, options) {
    try {
      return await root.fetch(BASE + path, options);
    } catch (e) {
      throw new Offline(String(e && e.message || e));
    }
  }

  async function readJson(response) {
    try { return await response.json(); } catch (e) { return {}; }
  }

  async function refresh(spent) {
    return withLock('gg-refresh', async () => {
      const tokens = await GG.store.getMeta('tokens');
      if (!tokens) throw new SignInNeeded('');
      if (tokens.access !== spent) return tokens;  // refreshed meanwhile by another context
      const response = await send('/auth/device/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh: tokens.refresh, device_id: await deviceId() }),
      });
      const body = await readJson(response);
      if (response.status === 401) {
        if (body.code === 'wipe') { await GG.wipe(body.detail); throw new Wiped(body.detail); }
        await GG.store.deleteMeta('tokens');
        GG.emit('signin', body.detail || '');
        throw new SignInNeeded(body.detail || '');
      }
      if (!response.ok) throw new Offline('refresh: HTTP ' + response.status);
      const next = { access: body.access, refresh: body.refresh, accessExpires: body.access_expires_at };
      await GG.store.setMeta('tokens', next);
      return next;
    });
  }

  /** fetch() with the access token; the Response (any status but the handled 401/403 wipe). */
  async function request(path, options) {
    const opts = Object.assign({}, options || {});
    let tokens = await GG.store.getMeta('tokens');
    if (!tokens) throw new SignInNeeded('');
    for (let attempt = 0; attempt < 2; attempt++) {
      opts.headers = Object.assign({}, (options && options.headers) || {}, { Authorization: 'Bearer ' + tokens.access });
      const response = await send(path, opts);
      if (response.status === 401 && attempt === 0) {
        tokens = await refresh(tokens.access);
        continue;
      }
      if (response.status === 403 || response.status === 401) {
        const body = await readJson(response.clone());
        if (body.code === 'wipe') { await GG.wipe(body.detail); throw new Wiped(body.detail); }
      }
      return response;
    }
    throw new SignInNeeded('');
  }

  async function signIn(username, password, deviceName) {
    const response = await send('/auth/device', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username: username, password: password, device_id: await deviceId(), device_name: deviceName }),
    });
    const body = await readJson(response);
    if (!response.ok) {
      const detail = body.detail || ('HTTP ' + response.status);
      throw new Error(response.status === 400 ? detail : detail);
    }
    await GG.store.setMeta('tokens', { access: body.access, refresh: body.refresh, accessExpires: body.access_expires_at });
    await GG.store.setMeta('me', { username: body.username, fullName: body.full_name, device: body.device });
    return body;
  }

  async function signOut() {
    try { await request('/auth/device', { method: 'DELETE' }); } catch (e) { /* offline: wiped anyway */ }
    await GG.wipe('已退出登录');
  }

  GG.api = {
    request: request, signIn: signIn, signOut: signOut, deviceId: deviceId,
    SignInNeeded: SignInNeeded, Wiped: Wiped, Offline: Offline, readJson: readJson,
  };
})(typeof self !== 'undefined' ? self : globalThis);
