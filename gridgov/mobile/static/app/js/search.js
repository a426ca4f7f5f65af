/* Offline search over the records on the phone, finding people by the same keywords as the
 * server's search box.
 *
 * Records arrive with their tokens from the server's tokenizer (gridgov.search.tokens, sent by
 * gridgov.mobile.kinds). A query is understood here as the server's `parse_query` understands
 * it: the same ranked alternatives of the same tokens (tests/mobile/test_search_js.py runs both
 * over the same queries and compares them). The one difference is the tails of phones and ID
 * numbers: the server's index keeps them as keyed hashes, which a phone cannot compute, so on
 * the phone they are the last four digits shown in the masked values it already holds (the
 * six-digit ID tail would reveal more than the mask, so it is not searchable offline).
 */
(function (root) {
  'use strict';
  const EXACT = 0, PREFIX = 1, SUBSTRING = 2;
  const MAX_FRAGMENT = 6;
  const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]/;
  const CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  const FILLER = new Set(['号楼', '单元', '号院', '小区', '社区', '街道', '室', '栋', '幢', '楼', '号', '层', '户']);
  const ADDRESS = /^(\d{1,4})(?:号楼|栋|幢|号|#|楼|-)(?:(\d{1,3})(?:单元|-))?(?:(\d{1,5})(?:室|号)?)?$/;
  const ADDRESS_TAIL = /(\d{1,4}(?:号楼|栋|幢|号|#|楼|-)(?:\d{1,3}(?:单元|-))?(?:\d{1,5}(?:室|号)?)?)$/;
  const ROOM = /^\d{3,5}$/;
  const DIGITISH = /^[0-9][0-9-]*x?$/;
  const NUMBER = /^[0-9a-z][0-9a-z-]*$/;
  const ALNUM = /^[\p{L}\p{N}]+$/u;

  const chars = (s) => Array.from(s);
  const isDigits = (s) => /^\d+$/.test(s);

  function normalize(raw) {
    return (raw || '').normalize('NFKC').toLowerCase().split(/\s+/).filter(Boolean).join(' ');
  }

  function addressBigrams(address) {
    const grams = new Set();
    const runs = (address || '').normalize('NFKC').match(CJK_RUN) || [];
    for (const run of runs) {
      const c = chars(run);
      for (let i = 0; i < c.length - 1; i++) {
        const gram = c[i] + c[i + 1];
        if (!FILLER.has(gram)) grams.add(gram);
      }
    }
    return grams;
  }

  // The phone's form of a tail token (see the header); null: not searchable offline.
  function tailToken(kind, value) {
    if (kind === 'phone4') return '2t' + value.toLowerCase();
    if (kind === 'id4') return '2i' + value.toLowerCase();
    return null;
  }

  function alt(tier, tokens, kind, nameContains, addressContains) {
    return { tier: tier, tokens: tokens, kind: kind, nameContains: nameContains || '', addressContains: addressContains || '' };
  }

  function addressStructure(text) {
    const m = ADDRESS.exec(text);
    return m ? [m[1] || '', m[2] || '', m[3] || ''] : null;
  }

  function structureAlternative(b, u, r, extra, addressContains) {
    [b, u, r] = [b, u, r].map((v) => (v ? String(parseInt(v, 10)) : ''));
    let key, tier;
    if (u && r) { key = 'b' + b + 'u' + u + 'r' + r; tier = EXACT; }
    else if (r) { key = 'b' + b + 'r' + r; tier = EXACT; }
    else if (u) { key = 'b' + b + 'u' + u; tier = PREFIX; }
    else { key = 'b' + b; tier = PREFIX; }
    return alt(tier, [tier + 'a' + key].concat(extra || []), 'address', '', addressContains);
  }

  function nameAlternatives(text) {
    const clean = text.replace(/·/g, '').replace(/•/g, '');
    if (!clean || !ALNUM.test(clean)) return [];
    const c = chars(clean);
    if (c.length === 1) return [alt(PREFIX, ['1n' + clean], 'surname')];
    const fragment = c.slice(0, MAX_FRAGMENT).join('');
    const check = c.length > MAX_FRAGMENT ? clean : '';
    const out = [EXACT, PREFIX, SUBSTRING].map((tier) => alt(tier, [tier + 'n' + fragment], 'name', check));
    const grams = Array.from(addressBigrams(clean)).sort();
    if (grams.length) {
      out.push(alt(SUBSTRING, grams.map((g) => '2w' + g), 'address', '',
        grams.length > 1 || c.length > 2 ? clean : ''));
    }
    return out;
  }

  /** What a search box string means: {text, alternatives, fullPhone, fullId, number}. */
  function parseQuery(raw) {
    const text = normalize(raw);
    const parsed = { text: text, alternatives: [], fullPhone: '', fullId: '', number: '' };
    if (!text) return parsed;
    const compact = text.replace(/ /g, '');
    const alternatives = [];
    if (NUMBER.test(compact)) parsed.number = compact.toUpperCase();
    let structure = addressStructure(compact);
    if (structure !== null && !isDigits(compact)) {
      alternatives.push(structureAlternative(structure[0], structure[1], structure[2]));
    } else if (DIGITISH.test(compact)) {
      const value = compact.replace(/-/g, '').toUpperCase();
      const n = value.length, digits = isDigits(value);
      if (n === 18 || (n === 15 && digits)) parsed.fullId = value;
      if (digits && ((n === 11 && value[0] === '1') || (value[0] === '0' && n >= 10 && n <= 12) || n === 7 || n === 8)) {
        parsed.fullPhone = value;
      }
      const tails = [];
      if (n === 4 && digits) tails.push(['phone4', 'phone_tail']);
      if (n === 4) tails.push(['id4', 'id_tail']);
      if (n === 6) tails.push(['id6', 'id_tail']);
      for (const [kind, label] of tails) {
        const token = tailToken(kind, value);
        alternatives.push(alt(SUBSTRING, token ? [token] : [], label));
      }
      if (digits && ROOM.test(value)) alternatives.push(alt(SUBSTRING, ['2ar' + parseInt(value, 10)], 'address'));
    } else if (/^[a-z]+$/.test(compact)) {
      alternatives.push(alt(EXACT, ['0p' + compact], 'pinyin'));
      alternatives.push(alt(PREFIX, ['1p' + compact], 'pinyin'));
      // The server's tokenizer now also keys initials (j: zw) and surname + initials (h: zhangw).
      for (const key of ['j', 'h']) {
        alternatives.push(alt(EXACT, ['0' + key + compact], 'pinyin'));
        alternatives.push(alt(PREFIX, ['1' + key + compact], 'pinyin'));
      }
    } else if (CJK.test(compact)) {
      const tail = ADDRESS_TAIL.exec(compact);
      const place = tail ? compact.slice(0, tail.index) : '';
      structure = tail ? addressStructure(tail[1]) : null;
      if (structure !== null && place && ALNUM.test(place) && CJK.test(place)) {
        const grams = Array.from(addressBigrams(place)).sort().map((g) => '2w' + g);
        alternatives.push(structureAlternative(structure[0], structure[1], structure[2], grams, place));
      } else {
        alternatives.push(...nameAlternatives(compact));
      }
    }
    alternatives.sort((a, b) => a.tier - b.tier);
    parsed.alternatives = alternatives;
    return parsed;
  }

  /** An in-memory inverted index of the records' tokens. */
  class Index {
    constructor() { this.postings = new Map(); this.docs = new Map(); }
    put(key, tokens, doc) {
      this.remove(key);
      const list = (tokens || '').split(' ').filter(Boolean);
      this.docs.set(key, { tokens: list, doc: doc });
      for (const t of list) {
        let p = this.postings.get(t);
        if (!p) this.postings.set(t, (p = new Set()));
        p.add(key);
      }
    }
    remove(key) {
      const old = this.docs.get(key);
      if (!old) return;
      for (const t of old.tokens) {
        const p = this.postings.get(t);
        if (p) { p.delete(key); if (!p.size) this.postings.delete(t); }
      }
      this.docs.delete(key);
    }
    clear() { this.postings.clear(); this.docs.clear(); }
    /** Keys of the documents matching the query, best alternative first (at most `limit`).
     *  `check(key, alt)` says whether a document passes an alternative's text checks. */
    find(parsed, limit, check) {
      const found = [];
      const seen = new Set();
      for (const a of parsed.alternatives) {
        if (!a.tokens.length) continue;
        const lists = a.tokens.map((t) => this.postings.get(t) || new Set());
        lists.sort((x, y) => x.size - y.size);
        for (const key of lists[0]) {
          if (seen.has(key) || !lists.every((l) => l.has(key))) continue;
          if (check && !check(key, a)) continue;
          seen.add(key);
          found.push(key);
          if (found.length >= limit) return found;
        }
      }
      return found;
    }
  }

  const api = { parseQuery: parseQuery, normalize: normalize, addressBigrams: addressBigrams, Index: Index };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else (root.GG || (root.GG = {})).search = api;
})(typeof self !== 'undefined' ? self : globalThis);
