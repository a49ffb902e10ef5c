/**
 * The front-end's pure logic: a run record (the `application/vnd.bizml.run+json`
 * output of a `%%bizml experiment` cell, or a leaderboard row of `/bizml/project`)
 * turned into a verdict key, a badge text and a tooltip. No DOM, no JupyterLab:
 * unit-tested on its own (src/__tests__/format.spec.ts).
 */

/** The MIME type of an experiment cell's run record (bizml_nb.core.run.RUN_MIME). */
export const RUN_MIME = 'application/vnd.bizml.run+json';

/** A badge's `data-verdict`: the verdict labels of bizml_nb, plus two of the badge's own. */
export type VerdictKey =
  | 'material'
  | 'not material'
  | 'uncertain'
  | 'harmful'
  | 'not measurable'
  | 'baseline'
  | 'none';

export const VERDICT_KEYS: readonly VerdictKey[] = [
  'material',
  'not material',
  'uncertain',
  'harmful',
  'not measurable',
  'baseline',
  'none'
];

/**
 * Text, background and border of each verdict (the experiment card's colours): the one
 * place they are set, for the badges and the panel alike (dom.ts `paintVerdict`).
 */
export const VERDICT_COLOURS: Readonly<
  Record<VerdictKey, { color: string; background: string; border: string }>
> = {
  material: { color: '#116329', background: '#dafbe1', border: 'transparent' },
  'not material': {
    color: '#57606a',
    background: '#eaeef2',
    border: 'transparent'
  },
  uncertain: { color: '#7d4e00', background: '#fff8c5', border: 'transparent' },
  harmful: { color: '#a40e26', background: '#ffebe9', border: 'transparent' },
  'not measurable': {
    color: '#57606a',
    background: '#f6f8fa',
    border: '#d0d7de'
  },
  baseline: { color: '#0550ae', background: '#ddf4ff', border: 'transparent' },
  none: { color: '#57606a', background: '#f6f8fa', border: '#d0d7de' }
};

/** The part of a verdict the front-end reads (run record and `/bizml/project` alike). */
export interface IVerdict {
  label?: string | null;
  measurable?: boolean | null;
  text?: string | null;
  title?: string | null;
}

/** What the badge reads from a run record (`bizml_nb.present.cards.Card.record`). */
export interface IRunRecord {
  format?: string;
  run?: {
    id?: string;
    name?: string;
    target?: string;
    status?: string;
    is_baseline?: boolean;
    error?: string | null;
  };
  impact?: {
    kpi?: string;
    currency?: string;
    is_baseline?: boolean;
    value_per_year?: number[] | null;
    business_delta?: number[] | null;
    unit?: string;
    verdict?: IVerdict | null;
  } | null;
}

const LABELS = new Set<string>([
  'material',
  'not material',
  'uncertain',
  'harmful'
]);

/**
 * The badge's verdict. A baseline run is `baseline`; a failed run, a run with no
 * verdict (its KPI unpriced and unlinked, or no longer declared) `none`. A change an
 * A/B test could not detect (`measurable: false`) is `not measurable`, unless it is
 * `harmful`: a likely loss is shown as one whatever a test could detect.
 */
export function verdictKey(
  verdict: IVerdict | null | undefined,
  options: { isBaseline?: boolean; failed?: boolean } = {}
): VerdictKey {
  if (options.failed) {
    return 'none';
  }
  if (options.isBaseline) {
    return 'baseline';
  }
  const label = verdict?.label ?? '';
  if (!LABELS.has(label)) {
    return 'none';
  }
  if (verdict?.measurable === false && label !== 'harmful') {
    return 'not measurable';
  }
  return label as VerdictKey;
}

const SYMBOLS: Readonly<Record<string, string>> = {
  USD: '$',
  EUR: '€',
  GBP: '£',
  JPY: '¥',
  INR: '₹',
  CNY: '¥'
};

/**
 * The significant digits of |x| rounded to `keep` of them, half to even on the exact
 * binary value, as Python's `format()` rounds (`toPrecision` rounds half up):
 * `x = 0.DIGITS x 10^(exponent + 1)`, i.e. DIGITS[0] is the 10^exponent digit.
 */
