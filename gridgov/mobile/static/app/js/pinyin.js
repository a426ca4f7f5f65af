/* Names as people type them in pinyin: the phone's port of gridgov.search.pinyin (pure functions).
 *
 * What the server's query parser needs to read a typed name: the syllable inventory (the same
 * list the server ships, data/readings.json), compound surnames, splitting a typed mix of
 * characters, syllables and initials into units (王xy, zhang伟, wangxiaoy), the index keys those
 * units must have, checking a candidate name unit by unit, and one-letter typos of typed pinyin.
 * The readings of a character are not computed here (the phone has no pinyin dictionary): the
 * server sends each name's readings with the record, and the caller passes a lookup built from
 * them (see GG.search.Index). tests/mobile/test_search_js.py compares every function with the
 * server's.
 */
(function (root) {
  'use strict';
  const SYLLABLES = (
    'a ai an ang ao ba bai ban bang bao bei ben beng bi bian biang biao bie bin bing bo bong bu ca cai ' +
    'can cang cao ce cei cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai ' +
    'chuan chuang chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di ' +
    'dia dian diao die din ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng ' +
    'fiao fo fou fu ga gai gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha ' +
    'hai han hang hao he hei hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao ' +
    'jie jin jing jiong jiu ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai ' +
    'kuan kuang kui kun kuo la lai lan lang lao le lei len leng li lia lian liang liao lie lin ling liu ' +
    'lo long lou lu luan lun luo lv lve ma mai man mang mao me mei men meng mi mian miao mie min ming ' +
    'miu mo mou mu na nai nan nang nao ne nei nen neng ni nia nian niang niao nie nin ning niu nong nou ' +
    'nu nuan nun nuo nv nve o ou pa pai pan pang pao pei pen peng pi pian piao pie pin ping po pou pu qi ' +
    'qia qian qiang qiao qie qin qing qiong qiu qu quan que qun ran rang rao re ren reng ri rong rou ru ' +
    'rua ruan rui run ruo sa sai san sang sao se sen seng sha shai shan shang shao she shei shen sheng ' +
    'shi shou shu shua shuai shuan shuang shui shun shuo si song sou su suan sui sun suo ta tai tan tang ' +
    'tao te tei teng ti tian tiao tie ting tong tou tu tuan tui tun tuo wa wai wan wang wei wen weng wo ' +
    'wong wu xi xia xian xiang xiao xie xin xing xiong xiu xu xuan xue xun ya yan yang yao ye yi yin ' +
    'ying yo yong you yu yuan yue yun za zai zan zang zao ze zei zen zeng zha zhai zhan zhang zhao zhe ' +
    'zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang zhui zhun zhuo zi zong zou zu zuan zui ' +
    'zun zuo'
  ).split(/\s+/).filter(Boolean);
  // Compound surnames and their readings, the usual one first.
  const COMPOUND_SURNAMES = new Map((
    '欧阳:ou-yang 司马:si-ma 上官:shang-guan 诸葛:zhu-ge 东方:dong-fang 皇甫:huang-fu ' +
    '尉迟:yu-chi,wei-chi 公孙:gong-sun 慕容:mu-rong 长孙:zhang-sun,chang-sun 宇文:yu-wen ' +
    '司徒:si-tu 夏侯:xia-hou 轩辕:xuan-yuan 令狐:ling-hu 端木:duan-mu 澹台:tan-tai ' +
    '万俟:mo-qi,wan-si 独孤:du-gu 南宫:nan-gong 呼延:hu-yan 单于:chan-yu,shan-yu,dan-yu ' +
    '拓跋:tuo-ba 钟离:zhong-li 西门:xi-men 申屠:shen-tu 公羊:gong-yang 赫连:he-lian ' +
    '闻人:wen-ren'
  ).split(/\s+/).filter(Boolean).map((entry) => {
    const [name, readings] = entry.split(':');
    return [name, readings.split(',').map((r) => r.split('-'))];
  }));
  const MAX_SPLITS = 12;
  const NONE = 1 << 20;
  const EDIT_ORDER = ['transposition', 'omission', 'extra', 'substitution'];
  const MAX_TYPO_KEYS = 48;
  const CJK = /[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2fa1f}]/u;
  const NAME_SEPARATORS = /[\s·•・･‧∙⋅●.．。｡-]+/gu;
  const LETTERS = /^[a-z]+$/;

  const chars = (s) => Array.from(s);
  const unique = (list) => Array.from(new Set(list));
  const isCjk = (c) => CJK.test(c) && chars(c).length === 1;

  function cleanName(name) {
    return (name || '').normalize('NFKC').replace(NAME_SEPARATORS, '').toLowerCase();
  }

  // Every toneless syllable, with ü written v, u (lu, nue) and, for lü/nü, yu (lyu).
  const FULL = new Set(SYLLABLES);
  for (const s of SYLLABLES) if (s.includes('v')) FULL.add(s.replace(/v/g, 'u'));
  FULL.add('lyu'); FULL.add('nyu');
  const PREFIXES = new Set();
  for (const s of FULL) for (let n = 1; n < s.length; n++) PREFIXES.add(s.slice(0, n));
  // SymSpell's dictionary: each syllable and its one-letter deletions → syllables.
  const DELETIONS = new Map();
  for (const s of FULL) {
    const keys = new Set([s]);
    for (let i = 0; i < s.length; i++) keys.add(s.slice(0, i) + s.slice(i + 1));
    for (const k of keys) {
      if (!DELETIONS.has(k)) DELETIONS.set(k, new Set());
      DELETIONS.get(k).add(s);
    }
  }

  // --- a name's readings ------------------------------------------------------------------------

  /** A name as the server reads it: {text: chars of the clean name, positions: readings each}. */
  function readName(name, reading) {
    const text = chars(cleanName(name));
    const positions = (reading || '').split('|').map((p) => (p ? p.split('/') : []));
    return text.length && positions.length === text.length ? { text: text, positions: positions } : null;
  }

  /** Readings of a unit on its own: ('c', 伟) is that character, ('s', 'wei') a reading equal to
   *  it, ('b', 'w') a reading beginning with it. */
  function unitMatches(unit, char, options) {
    const [kind, value] = unit;
    if (kind === 'c') return char === value;
    if (kind === 's') return options.includes(value);
    return options.some((r) => r.startsWith(value));
  }

  function patternMatches(units, reading, longer) {
    const n = reading.positions.length;
    if (longer ? n <= units.length : n !== units.length) return false;
    return units.every((unit, i) => unitMatches(unit, reading.text[i], reading.positions[i]));
  }

  // --- what was typed ---------------------------------------------------------------------------

  function latinSplits(run, partialEnd) {
    const found = [];
    function walk(i, units) {
      if (found.length >= 64) return;
      if (i === run.length) { found.push(units); return; }
      const previous = units.length ? units[units.length - 1] : null;
      for (let length = Math.min(6, run.length - i); length > 0; length--) {
        const piece = run.slice(i, i + length);
        const end = i + length === run.length;
        if (previous !== null && previous[1].length === 1 && FULL.has(previous[1] + piece)) continue;
        if (length === 1 && (PREFIXES.has(piece) || FULL.has(piece))) {
          if (previous !== null && previous[0] === 's' && FULL.has(previous[1] + piece)) continue;
          walk(i + 1, units.concat([['b', piece]]));
        } else if (FULL.has(piece)) {
          walk(i + length, units.concat([['s', piece]]));
        } else if (end && partialEnd && PREFIXES.has(piece)) {
          walk(i + length, units.concat([['b', piece]]));
        }
      }
    }
    walk(0, []);
    const bs = (units) => units.filter(([k]) => k === 'b').length;
    return found.sort((a, b) => a.length - b.length || bs(a) - bs(b));
  }

  function* product(choices) {
    const idx = choices.map(() => 0);
    if (choices.some((c) => !c.length)) return;
    while (true) {
      yield choices.map((c, i) => c[idx[i]]);
      let k = choices.length - 1;
      while (k >= 0 && ++idx[k] === choices[k].length) { idx[k] = 0; k--; }
      if (k < 0) return;
    }
  }

  /** How a typed query of characters and letters reads as units, one per character of a name. */
  function splitQuery(text) {
    const runs = text.match(/[a-z]+|./gu) || [];
    const choices = [];
    for (let k = 0; k < runs.length; k++) {
      const run = runs[k];
      if (LETTERS.test(run)) {
        const splits = latinSplits(run, k === runs.length - 1);
        if (!splits.length) return [];
        choices.push(splits);
      } else if (isCjk(run)) {
        choices.push([[['c', run]]]);
      } else {
        return [];
      }
    }
    const out = [], seen = new Set();
    let taken = 0;
    for (const combo of product(choices)) {
      if (taken++ >= MAX_SPLITS * 4) break;
      const units = [].concat(...combo);
      const key = JSON.stringify(units);
      if (!seen.has(key)) { seen.add(key); out.push(units); }
    }
    const long = (units) => units.filter(([k, v]) => k === 'b' && v.length > 1).length;
    out.sort((a, b) => a.length - b.length || long(a) - long(b));
    return out.slice(0, MAX_SPLITS);
  }

  /** The index keys a name read as these units must have: ['h', [zhangw…]] or ['j', [zw…]].
   *  `readingsOf(char, surname)` gives a character's readings (see the header). */
  function unitKeys(units, readingsOf) {
    let firsts = [], second = [];
    if (units.length >= 2 && units[0][0] === 'c' && units[1][0] === 'c') {
      const compound = COMPOUND_SURNAMES.get(units[0][1] + units[1][1]) || [];
      firsts = unique(compound.map((r) => r[0]));
      second = unique(compound.map((r) => r[1][0]));
    }
    const letters = (i, [kind, value]) => {
      if (i === 1 && second.length) return second;
      if (kind === 'c') {
        const found = unique(readingsOf(value, i === 0).map((r) => r[0]));
        return found.length ? found : ['?'];
      }
      return [value[0]];
    };
    const [kind, first] = units[0];
    let heads, family;
    if (kind === 'b') { heads = [first[0]]; family = 'j'; }
    else if (kind === 's') { heads = [first]; family = 'h'; }
    else {
      const own = readingsOf(first, true);
      heads = firsts.length ? firsts : own.length ? own.slice() : ['?'];
      family = 'h';
    }
    let keys = [''];
    for (let i = 1; i < units.length; i++) {
      const next = [];
      for (const k of keys) for (const letter of letters(i, units[i])) next.push(k + letter);
      keys = next.slice(0, 16);
    }
    const out = [];
    for (const head of heads) for (const key of keys) out.push(head + key);
    return [family, out.slice(0, 16)];
  }

  /** Whether index keys alone may over-match, so the name must be checked. */
  function needsCheck(units, leadingChars) {
    return units.some(([kind, value], i) => {
      if (i < leadingChars || (i === 0 && kind === 's')) return false;
      return kind === 'c' || (kind === 's' && value.length > 1) || (kind === 'b' && value.length > 1);
    });
  }

  // --- one-letter typos -------------------------------------------------------------------------

  function segments(text) {
    const n = text.length;
    const ahead = new Array(n + 1).fill(NONE), behind = new Array(n + 1).fill(NONE);
    ahead[0] = 0;
    for (let i = 0; i < n; i++) {
      if (ahead[i] >= NONE) continue;
      for (let length = 1; length <= Math.min(6, n - i); length++) {
        if (FULL.has(text.slice(i, i + length))) ahead[i + length] = Math.min(ahead[i + length], ahead[i] + 1);
      }
    }
    behind[n] = 0;
    for (let i = n - 1; i >= 0; i--) {
      for (let length = 1; length <= Math.min(6, n - i); length++) {
        if (behind[i + length] < NONE && FULL.has(text.slice(i, i + length))) behind[i] = Math.min(behind[i], behind[i + length] + 1);
      }
    }
    return [ahead, behind];
  }

  /** The fewest whole syllables text is made of (0 when it is not pinyin). */
  function syllableCount(text) {
    if (!LETTERS.test(text)) return 0;
    const count = segments(text)[0][text.length];
    return count >= NONE ? 0 : count;
  }

  function oneEdit(a, b) {
    if (a === b) return '';
    const la = a.length, lb = b.length;
    if (la === lb) {
      const diff = [];
      for (let i = 0; i < la; i++) if (a[i] !== b[i]) diff.push(i);
      if (diff.length === 1) return 'substitution';
      if (diff.length === 2 && diff[1] === diff[0] + 1 && a[diff[0]] === b[diff[1]] && a[diff[1]] === b[diff[0]]) return 'transposition';
      return '';
    }
    if (Math.abs(la - lb) !== 1) return '';
    const [short, long] = la < lb ? [a, b] : [b, a];
    let i = 0;
    while (i < short.length && short[i] === long[i]) i++;
    if (short.slice(i) === long.slice(i + 1)) return la < lb ? 'omission' : 'extra';
    return '';
  }

  /** Full pinyin of two or more syllables one letter from `text`, grouped by the kind of typo. */
  function typoKeys(text) {
    const n = text.length;
    if (n < 4 || !LETTERS.test(text)) return [];
    const [ahead, behind] = segments(text);
    const found = new Map();
    const add = (candidate, kind, count) => {
      if (count >= 2 && candidate !== text) {
        const rank = [EDIT_ORDER.indexOf(kind), count];
        const old = found.get(candidate);
        if (!old || rank[0] < old[0] || (rank[0] === old[0] && rank[1] < old[1])) found.set(candidate, rank);
      }
    };
    for (let a = 0; a < n; a++) {
      if (ahead[a] >= NONE) continue;
      for (let b = a + 1; b <= Math.min(n, a + 7); b++) {
        if (behind[b] >= NONE) continue;
        const window = text.slice(a, b);
        const near = new Set(DELETIONS.get(window) || []);
        for (let i = 0; i < window.length; i++) {
          for (const s of DELETIONS.get(window.slice(0, i) + window.slice(i + 1)) || []) near.add(s);
        }
        for (const syllable of near) {
          const kind = oneEdit(window, syllable);
          if (kind) add(text.slice(0, a) + syllable + text.slice(b), kind, ahead[a] + 1 + behind[b]);
        }
      }
    }
    for (let i = 0; i < n - 1; i++) { // a swap across two syllables: zhanwgei
      const swapped = text.slice(0, i) + text[i + 1] + text[i] + text.slice(i + 2);
      if (!found.has(swapped)) add(swapped, 'transposition', syllableCount(swapped));
    }
    const cmp = (x, y) => found.get(x)[0] - found.get(y)[0] || found.get(x)[1] - found.get(y)[1] || (x < y ? -1 : x > y ? 1 : 0);
    const ranked = Array.from(found.keys()).sort(cmp).slice(0, MAX_TYPO_KEYS);
    const groups = [];
    for (let k = 0; k < EDIT_ORDER.length; k++) {
      const group = ranked.filter((c) => found.get(c)[0] === k);
      if (group.length) groups.push(group);
    }
    return groups;
  }

  const api = {
    SYLLABLES: SYLLABLES, COMPOUND_SURNAMES: COMPOUND_SURNAMES, isCjk: isCjk, cleanName: cleanName,
    readName: readName, patternMatches: patternMatches, splitQuery: splitQuery, unitKeys: unitKeys,
    needsCheck: needsCheck, syllableCount: syllableCount, typoKeys: typoKeys,
  };
  if (typeof module !== 'undefined' && module.exports) module.exports = api;
  else (root.GG || (root.GG = {})).pinyin = api;
})(typeof self !== 'undefined' ? self : globalThis);
