/* Offline search over the records on the phone, finding people by the same keywords as the
 * server's search box.
 *
 * Records arrive with their tokens from the server's tokenizer (gridgov.search.tokens, sent by
 * gridgov.mobile.kinds) and residents with their names' readings. A query is understood here as
 * the server's `parse_query` understands it (gridgov.search.tokens and .addresses, ported with
 * GG.pinyin): the same ranked alternatives of the same tokens, the typed mixes of characters and
 * pinyin checked unit by unit on the name, one-letter typos looked up when a page is not full
 * (tests/mobile/test_search_js.py runs both over the same queries and compares them). The one
 * difference is the tails of phones and ID numbers: the server's index keeps them as keyed
 * hashes, which a phone cannot compute, so on the phone they are the last four digits shown in
 * the masked values it already holds (the six-digit ID tail would reveal more than the mask, so
 * it is not searchable offline).
 */
(function (root) {
  'use strict';
  const P = typeof module !== 'undefined' && module.exports ? require('./pinyin.js') : root.GG.pinyin;
  const EXACT = 0, PREFIX = 1, SUBSTRING = 2, TYPO = 3;
  const TIERS = [EXACT, PREFIX, SUBSTRING];
  const MAX_FRAGMENT = 6;
  const CJK_RUN = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+/g;
  const FILLER = new Set(['号楼', '单元', '号院', '小区', '社区', '街道', '室', '栋', '幢', '楼', '号', '层', '户']);
  const ROOM = /^\d{3,5}$/;
  const DIGITISH = /^[0-9][0-9-]*x?$/;
  const NUMBER = /^[0-9a-z][0-9a-z-]*$/;
  const LETTERS = /^[a-z]+$/;
  const ALNUM = /^[\p{L}\p{N}]+$/u;

  const chars = (s) => Array.from(s);
  const isDigits = (s) => /^\d+$/.test(s);
  const hasCjk = (s) => chars(s).some(P.isCjk);

  function normalize(raw) {
    const text = (raw || '').normalize('NFKC').toLowerCase().replace(/ü/g, 'v').replace(/u:/g, 'v');
    return text.split(/\s+/).filter(Boolean).join(' ');
  }

  function addressBigrams(address) {
    const grams = new Set();
    for (const run of (address || '').normalize('NFKC').match(CJK_RUN) || []) {
      const c = chars(run);
      for (let i = 0; i < c.length - 1; i++) {
        const gram = c[i] + c[i + 1];
        if (!FILLER.has(gram)) grams.add(gram);
      }
    }
    return grams;
  }

  // --- addresses (gridgov.search.addresses) ---------------------------------------------------

  const BUILDING = ['号楼', '#楼', '#', '栋', '幢', '座', '楼', '号'];
  const UNIT = ['单元', '门'];
  const MARKERS = Array.from(new Set([...BUILDING, ...UNIT, '室', '户', '号'])).sort((a, b) => b.length - a.length);
  const SEPARATORS = '-_/、,，.．';
  const NUMERAL_RUN = /[零〇一二三四五六七八九十百千两幺]+/g;
  const PIECE = new RegExp('([0-9]{1,5})(?![0-9])(' + MARKERS.map((m) => m.replace('#', '\\#')).join('|') + ')?', 'y');
  const isSeparator = (c) => c !== '' && c !== undefined && SEPARATORS.includes(c);

  // Chinese numerals as cn2an's "smart" mode reads the runs an address holds (no 万 or 亿).
  const DIGIT = { 零: 0, 〇: 0, 一: 1, 幺: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
  const UNITS = { 十: 10, 百: 100, 千: 1000 };
  const N = '[一幺二两三四五六七八九]', Z = '[零〇]';
  const N10 = N + '?十' + N + '?', N10ONE = N + '十' + N + '?', N99 = '(' + N10 + '|' + N + ')';
  const N999 = '(' + N + '百(' + Z + N + ')?|' + N + '百' + N10ONE + ')';
  const N9999 = '(' + N + '千(' + Z + N99 + ')?|' + N + '千' + N999 + ')';
  const INTEGER = new RegExp('^(' + Z + '|' + N9999 + '|' + N999 + '|' + N99 + ')$');
  const ALL_DIGITS = /^[零〇一幺二两三四五六七八九]+$/;
  const SPEAKING = /^(?:[零〇一幺二两三四五六七八九]{0,2}[十百千])+[零〇一幺二两三四五六七八九]$/;

  function integerValue(text) {
    let out = 0, unit = 1;
    const c = chars(text);
    for (let i = c.length - 1; i >= 0; i--) {
      if (c[i] in DIGIT) out += DIGIT[c[i]] * unit;
      else {
        unit = UNITS[c[i]];
        if (i === 0) out += unit;
      }
    }
    return out;
  }

  /** 五零一 → 501, 十二 → 12, 五百零一 → 501; '' when it is not a number. */
  function chineseNumber(run) {
    let text = run.replace(/幺/g, '一').replace(/零十/g, '零一十').replace(/零百/g, '零一百');
    text = text.replace(/(千)([零〇一幺二两三四五六七八九]?十)/g, '$1零$2').replace(/(百)(十)/g, '$1一$2');
    text = text.replace(/零十/g, '零一十');
    if (INTEGER.test(text)) return String(integerValue(text));
    if (ALL_DIGITS.test(text)) return String(parseInt(chars(text).map((c) => DIGIT[c]).join(''), 10));
    if (text.length >= 3 && SPEAKING.test(text)) {
      const last = UNITS[text[text.length - 2]];
      const lower = { 100: '十', 1000: '百' }[last];
      return lower ? String(integerValue(text + lower)) : '';
    }
    return '';
  }

  /** Chinese numerals next to an address marker or another number, as digits. */
  function arabicNumerals(text) {
    return text.replace(NUMERAL_RUN, (match, offset) => {
      const before = text.slice(0, offset), after = text.slice(offset + match.length);
      const besideMarker = MARKERS.some((m) => after.startsWith(m)) || isSeparator(after[0]);
      const afterMarker = MARKERS.some((m) => before.endsWith(m)) || (before.length > 0 && isSeparator(before[before.length - 1]));
      if (!(besideMarker || afterMarker)) return match;
      return chineseNumber(match) || match;
    });
  }

  function roles(pieces) {
    const order = ['b', 'u', 'r'];
    const found = {};
    let last = -1;
    for (let i = 0; i < pieces.length; i++) {
      const [number, marker] = pieces[i];
      const final = i === pieces.length - 1;
      let role;
      if (UNIT.includes(marker)) role = 'u';
      else if (['号楼', '#楼', '#', '栋', '幢', '座', '楼'].includes(marker) || (marker === '号' && !final)) role = 'b';
      else if (marker === '室' || marker === '户' || (marker === '号' && final && pieces.length > 1)) role = 'r';
      else if (marker === '号') role = 'b';
      else {
        const remaining = pieces.length - i;
        const end = pieces[pieces.length - 1];
        if (last < 0 && remaining === 2 && (end[1] === '' || end[1] === '-') && end[0].length >= 3) role = 'b';
        else if (last === 0 && final && number.length >= 3) role = 'r';
        else if (last < 0 && remaining === 1 && pieces.length === 1) return null;
        else role = last + 1 < order.length ? order[last + 1] : '';
      }
      if (!role || role in found || order.indexOf(role) <= last) return null;
      found[role] = String(parseInt(number, 10));
      last = order.indexOf(role);
    }
    return Object.keys(found).length ? found : null;
  }

  /** [place text, {b, u, r}] of a typed address, or null (text normalised, no spaces). */
  function parseAddress(raw) {
    const text = arabicNumerals(raw);
    const start = text.search(/[0-9]/);
    if (start < 0) return null;
    const place = text.slice(0, start), rest = text.slice(start);
    if (!place && rest[0] === '0' && /^[0-9-]+$/.test(rest)) return null; // a landline
    const pieces = [];
    let pos = 0;
    while (pos < rest.length) {
      PIECE.lastIndex = pos;
      const m = PIECE.exec(rest);
      if (!m) return null;
      let marker = m[2] || '';
      pos = PIECE.lastIndex;
      if (pos < rest.length && isSeparator(rest[pos])) {
        if (marker) pos += 1;
        else {
          marker = '-';
          pos += 1;
          if (pos === rest.length) return null;
        }
      }
      pieces.push([m[1], marker]);
    }
    const found = roles(pieces);
    if (found === null || (place && !/^[^0-9]+$/.test(place))) return null;
    return [place, found];
  }

  function addressQueryKeys(r) {
    const b = r.b || '', u = r.u || '', room = r.r || '';
    if (b && u && room) return [[EXACT, 'b' + b + 'u' + u + 'r' + room]];
    if (b && room) return [[EXACT, 'b' + b + 'r' + room], [SUBSTRING, 'b' + b + 'r' + room]];
    if (b && u) return [[PREFIX, 'b' + b + 'u' + u]];
    if (u && room) return [[SUBSTRING, 'u' + u + 'r' + room]];
    if (b) return [[PREFIX, 'b' + b]];
    if (room) return [[SUBSTRING, 'r' + room]];
    return [];
  }

  // --- queries (gridgov.search.tokens.parse_query) ----------------------------------------------

  function alt(tier, tokens, kind, extra) {
    return Object.assign({ tier: tier, tokens: tokens, kind: kind, nameContains: '', addressContains: '',
      anyTokens: [], patterns: [], longer: false }, extra || {});
  }

  // The phone's form of a tail token (see the header); null: not searchable offline.
  function tailToken(kind, value) {
    if (kind === 'phone4') return '2t' + value.toLowerCase();
    if (kind === 'id4') return '2i' + value.toLowerCase();
    return null;
  }

  function addressAlternatives(place, found) {
    const grams = place ? Array.from(addressBigrams(place)).sort().map((g) => '2w' + g) : [];
    if (place && !(ALNUM.test(place) && hasCjk(place) && grams.length)) return [];
    return addressQueryKeys(found).map(([tier, key]) => alt(tier, [tier + 'a' + key].concat(grams), 'address', { addressContains: place }));
  }

  function nameAlternatives(text) {
    const clean = P.cleanName(text);
    if (!clean || !ALNUM.test(clean)) return [];
    const c = chars(clean);
    if (c.length === 1) return [alt(PREFIX, ['1n' + clean], 'surname')];
    const fragment = c.slice(0, MAX_FRAGMENT).join('');
    const check = c.length > MAX_FRAGMENT ? clean : '';
    const out = TIERS.map((tier) => alt(tier, [tier + 'n' + fragment], 'name', { nameContains: check }));
    const grams = Array.from(addressBigrams(text)).sort();
    if (grams.length && clean === text) {
      out.push(alt(SUBSTRING, grams.map((g) => '2w' + g), 'address',
        { addressContains: grams.length > 1 || c.length > 2 ? clean : '' }));
    }
    return out;
  }

  /** A name typed as a mix of characters, syllables and initials (王xy, zhang伟, wangxiaoy). */
  function typedAlternatives(text, latin, readingsOf) {
    const leading = chars(/^[^a-z]*/.exec(text)[0]).slice(0, MAX_FRAGMENT).join('');
    const lead = leading ? ['1n' + leading] : [];
    const merged = new Map();
    for (const units of P.splitQuery(text)) {
      if (units.length < 2 || (latin && units.every(([kind]) => kind === 's'))) continue;
      const [family, keys] = P.unitKeys(units, readingsOf);
      const check = P.needsCheck(units, chars(leading).length);
      for (const longer of [false, true]) {
        const tier = longer ? 1 : 0;
        const anyTokens = keys.map((k) => tier + family + k);
        const key = JSON.stringify([tier, anyTokens, longer]);
        const entry = merged.get(key) || { tier: tier, anyTokens: anyTokens, longer: longer, patterns: [] };
        if (!check) entry.patterns = null; // the keys say it all
        else if (entry.patterns !== null) entry.patterns = entry.patterns.concat([units]);
        merged.set(key, entry);
      }
    }
    return Array.from(merged.values()).map((e) => alt(e.tier, lead, 'pinyin', { anyTokens: e.anyTokens, patterns: e.patterns || [], longer: e.longer }));
  }

  function pinyinAlternatives(text, readingsOf) {
    const out = P.syllableCount(text) ? TIERS.map((tier) => alt(tier, [tier + 'p' + text], 'pinyin')) : [];
    return out.concat(typedAlternatives(text, true, readingsOf));
  }

  const NO_READINGS = () => [];

  /** What a search box string means: {text, alternatives, fullPhone, fullId, number, typoText}.
   *  `readingsOf(char, surname)`: a character's readings (Index.readingsOf; see GG.pinyin). */
  function parseQuery(raw, readingsOf) {
    readingsOf = readingsOf || NO_READINGS;
    const text = normalize(raw);
    const parsed = { text: text, alternatives: [], fullPhone: '', fullId: '', number: '', typoText: '' };
    if (!text) return parsed;
    const compact = text.replace(/ /g, '');
    const alternatives = [];
    if (NUMBER.test(compact)) parsed.number = compact.toUpperCase();
    const address = isDigits(compact) ? null : parseAddress(compact);
    const name = P.cleanName(compact);
    if (address !== null && addressQueryKeys(address[1]).length) {
      alternatives.push(...addressAlternatives(address[0], address[1]));
      if (address[0] && !alternatives.length) alternatives.push(...nameAlternatives(compact));
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
    } else if (LETTERS.test(name)) {
      alternatives.push(...pinyinAlternatives(name, readingsOf));
      parsed.typoText = name;
    } else if (hasCjk(name) && /[a-z]/.test(name)) {
      if (chars(name).every((c) => P.isCjk(c) || /^[a-z]$/.test(c))) alternatives.push(...typedAlternatives(name, false, readingsOf));
    } else if (hasCjk(compact)) {
      alternatives.push(...nameAlternatives(compact));
    }
    alternatives.sort((a, b) => a.tier - b.tier);
    parsed.alternatives = alternatives;
    return parsed;
  }

  /** One-letter typos of typed pinyin, looked up only when what was typed does not fill a page. */
  function typoAlternatives(parsed) {
    const text = parsed.typoText;
    if (!text || (P.syllableCount(text) && text.length < 6)) return [];
    return P.typoKeys(text).map((group) => alt(TYPO, [], 'typo', { anyTokens: group.map((k) => '0p' + k) }));
  }

  /** Whether a candidate really is what an alternative's tokens over-approximate (the server's
   *  `_confirm`): `doc` a resident (name, reading) or a household (address). */
  function confirm(a, doc, isResident, reading) {
    if (a.nameContains || a.patterns.length) {
      if (!isResident) return false;
      if (a.nameContains && !P.cleanName(doc.name).includes(P.cleanName(a.nameContains))) return false;
      if (a.patterns.length) return !!reading && a.patterns.some((units) => P.patternMatches(units, reading, a.longer));
      return true;
    }
    if (a.addressContains) return !isResident && normalize(doc.address).includes(a.addressContains);
    return true;
  }

  /** An in-memory inverted index of the records' tokens, and the readings of their names'
   *  characters (what a typed character reads as, for the query parser). */
  class Index {
    constructor() {
      this.postings = new Map();
      this.docs = new Map();
      this.surnames = new Map();
      this.given = new Map();
      this.readingsOf = (char, surname) => (surname ? this.surnames : this.given).get(char) || [];
    }
    put(key, tokens, doc) {
      this.remove(key);
      const list = (tokens || '').split(' ').filter(Boolean);
      const reading = doc && doc.reading !== undefined ? P.readName(doc.name, doc.reading) : null;
      this.docs.set(key, { tokens: list, doc: doc, reading: reading });
      for (const t of list) {
        let p = this.postings.get(t);
        if (!p) this.postings.set(t, (p = new Set()));
        p.add(key);
      }
      if (reading) {
        // A character's readings are the same in every name (the surname's as a surname), so
        // the first name holding it says them; a compound surname's are its own.
        const compound = reading.text.length > 2 && P.COMPOUND_SURNAMES.has(reading.text[0] + reading.text[1]);
        reading.text.forEach((c, i) => {
          if (compound && i < 2) return;
          const table = i === 0 ? this.surnames : this.given;
          if (!table.has(c)) table.set(c, reading.positions[i]);
        });
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
    clear() { this.postings.clear(); this.docs.clear(); this.surnames.clear(); this.given.clear(); }
    parse(raw) { return parseQuery(raw, this.readingsOf); }

    candidates(a) {
      const empty = new Set();
      const any = a.anyTokens.map((t) => this.postings.get(t) || empty);
      if (!a.tokens.length) {
        const union = new Set();
        for (const p of any) for (const key of p) union.add(key);
        return union;
      }
      const lists = a.tokens.map((t) => this.postings.get(t) || empty).sort((x, y) => x.size - y.size);
      const out = [];
      for (const key of lists[0]) {
        if (lists.every((l) => l.has(key)) && (!any.length || any.some((l) => l.has(key)))) out.push(key);
      }
      return out;
    }
    /** Keys of the documents matching the query, best alternative first (at most `limit`), then
     *  its typo readings if the page is not full. `check(key, alt, entry)` may refuse a hit. */
    find(parsed, limit, check) {
      const found = [];
      const seen = new Set();
      const walk = (alternatives) => {
        for (const a of alternatives) {
          if (!a.tokens.length && !a.anyTokens.length) continue;
          for (const key of this.candidates(a)) {
            if (seen.has(key)) continue;
            const entry = this.docs.get(key);
            if (!confirm(a, entry.doc, key.startsWith('resident:'), entry.reading)) continue;
            if (check && !check(key, a, entry)) continue;
            seen.add(key);
            found.push(key);
            if (found.length >= limit) return true;
          }
        }
        return false;
      };
      if (!walk(parsed.alternatives)) walk(typoAlternatives(parsed));
      return found;
    }
  }

  const api = {
    parseQuery: parseQuery, typoAlternatives: typoAlternatives, normalize: normalize, addressBigrams: addressBigrams,
    parseAddress: parseAddress, chineseNumber: chineseNumber, confirm: confirm, Index: Index,
  };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else (root.GG || (root.GG = {})).search = api;
})(typeof self !== 'undefined' ? self : globalThis);