function roundedDigits(
  x: number,
  keep: number
): { digits: string; exponent: number } {
  // toExponential(99): 100 significant digits, enough to hold a double's exact tie
  const [mantissa, power] = Math.abs(x).toExponential(99).split('e');
  const all = mantissa.replace('.', '');
  let exponent = Number(power);
  if (keep <= 0) {
    // every digit falls below the last kept place: 0, or 1 at that place past a half
    const above =
      keep === 0 &&
      (all[0] > '5' || (all[0] === '5' && /[1-9]/.test(all.slice(1))));
    return above
      ? { digits: '1', exponent: exponent + 1 }
      : { digits: '', exponent };
  }
  let digits = all.slice(0, keep);
  const rest = all.slice(keep);
  const tie = rest[0] === '5' && !/[1-9]/.test(rest.slice(1));
  const up =
    rest[0] > '5' ||
    (rest[0] === '5' && !tie) ||
    (tie && Number(digits[keep - 1]) % 2 === 1);
  if (up) {
    const carried = increment(digits);
    if (carried.length > keep) {
      exponent += 1;
    }
    digits = carried.slice(0, keep);
  }
  return { digits, exponent };
}

/** A string of decimal digits plus one: `increment('129')` is `'130'`, `'99'` is `'100'`. */
function increment(digits: string): string {
  const out = digits.split('');
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] !== '9') {
      out[i] = String(Number(out[i]) + 1);
      return out.join('');
    }
    out[i] = '0';
  }
  return '1' + out.join('');
}

/** Python's `format(x, ".Ng")`: N significant digits, trailing zeros dropped. */
export function formatG(x: number, significant: number): string {
  if (!Number.isFinite(x)) {
    return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  }
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) {
    return `${sign}0`;
  }
  const { digits, exponent } = roundedDigits(x, significant);
  if (exponent < -4 || exponent >= significant) {
    const tail = digits.slice(1).replace(/0+$/, '');
    const power = `${exponent < 0 ? '-' : '+'}${String(Math.abs(exponent)).padStart(2, '0')}`;
    return `${sign}${digits[0]}${tail ? '.' + tail : ''}e${power}`;
  }
  let text: string;
  if (exponent < 0) {
    text = '0.' + '0'.repeat(-exponent - 1) + digits;
  } else {
    const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, '0');
    text = whole + '.' + digits.slice(exponent + 1);
  }
  text = text.replace(/0+$/, '').replace(/\.$/, '');
  return sign + text;
}

/** Python's `format(x, ".Nf")` (and `",.0f"` with `grouped`): half to even, `-0.00` kept. */
export function formatF(x: number, decimals: number, grouped = false): string {
  if (!Number.isFinite(x)) {
    return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  }
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  let whole = '0';
  let fraction = '0'.repeat(decimals);
  if (x !== 0) {
    // the exact exponent: toExponential(0) would round 999.995 up to 1e+3
    const exponent = Number(Math.abs(x).toExponential(99).split('e')[1]);
    const { digits, exponent: top } = roundedDigits(x, exponent + 1 + decimals);
    if (digits) {
      // the digits cover the places from 10^top down to 10^-decimals
      const places = top + 1 + decimals;
      const padded = digits.padEnd(places, '0').padStart(decimals + 1, '0');
      whole = padded.slice(0, padded.length - decimals) || '0';
      fraction = padded.slice(padded.length - decimals);
    }
  }
  if (grouped) {
    whole = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  }
  return sign + whole + (decimals > 0 ? '.' + fraction : '');
}

/**
 * An amount with 3 significant digits and k/M/B/T, as bizml_nb.core.units.money writes
 * it: `money(10.9e6, 'USD', true)` is `+$10.9M`; an unknown currency follows the
 * number (`1.2M CHF`).
 */
export function money(x: number, currency: string, signed = false): string {
  if (!Number.isFinite(x)) {
    return 'n/a';
  }
  const sign = x < 0 ? '-' : signed && x > 0 ? '+' : '';
  const size = Math.abs(x);
  let amount = formatG(size, 3);
  const scales: [number, string][] = [
    [1e15, ''],
    [1e12, 'T'],
    [1e9, 'B'],
    [1e6, 'M'],
    [1e3, 'k']
  ];
  for (const [scale, suffix] of scales) {
    if (size >= scale * 0.9995) {
      amount = suffix
        ? `${formatG(size / scale, 3)}${suffix}`
        : formatG(size, 3);
      break;
    }
  }
  const symbol = SYMBOLS[currency.toUpperCase()];
  return symbol ? `${sign}${symbol}${amount}` : `${sign}${amount} ${currency}`;
}

