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

/** Text and background of each verdict (the experiment card's colours). */
export const VERDICT_COLOURS: Readonly<
  Record<VerdictKey, { color: string; background: string }>
> = {
  material: { color: '#116329', background: '#dafbe1' },
  'not material': { color: '#57606a', background: '#eaeef2' },
  uncertain: { color: '#7d4e00', background: '#fff8c5' },
  harmful: { color: '#a40e26', background: '#ffebe9' },
  'not measurable': { color: '#57606a', background: '#f6f8fa' },
  baseline: { color: '#0550ae', background: '#ddf4ff' },
  none: { color: '#57606a', background: '#f6f8fa' }
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

/** Python's `format(x, ".3g")` for 0 <= x < 1e15 (bizml_nb.core.units.money's digits). */
function threeSignificant(x: number): string {
  if (x === 0) {
    return '0';
  }
  const exponent = Math.floor(Math.log10(x));
  let text = x.toPrecision(3);
  if (text.includes('e') || exponent >= 3) {
    // Python writes 1e+03 where JavaScript writes 1.00e+3
    const [mantissa, power] = x.toExponential(2).split('e');
    const digits = mantissa.replace(/\.?0+$/, '');
    const sign = power.startsWith('-') ? '-' : '+';
    const magnitude = power.replace(/^[+-]/, '').padStart(2, '0');
    return `${digits}e${sign}${magnitude}`;
  }
  if (text.includes('.')) {
    text = text.replace(/\.?0+$/, '');
  }
  return text;
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
  let amount = threeSignificant(size);
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
        ? `${threeSignificant(size / scale)}${suffix}`
        : threeSignificant(size);
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
  return `${money(value[1], currency || 'USD', true)}/yr`;
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
    const [mantissa, power] = x.toExponential(2).split('e');
    const sign = power.startsWith('-') ? '-' : '+';
    return `${mantissa.replace(/\.?0+$/, '')}e${sign}${power.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  if (size >= 1000) {
    return Math.round(x).toLocaleString('en-US');
  }
  const text = x.toPrecision(4);
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

/** A KPI level in its unit: ratios as percent, money with its symbol (units.kpi_value). */
export function kpiValue(x: number | null | undefined, unit: string): string {
  if (x === null || x === undefined || !Number.isFinite(x)) {
    return '—';
  }
  if (RATIO_UNITS.has(unit) || PERCENT_UNITS.has(unit)) {
    const level = RATIO_UNITS.has(unit) ? x * 100 : x;
    return `${level.toFixed(2)}%`;
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

/**
 * The first line of a new experiment cell, or an error message naming what to change.
 * `{`, `}` and `$` are refused: IPython expands them in a magic's line as Python.
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
    if (/[{}$\n\r]/.test(text)) {
      return {
        error: `the ${field} may not hold {, }, $ or a line break (IPython reads them in a magic's line as Python): remove them`
      };
    }
  }
  let line = `%%bizml experiment ${shellQuote(name)} --target ${shellQuote(options.kpi)}`;
  if (hypothesis) {
    line += ` --hypothesis ${shellQuote(hypothesis)}`;
  }
  if (options.baseline) {
    line += ' --baseline';
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