/** The yearly value's mid as a badge shows it: `+$10.9M/yr`, or null when unpriced. */
export function yearlyValue(
  value: number[] | null | undefined,
  currency: string | undefined
): string | null {
  if (!value || value.length !== 3 || !Number.isFinite(value[1])) {
    return null;
  }
  // a record is data from a file: a currency that is not a text is not trusted
  return `${money(value[1], typeof currency === 'string' && currency ? currency : 'USD', true)}/yr`;
}

/** A badge: its verdict, its text, its tooltip and the run it belongs to. */
export interface IBadge {
  verdict: VerdictKey;
  text: string;
  tooltip: string;
  runId: string;
}

/** The badge of an experiment cell's run record; null when it is not one. */
export function badgeFor(record: unknown): IBadge | null {
  if (typeof record !== 'object' || record === null) {
    return null;
  }
  const { run, impact } = record as IRunRecord;
  if (typeof run !== 'object' || run === null || typeof run.id !== 'string') {
    return null;
  }
  const failed = run.status === 'failed';
  const isBaseline = Boolean(impact?.is_baseline ?? run.is_baseline);
  const verdict = verdictKey(impact?.verdict, { isBaseline, failed });
  const value = yearlyValue(impact?.value_per_year, impact?.currency);
  let text: string;
  if (failed) {
    text = 'failed';
  } else if (verdict === 'baseline') {
    text = 'baseline';
  } else if (verdict === 'none') {
    text = 'no verdict';
  } else {
    // the verdict's title as the card words it: `material, not measurable`
    const label = impact?.verdict?.label ?? verdict;
    const title =
      impact?.verdict?.measurable === false
        ? `${label}, not measurable`
        : label;
    text = value ? `${title} · ${value}` : title;
  }
  const kpi = impact?.kpi ?? run.target ?? '';
  const lines = [`${run.name ?? run.id} → ${kpi}`];
  if (failed) {
    lines.push(`failed: ${run.error || 'the cell raised an error'}`);
  } else if (verdict === 'baseline') {
    lines.push(`the baseline run of ${kpi}`);
  } else if (impact?.verdict?.text) {
    lines.push(impact.verdict.text);
  } else if (impact === null || impact === undefined) {
    lines.push(`${kpi} is not declared in bizml.toml`);
  } else {
    lines.push(
      `no link from its ML metrics to ${kpi}: no business change to judge`
    );
  }
  lines.push('Click to open it in the bizml panel.');
  return { verdict, text, tooltip: lines.join('\n'), runId: run.id };
}

/** The record of the last run a cell's outputs hold (a cell may show several cards). */
export function lastRunRecord(
  outputs: Iterable<{ data: Record<string, unknown> }>
): unknown {
  let found: unknown = null;
  for (const output of outputs) {
    const record = output.data[RUN_MIME];
    if (record !== undefined && record !== null) {
      found = record;
    }
  }
  return found;
}

/** Whether a cell's source is an experiment cell: its first line is `%%bizml experiment`. */
export function isExperimentCell(source: string): boolean {
  const first = source.replace(/^\s+/, '').split('\n', 1)[0];
  return /^%%bizml\s+experiment(\s|$)/.test(first);
}

const RATIO_UNITS = new Set(['ratio', 'fraction', 'share', 'rate']);
const PERCENT_UNITS = new Set(['percent', '%', 'pct']);

/** Whether a unit is a currency code (three capital letters, as bizml_nb reads it). */
export function isCurrency(unit: string): boolean {
  return /^[A-Z]{3}$/.test(unit);
}

/** A plain number with 3-4 significant digits (bizml_nb.core.units.number). */
export function plainNumber(x: number): string {
  if (!Number.isFinite(x)) {
    return 'n/a';
  }
  const size = Math.abs(x);
  if (x === 0) {
    return '0';
  }
  if (size >= 1e15 || size < 1e-4) {
    return formatG(x, 3);
  }
  if (size >= 1000) {
    return formatF(x, 0, true);
  }
  return formatG(x, 4);
}

/** A KPI level in its unit: ratios as percent, money with its symbol (units.kpi_value). */
export function kpiValue(x: number | null | undefined, unit: string): string {
  if (x === null || x === undefined) {
    return '—';
  }
  if (!Number.isFinite(x * 100)) {
    return 'n/a'; // as units.kpi_value: no card shows inf or nan
  }
  if (RATIO_UNITS.has(unit) || PERCENT_UNITS.has(unit)) {
    const level = RATIO_UNITS.has(unit) ? x * 100 : x;
    if (!Number.isFinite(level)) {
      return 'n/a';
    }
    return Math.abs(level) >= 1e15
      ? `${formatG(level, 3)}%`
      : `${formatF(level, 2)}%`;
  }
  if (isCurrency(unit)) {
    return money(x, unit);
  }
  return `${plainNumber(x)} ${unit}`;
}

/** A yearly value range as a tooltip reads it: `+$11.5M/yr [+$6.55M, +$16.4M] (90%)`. */
export function moneyRange(
  value: number[] | null | undefined,
  currency: string
): string {
  if (!value || value.length !== 3) {
    return 'not priced';
  }
  const [low, mid, high] = value;
  return `${money(mid, currency, true)}/yr [${money(low, currency, true)}, ${money(high, currency, true)}] (90%)`;
}

/** A word as POSIX shell quoting reads it (the magic splits its line with shlex). */
export function shellQuote(word: string): string {
  if (word !== '' && /^[\w@%+=:,./-]+$/.test(word)) {
    return word;
  }
  return `'${word.replace(/'/g, `'"'"'`)}'`;
}

/** What IPython splits a cell's lines at (Python's `str.splitlines`). */
// eslint-disable-next-line no-control-regex -- \x1c-\x1e are line breaks to Python
const LINE_BREAKS = /[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

/**
 * The first line of a new experiment cell, or an error message naming what to change.
 * The magic splits its line as a POSIX shell does (shlex) and does not expand `{}` or
 * `$` (`@no_var_expand`), so any text is quoted as it is; a line break would end the
 * magic's line, so it is refused. A name or hypothesis starting with `-` is written so
 * that it cannot be read as a flag (`--hypothesis=-5%`, `-- -v2`).
 */
export function experimentLine(options: {
  name: string;
  kpi: string;
  hypothesis?: string;
  baseline?: boolean;
}): { line: string } | { error: string } {
  const name = options.name.trim();
  const hypothesis = (options.hypothesis ?? '').trim();
  if (!name) {
    return { error: 'give the experiment a name, e.g. "two-tower v2"' };
  }
  if (!options.kpi) {
    return { error: 'choose the KPI this experiment is meant to move' };
  }
  for (const [field, text] of [
    ['name', name],
    ['hypothesis', hypothesis]
  ]) {
    if (LINE_BREAKS.test(text)) {
      return {
        error: `the ${field} may not hold a line break (it would end the magic's line): write it on one line`
      };
    }
  }
  if (hypothesis === '--') {
    // argparse drops a bare `--` from an option's value: the magic would read nothing
    return {
      error:
        'a hypothesis of only "--" reads as no hypothesis: write it in words'
    };
  }
  const flagLike = name.startsWith('-');
  let line = '%%bizml experiment';
  if (!flagLike) {
    line += ` ${shellQuote(name)}`;
  }
  line += ` --target ${shellQuote(options.kpi)}`;
  if (hypothesis) {
    line += hypothesis.startsWith('-')
      ? ` ${shellQuote(`--hypothesis=${hypothesis}`)}`
      : ` --hypothesis ${shellQuote(hypothesis)}`;
  }
  if (options.baseline) {
    line += ' --baseline';
  }
  if (flagLike) {
    line += ` -- ${shellQuote(name)}`;
  }
  return { line };
}

/** A template's short name on its tile; its full title is the tile's tooltip. */
export function templateLabel(template: { name: string }): string {
  const known: Record<string, string> = {
    roi_analysis: 'ROI analysis',
    adoption_maturity: 'Adoption maturity',
    silent_failure_monitoring: 'Silent-failure monitoring',
    scalability_planning: 'Scalability planning'
  };
  const name = template.name;
  return (
    known[name] ??
    name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' ')
  );
}
